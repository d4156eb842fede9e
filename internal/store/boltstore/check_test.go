package boltstore_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/orgd/orgd/internal/store"
	"github.com/orgd/orgd/internal/store/boltstore"
)

const pageSize = 4096 // bbolt's page size is the OS page size

// filled writes n records to a new store file, closes it and returns its
// path and the pages bbolt reports of each type.
func filled(t testing.TB, n int) (string, map[string][]int) {
	t.Helper()
	if os.Getpagesize() != pageSize {
		t.Skipf("the page size is %d, not %d", os.Getpagesize(), pageSize)
	}
	path := filepath.Join(t.TempDir(), "orgd.db")
	s, err := boltstore.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	val := []byte(strings.Repeat("v", 200))
	for i := 0; i < n; i += 1000 {
		err := s.Update(context.Background(), func(tx store.Tx) error {
			for j := i; j < min(i+1000, n); j++ {
				if err := tx.Put(fmt.Sprintf("account/%012d", j), val); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, PreLoadFreelist: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	pages := map[string][]int{}
	db.View(func(tx *bolt.Tx) error {
		for id := 0; ; id++ {
			info, err := tx.Page(id)
			if err != nil || info == nil {
				return err
			}
			pages[info.Type] = append(pages[info.Type], id)
		}
	})
	return path, pages
}

// garble writes random bytes over pages from..to of the file at path,
// keeping the first keep bytes of each.
func garble(t testing.TB, path string, from, to, keep int) {
	t.Helper()
	var ids []int
	for id := from; id <= to; id++ {
		ids = append(ids, id)
	}
	garblePages(t, path, ids, keep)
}

// garblePages writes random bytes over the pages ids of the file at path,
// keeping the first keep bytes of each.
func garblePages(t testing.TB, path string, ids []int, keep int) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := rand.New(rand.NewPCG(uint64(ids[0]), uint64(len(ids))))
	for _, id := range ids {
		junk := make([]byte, pageSize-keep)
		for i := range junk {
			junk[i] = byte(r.Uint32())
		}
		if _, err := f.WriteAt(junk, int64(id*pageSize+keep)); err != nil {
			t.Fatal(err)
		}
	}
}

func TestOpenRefusesDamagedFile(t *testing.T) {
	for _, tc := range []struct {
		name string
		page func(pages map[string][]int) (from, to int)
		keep int
	}{
		{"one leaf page", func(p map[string][]int) (int, int) { l := p["leaf"]; return l[len(l)/2], l[len(l)/2] }, 0},
		{"pages 4-7", func(map[string][]int) (int, int) { return 4, 7 }, 0},
		{"a branch page", func(p map[string][]int) (int, int) { return p["branch"][0], p["branch"][0] }, 0},
		{"a leaf page's elements, header kept", func(p map[string][]int) (int, int) { l := p["leaf"]; return l[len(l)/3], l[len(l)/3] }, 16},
		{"the first meta page", func(map[string][]int) (int, int) { return 0, 0 }, 0},
		{"both meta pages", func(map[string][]int) (int, int) { return 0, 1 }, 0},
		{"the freelist", func(p map[string][]int) (int, int) { return p["freelist"][0], p["freelist"][0] }, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path, pages := filled(t, 2000) // about 512 KB
			if len(pages["branch"]) == 0 || len(pages["leaf"]) < 10 || len(pages["freelist"]) == 0 {
				t.Fatalf("pages %v: want branches, leaves and a freelist", pages)
			}
			from, to := tc.page(pages)
			garble(t, path, from, to, tc.keep)
			s, err := boltstore.Open(path)
			if err == nil {
				s.Close()
				t.Fatalf("a file with pages %d-%d garbled opened", from, to)
			}
			var d *boltstore.DamagedError
			if !errors.As(err, &d) {
				t.Fatalf("%v: not a DamagedError", err)
			}
			msg := err.Error()
			for _, want := range []string{path, "damaged", "backup", "orgd import", "orgd check-store " + path} {
				if !strings.Contains(msg, want) {
					t.Errorf("message %q does not say %q", msg, want)
				}
			}
			if len(d.Problems) == 0 || len(d.Problems) > 5 {
				t.Errorf("%d problems, want 1 to 5: %q", len(d.Problems), d.Problems)
			}
			// The full check finds them too, unless bbolt gave up opening
			// the file, which then stays locked until the process exits.
			if strings.Contains(msg, "cannot open it") {
				return
			}
			if err := boltstore.Check(path); !errors.As(err, &d) {
				t.Errorf("Check: %v", err)
			}
		})
	}
}

func TestCheckSoundFile(t *testing.T) {
	path, _ := filled(t, 2000)
	if err := boltstore.Check(path); err != nil {
		t.Fatal(err)
	}
	if err := boltstore.Check(filepath.Join(t.TempDir(), "none.db")); err == nil || errors.As(err, new(*boltstore.DamagedError)) {
		t.Fatalf("a missing file: %v", err)
	}
}

// A page damaged under a running server fails the transactions that read
// it, and no more: no panic.
func TestDamageAtRunTimeIsAnError(t *testing.T) {
	path, pages := filled(t, 2000)
	s, err := boltstore.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	garblePages(t, path, pages["leaf"][3:len(pages["leaf"])-2], 0)
	ctx := context.Background()
	scan := func(tx store.Tx) error {
		return tx.Scan("account/", "", func(string, []byte) bool { return true })
	}
	if err := s.View(ctx, scan); err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("View over garbled pages: %v", err)
	}
	err = s.Update(ctx, func(tx store.Tx) error {
		if err := scan(tx); err != nil {
			return err
		}
		return tx.Put("account/x", []byte("v"))
	})
	if err == nil || !strings.Contains(err.Error(), "check-store") {
		t.Fatalf("Update over garbled pages: %v", err)
	}
	// Reads the damage does not touch still work; writes are refused, not
	// wedged, after a write failed on a damaged page.
	if err := s.View(ctx, func(tx store.Tx) error { _, _, err := tx.Get("account/000000000000"); return err }); err != nil {
		t.Fatalf("a read of a sound page: %v", err)
	}
	if err := s.Update(ctx, func(tx store.Tx) error { return tx.Put("a", []byte("v")) }); err == nil || !strings.Contains(err.Error(), "restart") {
		t.Fatalf("a write after a failed one: %v", err)
	}
}

// BenchmarkOpenCheck measures Open of a file of 100,000 records, its
// consistency check included.
func BenchmarkOpenCheck(b *testing.B) {
	path, _ := filled(b, 100_000)
	fi, _ := os.Stat(path)
	b.ResetTimer()
	for range b.N {
		s, err := boltstore.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		s.Close()
	}
	b.ReportMetric(float64(fi.Size())/(1<<20), "MiB")
}
