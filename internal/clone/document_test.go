package clone

import (
	"fmt"
	"strings"
	"testing"

	"github.com/orgd/orgd/internal/api"
	"github.com/orgd/orgd/internal/org"
)

func TestReadiness(t *testing.T) {
	acct := func(id string, joined api.AccountJoinedMethod, state api.AccountState) org.SnapshotAccount {
		return org.SnapshotAccount{Account: api.Account{Id: id, JoinedMethod: joined, State: state}}
	}
	cb := func(accounts []org.SnapshotAccount, hs ...api.Handshake) *org.Snapshot {
		return &org.Snapshot{
			Organization: api.Organization{MasterAccountId: "111111111111", FeatureSet: api.OrganizationFeatureSetConsolidatedBilling},
			Accounts:     accounts, Handshakes: hs,
		}
	}
	mixed := []org.SnapshotAccount{
		acct("111111111111", api.AccountJoinedMethodCreated, api.AccountStateActive),
		acct("222222222222", api.AccountJoinedMethodInvited, api.AccountStateActive),
		acct("333333333333", api.AccountJoinedMethodInvited, api.AccountStateSuspended),
		acct("444444444444", api.AccountJoinedMethodCreated, api.AccountStateActive),
	}
	var many []org.SnapshotAccount
	for i := range 5001 {
		many = append(many, acct(fmt.Sprintf("%012d", i), api.AccountJoinedMethodCreated, api.AccountStateActive))
	}
	for _, tc := range []struct {
		name string
		snap *org.Snapshot
		want []string
	}{
		{"mixed", cb(mixed,
			api.Handshake{Id: "h-1", Action: api.ActionTypeInvite, State: api.HandshakeStateOpen},
			api.Handshake{Id: "h-2", Action: api.ActionTypeInvite, State: api.HandshakeStateDeclined}), []string{
			"1 accounts joined by invitation: each must approve",
			"1 accounts were created by the organization",
			"1 invited accounts are suspended or closing",
			"1 open invitations: EnableAllFeatures would cancel them",
			"4 accounts: within the 5000-account limit",
		}},
		{"over the limit", cb(many), []string{"5001 accounts: over the 5000-account limit"}},
		{"migration under way", cb(mixed[:1], api.Handshake{Id: "h-parent", Action: api.ActionTypeEnableAllFeatures, State: api.HandshakeStateRequested}),
			[]string{"a migration is under way: handshake h-parent"}},
		{"all features", &org.Snapshot{Organization: api.Organization{FeatureSet: api.OrganizationFeatureSetAll}},
			[]string{"already has all features"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := ReadinessOf(tc.snap).String()
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("summary lacks %q:\n%s", w, got)
				}
			}
		})
	}
}
