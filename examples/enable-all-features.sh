#!/usr/bin/env bash
# The migration of an organization from consolidated billing to all
# features, told with the AWS CLI against a freshly started orgd:
#
#   1. a CONSOLIDATED_BILLING organization with two created accounts and
#      three invited ones (one invited by email);
#   2. enable-all-features: each invited member gets an APPROVE_ALL_FEATURES
#      handshake; one declines and the management account removes it; the
#      others approve; the management account finalizes;
#   3. service control policies: a deny-leave SCP on an OU keeps its member
#      in, while members elsewhere can leave.
#
#   examples/enable-all-features.sh
#
# Every step prints a header and the fields that matter, and checks them;
# anything unexpected fails the script. Without an AWS CLI it prints
# "SKIP: ..." and exits 0, except in CI (CI=true), where that is a failure.
set -euo pipefail
cd "$(dirname "$0")/.."

MGMT=111111111111     # creates and manages the organization
ALICE=222222222222    # invited by account ID; ends up in the locked OU
BOB=333333333333      # invited by account ID; declines the migration
CAROL=444444444444    # invited by email; leaves at the end
CAROL_EMAIL=carol@example.com

. scripts/lib.sh
find_aws_cli

step "build and start orgd"
orgd_build
orgd_start
ok "orgd serving on $ENDPOINT"

# =============================================================================
step "a consolidated-billing organization"
admin POST /_orgd/accounts '{"accountId": "'$MGMT'", "email": "mgmt@example.com", "name": "Management Account"}'
orgs "$MGMT" create-organization --feature-set CONSOLIDATED_BILLING
ORG=$(py 'd["Organization"]["Id"]')
printf '     organization %s, FeatureSet %s\n' "$ORG" "$(py 'd["Organization"]["FeatureSet"]')"
check "consolidated billing only" 'd["Organization"]["FeatureSet"] == "CONSOLIDATED_BILLING" and d["Organization"]["AvailablePolicyTypes"] == []'
orgs "$MGMT" list-roots
ROOT=$(py 'd["Roots"][0]["Id"]')
check "no policy types in root $ROOT" 'd["Roots"][0]["PolicyTypes"] == []'

step "create two accounts (the clock moves 5 seconds for each)"
CREATED=()
for n in 1 2; do
  orgs "$MGMT" create-account --email "created$n@example.com" --account-name "Created $n"
  REQ=$(py 'd["CreateAccountStatus"]["Id"]')
  check "request $REQ in progress" 'd["CreateAccountStatus"]["State"] == "IN_PROGRESS"'
  advance 5
  orgs "$MGMT" describe-create-account-status --create-account-request-id "$REQ"
  check "created" 'd["CreateAccountStatus"]["State"] == "SUCCEEDED"'
  CREATED+=("$(py 'd["CreateAccountStatus"]["AccountId"]')")
  printf '     account %s (Created %s)\n' "${CREATED[$((n - 1))]}" "$n"
done

step "invite three accounts: Alice and Bob by account ID, Carol by email"
admin POST /_orgd/accounts '{"accountId": "'$ALICE'", "email": "alice@example.com", "name": "Alice"}'
admin POST /_orgd/accounts '{"accountId": "'$BOB'", "email": "bob@example.com", "name": "Bob"}'
admin POST /_orgd/accounts '{"accountId": "'$CAROL'", "email": "'$CAROL_EMAIL'", "name": "Carol"}'
ok "registered standalone accounts $ALICE (Alice), $BOB (Bob) and $CAROL ($CAROL_EMAIL)"
declare -A INVITE
orgs "$MGMT" invite-account-to-organization --target "Id=$ALICE,Type=ACCOUNT" \
  --notes "Billing moves to the management account on the 1st." --tags Key=team,Value=payments
INVITE[$ALICE]=$(py 'd["Handshake"]["Id"]')
py '"     " + brief(d["Handshake"])'
check "an OPEN invitation for 15 days" 'd["Handshake"]["State"] == "OPEN" and days(d["Handshake"]) == 15'
check "it promises consolidated billing" 'nested(d["Handshake"], "ORGANIZATION")["ORGANIZATION_FEATURE_SET"] == "CONSOLIDATED_BILLING"'
check "it carries the notes" '("NOTES", "Billing moves to the management account on the 1st.") in resources(d["Handshake"])'
orgs "$MGMT" invite-account-to-organization --target "Id=$BOB,Type=ACCOUNT"
INVITE[$BOB]=$(py 'd["Handshake"]["Id"]')
py '"     " + brief(d["Handshake"])'
orgs "$MGMT" invite-account-to-organization --target "Id=$CAROL_EMAIL,Type=EMAIL"
INVITE[$CAROL]=$(py 'd["Handshake"]["Id"]')
py '"     " + brief(d["Handshake"])'
check "the email invitation names the address" 'parties(d["Handshake"])[1] == ("EMAIL", "'$CAROL_EMAIL'")'

step "the invited accounts see their invitations and accept"
for a in "$ALICE" "$BOB" "$CAROL"; do
  orgs "$a" list-handshakes-for-account
  check "$a sees its invitation" '[h["Id"] for h in d["Handshakes"]] == ["'"${INVITE[$a]}"'"]'
  orgs "$a" accept-handshake --handshake-id "${INVITE[$a]}"
  check "$a accepted" 'd["Handshake"]["State"] == "ACCEPTED"'
done
orgs "$MGMT" list-accounts
py '"\n".join("     %s %-20s %s" % (a["Id"], a["Name"], a["JoinedMethod"]) for a in sorted(d["Accounts"], key=lambda a: a["Id"]))'
check "six accounts" 'len(d["Accounts"]) == 6'
orgs "$MGMT" list-tags-for-resource --resource-id "$ALICE"
check "Alice got the invitation's tags" 'd["Tags"] == [{"Key": "team", "Value": "payments"}]'

step "enable all features"
orgs_error "$ALICE" AccessDeniedException enable-all-features
orgs "$MGMT" enable-all-features
PARENT=$(py 'd["Handshake"]["Id"]')
py '"     " + brief(d["Handshake"])'
check "ENABLE_ALL_FEATURES, REQUESTED, 90 days" 'd["Handshake"]["Action"] == "ENABLE_ALL_FEATURES" and d["Handshake"]["State"] == "REQUESTED" and days(d["Handshake"]) == 90'
check "its ARN" 'd["Handshake"]["Arn"] == "arn:aws:organizations::'$MGMT':handshake/'$ORG'/enable_all_features/'$PARENT'"'
check "its party is the organization" 'parties(d["Handshake"]) == [("ORGANIZATION", "'"${ORG#o-}"'")]'
orgs_error "$MGMT" HandshakeConstraintViolationException enable-all-features

step "each invited member has a pending APPROVE_ALL_FEATURES handshake"
declare -A APPROVE
for a in "$ALICE" "$BOB" "$CAROL"; do
  orgs "$a" list-handshakes-for-account --filter ActionType=APPROVE_ALL_FEATURES
  check "$a: exactly one, OPEN" 'len(d["Handshakes"]) == 1 and d["Handshakes"][0]["State"] == "OPEN"'
  APPROVE[$a]=$(py 'd["Handshakes"][0]["Id"]')
  py '"     " + brief(d["Handshakes"][0])'
  py '"       resources " + " ".join("%s=%s" % r for r in resources(d["Handshakes"][0]))'
  check "$a: parties ORGANIZATION then ACCOUNT" 'parties(d["Handshakes"][0]) == [("ORGANIZATION", "'"${ORG#o-}"'"), ("ACCOUNT", "'$a'")]'
  check "$a: resources PARENT_HANDSHAKE, ORGANIZATION, ACCOUNT" 'resources(d["Handshakes"][0]) == [("PARENT_HANDSHAKE", "'"${PARENT#h-}"'"), ("ORGANIZATION", "'$ORG'"), ("ACCOUNT", "'$a'")]'
  check "$a: 90 days" 'days(d["Handshakes"][0]) == 90'
  orgs "$a" describe-handshake --handshake-id "${APPROVE[$a]}"
  check "$a: describe-handshake agrees" 'd["Handshake"]["Arn"].endswith("/'$ORG'/approve_all_features/'"${APPROVE[$a]}"'")'
done
for a in "${CREATED[@]}"; do
  orgs "$a" list-handshakes-for-account
  check "created account $a has nothing to approve" 'd["Handshakes"] == []'
done
orgs "$MGMT" list-handshakes-for-organization --filter "ParentHandshakeId=$PARENT"
check "the organization sees the three approvals" 'sorted(h["Parties"][1]["Id"] for h in d["Handshakes"]) == sorted(["'$ALICE'", "'$BOB'", "'$CAROL'"])'

step "finalizing now is premature"
orgs_error "$MGMT" InvalidHandshakeTransitionException accept-handshake --handshake-id "$PARENT"
orgs_error "$ALICE" AccessDeniedException accept-handshake --handshake-id "$PARENT"

step "Bob declines; the management account removes him"
orgs "$BOB" decline-handshake --handshake-id "${APPROVE[$BOB]}"
py '"     " + brief(d["Handshake"])'
check "declined" 'd["Handshake"]["State"] == "DECLINED"'
orgs "$MGMT" remove-account-from-organization --account-id "$BOB"
ok "Bob removed"
orgs_error "$BOB" AWSOrganizationsNotInUseException describe-organization
orgs "$MGMT" describe-handshake --handshake-id "$PARENT"
check "the parent still waits for Alice and Carol" 'd["Handshake"]["State"] == "REQUESTED"'
orgs_error "$MGMT" InvalidHandshakeTransitionException accept-handshake --handshake-id "$PARENT"

step "Alice and Carol approve"
for a in "$ALICE" "$CAROL"; do
  orgs "$a" accept-handshake --handshake-id "${APPROVE[$a]}"
  py '"     " + brief(d["Handshake"])'
  check "$a approved" 'd["Handshake"]["State"] == "ACCEPTED"'
done
orgs "$MGMT" list-handshakes-for-organization --filter ActionType=ENABLE_ALL_FEATURES
py '"\n".join("     " + brief(h) for h in d["Handshakes"])'
check "the parent is OPEN: ready to finalize" '[(h["Id"], h["State"]) for h in d["Handshakes"]] == [("'$PARENT'", "OPEN")]'

step "finalize"
orgs "$MGMT" accept-handshake --handshake-id "$PARENT"
py '"     " + brief(d["Handshake"])'
check "accepted" 'd["Handshake"]["State"] == "ACCEPTED" and d["Handshake"]["Action"] == "ENABLE_ALL_FEATURES"'
orgs "$ALICE" describe-organization
printf '     FeatureSet %s, AvailablePolicyTypes %s\n' "$(py 'd["Organization"]["FeatureSet"]')" "$(py 'd["Organization"]["AvailablePolicyTypes"]')"
check "all features" 'd["Organization"]["FeatureSet"] == "ALL"'
check "SCPs available" 'd["Organization"]["AvailablePolicyTypes"] == [{"Type": "SERVICE_CONTROL_POLICY", "Status": "ENABLED"}]'
orgs "$MGMT" list-roots
check "the root enables no policy type by itself" 'd["Roots"][0]["PolicyTypes"] == []'
orgs_error "$MGMT" HandshakeConstraintViolationException enable-all-features

step "enable service control policies"
orgs "$MGMT" enable-policy-type --root-id "$ROOT" --policy-type SERVICE_CONTROL_POLICY
py '"     root policy types " + ", ".join("%s %s" % (p["Type"], p["Status"]) for p in d["Root"]["PolicyTypes"])'
check "SCPs enabled in the root" 'd["Root"]["PolicyTypes"] == [{"Type": "SERVICE_CONTROL_POLICY", "Status": "ENABLED"}]'

step "a deny-leave SCP on an OU that holds Alice"
orgs "$MGMT" create-organizational-unit --parent-id "$ROOT" --name Locked
OU=$(py 'd["OrganizationalUnit"]["Id"]')
ok "OU $OU"
orgs "$MGMT" move-account --account-id "$ALICE" --source-parent-id "$ROOT" --destination-parent-id "$OU"
ok "Alice moved into $OU"
orgs "$MGMT" create-policy --name deny-leave --description "Members can't leave" --type SERVICE_CONTROL_POLICY \
  --content '{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"organizations:LeaveOrganization","Resource":"*"}]}'
POLICY=$(py 'd["Policy"]["PolicySummary"]["Id"]')
ok "policy $POLICY"
orgs "$MGMT" attach-policy --policy-id "$POLICY" --target-id "$OU"
orgs "$MGMT" list-policies-for-target --target-id "$OU" --filter SERVICE_CONTROL_POLICY
check "the OU has FullAWSAccess and deny-leave" 'sorted(p["Name"] for p in d["Policies"]) == ["FullAWSAccess", "deny-leave"]'

step "Alice can't leave; Carol, in the root, can"
orgs_error "$ALICE" AccessDeniedException leave-organization
orgs "$ALICE" describe-organization
check "Alice is still a member" 'd["Organization"]["Id"] == "'$ORG'"'
orgs "$CAROL" leave-organization
ok "Carol left"
orgs_error "$CAROL" AWSOrganizationsNotInUseException describe-organization

step "a created account may leave only 4 days after its creation"
orgs_error "${CREATED[0]}" ConstraintViolationException leave-organization
advance $((4 * 86400))
orgs "${CREATED[0]}" leave-organization
ok "${CREATED[0]} left"
orgs "$MGMT" list-accounts
py '"\n".join("     %s %-20s %s" % (a["Id"], a["Name"], a["JoinedMethod"]) for a in sorted(d["Accounts"], key=lambda a: a["Id"]))'
check "management, Alice and one created account remain" 'sorted(a["Id"] for a in d["Accounts"]) == sorted(["'$MGMT'", "'$ALICE'", "'"${CREATED[1]}"'"])'

printf '\nenable-all-features: all %d steps passed\n' "$STEP"
