#!/usr/bin/env bash
# The README's "Know what an SCP change will break" workflow, run as
# written: the shell blocks of that section are taken from README.md and
# run, in order, in one shell, against a freshly started orgd that holds
# the organization of internal/impact/testdata/org.json (standing in for a
# clone of a real one), with that directory's CloudTrail fixtures as
# trail/. Then what they printed and left behind is checked:
#
#   1. proposing a region-restriction SCP on the root newly denies the
#      calls made outside the EU, and orgd impact exits 1;
#   2. once it is attached, the same replay with no proposal finds those
#      calls still denied and nothing newly denied, and exits 0;
#   3. the server keeps that last report at GET /_orgd/impact.
#
#   examples/impact.sh
#
# Without an AWS CLI it prints "SKIP: ..." and exits 0, except in CI
# (CI=true), where that is a failure.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
find_aws_cli

step "build and start orgd, holding the fixtures' organization"
orgd_build
orgd_start
"$TMP/orgd" import --endpoint "$ENDPOINT" internal/impact/testdata/org.json >/dev/null 2>&1 ||
  fail "orgd import internal/impact/testdata/org.json failed"
ok "server on $ENDPOINT"

step "take the section's shell blocks from README.md"
awk '/^## Know what an SCP change will break$/ {on = 1; next}
     on && /^## / {on = 0}
     on && /^```sh$/ {block = 1; n++; next}
     block && /^```$/ {block = 0; print ""; next}
     block {print}
     END {if (n < 2) exit 1}' README.md >"$TMP/blocks.sh" || fail "README.md has no such section with shell blocks"
ok "$(grep -c . "$TMP/blocks.sh") lines"
mkdir "$TMP/work"
cp -r internal/impact/testdata/cloudtrail "$TMP/work/trail"

step "run them"
export ENDPOINT AWS
export ORGD_ENDPOINT=$ENDPOINT AWS_ACCESS_KEY_ID=111111111111 AWS_SECRET_ACCESS_KEY=orgd-secret
(
  cd "$TMP/work"
  # Not -e: the blocks show orgd impact's exit status 1 rather than stop
  # on it; the checks below catch any other failure.
  PATH="$TMP:$PATH" bash -c 'set -uo pipefail
    orgs() { "$AWS" --endpoint-url "$ENDPOINT" organizations "$@"; }
    . ../blocks.sh'
) >"$TMP/run.out" 2>"$TMP/run.err" || { cat "$TMP/run.out" "$TMP/run.err" >&2; fail "the README blocks failed"; }
sed 's/^/     | /' "$TMP/run.out"
[ ! -s "$TMP/run.err" ] || { cat "$TMP/run.err" >&2; fail "the README blocks wrote errors"; }

step "check what they printed and left"
grep -q '^  newly denied           8$' "$TMP/run.out" || fail "the proposal should newly deny 8 calls"
grep -q 'denied by SCP new:eu-only (eu-only) statement 0 (DenyOutsideEU) attached to r-' "$TMP/run.out" || fail "the report should name the denying statement"
[ "$(grep -c '^exit status ' "$TMP/run.out")" -eq 2 ] || fail "want two exit statuses"
[ "$(grep '^exit status ' "$TMP/run.out" | head -n 1)" = "exit status 1" ] || fail "the proposal's replay should exit 1"
[ "$(grep '^exit status ' "$TMP/run.out" | tail -n 1)" = "exit status 0" ] || fail "the replay after attaching should exit 0"
ok "the proposal newly denies 8 calls (exit 1); after attaching, nothing is newly denied (exit 0)"
OUT=$(cat "$TMP/work/report.json")
check "after attaching, the 8 calls are still denied" 'd["summary"]["stillDenied"] == 8 and d["summary"]["newlyDenied"] == 0 and d["summary"]["events"] == 28'
check "by the attached policy" 'all(g["policyName"] == "eu-only" and g["policyId"].startswith("p-") for g in d["stillDenied"])'
admin GET /_orgd/impact
OUT=$(cat "$TMP/admin")
check "GET /_orgd/impact answers the last report" 'd["summary"]["stillDenied"] == 8 and d["generatedAt"]'
orgs 111111111111 list-roots
orgs 111111111111 list-policies-for-target --target-id "$(py 'd["Roots"][0]["Id"]')" --filter SERVICE_CONTROL_POLICY
check "eu-only is attached to the root" '"eu-only" in [p["Name"] for p in d["Policies"]]'

printf '\nimpact: all %d steps passed\n' "$STEP"
