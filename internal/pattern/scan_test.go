package pattern

import (
	"math/rand/v2"
	"regexp"
	"regexp/syntax"
	"strings"
	"testing"
	"unicode/utf8"
)

// Patterns a scan may decide, and ones it must leave to regexp because a
// greedy scan would misjudge them or they use what it does not know.
func TestCompileSimple(t *testing.T) {
	for _, tc := range []struct {
		pattern string
		simple  bool
	}{
		{`^\d{12}$`, true},
		{`^o-[a-z0-9]{10,32}$`, true},
		{`^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$`, true},
		{`^(r-[0-9a-z]{4,32})|(\d{12})|(ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})$`, true},
		{`^arn:aws:organizations::\d{12}:account\/o-[a-z0-9]{10,32}\/\d{12}`, true},
		{`^arn:[a-z0-9][a-z0-9-.]{0,62}:organizations::\d{12}:transfer\/o-[a-z0-9]{10,32}\/(billing)\/(inbound|outbound)\/rt-[0-9a-z]{8,32}$`, true},
		{`[\s\S]*`, true},
		{`[\w+=,.@-]{1,64}`, true},
		{`^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$`, true},
		{`a?b*c+`, true},
		{`x{2,}y`, true},
		// A run that may stop early, followed by what it could take.
		{`[^\s@]+@[^\s@]+\.[^\s@]+`, false},
		{`^arn:aws:organizations::.+:.+`, false},
		{`a*a`, false},
		{`[a-z]{1,3}[x0-9]`, false},
		{`a?b?a`, false},
		// Repeats of groups, case folding, other assertions.
		{`(ab)*`, false},
		{`^(o-[a-z0-9]{10,32}(\/\d{12})*)\/`, false},
		{`(?i)abc`, false},
		{`\bab`, false},
		{`a^b`, false},
		{`a$b`, false},
		{`(ab|cd|ef|gh)(ab|cd|ef|gh)(ab|cd|ef|gh)`, false}, // 64 sequences
	} {
		_, ok := compileSimple(`^(?:` + tc.pattern + `)$`)
		if ok != tc.simple {
			t.Errorf("%s: simple %v, want %v", tc.pattern, ok, tc.simple)
		}
	}
}

// matchCases holds, for each pattern, values on both sides of it.
var matchCases = []struct {
	pattern string
	values  []string
}{
	{`^\d{12}$`, []string{"123456789012", "12345678901", "1234567890123", "12345678901a", "", "１23456789012"}},
	{`^(r-[0-9a-z]{4,32})|(\d{12})|(ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})$`, []string{"r-abcd", "r-abc", "123456789012", "ou-ab12-abcdefgh", "ou-ab12-abcdefg", "ou-ab12-abcdefgh-", "r-abcd|123456789012", "r-ABCD"}},
	{`[\s\S]*`, []string{"", "any\nthing", "\xff\xfe", "é"}},
	{`^[ -~]+$`, []string{"", " ", "~", "tab\t", "é", "Prod Account ~"}},
	{`^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$`, []string{"", "Ünïcödé key_1:=/+-@.", "bad*key", "\u00a0", "\xff", "\ufffd"}},
	{`a?b*c+`, []string{"c", "ac", "abbbc", "ab", "bc", "acc", "aac", ""}},
	{`x{2,}y`, []string{"xxy", "xy", "xxxxxxxy", "xxyy", "y"}},
	{`(billing)\/(inbound|outbound)`, []string{"billing/inbound", "billing/outbound", "billing/in", "billing/inboundx", "billing/outbound/"}},
}

func TestSimpleMatchesAsRegexp(t *testing.T) {
	for _, tc := range matchCases {
		text := `^(?:` + tc.pattern + `)$`
		s, ok := compileSimple(text)
		if !ok {
			t.Fatalf("%s: not simple", tc.pattern)
		}
		re := regexp.MustCompile(text)
		for _, v := range tc.values {
			if got, want := s.match(v), re.MatchString(v); got != want {
				t.Errorf("%s %q: scan says %v, regexp %v", tc.pattern, v, got, want)
			}
		}
	}
}

// The simple patterns of these tests, each against values made from it
// and then changed a little: the scan must agree with regexp on all.
func TestSimpleAgreesOnGeneratedValues(t *testing.T) {
	for _, pattern := range simplePatterns(t) {
		checkScan(t, pattern)
	}
}

// checkScan holds the scan of the anchored pattern text, when it has
// one, to regexp on 400 values made from the pattern; it reports
// whether the pattern is simple.
func checkScan(t *testing.T, text string) bool {
	t.Helper()
	s, ok := compileSimple(text)
	if !ok {
		return false
	}
	re := regexp.MustCompile(text)
	tree, err := syntax.Parse(text, syntax.Perl)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, uint64(len(text))))
	matched := 0
	for range 400 {
		v := mutate(rng, generate(rng, tree, nil))
		got, want := s.match(v), re.MatchString(v)
		if got != want {
			t.Fatalf("%s %q: scan says %v, regexp %v", text, v, got, want)
		}
		if want {
			matched++
		}
	}
	if matched == 0 {
		t.Errorf("%s: no generated value matched; the test decides nothing", text)
	}
	return true
}

// FuzzSimple holds the scan to regexp for the patterns of matchCases.
func FuzzSimple(f *testing.F) {
	for _, tc := range matchCases {
		for _, v := range tc.values {
			f.Add(v)
		}
	}
	type pair struct {
		s  simple
		re *regexp.Regexp
	}
	var pairs []pair
	for _, tc := range matchCases {
		text := `^(?:` + tc.pattern + `)$`
		s, _ := compileSimple(text)
		pairs = append(pairs, pair{s, regexp.MustCompile(text)})
	}
	f.Fuzz(func(t *testing.T, v string) {
		for _, p := range pairs {
			if got, want := p.s.match(v), p.re.MatchString(v); got != want {
				t.Fatalf("%s %q: scan says %v, regexp %v", p.re, v, got, want)
			}
		}
	})
}

// simplePatterns are the anchored patterns of matchCases and of
// TestCompileSimple's simple rows.
func simplePatterns(t *testing.T) []string {
	var out []string
	for _, tc := range matchCases {
		out = append(out, `^(?:`+tc.pattern+`)$`)
	}
	for _, p := range []string{
		`^o-[a-z0-9]{10,32}$`,
		`^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$`,
		`^arn:aws:organizations::\d{12}:account\/o-[a-z0-9]{10,32}\/\d{12}`,
		`^arn:[a-z0-9][a-z0-9-.]{0,62}:organizations::\d{12}:transfer\/o-[a-z0-9]{10,32}\/(billing)\/(inbound|outbound)\/rt-[0-9a-z]{8,32}$`,
		`[\w+=,.@-]{1,64}`,
	} {
		out = append(out, `^(?:`+p+`)$`)
	}
	for _, p := range out {
		if _, ok := compileSimple(p); !ok {
			t.Fatalf("%s: not simple", p)
		}
	}
	return out
}

// generate appends to b a value that re matches.
func generate(rng *rand.Rand, re *syntax.Regexp, b []rune) []rune {
	switch re.Op {
	case syntax.OpLiteral:
		return append(b, re.Rune...)
	case syntax.OpCharClass, syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		return append(b, pick(rng, class(re)))
	case syntax.OpStar, syntax.OpPlus, syntax.OpQuest, syntax.OpRepeat:
		min, max := 0, 8
		switch re.Op {
		case syntax.OpPlus:
			min = 1
		case syntax.OpQuest:
			max = 1
		case syntax.OpRepeat:
			min, max = re.Min, re.Max
			if max < 0 || max > min+8 {
				max = min + 8
			}
		}
		for range min + rng.IntN(max-min+1) {
			b = generate(rng, re.Sub[0], b)
		}
		return b
	case syntax.OpCapture:
		return generate(rng, re.Sub[0], b)
	case syntax.OpConcat:
		for _, sub := range re.Sub {
			b = generate(rng, sub, b)
		}
		return b
	case syntax.OpAlternate:
		return generate(rng, re.Sub[rng.IntN(len(re.Sub))], b)
	}
	return b
}

// pick returns a rune of the class, now and then one at a range's edge.
func pick(rng *rand.Rand, ranges []rune) rune {
	i := 2 * rng.IntN(len(ranges)/2)
	lo, hi := ranges[i], ranges[i+1]
	if hi-lo > 1000 {
		hi = lo + 1000
	}
	switch rng.IntN(4) {
	case 0:
		return lo
	case 1:
		return hi
	}
	return lo + rune(rng.IntN(int(hi-lo+1)))
}

// mutate leaves v as it is half the time, else drops, doubles or
// replaces one of its runes, or adds one at an end.
var edge = []rune("-_/:.@ \t\n0aZ~\x7f\u00a0é\ufffd" + string(utf8.MaxRune))

func mutate(rng *rand.Rand, v []rune) string {
	if rng.IntN(2) == 0 || len(v) == 0 {
		return string(v)
	}
	i := rng.IntN(len(v))
	c := edge[rng.IntN(len(edge))]
	switch rng.IntN(5) {
	case 0:
		v = append(v[:i:i], v[i+1:]...)
	case 1:
		v = append(v[:i+1:i+1], v[i:]...)
	case 2:
		v[i] = c
	case 3:
		v = append([]rune{c}, v...)
	default:
		v = append(v, c)
	}
	s := string(v)
	if rng.IntN(8) == 0 && len(v) > 0 {
		s = strings.Replace(s, string(v[0]), "\xff", 1) // invalid UTF-8
	}
	return s
}

func BenchmarkPattern(b *testing.B) {
	for _, tc := range []struct{ name, pattern, value string }{
		{"AccountId", `^\d{12}$`, "123456789012"},
		{"TaggableResourceId", `^(r-[0-9a-z]{4,32})|(\d{12})|(ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})|(^p-[0-9a-zA-Z_]{8,128})|(^rp-[0-9a-zA-Z_]{4,128})|(^rt-[0-9a-zA-Z_]{8,32})$`, "ou-ab12-abcdefgh"},
		{"PolicyContent", `[\s\S]*`, strings.Repeat(`{"Version":"2012-10-17"}`, 100)},
	} {
		p := MustCompile(`^(?:` + tc.pattern + `)$`)
		re := regexp.MustCompile(p.String())
		b.Run(tc.name+"/scan", func(b *testing.B) {
			for b.Loop() {
				p.MatchString(tc.value)
			}
		})
		b.Run(tc.name+"/regexp", func(b *testing.B) {
			for b.Loop() {
				re.MatchString(tc.value)
			}
		})
	}
}
