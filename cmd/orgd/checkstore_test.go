package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orgd/orgd/internal/store"
	"github.com/orgd/orgd/internal/store/boltstore"
)

// storeFile writes a store file of about 512 KB and returns its path.
func storeFile(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "orgd.db")
	s, err := boltstore.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	err = s.Update(context.Background(), func(tx store.Tx) error {
		for i := range 2000 {
			if err := tx.Put(fmt.Sprintf("account/%012d", i), bytes.Repeat([]byte("v"), 200)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	return path
}

// garbleFile writes garbage over pages 4 to 7 of the file.
func garbleFile(t *testing.T, path string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	junk := bytes.Repeat([]byte{0xde, 0xad, 0xbe, 0xef, 0x17}, 4*4096/5)
	if _, err := f.WriteAt(junk, 4*int64(os.Getpagesize())); err != nil {
		t.Fatal(err)
	}
}

func TestCheckStoreCommand(t *testing.T) {
	sound := storeFile(t)
	damaged := storeFile(t)
	garbleFile(t, damaged)
	for _, tc := range []struct {
		name string
		args []string
		code int
		out  string
	}{
		{"sound file", []string{sound}, 0, "is sound"},
		{"sound file as bolt:", []string{"bolt:" + sound}, 0, "is sound"},
		{"its directory", []string{filepath.Dir(sound)}, 0, "is sound"},
		{"damaged file", []string{damaged}, 1, damaged + " is damaged"},
		{"missing file", []string{filepath.Join(t.TempDir(), "none.db")}, 1, "no such file"},
		{"two files", []string{sound, damaged}, 2, "unexpected argument"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := checkStoreMain(tc.args, &stdout, &stderr)
			if code != tc.code || !strings.Contains(stdout.String()+stderr.String(), tc.out) {
				t.Fatalf("exit %d, want %d with %q\nstdout: %s\nstderr: %s", code, tc.code, tc.out, stdout.String(), stderr.String())
			}
			if code == 1 && strings.Contains(tc.out, "damaged") && !strings.Contains(stdout.String(), "orgd import") {
				t.Errorf("no way to recover in %q", stdout.String())
			}
		})
	}
}

// orgd serve will not serve a damaged store file, and says how to recover.
func TestServeRefusesDamagedStore(t *testing.T) {
	path := storeFile(t)
	garbleFile(t, path)
	err := serve([]string{"--store", path, "--listen", "127.0.0.1:0"})
	if err == nil {
		t.Fatal("serve started on a damaged file")
	}
	for _, want := range []string{path, "damaged", "backup", "orgd import", "orgd check-store"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q does not say %q", err, want)
		}
	}
}
