package e2e

import (
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"
)

// A billing transfer through the SDK: invitation, acceptance, listings and
// withdrawal, with the SDK decoding every timestamp, ARN and error.
func TestResponsibilityTransferThroughSDK(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.newOrg(t, mgmtID, types.OrganizationFeatureSetAll)
	h.newOrg(t, memberID, types.OrganizationFeatureSetAll)
	payer, source := h.client(t, mgmtID), h.client(t, memberID)
	now := h.now(t)
	start := time.Date(now.Year(), now.Month()+2, 1, 0, 0, 0, 0, time.UTC)

	// A start that is not the first of a month is refused with its reason.
	_, err := payer.InviteOrganizationToTransferResponsibility(ctx(t), &organizations.InviteOrganizationToTransferResponsibilityInput{
		Type: types.ResponsibilityTransferTypeBilling, Target: &types.HandshakeParty{Id: aws.String(memberID), Type: types.HandshakePartyTypeAccount},
		StartTimestamp: aws.Time(start.Add(24 * time.Hour)), SourceName: aws.String("billing"),
	})
	wantAPIError(t, err, "InvalidInputException", "START_DATE_NOT_BEGINNING_OF_MONTH")

	inv, err := payer.InviteOrganizationToTransferResponsibility(ctx(t), &organizations.InviteOrganizationToTransferResponsibilityInput{
		Type: types.ResponsibilityTransferTypeBilling, Target: &types.HandshakeParty{Id: aws.String(memberID), Type: types.HandshakePartyTypeAccount},
		StartTimestamp: aws.Time(start), SourceName: aws.String("billing"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if inv.Handshake.Action != types.ActionTypeTransferResponsibility || inv.Handshake.State != types.HandshakeStateOpen {
		t.Fatalf("handshake %+v", inv.Handshake)
	}
	var id string
	for _, r := range inv.Handshake.Resources {
		if r.Type == types.HandshakeResourceTypeResponsibilityTransfer {
			id = aws.ToString(r.Value)
		}
	}
	if _, err := source.AcceptHandshake(ctx(t), &organizations.AcceptHandshakeInput{HandshakeId: inv.Handshake.Id}); err != nil {
		t.Fatal(err)
	}

	in, err := payer.ListInboundResponsibilityTransfers(ctx(t), &organizations.ListInboundResponsibilityTransfersInput{Type: types.ResponsibilityTransferTypeBilling})
	if err != nil {
		t.Fatal(err)
	}
	out, err := source.ListOutboundResponsibilityTransfers(ctx(t), &organizations.ListOutboundResponsibilityTransfersInput{Type: types.ResponsibilityTransferTypeBilling})
	if err != nil {
		t.Fatal(err)
	}
	if len(in.ResponsibilityTransfers) != 1 || len(out.ResponsibilityTransfers) != 1 {
		t.Fatalf("inbound %+v, outbound %+v", in.ResponsibilityTransfers, out.ResponsibilityTransfers)
	}
	got := out.ResponsibilityTransfers[0]
	if aws.ToString(got.Id) != id || got.Status != types.ResponsibilityTransferStatusAccepted || !aws.ToTime(got.StartTimestamp).Equal(start) ||
		aws.ToString(got.Source.ManagementAccountId) != memberID || aws.ToString(got.Target.ManagementAccountId) != mgmtID {
		t.Fatalf("outbound transfer %+v", got)
	}

	// Withdrawn at the end of the start month, by the source.
	end := time.Date(start.Year(), start.Month()+1, 1, 0, 0, 0, 0, time.UTC).Add(-time.Millisecond)
	term, err := source.TerminateResponsibilityTransfer(ctx(t), &organizations.TerminateResponsibilityTransferInput{Id: aws.String(id), EndTimestamp: aws.Time(end)})
	if err != nil {
		t.Fatal(err)
	}
	if term.ResponsibilityTransfer.Status != types.ResponsibilityTransferStatusWithdrawn || !aws.ToTime(term.ResponsibilityTransfer.EndTimestamp).Equal(end) {
		t.Fatalf("withdrawn %+v", term.ResponsibilityTransfer)
	}
	_, err = payer.TerminateResponsibilityTransfer(ctx(t), &organizations.TerminateResponsibilityTransferInput{Id: aws.String(id)})
	wantAPIError(t, err, "ResponsibilityTransferAlreadyInStatusException", "")
	_, err = payer.UpdateResponsibilityTransfer(ctx(t), &organizations.UpdateResponsibilityTransferInput{Id: aws.String(id), Name: aws.String("late")})
	wantAPIError(t, err, "ConstraintViolationException", string(types.ConstraintViolationExceptionReasonTransferResponsibilityUpdateNotAllowed))
	// While it is in effect neither organization can be deleted.
	_, err = source.DeleteOrganization(ctx(t), &organizations.DeleteOrganizationInput{})
	wantAPIError(t, err, "ConstraintViolationException", "ACTIVE_RESPONSIBILITY_TRANSFER_PROCESS")
}

// CreateGovCloudAccount through the SDK, once the admin API has given the
// management account its GovCloud account.
func TestCreateGovCloudAccountThroughSDK(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	w := h.world(t, false)
	in := &organizations.CreateGovCloudAccountInput{Email: aws.String("gov@example.com"), AccountName: aws.String("Gov")}
	_, err := w.Mgmt.CreateGovCloudAccount(ctx(t), in)
	wantAPIError(t, err, "ConstraintViolationException", "MASTER_ACCOUNT_NOT_GOVCLOUD_ENABLED")

	var pairing struct {
		GovCloudAccountID string `json:"govCloudAccountId"`
	}
	h.admin(t, http.MethodPost, "/_orgd/accounts", map[string]any{"accountId": mgmtID, "govCloud": true}, &pairing)
	started, err := w.Mgmt.CreateGovCloudAccount(ctx(t), in)
	if err != nil {
		t.Fatal(err)
	}
	h.advance(t, h.Svc.Config().CreateAccountDelay)
	st, err := w.Mgmt.DescribeCreateAccountStatus(ctx(t), &organizations.DescribeCreateAccountStatusInput{CreateAccountRequestId: started.CreateAccountStatus.Id})
	if err != nil {
		t.Fatal(err)
	}
	s := st.CreateAccountStatus
	if s.State != types.CreateAccountStateSucceeded || aws.ToString(s.AccountId) == "" || aws.ToString(s.GovCloudAccountId) == "" ||
		aws.ToString(s.GovCloudAccountId) == pairing.GovCloudAccountID {
		t.Fatalf("status %+v (management's GovCloud account %s)", s, pairing.GovCloudAccountID)
	}
}
