package org

import (
	"strings"
	"testing"
	"time"
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

// TestAppendIDClock checks that an ID's clock characters order IDs by
// the tick they were drawn in, that IDs of one tick share them and differ
// after them, and that every character is the alphabet's.
func TestAppendIDClock(t *testing.T) {
	base := time.Date(2026, 12, 1, 17, 0, 0, 0, time.UTC)
	var prev string
	for i := range 500 {
		at := base.Add(time.Duration(i) * clockTick)
		a := string(appendID(nil, ouIDs, at))
		b := string(appendID(nil, ouIDs, at.Add(clockTick/2)))
		if len(a) != ouIDs.n || strings.Trim(a, lowerAlnum) != "" {
			t.Fatalf("appendID = %q, want %d characters of %q", a, ouIDs.n, lowerAlnum)
		}
		if a[:ouIDs.clock] != b[:ouIDs.clock] || a == b {
			t.Fatalf("IDs of one tick %q and %q: want the same %d leading characters and different IDs", a, b, ouIDs.clock)
		}
		if prev != "" && prev[:ouIDs.clock] >= a[:ouIDs.clock] && a[:ouIDs.clock] != strings.Repeat("0", ouIDs.clock) {
			t.Fatalf("an ID of a later tick %q does not sort after %q", a, prev)
		}
		prev = a
	}
	// The clock characters come round again after 36^3 ticks.
	period := 36 * 36 * 36 * clockTick
	if a, b := appendID(nil, ouIDs, base), appendID(nil, ouIDs, base.Add(period)); string(a[:3]) != string(b[:3]) {
		t.Errorf("%s apart: %q and %q", period, a, b)
	}
}
