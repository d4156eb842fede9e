package errmsg

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	header := strings.Join(columns, "\t") + "\n"
	for _, tc := range []struct {
		text string
		ok   bool
	}{
		{header + "A\t\tk\tm.\torgd\n", true},
		{header + "# a comment\n\nA\tR\tk\tm.\thttps://example.com\n", true},
		{"exception\treason\n", false},
		{header + "A\t\tk\tm.\n", false},
		{header + "A\t\tk\t\torgd\n", false},
		{header + "A\t\tk\tm.\torgd\nA\t\tk\tn.\torgd\n", false},
	} {
		if _, _, err := parse(tc.text); (err == nil) != tc.ok {
			t.Errorf("parse(%q): %v, want ok %v", tc.text, err, tc.ok)
		}
	}
}
