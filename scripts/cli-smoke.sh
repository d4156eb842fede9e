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

. scripts/lib.sh
find_aws_cli

step "build orgd"
orgd_build
ok "$TMP/orgd"

step "start orgd on $ENDPOINT"
orgd_start
ok "healthy"

# --- organization -------------------------------------------------------------
step "create-organization as the management account"
orgs "$MGMT" create-organization
check "organization ID" 're.fullmatch(r"o-[a-z0-9]{10,32}", d["Organization"]["Id"])'
check "all features by default" 'd["Organization"]["FeatureSet"] == "ALL"'
check "management account" 'd["Organization"]["MasterAccountId"] == "'"$MGMT"'"'
check "ARN" 'd["Organization"]["Arn"] == "arn:aws:organizations::'"$MGMT"':organization/" + d["Organization"]["Id"]'
check "SCPs available" 'd["Organization"]["AvailablePolicyTypes"] == [{"Type": "SERVICE_CONTROL_POLICY", "Status": "ENABLED"}]'
ORG_ID=$(py 'd["Organization"]["Id"]')

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
ROOT_ID=$(py 'd["Roots"][0]["Id"]')
orgs "$MGMT" list-roots --query 'Roots[0].Id' --output text
[ "$OUT" = "$ROOT_ID" ] || fail "--query Roots[0].Id printed '$OUT', want $ROOT_ID"
ok "--query/--output text: $OUT"

step "errors"
orgs_error "$STANDALONE" AWSOrganizationsNotInUseException describe-organization
want_message "Your account is not a member of an organization."
orgs_error "$MGMT" AlreadyInOrganizationException create-organization --feature-set CONSOLIDATED_BILLING
orgs_error "$MGMT" InvalidInputException create-organization --feature-set FULL

# ==============================================================================
# Later steps: accounts, OUs, handshakes. Append them here, before the
# summary, using orgs / orgs_error / check / py (scripts/lib.sh) and the variables
# MGMT, STANDALONE, ORG_ID and ROOT_ID.
# ==============================================================================

MEMBER=222222222222 # invited into the organization, accepts, is removed

# --- OUs ----------------------------------------------------------------------
step "create-organizational-unit"
orgs "$MGMT" create-organizational-unit --parent-id "$ROOT_ID" --name Engineering
check "OU ID under the root" 're.fullmatch(r"ou-'"${ROOT_ID#r-}"'-[a-z0-9]{8,32}", d["OrganizationalUnit"]["Id"])'
check "name" 'd["OrganizationalUnit"]["Name"] == "Engineering"'
check "OU ARN" 'd["OrganizationalUnit"]["Arn"] == "arn:aws:organizations::'"$MGMT"':ou/'"$ORG_ID"'/" + d["OrganizationalUnit"]["Id"]'
# Path, Paths and State are newer than some CLIs' models, which drop members
# they don't know (Debian's v2.9); the Go end-to-end tests assert them.
check "OU Path" 'd["OrganizationalUnit"].get("Path", "'"$ORG_ID/$ROOT_ID"'/" + d["OrganizationalUnit"]["Id"] + "/") == "'"$ORG_ID/$ROOT_ID"'/" + d["OrganizationalUnit"]["Id"] + "/"'
OU_ID=$(py 'd["OrganizationalUnit"]["Id"]')
orgs_error "$MGMT" DuplicateOrganizationalUnitException create-organizational-unit --parent-id "$ROOT_ID" --name Engineering
orgs_error "$MGMT" ParentNotFoundException create-organizational-unit --parent-id "ou-${ROOT_ID#r-}-zzzzzzzz" --name Nowhere

# --- accounts -----------------------------------------------------------------
step "create-account"
orgs "$MGMT" create-account --email dev@example.com --account-name Dev --tags Key=team,Value=platform
check "request ID" 're.fullmatch(r"car-[a-z0-9]{8,32}", d["CreateAccountStatus"]["Id"])'
check "in progress" 'd["CreateAccountStatus"]["State"] == "IN_PROGRESS"'
check "nothing of a finished request" 'not {"AccountId", "CompletedTimestamp", "FailureReason"} & d["CreateAccountStatus"].keys()'
CAR_ID=$(py 'd["CreateAccountStatus"]["Id"]')

step "wait for the account: advance the clock, describe-create-account-status"
STATE=IN_PROGRESS
for _ in 1 2 3 4 5; do
  advance 5
  orgs "$MGMT" describe-create-account-status --create-account-request-id "$CAR_ID"
  STATE=$(py 'd["CreateAccountStatus"]["State"]')
  [ "$STATE" = IN_PROGRESS ] || break
done
[ "$STATE" = SUCCEEDED ] || fail "create-account ended $STATE: $OUT"
check "succeeded with an account ID" 're.fullmatch(r"\d{12}", d["CreateAccountStatus"]["AccountId"])'
check "completed after it was requested" 'd["CreateAccountStatus"]["CompletedTimestamp"] >= d["CreateAccountStatus"]["RequestedTimestamp"]'
check "account name" 'd["CreateAccountStatus"]["AccountName"] == "Dev"'
NEW_ID=$(py 'd["CreateAccountStatus"]["AccountId"]')
orgs "$MGMT" list-create-account-status --states SUCCEEDED
check "listed as SUCCEEDED" '[s["Id"] for s in d["CreateAccountStatuses"]] == ["'"$CAR_ID"'"]'
orgs "$MGMT" list-create-account-status --states IN_PROGRESS FAILED
check "nothing in progress or failed" 'd["CreateAccountStatuses"] == []'
orgs_error "$MGMT" CreateAccountStatusNotFoundException describe-create-account-status --create-account-request-id car-0123456789abcdef0123456789abcdef
orgs_error "$MGMT" InvalidInputException create-account --email x@example.com --account-name X --role-name AWSServiceRoleForX

step "describe-account"
orgs "$MGMT" describe-account --account-id "$NEW_ID"
check "account ARN" 'd["Account"]["Arn"] == "arn:aws:organizations::'"$MGMT"':account/'"$ORG_ID/$NEW_ID"'"'
check "created, active" 'd["Account"]["JoinedMethod"] == "CREATED" and d["Account"]["Status"] == "ACTIVE" and d["Account"].get("State", "ACTIVE") == "ACTIVE"'
check "email and name" 'd["Account"]["Email"] == "dev@example.com" and d["Account"]["Name"] == "Dev"'
check "in the root" 'd["Account"].get("Paths", ["'"$ORG_ID/$ROOT_ID/$NEW_ID"'/"]) == ["'"$ORG_ID/$ROOT_ID/$NEW_ID"'/"]'
orgs_error "$MGMT" AccountNotFoundException describe-account --account-id 999999999999

# --- handshakes ---------------------------------------------------------------
step "invite-account-to-organization"
orgs "$MGMT" invite-account-to-organization --target "Id=$MEMBER,Type=ACCOUNT" --notes "Welcome aboard"
check "handshake ID" 're.fullmatch(r"h-[0-9a-z]{8,32}", d["Handshake"]["Id"])'
check "an open invitation" 'd["Handshake"]["Action"] == "INVITE" and d["Handshake"]["State"] == "OPEN"'
check "handshake ARN" 'd["Handshake"]["Arn"] == "arn:aws:organizations::'"$MGMT"':handshake/'"$ORG_ID"'/invite/" + d["Handshake"]["Id"]'
check "expires after it was requested" 'd["Handshake"]["ExpirationTimestamp"] > d["Handshake"]["RequestedTimestamp"]'
HS_ID=$(py 'd["Handshake"]["Id"]')
orgs_error "$MGMT" DuplicateHandshakeException invite-account-to-organization --target "Id=$MEMBER,Type=ACCOUNT"

step "list-handshakes-for-account as the invitee, then accept-handshake"
orgs "$MEMBER" list-handshakes-for-account
check "the invitation is there, open" '[(h["Id"], h["State"]) for h in d["Handshakes"]] == [("'"$HS_ID"'", "OPEN")]'
orgs "$MEMBER" accept-handshake --handshake-id "$HS_ID"
check "accepted" 'd["Handshake"]["Id"] == "'"$HS_ID"'" and d["Handshake"]["State"] == "ACCEPTED"'
orgs "$MEMBER" list-handshakes-for-account
check "listed as accepted" '[(h["Id"], h["State"]) for h in d["Handshakes"]] == [("'"$HS_ID"'", "ACCEPTED")]'
orgs "$MEMBER" describe-organization
check "the member sees the organization" 'd["Organization"]["Id"] == "'"$ORG_ID"'" and d["Organization"]["MasterAccountId"] == "'"$MGMT"'"'
orgs_error "$MEMBER" HandshakeAlreadyInStateException accept-handshake --handshake-id "$HS_ID"
orgs_error "$STANDALONE" AWSOrganizationsNotInUseException list-handshakes-for-organization

step "list-accounts"
orgs "$MGMT" list-accounts --page-size 2
check "three accounts, fetched two at a time" 'sorted(a["Id"] for a in d["Accounts"]) == sorted(["'"$MGMT"'", "'"$NEW_ID"'", "'"$MEMBER"'"])'
check "the CLI followed NextToken to the end" '"NextToken" not in d'
check "joined methods" '{a["Id"]: a["JoinedMethod"] for a in d["Accounts"]} == {"'"$MGMT"'": "INVITED", "'"$NEW_ID"'": "CREATED", "'"$MEMBER"'": "INVITED"}'
# One page of orgd's at a time: the CLI's token wraps orgd's NextToken.
orgs "$MGMT" list-accounts --page-size 2 --max-items 2
check "a first page of two" 'len(d["Accounts"]) == 2 and d.get("NextToken")'
FIRST=$(py '",".join(a["Id"] for a in d["Accounts"])')
TOKEN=$(py 'd["NextToken"]')
orgs "$MGMT" list-accounts --page-size 2 --max-items 2 --starting-token "$TOKEN"
check "the rest after --starting-token" 'len(d["Accounts"]) == 1 and "NextToken" not in d and d["Accounts"][0]["Id"] not in "'"$FIRST"'".split(",")'
orgs_error "$MGMT" InvalidInputException list-accounts --page-size 2 --starting-token "x$TOKEN"
orgs "$MGMT" list-accounts --query 'length(Accounts)' --output text
[ "$OUT" = 3 ] || fail "--query length(Accounts) printed '$OUT', want 3"
ok "--query length(Accounts): $OUT"
orgs_error "$MEMBER" AccessDeniedException list-accounts
want_message "You don't have permissions to access this resource."
orgs_error "$STANDALONE" AWSOrganizationsNotInUseException list-accounts

step "move-account"
orgs "$MGMT" move-account --account-id "$NEW_ID" --source-parent-id "$ROOT_ID" --destination-parent-id "$OU_ID"
[ -z "$OUT" ] || fail "move-account printed '$OUT'"
ok "no output"
orgs "$MGMT" describe-account --account-id "$NEW_ID"
check "path through the OU" 'd["Account"].get("Paths", ["'"$ORG_ID/$ROOT_ID/$OU_ID/$NEW_ID"'/"]) == ["'"$ORG_ID/$ROOT_ID/$OU_ID/$NEW_ID"'/"]'
orgs_error "$MGMT" DuplicateAccountException move-account --account-id "$NEW_ID" --source-parent-id "$OU_ID" --destination-parent-id "$OU_ID"
orgs_error "$MGMT" SourceParentNotFoundException move-account --account-id "$NEW_ID" --source-parent-id "$ROOT_ID" --destination-parent-id "$OU_ID"
orgs_error "$MGMT" DestinationParentNotFoundException move-account --account-id "$NEW_ID" --source-parent-id "$OU_ID" --destination-parent-id "ou-${ROOT_ID#r-}-zzzzzzzz"
orgs_error "$MGMT" AccountNotFoundException move-account --account-id "$STANDALONE" --source-parent-id "$ROOT_ID" --destination-parent-id "$OU_ID"

step "list-children, list-parents"
orgs "$MGMT" list-children --parent-id "$OU_ID" --child-type ACCOUNT
check "the OU holds the new account" 'd["Children"] == [{"Id": "'"$NEW_ID"'", "Type": "ACCOUNT"}]'
orgs "$MGMT" list-children --parent-id "$ROOT_ID" --child-type ACCOUNT --page-size 1
check "the root holds the others" 'sorted(c["Id"] for c in d["Children"]) == sorted(["'"$MGMT"'", "'"$MEMBER"'"])'
orgs "$MGMT" list-children --parent-id "$ROOT_ID" --child-type ORGANIZATIONAL_UNIT
check "and the OU" 'd["Children"] == [{"Id": "'"$OU_ID"'", "Type": "ORGANIZATIONAL_UNIT"}]'
orgs "$MGMT" list-parents --child-id "$NEW_ID"
check "parent of the account" 'd["Parents"] == [{"Id": "'"$OU_ID"'", "Type": "ORGANIZATIONAL_UNIT"}]'
orgs_error "$MGMT" ParentNotFoundException list-children --parent-id "ou-${ROOT_ID#r-}-zzzzzzzz" --child-type ACCOUNT
orgs_error "$MGMT" OrganizationalUnitNotEmptyException delete-organizational-unit --organizational-unit-id "$OU_ID"

step "describe, update, list and delete OUs; list-accounts-for-parent"
orgs "$MGMT" describe-organizational-unit --organizational-unit-id "$OU_ID"
check "described" 'd["OrganizationalUnit"]["Id"] == "'"$OU_ID"'" and d["OrganizationalUnit"]["Name"] == "Engineering"'
orgs "$MGMT" update-organizational-unit --organizational-unit-id "$OU_ID" --name Platform
check "renamed" 'd["OrganizationalUnit"]["Name"] == "Platform" and d["OrganizationalUnit"]["Id"] == "'"$OU_ID"'"'
orgs "$MGMT" create-organizational-unit --parent-id "$OU_ID" --name Sandbox
SANDBOX_ID=$(py 'd["OrganizationalUnit"]["Id"]')
orgs "$MGMT" list-organizational-units-for-parent --parent-id "$OU_ID"
check "the nested OU" '[u["Id"] for u in d["OrganizationalUnits"]] == ["'"$SANDBOX_ID"'"]'
orgs "$MGMT" list-accounts-for-parent --parent-id "$OU_ID"
check "the OU's account" '[a["Id"] for a in d["Accounts"]] == ["'"$NEW_ID"'"]'
orgs "$MGMT" delete-organizational-unit --organizational-unit-id "$SANDBOX_ID"
orgs "$MGMT" list-organizational-units-for-parent --parent-id "$OU_ID"
check "deleted" 'd["OrganizationalUnits"] == []'
orgs_error "$MGMT" OrganizationalUnitNotFoundException describe-organizational-unit --organizational-unit-id "$SANDBOX_ID"

step "tag-resource, list-tags-for-resource, untag-resource"
orgs "$MGMT" tag-resource --resource-id "$OU_ID" --tags '[{"Key": "env", "Value": "prod"}, {"Key": "empty", "Value": ""}]'
[ -z "$OUT" ] || fail "tag-resource printed '$OUT'"
orgs "$MGMT" list-tags-for-resource --resource-id "$OU_ID"
check "both tags, the empty value as \"\"" 'sorted(d["Tags"], key=lambda t: t["Key"]) == [{"Key": "empty", "Value": ""}, {"Key": "env", "Value": "prod"}]'
orgs "$MGMT" untag-resource --resource-id "$OU_ID" --tag-keys empty
orgs "$MGMT" list-tags-for-resource --resource-id "$OU_ID"
check "one tag left" 'd["Tags"] == [{"Key": "env", "Value": "prod"}]'
orgs "$MGMT" list-tags-for-resource --resource-id "$NEW_ID"
check "create-account's tags on the account" 'd["Tags"] == [{"Key": "team", "Value": "platform"}]'
orgs "$MGMT" tag-resource --resource-id "$ROOT_ID" --tags Key=scope,Value=root
orgs "$MGMT" list-tags-for-resource --resource-id "$ROOT_ID"
check "the root's tag" 'd["Tags"] == [{"Key": "scope", "Value": "root"}]'
orgs_error "$MGMT" InvalidInputException tag-resource --resource-id "$OU_ID" --tags Key=aws:owner,Value=me
orgs_error "$MGMT" TargetNotFoundException list-tags-for-resource --resource-id 999999999999
orgs_error "$MEMBER" AccessDeniedException tag-resource --resource-id "$OU_ID" --tags Key=k,Value=v

step "remove-account-from-organization"
orgs_error "$MGMT" ConstraintViolationException remove-account-from-organization --account-id "$NEW_ID"
want_message "4 days"
orgs_error "$MGMT" MasterCannotLeaveOrganizationException remove-account-from-organization --account-id "$MGMT"
orgs "$MGMT" remove-account-from-organization --account-id "$MEMBER"
orgs_error "$MEMBER" AWSOrganizationsNotInUseException describe-organization
want_message "Your account is not a member of an organization."

step "close-account"
orgs_error "$MGMT" ConstraintViolationException close-account --account-id "$MGMT"
orgs "$MGMT" close-account --account-id "$NEW_ID"
orgs "$MGMT" describe-account --account-id "$NEW_ID"
check "pending closure" 'd["Account"]["Status"] == "PENDING_CLOSURE" and d["Account"].get("State", "PENDING_CLOSURE") == "PENDING_CLOSURE"'
advance 5
orgs "$MGMT" describe-account --account-id "$NEW_ID"
check "closed" 'd["Account"]["Status"] == "SUSPENDED" and d["Account"].get("State", "CLOSED") == "CLOSED"'
orgs_error "$MGMT" AccountAlreadyClosedException close-account --account-id "$NEW_ID"

step "delete-organization"
orgs_error "$MGMT" OrganizationNotEmptyException delete-organization
orgs "$STANDALONE" create-organization --feature-set CONSOLIDATED_BILLING
check "a second organization, consolidated billing" 'd["Organization"]["FeatureSet"] == "CONSOLIDATED_BILLING" and d["Organization"]["AvailablePolicyTypes"] == []'
orgs "$STANDALONE" delete-organization
[ -z "$OUT" ] || fail "delete-organization printed '$OUT'"
orgs_error "$STANDALONE" AWSOrganizationsNotInUseException describe-organization

printf '\ncli-smoke: all %d steps passed\n' "$STEP"
