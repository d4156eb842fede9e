package clone

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/orgd/orgd/internal/api"
	"github.com/orgd/orgd/internal/org"
	"github.com/orgd/orgd/internal/store/memstore"
)

// Document returns the state document of a snapshot, the one `orgd
// export` writes and `orgd import` loads. The domain restores the
// snapshot into a scratch store and checks it as Import would, so a
// document Document returns is one Import takes.
func Document(ctx context.Context, snap *org.Snapshot) ([]byte, error) {
	cfg := org.DefaultConfig()
	cfg.Partition = partitionOf(snap.Organization.Arn)
	cfg.Now = func() time.Time { return snap.Taken }
	svc, err := org.New(ctx, memstore.New(), cfg)
	if err != nil {
		return nil, err
	}
	if err := svc.Restore(ctx, snap); err != nil {
		return nil, fmt.Errorf("the copy is not a consistent organization: %w", err)
	}
	var b bytes.Buffer
	if err := svc.Export(ctx, &b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// partitionOf returns the partition of an ARN, "aws" when it has none.
func partitionOf(arn string) string {
	if p := strings.Split(arn, ":"); len(p) > 2 && p[0] == "arn" && p[1] != "" {
		return p[1]
	}
	return "aws"
}

// MigrationSizeLimit is the most accounts the standard EnableAllFeatures
// migration takes.
const MigrationSizeLimit = 5000

// Readiness is what enabling all features would take in a consolidated
// billing organization.
type Readiness struct {
	FeatureSet api.OrganizationFeatureSet
	Accounts   int
	// Invited members (not the management account) that are active must
	// each approve; created ones have approved already; invited ones that
	// are suspended or closing are not asked.
	Invited, Created, InvitedInactive int
	// OpenInvitations would be canceled by EnableAllFeatures.
	OpenInvitations int
	// Migration is the ID of an EnableAllFeatures handshake under way.
	Migration string
}

// ReadinessOf sums up snap for the migration to all features.
func ReadinessOf(snap *org.Snapshot) Readiness {
	r := Readiness{FeatureSet: snap.Organization.FeatureSet, Accounts: len(snap.Accounts)}
	for _, a := range snap.Accounts {
		switch {
		case a.Id == snap.Organization.MasterAccountId:
		case a.JoinedMethod == api.AccountJoinedMethodInvited && (a.State == "" || a.State == api.AccountStateActive):
			r.Invited++
		case a.JoinedMethod == api.AccountJoinedMethodInvited:
			r.InvitedInactive++
		default:
			r.Created++
		}
	}
	for _, h := range snap.Handshakes {
		open := h.State == api.HandshakeStateOpen || h.State == api.HandshakeStateRequested
		switch {
		case open && h.Action == api.ActionTypeInvite:
			r.OpenInvitations++
		case open && h.Action == api.ActionTypeEnableAllFeatures:
			r.Migration = h.Id
		}
	}
	return r
}

// OverLimit reports whether the organization is too large for the
// standard migration.
func (r Readiness) OverLimit() bool { return r.Accounts > MigrationSizeLimit }

// String is the readiness summary, a few lines.
func (r Readiness) String() string {
	var b strings.Builder
	if r.FeatureSet == api.OrganizationFeatureSetAll {
		b.WriteString("migration readiness: the organization already has all features\n")
		return b.String()
	}
	fmt.Fprintf(&b, "migration readiness (CONSOLIDATED_BILLING to ALL):\n")
	fmt.Fprintf(&b, "  %d accounts joined by invitation: each must approve (APPROVE_ALL_FEATURES)\n", r.Invited)
	fmt.Fprintf(&b, "  %d accounts were created by the organization: they need not approve\n", r.Created)
	if r.InvitedInactive > 0 {
		fmt.Fprintf(&b, "  %d invited accounts are suspended or closing: they are not asked\n", r.InvitedInactive)
	}
	fmt.Fprintf(&b, "  %d open invitations: EnableAllFeatures would cancel them\n", r.OpenInvitations)
	if r.OverLimit() {
		fmt.Fprintf(&b, "  %d accounts: over the %d-account limit of the standard migration\n", r.Accounts, MigrationSizeLimit)
	} else {
		fmt.Fprintf(&b, "  %d accounts: within the %d-account limit of the standard migration\n", r.Accounts, MigrationSizeLimit)
	}
	if r.Migration != "" {
		fmt.Fprintf(&b, "  a migration is under way: handshake %s\n", r.Migration)
	}
	return b.String()
}
