package org

import (
	"context"
	"testing"
	"time"

	"github.com/orgd/orgd/internal/api"
)

func TestStats(t *testing.T) {
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := base
	f := newFixture(t, func(c *Config) { c.Now = func() time.Time { return clock } })
	stats := func() Stats {
		t.Helper()
		st, err := f.svc.Stats(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	if st := stats(); st.Organizations != 0 || st.Accounts != 0 || len(st.OpenHandshakes) != 0 || st.Migrations != 0 {
		t.Fatalf("empty: %+v", st)
	}
	f.newOrg(mgmtID, api.OrganizationFeatureSetConsolidatedBilling)
	f.join(mgmtID, f.rootID(mgmtID), api.AccountJoinedMethodInvited, otherID)
	if _, err := f.svc.InviteAccountToOrganization(as(mgmtID), &api.InviteAccountToOrganizationRequest{
		Target: &api.HandshakeParty{Id: thirdID, Type: api.HandshakePartyTypeAccount}}); err != nil {
		t.Fatal(err)
	}
	if st := stats(); st.Organizations != 1 || st.Accounts != 2 || st.OpenHandshakes[api.ActionTypeInvite] != 1 || st.Migrations != 0 {
		t.Fatalf("one organization, two members, one invitation: %+v", st)
	}
	if _, err := f.svc.EnableAllFeatures(as(mgmtID), &api.EnableAllFeaturesRequest{}); err != nil {
		t.Fatal(err)
	}
	st := stats()
	if st.Migrations != 1 || st.OpenHandshakes[api.ActionTypeEnableAllFeatures] != 1 || st.OpenHandshakes[api.ActionTypeApproveAllFeatures] != 1 {
		t.Fatalf("a migration: %+v", st)
	}
	// Stats writes nothing, so handshakes past their expiry wait for a
	// request to settle them; they are not open all the same.
	clock = base.Add(16 * 24 * time.Hour)
	if st := stats(); st.OpenHandshakes[api.ActionTypeInvite] != 0 || st.OpenHandshakes[api.ActionTypeEnableAllFeatures] != 1 {
		t.Fatalf("16 days on, the invitation has expired, the migration has not: %+v", st)
	}
}
