#!/usr/bin/env bash
# The rehearsal of README.md's "Rehearse on a copy of your organization",
# run as the README shows it, with a local orgd standing in for AWS:
#
#   1. a source orgd holds a CONSOLIDATED_BILLING organization: an OU,
#      created and invited accounts, tags and an open invitation;
#   2. the README's block runs unchanged: `orgd clone --profile
#      management` reads the source (the profile's endpoint_url points at
#      it), a second orgd serves the copy, and the AWS CLI migrates the
#      copy to all features and attaches an SCP;
#   3. the copy has all features, the source's IDs and the policy; the
#      source did not change.
#
#   examples/clone-rehearsal.sh
#
# Without an AWS CLI it prints "SKIP: ..." and exits 0, except in CI
# (CI=true), where that is a failure.
set -euo pipefail
cd "$(dirname "$0")/.."

MGMT=111111111111
INVITED=(222222222222 333333333333)

. scripts/lib.sh
find_aws_cli

step "build orgd and start the source"
orgd_build
orgd_start
SOURCE=$ENDPOINT
ok "source orgd on $SOURCE"

step "the source organization"
admin POST /_orgd/accounts '{"accountId": "'$MGMT'", "email": "mgmt@example.com", "name": "Management"}'
orgs "$MGMT" create-organization --feature-set CONSOLIDATED_BILLING
ORG=$(py 'd["Organization"]["Id"]')
orgs "$MGMT" list-roots
ROOT=$(py 'd["Roots"][0]["Id"]')
orgs "$MGMT" create-organizational-unit --parent-id "$ROOT" --name Workloads --tags Key=env,Value=prod
OU=$(py 'd["OrganizationalUnit"]["Id"]')
for n in 1 2; do
  orgs "$MGMT" create-account --email "created$n@example.com" --account-name "Created $n"
done
advance 5
for a in "${INVITED[@]}"; do
  admin POST /_orgd/accounts '{"accountId": "'$a'", "email": "'$a'@example.com", "name": "Invited '$a'"}'
  orgs "$MGMT" invite-account-to-organization --target "Id=$a,Type=ACCOUNT"
  H=$(py 'd["Handshake"]["Id"]')
  orgs "$a" accept-handshake --handshake-id "$H"
done
orgs "$MGMT" move-account --account-id "${INVITED[0]}" --source-parent-id "$ROOT" --destination-parent-id "$OU"
orgs "$MGMT" tag-resource --resource-id "${INVITED[0]}" --tags Key=team,Value=payments
orgs "$MGMT" invite-account-to-organization --target "Id=444444444444,Type=ACCOUNT"
orgs "$MGMT" list-accounts
check "five accounts" 'len(d["Accounts"]) == 5'
ACCOUNTS=$(py 'sorted(a["Id"] for a in d["Accounts"])')
curl -fsS "$SOURCE/_orgd/state" | tail -n +2 >"$TMP/source-before"

step "a profile for the source, as ~/.aws/config would have for AWS"
cat >"$TMP/aws-config" <<EOF
[profile management]
aws_access_key_id = $MGMT
aws_secret_access_key = management-secret
region = us-east-1
endpoint_url = $SOURCE
EOF
export AWS_CONFIG_FILE=$TMP/aws-config
ok "profile management: endpoint_url $SOURCE"

step "run the README's block"
# The block, between the marker and the end of its code fence; the copy
# listens on a free port rather than 4599.
sed -n '/^<!-- examples\/clone-rehearsal.sh runs this block -->$/,/^```$/p' README.md | sed '1,2d;$d' >"$TMP/block.sh"
[ -s "$TMP/block.sh" ] || fail "README.md has no rehearsal block"
COPY_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
sed -i "s/^COPY=127.0.0.1:4599$/COPY=127.0.0.1:$COPY_PORT/" "$TMP/block.sh"
grep -q "^COPY=127.0.0.1:$COPY_PORT$" "$TMP/block.sh" || fail "the block does not set COPY=127.0.0.1:4599"
mkdir -p "$TMP/bin"
ln -sf "$TMP/orgd" "$TMP/bin/orgd"
ln -sf "$AWS" "$TMP/bin/aws"
cat "$TMP/block.sh" | sed 's/^/     | /'
(
  cd "$TMP"
  export PATH="$TMP/bin:$PATH" ORGD_LOG_LEVEL=warn
  unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
  set -x
  # shellcheck disable=SC1091
  . "$TMP/block.sh"
  set +x
  echo "$!" >"$TMP/copy.pid"
) >"$TMP/block.log" 2>&1 || { cat "$TMP/block.log"; fail "the README's block failed"; }
# Not through a pipe: the copy's server, started by the block, keeps
# its output open.
sed 's/^/     /' "$TMP/block.log"
COPY_PID=$(cat "$TMP/copy.pid")
trap 'kill "$COPY_PID" 2>/dev/null || true; cleanup' EXIT
grep -q 'copied organization '"$ORG"' (CONSOLIDATED_BILLING): 5 accounts, 1 OUs' "$TMP/block.log" || fail "orgd clone's summary is missing"
grep -q '2 accounts joined by invitation: each must approve' "$TMP/block.log" || fail "the readiness summary is missing"
ok "the clone's summary and readiness"

step "the copy"
ENDPOINT="http://127.0.0.1:$COPY_PORT"
orgs "$MGMT" describe-organization
check "the same organization, now with all features" 'd["Organization"]["Id"] == "'$ORG'" and d["Organization"]["FeatureSet"] == "ALL"'
orgs "$MGMT" list-accounts
check "the same five accounts" 'str(sorted(a["Id"] for a in d["Accounts"])) == "'"$ACCOUNTS"'"'
orgs "$MGMT" list-parents --child-id "${INVITED[0]}"
check "the member is still in $OU" 'd["Parents"] == [{"Id": "'$OU'", "Type": "ORGANIZATIONAL_UNIT"}]'
orgs "$MGMT" list-tags-for-resource --resource-id "${INVITED[0]}"
check "its tags came along" 'd["Tags"] == [{"Key": "team", "Value": "payments"}]'
orgs "$MGMT" list-policies-for-target --target-id "$ROOT" --filter SERVICE_CONTROL_POLICY
check "the root has FullAWSAccess and deny-leave" 'sorted(p["Name"] for p in d["Policies"]) == ["FullAWSAccess", "deny-leave"]'
orgs "$MGMT" list-handshakes-for-organization --filter ActionType=INVITE
check "EnableAllFeatures canceled the open invitation" '[h["State"] for h in d["Handshakes"] if h["Parties"][1]["Id"] == "444444444444"] == ["CANCELED"]'
orgs_error "${INVITED[1]}" AccessDeniedException leave-organization

step "the source did not change"
ENDPOINT=$SOURCE
orgs "$MGMT" describe-organization
check "still consolidated billing" 'd["Organization"]["FeatureSet"] == "CONSOLIDATED_BILLING"'
curl -fsS "$SOURCE/_orgd/state" | tail -n +2 >"$TMP/source-after"
cmp -s "$TMP/source-before" "$TMP/source-after" || fail "the source's records changed"
ok "its records are byte for byte what they were"

printf '\nclone-rehearsal: all %d steps passed\n' "$STEP"
