package gcpace

import (
	"os"
	"testing"
)

// unsetenv removes key for the test; t.Setenv beforehand restores it.
func unsetenv(t *testing.T, key string) {
	t.Helper()
	if err := os.Unsetenv(key); err != nil {
		t.Fatal(err)
	}
}
