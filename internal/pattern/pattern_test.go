package pattern

import "testing"

// MustCompile answers as regexp does, and scans only an expression
// anchored at both ends: regexp finds an unanchored one anywhere.
func TestMustCompile(t *testing.T) {
	for _, tc := range []struct {
		expr    string
		scanned bool
		match   map[string]bool
	}{
		{`^\d{12}$`, true, map[string]bool{"123456789012": true, "x123456789012": false, "1234567890123": false}},
		{`\d{12}`, false, map[string]bool{"x123456789012y": true, "12345": false}},
		{`^\d{12}`, false, map[string]bool{"1234567890123": true, "x123456789012": false}},
		{`\d{12}$`, false, map[string]bool{"x123456789012": true, "1234567890123x": false}},
		{`^a$|b`, false, map[string]bool{"a": true, "xbx": true, "xa": false}},
		{`^(?:a|b)$`, true, map[string]bool{"a": true, "b": true, "ab": false}},
		{`^[\w+=/:,.@-]{9,256}$`, true, map[string]bool{"arn:aws:iam::123456789012:mfa/x": true, "short": false, "has space x": false}},
	} {
		p := MustCompile(tc.expr)
		if p.Scanned() != tc.scanned {
			t.Errorf("%s: scanned %v, want %v", tc.expr, p.Scanned(), tc.scanned)
		}
		if p.String() != tc.expr {
			t.Errorf("%s: String() = %s", tc.expr, p.String())
		}
		for s, want := range tc.match {
			if got := p.MatchString(s); got != want {
				t.Errorf("%s %q: match %v, want %v", tc.expr, s, got, want)
			}
		}
	}
}

func TestMustCompilePanicsOnABadExpression(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("MustCompile(`a(`) did not panic")
		}
	}()
	MustCompile(`a(`)
}
