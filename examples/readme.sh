#!/usr/bin/env bash
# Runs every shell block of README.md, in the README's order, and checks
# what each prints, so that what the README says stays true:
#
#   examples/readme.sh
#
# It first runs scripts/readme-covered, which fails if a README command is
# in no script that CI runs. The README's commands appear here as the
# README writes them; around them this script only picks free ports
# (the README's 4599 and 4600), starts servers in the background, and
# checks. `go run ./cmd/orgd` runs the binary built once from this tree,
# and `aws` the CLI lib.sh found. Without an AWS CLI it prints "SKIP: ..."
# and exits 0, except in CI (CI=true), where that is a failure.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD

scripts/readme-covered

. scripts/lib.sh
find_aws_cli
for v in $(compgen -e | grep '^ORGD_' || true); do unset "$v"; done

step "build orgd"
orgd_build
STRICT_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
ok "$TMP/orgd; ports $PORT and $STRICT_PORT"

# go run ./cmd/orgd ARGS runs the binary built above; in a background job
# or a command substitution it replaces the subshell, so that $! is orgd.
go() {
  if [ "${1:-} ${2:-}" = "run ./cmd/orgd" ]; then
    shift 2
    if [ "$BASHPID" != "$$" ]; then exec "$TMP/orgd" "$@"; fi
    "$TMP/orgd" "$@"
  else
    command go "$@"
  fi
}
aws() { "$AWS" "$@"; }

PIDS=()
stop_all() {
  local s=$? p
  for p in "${PIDS[@]}"; do
    kill "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  return $s
}
trap 'stop_all; cleanup' EXIT

# serving PORT LOG: waits up to 10 s for the server just started in the
# background ($!) to answer health on PORT.
serving() {
  local pid=$! port=$1 log=$2
  PIDS+=("$pid")
  for _ in $(seq 1 100); do
    curl -fsS -o /dev/null "http://127.0.0.1:$port/_orgd/health" 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; fail "orgd exited before it was healthy"; }
    sleep 0.1
  done
  cat "$log" >&2
  fail "orgd on port $port not healthy after 10s"
}

# stop PID: stops a server this script started.
stop() {
  kill "$1"
  wait "$1" 2>/dev/null || true
}

# want WHAT PATTERN TEXT: fails unless TEXT matches the bash PATTERN.
want() {
  # shellcheck disable=SC2053
  [[ $3 == $2 ]] || fail "$1: got '$3', want $2"
  ok "$1"
}

# =============================================================================
step "Install: go install, orgd version"
GOBIN="$TMP/bin" go install ./cmd/orgd
got=$(PATH="$TMP/bin:$PATH" orgd version)
want "orgd version" "orgd * go1.*" "$got"

step "Install: scripts/release, checksums"
scripts/release -o "$TMP/dist" -v v0.0.0-readme "$(command go env GOOS)/$(command go env GOARCH)" >/dev/null
(cd "$TMP" && cd dist && sha256sum -c SHA256SUMS)
got=$("$TMP/dist/orgd-v0.0.0-readme-$(command go env GOOS)-$(command go env GOARCH)" version)
want "the release binary's version" "orgd v0.0.0-readme (*" "$got"

mkdir -p "$TMP/work"
cd "$TMP/work"

step "The two commands: go run ./cmd/orgd serve, on the default store of a fresh home"
(
  export HOME="$TMP/home" ORGD_LISTEN="127.0.0.1:$PORT"
  unset XDG_DATA_HOME
  go run ./cmd/orgd serve
) >"$TMP/default.log" 2>&1 &
serving "$PORT" "$TMP/default.log"
DEFAULT_PID=$!
stop "$DEFAULT_PID"
[ -f "$TMP/home/.local/share/orgd/orgd.db" ] || fail "no store at ~/.local/share/orgd/orgd.db"
ok "the state is in ~/.local/share/orgd/orgd.db"

# =============================================================================
step "Try it with the AWS CLI: a throwaway server"
ORGD_LISTEN="127.0.0.1:$PORT" go run ./cmd/orgd serve --store memory >"$TMP/orgd.log" 2>&1 &
serving "$PORT" "$TMP/orgd.log"
MEMORY_PID=$!
export ORGD_ENDPOINT="http://127.0.0.1:$PORT" # what the README's orgd commands default to

step "the walkthrough"
export AWS_DEFAULT_REGION=us-east-1 AWS_SECRET_ACCESS_KEY=anything
orgs() { aws --endpoint-url http://127.0.0.1:$PORT organizations "$@"; }

export AWS_ACCESS_KEY_ID=111111111111
orgs create-organization --feature-set CONSOLIDATED_BILLING >/dev/null
ROOT=$(orgs list-roots --query 'Roots[0].Id' --output text)
want "root" "r-*" "$ROOT"

OU=$(orgs create-organizational-unit --parent-id "$ROOT" --name Workloads \
      --query OrganizationalUnit.Id --output text)
want "OU" "ou-*" "$OU"
CAR=$(orgs create-account --email dev@example.com --account-name Dev \
      --query CreateAccountStatus.Id --output text)
sleep 2
NEW=$(orgs describe-create-account-status --create-account-request-id "$CAR" \
      --query CreateAccountStatus.AccountId --output text)
want "created account" "[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]" "$NEW"
orgs move-account --account-id "$NEW" --source-parent-id "$ROOT" --destination-parent-id "$OU"

H=$(orgs invite-account-to-organization --target Id=222222222222,Type=ACCOUNT \
      --query Handshake.Id --output text)
AWS_ACCESS_KEY_ID=222222222222 orgs accept-handshake --handshake-id "$H" >/dev/null
orgs move-account --account-id 222222222222 --source-parent-id "$ROOT" --destination-parent-id "$OU"
got=$(orgs list-accounts-for-parent --parent-id "$OU" --query 'sort(Accounts[].Id)' --output text)
want "both accounts in the OU" "*222222222222*" "$got"

PARENT=$(orgs enable-all-features --query Handshake.Id --output text)
CHILD=$(AWS_ACCESS_KEY_ID=222222222222 orgs list-handshakes-for-account \
      --query 'Handshakes[?Action==`APPROVE_ALL_FEATURES`].Id' --output text)
want "the member's approval" "h-*" "$CHILD"
AWS_ACCESS_KEY_ID=222222222222 orgs accept-handshake --handshake-id "$CHILD" >/dev/null
orgs accept-handshake --handshake-id "$PARENT" >/dev/null
got=$(orgs describe-organization --query Organization.FeatureSet)
want "feature set" '"ALL"' "$got"

orgs enable-policy-type --root-id "$ROOT" --policy-type SERVICE_CONTROL_POLICY >/dev/null
P=$(orgs create-policy --name deny-leave --description "no leaving" \
      --type SERVICE_CONTROL_POLICY --query Policy.PolicySummary.Id --output text \
      --content '{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"organizations:LeaveOrganization","Resource":"*"}]}')
orgs attach-policy --policy-id "$P" --target-id "$OU"
if AWS_ACCESS_KEY_ID=222222222222 orgs leave-organization 2>"$TMP/err"; then
  fail "222222222222 left despite deny-leave"
fi
want "leave-organization refused" "*(AccessDeniedException)*" "$(cat "$TMP/err")"

step "the walkthrough twice on a kept store fails, as the README says"
if orgs create-organization --feature-set CONSOLIDATED_BILLING 2>"$TMP/err" >/dev/null; then
  fail "a second create-organization succeeded"
fi
want "a second create-organization" "*(AlreadyInOrganizationException)*" "$(cat "$TMP/err")"

# =============================================================================
step "Callers and credentials: register a standalone account"
got=$(curl -s -X POST localhost:$PORT/_orgd/accounts \
  -d '{"accountId":"444444444444","email":"ops@example.com","name":"Ops"}')
want "registered" '*"email":"ops@example.com"*' "$got"
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY

step "Strict mode, with its own data directory and port"
cat > creds.json <<'JSON'
{"credentials": [
  {"accessKeyId": "AKIAORGDMANAGEMENT01", "secretAccessKey": "management-secret", "accountId": "111111111111"}
]}
JSON
chmod 600 creds.json
ORGD_DATA_DIR=./strict-data go run ./cmd/orgd serve --listen 127.0.0.1:$STRICT_PORT \
  --auth strict --credentials creds.json >"$TMP/strict.log" 2>&1 &
serving "$STRICT_PORT" "$TMP/strict.log"
STRICT_PID=$!
[ -f strict-data/orgd.db ] || fail "no store in ./strict-data"

(
  export AWS_ACCESS_KEY_ID=AKIAORGDMANAGEMENT01 AWS_SECRET_ACCESS_KEY=management-secret
  export AWS_DEFAULT_REGION=us-east-1 AWS_ENDPOINT_URL=http://127.0.0.1:$STRICT_PORT
  got=$(aws sts get-caller-identity)
  want "get-caller-identity" '*"Account": "111111111111"*' "$got"
  got=$(aws organizations create-organization)
  want "create-organization in strict mode" '*"MasterAccountId": "111111111111"*' "$got"
  if AWS_SECRET_ACCESS_KEY=wrong aws organizations describe-organization 2>"$TMP/err" >/dev/null; then
    fail "a wrong secret was accepted"
  fi
  want "a wrong secret" "*(InvalidSignatureException)*" "$(cat "$TMP/err")"

  printf '     assume a role in a created account\n'
  REQ=$(aws organizations create-account --email vend@example.com --account-name Vend \
          --query CreateAccountStatus.Id --output text)
  sleep 2
  MEMBER=$(aws organizations describe-create-account-status --create-account-request-id "$REQ" \
          --query CreateAccountStatus.AccountId --output text)
  CREDS=$(aws sts assume-role --role-arn "arn:aws:iam::$MEMBER:role/OrganizationAccountAccessRole" \
            --role-session-name vend --query Credentials --output json)
  export AWS_ACCESS_KEY_ID=$(echo "$CREDS" | python3 -c 'import json,sys;print(json.load(sys.stdin)["AccessKeyId"])')
  export AWS_SECRET_ACCESS_KEY=$(echo "$CREDS" | python3 -c 'import json,sys;print(json.load(sys.stdin)["SecretAccessKey"])')
  export AWS_SESSION_TOKEN=$(echo "$CREDS" | python3 -c 'import json,sys;print(json.load(sys.stdin)["SessionToken"])')
  got=$(aws sts get-caller-identity --query Arn --output text)
  want "the assumed role" "arn:aws:sts::$MEMBER:assumed-role/OrganizationAccountAccessRole/vend" "$got"
)
want "the refused signature is logged at warn with its key" "*level=WARN*authentication failed*access_key_id=AKIAORGDMANAGEMENT01*" "$(cat "$TMP/strict.log")"
if grep -q management-secret "$TMP/strict.log"; then fail "the strict server logged a secret"; fi
if curl -fsS -o /dev/null -X POST "http://127.0.0.1:$STRICT_PORT/_orgd/reset" 2>/dev/null; then
  fail "reset answered in strict mode without an admin token"
fi
ok "reset is off in strict mode without an admin token"
stop "$STRICT_PID"

# =============================================================================
step "Storage: export and import"
go run ./cmd/orgd export -o org.json
go run ./cmd/orgd import org.json
want "the export" '*"format":"orgd-state"*' "$(head -c 200 org.json)"

step "Policies: orgd authorize"
if go run ./cmd/orgd authorize --account 222222222222 --action organizations:LeaveOrganization >"$TMP/decision"; then
  fail "authorize said allowed"
fi
cat "$TMP/decision"
want "the decision" "DENIED  organizations:LeaveOrganization on \* by account 222222222222*" "$(cat "$TMP/decision")"
want "what decided it" "*explicit deny: $P (deny-leave) statement 0 on $OU (Workloads)*" "$(cat "$TMP/decision")"

# =============================================================================
step "Admin API: the clock"
got=$(curl -s -X POST localhost:$PORT/_orgd/clock -d '{"advanceSeconds": 1296000}')
want "15 days on" '*"iso":*' "$got"

step "Admin API: the commands"
got=$(go run ./cmd/orgd health)
want "health" "ok: orgd * server time *" "$got"
before=$(go run ./cmd/orgd clock)
after=$(go run ./cmd/orgd clock advance 15d)
python3 - "$before" "$after" <<'PY' || fail "clock advance 15d moved $before to $after"
import sys
from datetime import datetime
b, a = (datetime.fromisoformat(x.replace("Z", "+00:00")) for x in sys.argv[1:])
# The server clock runs on between the two commands.
sys.exit(0 if 0 <= (a - b).total_seconds() - 15 * 86400 < 10 else 1)
PY
ok "clock advance 15d: $before -> $after"
go run ./cmd/orgd reset
if orgs describe-organization --query Organization.Id 2>"$TMP/err" >/dev/null; then
  fail "the organization survived reset"
fi
want "after reset" "*(AWSOrganizationsNotInUseException)*" "$(cat "$TMP/err")"
want "the request log" "*level=INFO msg=request op=DescribeOrganization*" "$(cat "$TMP/orgd.log")"
stop "$MEMORY_PID"

# =============================================================================
step "Operations: metrics open on loopback, with an admin token"
export ORGD_ADMIN_TOKEN=$(openssl rand -hex 16)
ORGD_LISTEN="127.0.0.1:$PORT" go run ./cmd/orgd serve --store memory --admin-token "$ORGD_ADMIN_TOKEN" --metrics-open --log-format json >"$TMP/ops.log" 2>&1 &
serving "$PORT" "$TMP/ops.log"
got=$(curl -s localhost:$PORT/_orgd/metrics | grep '^orgd_organizations')
want "metrics without the token from loopback" "orgd_organizations 0" "$got"
got=$(curl -s -H "Authorization: Bearer $ORGD_ADMIN_TOKEN" localhost:$PORT/_orgd/clock)
want "the admin API with the token" '*"iso":*' "$got"
got=$(curl -s -o /dev/null -w '%{http_code}' localhost:$PORT/_orgd/clock)
want "the admin API without it" "401" "$got"
python3 - "$TMP/ops.log" <<'PY' || fail "the JSON log has no admin line for GET /_orgd/clock"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
sys.exit(0 if any(l.get("msg") == "admin" and l.get("path") == "/_orgd/clock" and l.get("status") == 401 for l in lines) else 1)
PY
ok "the JSON log has the admin calls"

printf '\nreadme: all %d steps passed\n' "$STEP"
