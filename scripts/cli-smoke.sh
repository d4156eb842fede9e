#!/usr/bin/env bash
# Smoke test of orgd through the real AWS CLI: builds orgd, serves it on a
# free loopback port with the memory store, and runs `aws organizations`
# commands against it as the accounts below, checking what they print.
#
#   scripts/cli-smoke.sh
#
# Without an AWS CLI it prints "SKIP: aws CLI not found" and exits 0,
# except in CI (CI=true), where a missing CLI is a failure.
set -euo pipefail
cd "$(dirname "$0")/.."

MGMT=111111111111       # creates and manages the organization
STANDALONE=333333333333 # never joins one

fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }
step() { STEP=$((${STEP:-0} + 1)); printf '\n[%d] %s\n' "$STEP" "$*"; }
ok() { printf '    ok: %s\n' "$*"; }

# --- the AWS CLI ----------------------------------------------------------------
AWS=""
for c in "$(command -v aws 2>/dev/null || true)" /usr/bin/aws; do
  # A pyenv shim can exist without a CLI behind it: it must run.
  if [ -n "$c" ] && [ -x "$c" ] && "$c" --version >/dev/null 2>&1; then
    AWS=$c
    break
  fi
done
if [ -z "$AWS" ]; then
  if [ "${CI:-}" = true ]; then
    fail "aws CLI not found, and CI needs it"
  fi
  echo "SKIP: aws CLI not found"
  exit 0
fi
command -v python3 >/dev/null 2>&1 || fail "python3 is needed to check the CLI's JSON output"
echo "using $("$AWS" --version 2>&1)"

# --- orgd -------------------------------------------------------------------------
TMP=$(mktemp -d)
PID=""
cleanup() {
  status=$?
  if [ -n "$PID" ]; then
    kill "$PID" 2>/dev/null || true
    wait "$PID" 2>/dev/null || true
  fi
  if [ "$status" -ne 0 ] && [ -f "$TMP/orgd.log" ]; then
    echo "--- orgd log (last 40 lines) ---" >&2
    tail -n 40 "$TMP/orgd.log" >&2 || true
  fi
  rm -rf "$TMP"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step "build orgd"
go build -o "$TMP/orgd" ./cmd/orgd
ok "$TMP/orgd"

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
ENDPOINT="http://127.0.0.1:$PORT"

step "start orgd on $ENDPOINT"
"$TMP/orgd" serve --store memory --listen "127.0.0.1:$PORT" --log-level debug >"$TMP/orgd.log" 2>&1 &
PID=$!
for _ in $(seq 1 100); do
  if python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)' "$ENDPOINT/_orgd/health" 2>/dev/null; then
    break
  fi
  kill -0 "$PID" 2>/dev/null || fail "orgd exited before it was healthy"
  sleep 0.1
done
python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)' "$ENDPOINT/_orgd/health" ||
  fail "orgd not healthy after 10s"
ok "healthy"

# --- helpers ------------------------------------------------------------------
# The CLI must see only what this script gives it: no profile, no config
# file, no endpoint or pager from the environment, and no retries.
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_SECURITY_TOKEN AWS_ENDPOINT_URL AWS_ENDPOINT_URL_ORGANIZATIONS AWS_CA_BUNDLE
export AWS_CONFIG_FILE="$TMP/no-config" AWS_SHARED_CREDENTIALS_FILE="$TMP/no-credentials"
export AWS_DEFAULT_REGION=us-east-1 AWS_DEFAULT_OUTPUT=json AWS_PAGER="" AWS_MAX_ATTEMPTS=1 AWS_RETRY_MODE=standard

# orgs ACCOUNT ARGS...: run `aws organizations ARGS...` as ACCOUNT; the
# output is in $OUT, the error output in $ERR, and it fails unless the
# command succeeds.
orgs() {
  local account=$1
  shift
  printf '    $ aws organizations %s   # as %s\n' "$*" "$account"
  if ! AWS_ACCESS_KEY_ID=$account AWS_SECRET_ACCESS_KEY=smoke-secret \
    "$AWS" --endpoint-url "$ENDPOINT" organizations "$@" >"$TMP/out" 2>"$TMP/err"; then
    cat "$TMP/err" >&2
    fail "aws organizations $* failed"
  fi
  OUT=$(cat "$TMP/out")
  ERR=$(cat "$TMP/err")
}

# orgs_error ACCOUNT EXCEPTION ARGS...: like orgs, but the command must fail
# with the given exception.
orgs_error() {
  local account=$1 exception=$2
  shift 2
  printf '    $ aws organizations %s   # as %s, expect %s\n' "$*" "$account" "$exception"
  if AWS_ACCESS_KEY_ID=$account AWS_SECRET_ACCESS_KEY=smoke-secret \
    "$AWS" --endpoint-url "$ENDPOINT" organizations "$@" >"$TMP/out" 2>"$TMP/err"; then
    cat "$TMP/out" >&2
    fail "aws organizations $* succeeded, want $exception"
  fi
  ERR=$(cat "$TMP/err")
  case "$ERR" in
  *"($exception)"*) ok "$exception: ${ERR#*operation: }" ;;
  *)
    printf '%s\n' "$ERR" >&2
    fail "aws organizations $*: want $exception"
    ;;
  esac
}

# check DESCRIPTION PYTHON-EXPRESSION: evaluates the expression with d
# bound to the JSON in $OUT; fails unless it is true.
check() {
  local what=$1 expr=$2
  if ! printf '%s' "$OUT" | python3 -c '
import json, re, sys
d = json.load(sys.stdin)
sys.exit(0 if eval(sys.argv[1], {"re": re}, {"d": d}) else 1)
' "$expr"; then
    printf '%s\n' "$OUT" >&2
    fail "$what: $expr"
  fi
  ok "$what"
}

# field PYTHON-EXPRESSION: prints the expression over d = the JSON in $OUT.
field() {
  printf '%s' "$OUT" | python3 -c 'import json, sys; d = json.load(sys.stdin); print(eval(sys.argv[1], {}, {"d": d}))' "$1"
}

# --- organization -------------------------------------------------------------
step "create-organization as the management account"
orgs "$MGMT" create-organization
check "organization ID" 're.fullmatch(r"o-[a-z0-9]{10,32}", d["Organization"]["Id"])'
check "all features by default" 'd["Organization"]["FeatureSet"] == "ALL"'
check "management account" 'd["Organization"]["MasterAccountId"] == "'"$MGMT"'"'
check "ARN" 'd["Organization"]["Arn"] == "arn:aws:organizations::'"$MGMT"':organization/" + d["Organization"]["Id"]'
check "SCPs available" 'd["Organization"]["AvailablePolicyTypes"] == [{"Type": "SERVICE_CONTROL_POLICY", "Status": "ENABLED"}]'
ORG_ID=$(field 'd["Organization"]["Id"]')

step "describe-organization"
orgs "$MGMT" describe-organization
check "same organization" 'd["Organization"]["Id"] == "'"$ORG_ID"'"'
check "master account email" '"@" in d["Organization"]["MasterAccountEmail"]'

step "list-roots"
orgs "$MGMT" list-roots
check "one root" 'len(d["Roots"]) == 1 and "NextToken" not in d'
check "root ID and name" 're.fullmatch(r"r-[0-9a-z]{4,32}", d["Roots"][0]["Id"]) and d["Roots"][0]["Name"] == "Root"'
check "root ARN" 'd["Roots"][0]["Arn"] == "arn:aws:organizations::'"$MGMT"':root/'"$ORG_ID"'/" + d["Roots"][0]["Id"]'
check "SCPs enabled in the root" 'd["Roots"][0]["PolicyTypes"] == [{"Type": "SERVICE_CONTROL_POLICY", "Status": "ENABLED"}]'
ROOT_ID=$(field 'd["Roots"][0]["Id"]')
orgs "$MGMT" list-roots --query 'Roots[0].Id' --output text
[ "$OUT" = "$ROOT_ID" ] || fail "--query Roots[0].Id printed '$OUT', want $ROOT_ID"
ok "--query/--output text: $OUT"

step "errors"
orgs_error "$STANDALONE" AWSOrganizationsNotInUseException describe-organization
case "$ERR" in
*"Your account is not a member of an organization."*) ok "AWS's message" ;;
*) fail "unexpected message: $ERR" ;;
esac
orgs_error "$MGMT" AlreadyInOrganizationException create-organization --feature-set CONSOLIDATED_BILLING
orgs_error "$MGMT" InvalidInputException create-organization --feature-set FULL

# ==============================================================================
# Later steps: accounts, OUs, handshakes. Append them here, before the
# summary, using orgs / orgs_error / check / field and the variables
# MGMT, STANDALONE, ORG_ID and ROOT_ID.
# ==============================================================================

printf '\ncli-smoke: all %d steps passed\n' "$STEP"
