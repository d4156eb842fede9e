package org

import (
	"strings"
	"testing"
)

// TestAppendRandom checks that IDs have their length, their alphabet's
// characters only, and in many draws every character of it.
func TestAppendRandom(t *testing.T) {
	for _, tc := range []struct {
		prefix, alphabet string
		n                int
	}{
		{"ou-abcd-", lowerAlnum, 8},
		{"h-", lowerHex, 32},
		{"", digits, 12},
		{"o-", lowerAlnum, 10},
		{"rt-", lowerHex, 40}, // longer than one read of randomness
	} {
		seen := map[rune]bool{}
		for range 200 {
			id := string(appendRandom([]byte(tc.prefix), tc.alphabet, tc.n))
			rest, ok := strings.CutPrefix(id, tc.prefix)
			if !ok || len(rest) != tc.n {
				t.Fatalf("appendRandom(%q, %q, %d) = %q", tc.prefix, tc.alphabet, tc.n, id)
			}
			for _, c := range rest {
				if !strings.ContainsRune(tc.alphabet, c) {
					t.Fatalf("appendRandom(%q, %q, %d) = %q: %q is not in the alphabet", tc.prefix, tc.alphabet, tc.n, id, c)
				}
				seen[c] = true
			}
		}
		if len(seen) != len(tc.alphabet) {
			t.Errorf("200 IDs of %d characters of %q used only %d of them", tc.n, tc.alphabet, len(seen))
		}
	}
}
