package boltstore

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestOpenPaths(t *testing.T) {
	dir := t.TempDir()
	// The file's own directory is made.
	s, err := Open(filepath.Join(dir, "new", "orgd.db"))
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	// Deeper missing directories are refused, and none is made.
	path := filepath.Join(dir, "no", "such", "orgd.db")
	_, err = Open(path)
	if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "no")+" does not exist") {
		t.Fatalf("Open(%s): %v", path, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "no")); !os.IsNotExist(err) {
		t.Fatalf("Open made %s: %v", filepath.Join(dir, "no"), err)
	}
	// An error names the path once (a directory cannot be opened as the
	// file, even by root).
	path = filepath.Join(dir, "new")
	_, err = Open(path)
	if err == nil {
		t.Fatalf("Open(%s), a directory, succeeded", path)
	}
	if n := strings.Count(err.Error(), path); n != 1 {
		t.Fatalf("error names the path %d times: %v", n, err)
	}
}
