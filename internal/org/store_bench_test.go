package org

import (
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/orgd/orgd/internal/api"
	"github.com/orgd/orgd/internal/store"
	"github.com/orgd/orgd/internal/store/boltstore"
	"github.com/orgd/orgd/internal/store/memstore"
	"github.com/orgd/orgd/internal/store/pgstore"
	"github.com/orgd/orgd/internal/store/pgstore/pgtest"
)

// The cost of one write and one read through the domain on each backend:
// what a request pays for its store, with the domain's work on top.
//
//	go test ./internal/org -run '^$' -bench 'BenchmarkStore' -benchtime 2s
//
// PostgreSQL runs when ORGD_TEST_POSTGRES_URL is set, in a schema of its own.

type benchBackend struct {
	name string
	open func(b *testing.B) store.Store
}

func benchBackends() []benchBackend {
	return []benchBackend{
		{"memory", func(*testing.B) store.Store { return memstore.New() }},
		{"bolt", func(b *testing.B) store.Store {
			st, err := boltstore.Open(filepath.Join(b.TempDir(), "orgd.db"))
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { st.Close() })
			return st
		}},
		{"postgres", openBenchPostgres},
	}
}

// openBenchPostgres opens a store in a fresh schema, dropped at the end.
func openBenchPostgres(b *testing.B) store.Store {
	dsn, _ := pgtest.Schema(b, "orgd_bench_")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := pgstore.Open(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	return st
}

// benchService returns a Service over st with an organization of mgmtID
// and its root.
func benchService(b *testing.B, st store.Store) (*Service, string) {
	cfg := DefaultConfig()
	cfg.Quotas.OUsPerOrganization = 1 << 30
	cfg.Quotas.AccountsPerOrganization = 1 << 30
	s, err := New(context.Background(), st, cfg)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := s.CreateOrganization(as(mgmtID), &api.CreateOrganizationRequest{}); err != nil {
		b.Fatal(err)
	}
	roots, err := s.ListRoots(as(mgmtID), &api.ListRootsRequest{})
	if err != nil {
		b.Fatal(err)
	}
	return s, roots.Roots[0].Id
}

func BenchmarkStoreCreateOU(b *testing.B) {
	for _, be := range benchBackends() {
		b.Run("backend="+be.name, func(b *testing.B) {
			s, root := benchService(b, be.open(b))
			ctx := as(mgmtID)
			i := 0
			for b.Loop() {
				_, err := s.CreateOrganizationalUnit(ctx, &api.CreateOrganizationalUnitRequest{ParentId: root, Name: fmt.Sprintf("ou-%d", i)})
				if err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

// BenchmarkStoreCreateOU16 is BenchmarkStoreCreateOU from 16 writers at
// once, the load bench/http puts on a server: on bolt they share group
// commits, and the committer's time a write is what bounds them.
func BenchmarkStoreCreateOU16(b *testing.B) {
	for _, be := range benchBackends() {
		b.Run("backend="+be.name, func(b *testing.B) {
			s, root := benchService(b, be.open(b))
			ctx := as(mgmtID)
			var n atomic.Int64
			b.SetParallelism(8) // 16 goroutines on 2 cores
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					name := fmt.Sprintf("ou-%d", n.Add(1))
					if _, err := s.CreateOrganizationalUnit(ctx, &api.CreateOrganizationalUnitRequest{ParentId: root, Name: name}); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

func BenchmarkStoreDescribeAccount(b *testing.B) {
	const members = 100
	for _, be := range benchBackends() {
		b.Run("backend="+be.name, func(b *testing.B) {
			s, root := benchService(b, be.open(b))
			ids := make([]string, members)
			err := s.write(context.Background(), func(t *txn) error {
				o, err := mgmtOrg(t, mgmtID)
				if err != nil {
					return err
				}
				for i := range ids {
					ids[i] = fmt.Sprintf("%012d", 700000000000+i)
					a := &account{ID: ids[i], Email: fmt.Sprintf("bench%d@example.org", i), Name: "bench",
						Joined: api.AccountJoinedMethodInvited, JoinedAt: t.now(), State: api.AccountStateActive}
					if err := t.addMember(o, a, root); err != nil {
						return err
					}
					o.Members++
				}
				return t.putOrg(o)
			})
			if err != nil {
				b.Fatal(err)
			}
			ctx := as(mgmtID)
			i := 0
			for b.Loop() {
				out, err := s.DescribeAccount(ctx, &api.DescribeAccountRequest{AccountId: ids[i%members]})
				if err != nil || out.Account.Id != ids[i%members] {
					b.Fatalf("DescribeAccount: %v", err)
				}
				i++
			}
		})
	}
}
