# shellcheck shell=bash
# lib.sh is what the scripts that drive orgd through the AWS CLI share
# (scripts/cli-smoke.sh and examples/*.sh). They source it from the
# repository root, with `set -euo pipefail` on:
#
#   cd "$(dirname "$0")/.."
#   . scripts/lib.sh
#   find_aws_cli  # or "SKIP: aws CLI not found" and exit 0 (a failure in CI)
#   step "build and start orgd"
#   orgd_build    # $TMP/orgd, and a free loopback port: $ENDPOINT
#   orgd_start    # serves the memory store on $ENDPOINT, healthy
#   orgs "$ACCOUNT" describe-organization
#   check "all features" 'd["Organization"]["FeatureSet"] == "ALL"'
#
# Everything it makes lives in $TMP, removed on exit together with the
# server; when the script fails, the server log's tail goes to stderr.

# --- reporting ----------------------------------------------------------------
fail() { printf '\nFAIL: %s\n' "$*" >&2; exit 1; }
step() { STEP=$((${STEP:-0} + 1)); printf '\n== %d. %s\n' "$STEP" "$*"; }
ok() { printf '     ok: %s\n' "$*"; }

# --- the AWS CLI ----------------------------------------------------------------
# find_aws_cli: sets AWS to a working AWS CLI ($ORGD_AWS_CLI if set, else
# the one on PATH, else /usr/bin/aws), or prints "SKIP: aws CLI not
# found" and exits 0 (except in CI, CI=true, where that is a failure).
# It also needs python3, which checks the CLI's JSON output. The CLI sees
# only what these helpers give it: no profile or config file, no endpoint
# or pager from the environment, and no retries.
find_aws_cli() {
  AWS=""
  local c
  # ORGD_AWS_CLI picks one CLI (e.g. /usr/bin/aws, Debian's v2) over PATH's.
  for c in "${ORGD_AWS_CLI:-}" "$(command -v aws 2>/dev/null || true)" /usr/bin/aws; do
    # A pyenv shim can exist without a CLI behind it: it must run.
    if [ -n "$c" ] && [ -x "$c" ] && "$c" --version >/dev/null 2>&1; then
      AWS=$c
      break
    fi
  done
  if [ -z "$AWS" ]; then
    [ "${CI:-}" = true ] && fail "aws CLI not found, and CI needs it"
    echo "SKIP: aws CLI not found"
    exit 0
  fi
  command -v python3 >/dev/null 2>&1 || fail "python3 is needed to check the CLI's JSON output"
  echo "using $("$AWS" --version 2>&1)"

  unset AWS_PROFILE AWS_SESSION_TOKEN AWS_SECURITY_TOKEN AWS_ENDPOINT_URL AWS_ENDPOINT_URL_ORGANIZATIONS AWS_CA_BUNDLE AWS_DEFAULT_PROFILE
  export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
  export AWS_DEFAULT_REGION=us-east-1 AWS_DEFAULT_OUTPUT=json AWS_PAGER="" AWS_MAX_ATTEMPTS=1 AWS_RETRY_MODE=standard
}

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

# orgd_build: builds orgd into $TMP/orgd and picks a free loopback port
# for it: $PORT, $ENDPOINT.
orgd_build() {
  command -v go >/dev/null 2>&1 || export PATH="$PATH:/usr/local/go/bin"
  go build -o "$TMP/orgd" ./cmd/orgd
  PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
  ENDPOINT="http://127.0.0.1:$PORT"
}

# orgd_start: serves the memory store on $ENDPOINT, logging to
# $TMP/orgd.log, and waits up to 10 s for it to be healthy.
orgd_start() {
  # Only the flags below configure this server, not ORGD_* from the caller.
  local v
  for v in $(compgen -e | grep '^ORGD_' || true); do unset "$v"; done
  "$TMP/orgd" serve --store memory --listen "127.0.0.1:$PORT" --log-level debug >"$TMP/orgd.log" 2>&1 &
  PID=$!
  for _ in $(seq 1 100); do
    curl -fsS -o /dev/null "$ENDPOINT/_orgd/health" 2>/dev/null && break
    kill -0 "$PID" 2>/dev/null || fail "orgd exited before it was healthy"
    sleep 0.1
  done
  curl -fsS -o /dev/null "$ENDPOINT/_orgd/health" || fail "orgd not healthy after 10s"
}

# admin METHOD PATH [BODY]: the orgd admin API; the answer is in $TMP/admin.
admin() {
  curl -fsS -X "$1" -H 'Content-Type: application/json' ${3:+-d "$3"} "$ENDPOINT$2" >"$TMP/admin" ||
    fail "orgd admin $1 $2 failed"
}

# advance SECONDS: moves orgd's clock forward, running the work that falls
# due (account creation and closure).
advance() {
  admin POST /_orgd/clock "{\"advanceSeconds\": $1}"
  ok "server clock now $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["iso"])' "$TMP/admin")"
}

# --- aws organizations ------------------------------------------------------------
# cli ACCOUNT ARGS...: runs `aws organizations ARGS...` against orgd as
# ACCOUNT (its access key is the account ID), its output into $TMP/out and
# its error output into $TMP/err; returns the CLI's status.
cli() {
  local account=$1
  shift
  AWS_ACCESS_KEY_ID=$account AWS_SECRET_ACCESS_KEY=orgd-secret \
    "$AWS" --endpoint-url "$ENDPOINT" organizations "$@" >"$TMP/out" 2>"$TMP/err"
}

# orgs ACCOUNT ARGS...: `aws organizations ARGS...` as ACCOUNT; the output
# is in $OUT, the error output in $ERR. It fails unless the command
# succeeds.
orgs() {
  local account=$1
  shift
  printf '     $ aws organizations %s   # as %s\n' "$*" "$account"
  if ! cli "$account" "$@"; then
    cat "$TMP/err" >&2
    fail "aws organizations $* (as $account) failed"
  fi
  OUT=$(cat "$TMP/out")
  ERR=$(cat "$TMP/err")
}

# orgs_error ACCOUNT EXCEPTION ARGS...: like orgs, but the command must fail
# with EXCEPTION; the error output is in $ERR.
orgs_error() {
  local account=$1 exception=$2
  shift 2
  printf '     $ aws organizations %s   # as %s, expect %s\n' "$*" "$account" "$exception"
  if cli "$account" "$@"; then
    cat "$TMP/out" >&2
    fail "aws organizations $* (as $account) succeeded, want $exception"
  fi
  ERR=$(cat "$TMP/err")
  case "$ERR" in
  *"($exception)"*)
    # The message follows "operation: ", or "operation (reached max
    # retries: 0): " in newer CLIs.
    ok "$exception: $(sed -E -n 's/^An error occurred \([A-Za-z]+\) when calling the [A-Za-z]+ operation( \([^)]*\))?: //p' "$TMP/err")"
    ;;
  *)
    printf '%s\n' "$ERR" >&2
    fail "aws organizations $*: want $exception"
    ;;
  esac
}

# want_message TEXT: the last orgs_error printed AWS's message TEXT.
want_message() {
  case "$ERR" in
  *"$1"*) ok "AWS's message" ;;
  *) fail "unexpected message: $ERR" ;;
  esac
}

# --- the JSON in $OUT ---------------------------------------------------------------
# Python the expressions below may use besides d, the JSON in $OUT: json,
# re, and helpers for handshakes.
PYLIB='
import json, re, sys
from datetime import datetime, timezone
def ts(v):
    """A timestamp as epoch seconds: the CLI prints numbers or ISO strings."""
    if isinstance(v, (int, float)):
        return float(v)
    return datetime.fromisoformat(v.replace("Z", "+00:00")).timestamp()
def days(h):
    return round((ts(h["ExpirationTimestamp"]) - ts(h["RequestedTimestamp"])) / 86400, 3)
def parties(h):
    return [(p["Type"], p["Id"]) for p in h["Parties"]]
def resources(h):
    return [(r["Type"], r["Value"]) for r in h["Resources"]]
def nested(h, typ):
    return {n["Type"]: n["Value"] for r in h["Resources"] if r["Type"] == typ for n in r.get("Resources", [])}
def brief(h):
    return "%s %s %s (expires after %g days)" % (h["Action"], h["Id"], h["State"], days(h))
'

# py EXPRESSION: prints the Python expression over d, unless it is None.
py() {
  printf '%s' "$OUT" | python3 -c "$PYLIB"'
d = json.load(sys.stdin)
v = eval(sys.argv[1])
if v is not None:
    print(v)
' "$1"
}

# check DESCRIPTION EXPRESSION: fails unless the Python expression over d
# is true.
check() {
  local what=$1 expr=$2
  if ! printf '%s' "$OUT" | python3 -c "$PYLIB"'
d = json.load(sys.stdin)
sys.exit(0 if eval(sys.argv[1]) else 1)
' "$expr"; then
    printf '%s\n' "$OUT" >&2
    fail "$what: $expr"
  fi
  ok "$what"
}
