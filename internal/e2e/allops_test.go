package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/orgd/orgd/internal/api"
	"github.com/orgd/orgd/internal/shapes"
)

// The accounts of the all-operations world, beyond harness_test.go's:
// mgmtID manages the main organization, memberID is a member and
// delegated administrator in it, otherID a plain member; standaloneID
// has an open invitation from it.
const (
	allOpsTransferMgmt = "666666666666"            // manages an organization whose billing mgmtID's took over
	allOpsCBMgmt       = "888888888888"            // manages an empty organization with consolidated billing only
	allOpsNewcomer     = "999999999999"            // belongs to no organization and was never invited
	allOpsPrincipal    = "config.amazonaws.com"    // memberID administers it
	allOpsPrincipal2   = "guardduty.amazonaws.com" // enabled, no administrator yet
)

// allOpsWorld is the state every operation runs against: IDs the setup
// made, and a way to call the API as any account.
type allOpsWorld struct {
	t testing.TB
	h *harness
	// IDs made by the setup.
	Root, OU, EmptyOU   string
	Policy, SparePolicy string // an SCP attached to OU; one attached nowhere
	Handshake           string // the open invitation to standaloneID
	CreateRequest       string
	Transfer            string // accepted: mgmtID's organization pays allOpsTransferMgmt's bills
	TransferStart       time.Time
}

// allOpsSend posts body as operation op, signed for account acct with
// SigV4 (orgd's default mode reads the account from the key and does not
// check the signature). It returns the status and the raw body.
func (w *allOpsWorld) send(acct, op string, body any) (int, []byte) {
	w.t.Helper()
	payload, err := json.Marshal(body)
	if err != nil {
		w.t.Fatal(err)
	}
	req, err := http.NewRequestWithContext(ctx(w.t), http.MethodPost, w.h.URL+"/", bytes.NewReader(payload))
	if err != nil {
		w.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", api.TargetPrefix+"."+op)
	sum := sha256.Sum256(payload)
	creds := aws.Credentials{AccessKeyID: acct, SecretAccessKey: "any-secret"}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "organizations", "us-east-1", time.Now()); err != nil {
		w.t.Fatal(err)
	}
	resp, raw := do(w.t, req)
	return resp.StatusCode, raw
}

// must calls op and returns its decoded answer, failing the test unless
// it succeeds.
func (w *allOpsWorld) must(acct, op string, body any) map[string]any {
	w.t.Helper()
	status, raw := w.send(acct, op, body)
	if status != http.StatusOK {
		w.t.Fatalf("setup: %s as %s: %d %s", op, acct, status, raw)
	}
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		w.t.Fatalf("setup: %s: %v", op, err)
	}
	return out
}

// str digs a string out of a decoded answer by member names.
func str(t testing.TB, v any, path ...string) string {
	t.Helper()
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("no %s in %v", p, v)
		}
		v = m[p]
	}
	s, ok := v.(string)
	if !ok {
		t.Fatalf("%v is not a string at %v", v, path)
	}
	return s
}

func allOpsSCP(name string) map[string]any {
	return map[string]any{
		"Name": name, "Description": name, "Type": "SERVICE_CONTROL_POLICY",
		"Content": `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:DeleteBucket","Resource":"*"}]}`,
	}
}

const allOpsTagPolicy = `{"tags":{"costcenter":{"tag_key":{"@@assign":"CostCenter"},"tag_value":{"@@assign":["Development","Support"]}}}}`

var allOpsResourcePolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + memberID +
	`"},"Action":"organizations:DescribePolicy","Resource":"*"}]}`

// newAllOpsWorld prepares a server with an organization that has all
// features and SCPs enabled, an OU, members, policies, a delegated
// administrator, a resource policy, an open invitation, a creation
// request and an accepted responsibility transfer, beside an empty
// consolidated-billing organization.
func newAllOpsWorld(t testing.TB) *allOpsWorld {
	t.Helper()
	w := &allOpsWorld{t: t, h: newHarness(t)}
	// CreateGovCloudAccount needs the management account's GovCloud account.
	w.h.admin(t, http.MethodPost, "/_orgd/accounts", map[string]any{"accountId": mgmtID, "govCloud": true}, nil)
	w.must(mgmtID, "CreateOrganization", map[string]any{})
	roots := w.must(mgmtID, "ListRoots", map[string]any{})["Roots"].([]any)
	w.Root = str(t, roots[0], "Id")
	w.OU = str(t, w.must(mgmtID, "CreateOrganizationalUnit", map[string]any{"ParentId": w.Root, "Name": "Workloads"}), "OrganizationalUnit", "Id")
	w.EmptyOU = str(t, w.must(mgmtID, "CreateOrganizationalUnit", map[string]any{"ParentId": w.Root, "Name": "Empty"}), "OrganizationalUnit", "Id")
	w.must(mgmtID, "TagResource", map[string]any{"ResourceId": w.OU, "Tags": []any{map[string]any{"Key": "env", "Value": "prod"}}})
	for _, acct := range []string{memberID, otherID} {
		h := w.must(mgmtID, "InviteAccountToOrganization", map[string]any{"Target": map[string]any{"Id": acct, "Type": "ACCOUNT"}})
		w.must(acct, "AcceptHandshake", map[string]any{"HandshakeId": str(t, h, "Handshake", "Id")})
	}
	w.must(mgmtID, "EnableAWSServiceAccess", map[string]any{"ServicePrincipal": allOpsPrincipal})
	w.must(mgmtID, "EnableAWSServiceAccess", map[string]any{"ServicePrincipal": allOpsPrincipal2})
	w.must(mgmtID, "RegisterDelegatedAdministrator", map[string]any{"AccountId": memberID, "ServicePrincipal": allOpsPrincipal})
	w.Policy = str(t, w.must(mgmtID, "CreatePolicy", allOpsSCP("guard")), "Policy", "PolicySummary", "Id")
	w.must(mgmtID, "AttachPolicy", map[string]any{"PolicyId": w.Policy, "TargetId": w.OU})
	w.SparePolicy = str(t, w.must(mgmtID, "CreatePolicy", allOpsSCP("spare")), "Policy", "PolicySummary", "Id")
	w.must(mgmtID, "EnablePolicyType", map[string]any{"RootId": w.Root, "PolicyType": "TAG_POLICY"})
	tp := str(t, w.must(mgmtID, "CreatePolicy", map[string]any{"Name": "tags", "Description": "tags", "Type": "TAG_POLICY", "Content": allOpsTagPolicy}), "Policy", "PolicySummary", "Id")
	w.must(mgmtID, "AttachPolicy", map[string]any{"PolicyId": tp, "TargetId": w.Root})
	w.must(mgmtID, "PutResourcePolicy", map[string]any{"Content": allOpsResourcePolicy})
	w.Handshake = str(t, w.must(mgmtID, "InviteAccountToOrganization", map[string]any{"Target": map[string]any{"Id": standaloneID, "Type": "ACCOUNT"}}), "Handshake", "Id")
	w.CreateRequest = str(t, w.must(mgmtID, "CreateAccount", map[string]any{"Email": "created@example.com", "AccountName": "Created"}), "CreateAccountStatus", "Id")

	// A transfer starts on the first of a month at least a day away.
	now := w.h.now(t)
	w.TransferStart = time.Date(now.Year(), now.Month()+2, 1, 0, 0, 0, 0, time.UTC)
	w.must(allOpsTransferMgmt, "CreateOrganization", map[string]any{})
	inv := w.must(mgmtID, "InviteOrganizationToTransferResponsibility", map[string]any{
		"Type": "BILLING", "Target": map[string]any{"Id": allOpsTransferMgmt, "Type": "ACCOUNT"},
		"StartTimestamp": w.TransferStart.Unix(), "SourceName": "billing",
	})
	for _, r := range inv["Handshake"].(map[string]any)["Resources"].([]any) {
		if r.(map[string]any)["Type"] == "RESPONSIBILITY_TRANSFER" {
			w.Transfer = str(t, r, "Value")
		}
	}
	w.must(allOpsTransferMgmt, "AcceptHandshake", map[string]any{"HandshakeId": str(t, inv, "Handshake", "Id")})

	w.must(allOpsCBMgmt, "CreateOrganization", map[string]any{"FeatureSet": "CONSOLIDATED_BILLING"})
	return w
}

// allOpsCall is one operation's call: who makes it with what input.
type allOpsCall struct {
	caller string
	input  func(w *allOpsWorld) map[string]any
}

func none(*allOpsWorld) map[string]any { return map[string]any{} }

// allOpsCalls has a successful call for every operation of the model.
var allOpsCalls = map[string]allOpsCall{
	"AcceptHandshake": {standaloneID, func(w *allOpsWorld) map[string]any { return map[string]any{"HandshakeId": w.Handshake} }},
	"AttachPolicy": {mgmtID, func(w *allOpsWorld) map[string]any {
		return map[string]any{"PolicyId": w.SparePolicy, "TargetId": w.OU}
	}},
	"CancelHandshake": {mgmtID, func(w *allOpsWorld) map[string]any { return map[string]any{"HandshakeId": w.Handshake} }},
	"CloseAccount":    {mgmtID, func(*allOpsWorld) map[string]any { return map[string]any{"AccountId": otherID} }},
	"CreateAccount": {mgmtID, func(*allOpsWorld) map[string]any {
		return map[string]any{"Email": "new@example.com", "AccountName": "New"}
	}},
	"CreateGovCloudAccount": {mgmtID, func(*allOpsWorld) map[string]any {
		return map[string]any{"Email": "gov@example.com", "AccountName": "Gov"}
	}},
	"CreateOrganization": {allOpsNewcomer, none},
	"CreateOrganizationalUnit": {mgmtID, func(w *allOpsWorld) map[string]any {
		return map[string]any{"ParentId": w.Root, "Name": "Sandbox"}
	}},
	"CreatePolicy":             {mgmtID, func(*allOpsWorld) map[string]any { return allOpsSCP("another") }},
	"DeclineHandshake":         {standaloneID, func(w *allOpsWorld) map[string]any { return map[string]any{"HandshakeId": w.Handshake} }},
	"DeleteOrganization":       {allOpsCBMgmt, none},
	"DeleteOrganizationalUnit": {mgmtID, func(w *allOpsWorld) map[string]any { return map[string]any{"OrganizationalUnitId": w.EmptyOU} }},
	"DeletePolicy":             {mgmtID, func(w *allOpsWorld) map[string]any { return map[string]any{"PolicyId": w.SparePolicy} }},
	"DeleteResourcePolicy":     {mgmtID, none},
	"DeregisterDelegatedAdministrator": {mgmtID, func(*allOpsWorld) map[string]any {
		return map[string]any{"AccountId": memberID, "ServicePrincipal": allOpsPrincipal}
	}},
	"DescribeAccount":             {memberID, func(*allOpsWorld) map[string]any { return map[string]any{"AccountId": otherID} }},
	"DescribeCreateAccountStatus": {mgmtID, func(w *allOpsWorld) map[string]any { return map[string]any{"CreateAccountRequestId": w.CreateRequest} }},
	"DescribeEffectivePolicy": {otherID, func(*allOpsWorld) map[string]any {
		return map[string]any{"PolicyType": "TAG_POLICY"}
	}},
	"DescribeHandshake":              {standaloneID, func(w *allOpsWorld) map[string]any { return map[string]any{"HandshakeId": w.Handshake} }},
	"DescribeOrganization":           {otherID, none},
	"DescribeOrganizationalUnit":     {memberID, func(w *allOpsWorld) map[string]any { return map[string]any{"OrganizationalUnitId": w.OU} }},
	"DescribePolicy":                 {mgmtID, func(w *allOpsWorld) map[string]any { return map[string]any{"PolicyId": w.Policy} }},
	"DescribeResourcePolicy":         {memberID, none},
	"DescribeResponsibilityTransfer": {allOpsTransferMgmt, func(w *allOpsWorld) map[string]any { return map[string]any{"Id": w.Transfer} }},
	"DetachPolicy":                   {mgmtID, func(w *allOpsWorld) map[string]any { return map[string]any{"PolicyId": w.Policy, "TargetId": w.OU} }},
	"DisableAWSServiceAccess":        {mgmtID, func(*allOpsWorld) map[string]any { return map[string]any{"ServicePrincipal": allOpsPrincipal} }},
	"DisablePolicyType": {mgmtID, func(w *allOpsWorld) map[string]any {
		return map[string]any{"RootId": w.Root, "PolicyType": "TAG_POLICY"}
	}},
	"EnableAWSServiceAccess": {mgmtID, func(*allOpsWorld) map[string]any { return map[string]any{"ServicePrincipal": "backup.amazonaws.com"} }},
	"EnableAllFeatures":      {allOpsCBMgmt, none},
	"EnablePolicyType": {mgmtID, func(w *allOpsWorld) map[string]any {
		return map[string]any{"RootId": w.Root, "PolicyType": "AISERVICES_OPT_OUT_POLICY"}
	}},
	"InviteAccountToOrganization": {mgmtID, func(*allOpsWorld) map[string]any {
		return map[string]any{"Target": map[string]any{"Id": "555555555555", "Type": "ACCOUNT"}, "Notes": "welcome"}
	}},
	"InviteOrganizationToTransferResponsibility": {mgmtID, func(w *allOpsWorld) map[string]any {
		return map[string]any{
			"Type": "BILLING", "Target": map[string]any{"Id": "777777777777", "Type": "ACCOUNT"},
			"StartTimestamp": w.TransferStart.Unix(), "SourceName": "another", "Notes": "n",
		}
	}},
	"LeaveOrganization":                   {otherID, none},
	"ListAWSServiceAccessForOrganization": {memberID, none},
	"ListAccounts":                        {memberID, none},
	"ListAccountsForParent":               {mgmtID, func(w *allOpsWorld) map[string]any { return map[string]any{"ParentId": w.Root} }},
	"ListAccountsWithInvalidEffectivePolicy": {mgmtID, func(*allOpsWorld) map[string]any {
		return map[string]any{"PolicyType": "TAG_POLICY"}
	}},
	"ListChildren": {mgmtID, func(w *allOpsWorld) map[string]any {
		return map[string]any{"ParentId": w.Root, "ChildType": "ORGANIZATIONAL_UNIT"}
	}},
	"ListCreateAccountStatus":         {mgmtID, none},
	"ListDelegatedAdministrators":     {mgmtID, none},
	"ListDelegatedServicesForAccount": {mgmtID, func(*allOpsWorld) map[string]any { return map[string]any{"AccountId": memberID} }},
	"ListEffectivePolicyValidationErrors": {mgmtID, func(*allOpsWorld) map[string]any {
		return map[string]any{"AccountId": otherID, "PolicyType": "TAG_POLICY"}
	}},
	"ListHandshakesForAccount":           {standaloneID, none},
	"ListHandshakesForOrganization":      {mgmtID, none},
	"ListInboundResponsibilityTransfers": {mgmtID, func(*allOpsWorld) map[string]any { return map[string]any{"Type": "BILLING"} }},
	"ListOrganizationalUnitsForParent":   {mgmtID, func(w *allOpsWorld) map[string]any { return map[string]any{"ParentId": w.Root} }},
	"ListOutboundResponsibilityTransfers": {allOpsTransferMgmt, func(*allOpsWorld) map[string]any {
		return map[string]any{"Type": "BILLING"}
	}},
	"ListParents":  {mgmtID, func(*allOpsWorld) map[string]any { return map[string]any{"ChildId": otherID} }},
	"ListPolicies": {mgmtID, func(*allOpsWorld) map[string]any { return map[string]any{"Filter": "SERVICE_CONTROL_POLICY"} }},
	"ListPoliciesForTarget": {mgmtID, func(w *allOpsWorld) map[string]any {
		return map[string]any{"TargetId": w.OU, "Filter": "SERVICE_CONTROL_POLICY"}
	}},
	"ListRoots":            {mgmtID, none},
	"ListTagsForResource":  {mgmtID, func(w *allOpsWorld) map[string]any { return map[string]any{"ResourceId": w.OU} }},
	"ListTargetsForPolicy": {mgmtID, func(w *allOpsWorld) map[string]any { return map[string]any{"PolicyId": w.Policy} }},
	"MoveAccount": {mgmtID, func(w *allOpsWorld) map[string]any {
		return map[string]any{"AccountId": otherID, "SourceParentId": w.Root, "DestinationParentId": w.OU}
	}},
	"PutResourcePolicy": {mgmtID, func(*allOpsWorld) map[string]any { return map[string]any{"Content": allOpsResourcePolicy} }},
	"RegisterDelegatedAdministrator": {mgmtID, func(*allOpsWorld) map[string]any {
		return map[string]any{"AccountId": otherID, "ServicePrincipal": allOpsPrincipal2}
	}},
	"RemoveAccountFromOrganization": {mgmtID, func(*allOpsWorld) map[string]any { return map[string]any{"AccountId": otherID} }},
	"TagResource": {mgmtID, func(w *allOpsWorld) map[string]any {
		return map[string]any{"ResourceId": w.OU, "Tags": []any{map[string]any{"Key": "team", "Value": "core"}}}
	}},
	"TerminateResponsibilityTransfer": {mgmtID, func(w *allOpsWorld) map[string]any { return map[string]any{"Id": w.Transfer} }},
	"UntagResource": {mgmtID, func(w *allOpsWorld) map[string]any {
		return map[string]any{"ResourceId": w.OU, "TagKeys": []any{"env"}}
	}},
	"UpdateOrganizationalUnit": {mgmtID, func(w *allOpsWorld) map[string]any {
		return map[string]any{"OrganizationalUnitId": w.OU, "Name": "Renamed"}
	}},
	"UpdatePolicy": {mgmtID, func(w *allOpsWorld) map[string]any { return map[string]any{"PolicyId": w.Policy, "Name": "renamed"} }},
	"UpdateResponsibilityTransfer": {mgmtID, func(w *allOpsWorld) map[string]any {
		return map[string]any{"Id": w.Transfer, "Name": "renamed"}
	}},
}

// allOpsExempt names the operations whose call may fail, with the
// exception expected and why its precondition can't be met. Empty: every
// operation succeeds.
var allOpsExempt = map[string]struct{ typ, why string }{}

// Every operation of the model answers a valid call from a suitable
// caller: none is unimplemented, and every answer is the model's output
// shape. The operations come from the model, so a new one fails here
// until it has a call.
func TestEveryOperation(t *testing.T) {
	t.Parallel()
	ops := make([]string, 0, len(api.Operations))
	for name := range api.Operations {
		ops = append(ops, name)
	}
	sort.Strings(ops)
	if len(ops) < 63 {
		t.Fatalf("the model has %d operations; the generated list looks truncated", len(ops))
	}
	for name := range allOpsCalls {
		if api.Operations[name] == nil {
			t.Errorf("call for %s, which the model does not have", name)
		}
	}
	for _, name := range ops {
		op := api.Operations[name]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			call, ok := allOpsCalls[name]
			if !ok {
				t.Fatalf("no call for %s", name)
			}
			w := newAllOpsWorld(t)
			in := call.input(w)
			// The call must itself be valid, or a refusal would prove nothing.
			if op.Input != "" {
				if v := api.Shapes.Validate(op.Input, roundTrip(t, in)); v != nil {
					t.Fatalf("the test's input is invalid: %v", v)
				}
			}
			status, raw := w.send(call.caller, name, in)
			var out map[string]any
			dec := json.NewDecoder(bytes.NewReader(raw))
			dec.UseNumber()
			if len(bytes.TrimSpace(raw)) > 0 {
				if err := dec.Decode(&out); err != nil {
					t.Fatalf("%d: body %q is not a JSON object: %v", status, raw, err)
				}
			}
			if typ, _ := out["__type"].(string); typ == api.ErrNotImplemented {
				t.Fatalf("not implemented: %s", raw)
			}
			if exempt, ok := allOpsExempt[name]; ok {
				if out["__type"] != exempt.typ {
					t.Fatalf("%d %s, want %s (%s)", status, raw, exempt.typ, exempt.why)
				}
				return
			}
			if status != http.StatusOK {
				t.Fatalf("as %s: %d %s", call.caller, status, raw)
			}
			if op.Output == "" {
				if len(out) != 0 {
					t.Fatalf("operation without output answered %s", raw)
				}
				return
			}
			if len(out) == 0 {
				t.Fatalf("empty answer %q", raw)
			}
			if v := api.Shapes.Validate(op.Output, out); v != nil {
				t.Fatalf("answer does not validate against %s: %v\n%s", op.Output, v, raw)
			}
			if extra := unknownMembers(op.Output, out, ""); len(extra) > 0 {
				t.Fatalf("answer has members %s has not: %v\n%s", op.Output, extra, raw)
			}
		})
	}
}

// roundTrip returns v as encoding/json decodes it, as the validator
// expects documents.
func roundTrip(t testing.TB, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

// unknownMembers lists the paths of object members that the model's
// shape does not have: Validate checks only the members it knows.
func unknownMembers(shape string, v any, path string) []string {
	s := api.Shapes[shape]
	if s == nil {
		return nil
	}
	var out []string
	switch s.Kind {
	case shapes.Structure:
		obj, _ := v.(map[string]any)
		for k, mv := range obj {
			p := strings.TrimPrefix(path+"."+k, ".")
			i := -1
			for j, m := range s.Members {
				if m.Name == k {
					i = j
				}
			}
			if i < 0 {
				out = append(out, p)
				continue
			}
			out = append(out, unknownMembers(s.Members[i].Shape, mv, p)...)
		}
	case shapes.List:
		arr, _ := v.([]any)
		for i, e := range arr {
			out = append(out, unknownMembers(s.Element, e, fmt.Sprintf("%s[%d]", path, i))...)
		}
	}
	sort.Strings(out)
	return out
}
