package boltstore_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/orgd/orgd/internal/store"
	"github.com/orgd/orgd/internal/store/boltstore"
	"github.com/orgd/orgd/internal/store/storetest"
)

func open(tb testing.TB) *boltstore.Store {
	tb.Helper()
	s, err := boltstore.Open(filepath.Join(tb.TempDir(), "data", "orgd.db"))
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return open(t) })
}

func BenchmarkStore(b *testing.B) {
	storetest.Bench(b, func(b *testing.B) store.Store { return open(b) })
}

func TestReopenKeepsData(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dir", "orgd.db")
	s, err := boltstore.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := s.Update(ctx, func(tx store.Tx) error { return tx.Put("k", []byte("v")) }); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = boltstore.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	err = s.View(ctx, func(tx store.Tx) error {
		v, ok, err := tx.Get("k")
		if err == nil && (!ok || string(v) != "v") {
			err = fmt.Errorf("after reopening, k = %q (ok=%v), want v", v, ok)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestSecondOpenFails(t *testing.T) {
	s := open(t)
	defer s.Close()
	if s2, err := boltstore.Open(s.Path()); err == nil {
		s2.Close()
		t.Fatal("a second Open of a file in use succeeded; two writers would corrupt it")
	}
}

const crashChildEnv = "BOLTSTORE_CRASH_CHILD_PATH"

// TestSurvivesSIGKILL kills a process that is committing Updates and checks
// that every Update it acknowledged is in the file. It proves process-crash
// durability only: SIGKILL leaves the page cache intact, so power loss rests
// on bbolt's fsync, which this test cannot cut.
func TestSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	path := filepath.Join(t.TempDir(), "orgd.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+path)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(out)
	acked := 0
	deadline := time.Now().Add(20 * time.Second)
	for acked < 200 && time.Now().Before(deadline) && lines.Scan() {
		if n, err := strconv.Atoi(lines.Text()); err == nil {
			acked = n
		}
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	for lines.Scan() { // acknowledgements written before the kill landed
		if n, err := strconv.Atoi(lines.Text()); err == nil {
			acked = n
		}
	}
	cmd.Wait()
	if acked == 0 {
		t.Fatal("the child acknowledged no Update")
	}

	s, err := boltstore.Open(path)
	if err != nil {
		t.Fatalf("reopening after SIGKILL: %v", err)
	}
	defer s.Close()
	err = s.View(context.Background(), func(tx store.Tx) error {
		v, _, err := tx.Get("n")
		if err != nil {
			return err
		}
		n, _ := strconv.Atoi(string(v))
		if n < acked || n > acked+1 {
			return fmt.Errorf("after SIGKILL n = %d, but %d Updates were acknowledged", n, acked)
		}
		for i := 1; i <= acked; i++ {
			if _, ok, err := tx.Get(fmt.Sprintf("k/%06d", i)); err != nil || !ok {
				return fmt.Errorf("acknowledged key k/%06d is missing after SIGKILL (err %v)", i, err)
			}
		}
		t.Logf("%d acknowledged Updates all survived SIGKILL", acked)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestCrashChild is TestSurvivesSIGKILL's child: it commits Updates until
// killed, printing each one's number once Update has returned.
func TestCrashChild(t *testing.T) {
	path := os.Getenv(crashChildEnv)
	if path == "" {
		t.Skip("runs only as TestSurvivesSIGKILL's child process")
	}
	s, err := boltstore.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	val := make([]byte, 512)
	for i := 1; ; i++ {
		err := s.Update(context.Background(), func(tx store.Tx) error {
			if err := tx.Put(fmt.Sprintf("k/%06d", i), val); err != nil {
				return err
			}
			return tx.Put("n", []byte(strconv.Itoa(i)))
		})
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintln(os.Stdout, i)
	}
}
