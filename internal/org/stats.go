package org

import (
	"context"
	"encoding/json"

	"github.com/orgd/orgd/internal/api"
	"github.com/orgd/orgd/internal/store"
)

// Stats is what an operator watches of the state; package metrics
// collects it when it is scraped.
type Stats struct {
	Organizations int
	// Accounts counts the accounts in organizations, management accounts
	// included.
	Accounts int
	// OpenHandshakes counts the handshakes still waiting for an answer
	// (OPEN or REQUESTED, not past their expiry) by action.
	OpenHandshakes map[api.ActionType]int
	// Migrations counts the all-features migrations in progress.
	Migrations int
}

// Stats counts the state. It reads every organization and handshake
// record, and writes nothing: work that fell due stays for the next
// request to settle, but an expired handshake is not counted as open.
func (s *Service) Stats(ctx context.Context) (Stats, error) {
	st := Stats{OpenHandshakes: map[api.ActionType]int{}}
	err := s.store.View(ctx, func(tx store.Tx) error {
		t, err := s.begin(ctx, tx)
		if err != nil {
			return err
		}
		var scanErr error
		scan := func(prefix string, fn func(v []byte) error) error {
			if err := tx.Scan(prefix, "", func(_ string, v []byte) bool {
				scanErr = fn(v)
				return scanErr == nil
			}); err != nil {
				return err
			}
			return scanErr
		}
		if err := scan("org/", func(v []byte) error {
			var o organization
			if err := json.Unmarshal(v, &o); err != nil {
				return err
			}
			st.Organizations++
			st.Accounts += o.Members
			return nil
		}); err != nil {
			return err
		}
		if err := scan("hsmig/", func([]byte) error { st.Migrations++; return nil }); err != nil {
			return err
		}
		return scan("hs/", func(v []byte) error {
			var h handshake
			if err := json.Unmarshal(v, &h); err != nil {
				return err
			}
			if (h.State == api.HandshakeStateOpen || h.State == api.HandshakeStateRequested) && t.now().Before(h.Expires) {
				st.OpenHandshakes[h.Action]++
			}
			return nil
		})
	})
	return st, err
}

// OnSCPDecision makes fn hear of every decision the service control
// policies make on a member's call: ALLOWED, EXPLICIT_DENY, NO_ALLOW or
// EXEMPT. A nil fn stops it.
func (s *Service) OnSCPDecision(fn func(result string)) {
	if fn == nil {
		s.scpDecided.Store(nil)
		return
	}
	s.scpDecided.Store(&fn)
}

func (s *Service) noteSCPDecision(d string) {
	if fn := s.scpDecided.Load(); fn != nil {
		(*fn)(d)
	}
}
