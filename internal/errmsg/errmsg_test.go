package errmsg_test

import (
	"flag"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/orgd/orgd/internal/api"
	. "github.com/orgd/orgd/internal/errmsg"
)

func mapKey(exception, reason, key string) string {
	return exception + "\x00" + reason + "\x00" + key
}

var addMissing = flag.Bool("add-missing", false, "append a line in orgd's words for every raise messages.tsv lacks")

// Every error the code raises has its line in the table, and every line
// is raised somewhere.
func TestEveryRaiseHasAMessage(t *testing.T) {
	raises := scanRaises(t)
	if len(raises) < 100 {
		t.Fatalf("found only %d raises; the scan is broken", len(raises))
	}
	used := map[string]bool{}
	var missing []raise
	for _, r := range raises {
		used[mapKey(r.Exception, r.Reason, r.Key)] = true
		if _, ok := Lookup(r.Exception, r.Reason, r.Key); !ok {
			missing = append(missing, r)
		}
	}
	if *addMissing && len(missing) > 0 {
		appendMissing(t, missing)
		return
	}
	for _, r := range missing {
		t.Errorf("%s: no message for %s %s %q", r.Where, r.Exception, r.Reason, r.Key)
	}
	for _, e := range Entries() {
		if !used[mapKey(e.Exception, e.Reason, e.Key)] {
			t.Errorf("messages.tsv: nothing raises %s %s %q", e.Exception, e.Reason, e.Key)
		}
	}
}

func appendMissing(t *testing.T, missing []raise) {
	f, err := os.OpenFile("messages.tsv", os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	seen := map[string]bool{}
	sort.SliceStable(missing, func(i, j int) bool {
		if missing[i].Exception != missing[j].Exception {
			return missing[i].Exception < missing[j].Exception
		}
		return missing[i].Reason < missing[j].Reason
	})
	for _, r := range missing {
		k := mapKey(r.Exception, r.Reason, r.Key)
		if seen[k] {
			continue
		}
		seen[k] = true
		fmt.Fprintf(f, "%s\t%s\t%s\t%s\torgd\n", r.Exception, r.Reason, r.Key, r.Key)
	}
	t.Logf("appended %d lines", len(seen))
}

// For every operation, every exception the model declares that orgd
// raises has its messages in the table, under a reason the model gives
// the exception.
func TestModelExceptionsOfEveryOperation(t *testing.T) {
	byException := map[string][]raise{}
	for _, r := range scanRaises(t) {
		byException[r.Exception] = append(byException[r.Exception], r)
	}
	checked := 0
	for name, op := range api.Operations {
		for _, exc := range op.Errors {
			info, known := api.Exceptions[exc]
			if !known {
				t.Errorf("%s: the model declares %s, which api.Exceptions lacks", name, exc)
			}
			for _, r := range byException[exc] {
				e, ok := Lookup(r.Exception, r.Reason, r.Key)
				if !ok {
					t.Errorf("%s %s: %s raises %q with no message in the table", name, exc, r.Where, r.Key)
					continue
				}
				if info.HasReason != (e.Reason != "") {
					t.Errorf("%s %s: a Reason of %q, but the model says HasReason %v", name, exc, e.Reason, info.HasReason)
				}
				checked++
			}
		}
	}
	if checked == 0 {
		t.Fatal("checked nothing")
	}
}

// verbs matches the fmt verbs of a format.
var verbs = regexp.MustCompile(`%(\[\d+\])?[-+# 0]*\d*(\.\d+)?[a-zA-Z%]`)

// sampleArgs returns arguments for key's verbs.
func sampleArgs(key string) []any {
	var args []any
	for _, v := range verbs.FindAllString(key, -1) {
		switch v[len(v)-1] {
		case '%':
		case 'd':
			args = append(args, 7)
		default:
			args = append(args, "x")
		}
	}
	return args
}

// Each message is a well-formed format over its key's arguments, in AWS's
// style: a sentence, no internal names, no Go regular expressions; each
// line says where its text comes from.
func TestMessagesAreWellFormed(t *testing.T) {
	if len(Entries()) == 0 {
		t.Fatal("the table is empty")
	}
	for _, e := range Entries() {
		t.Run(e.Exception+" "+e.Reason+" "+e.Key, func(t *testing.T) {
			if _, model := api.Exceptions[e.Exception]; !model {
				t.Errorf("%s is not an exception of the model", e.Exception)
			}
			msg := Format(e.Exception, e.Reason, e.Key, sampleArgs(e.Key))
			if strings.Contains(msg, "%!") {
				t.Errorf("message %q with the key's arguments gives %q", e.Message, msg)
			}
			if e.Source != "orgd" && !strings.HasPrefix(e.Source, "https://") {
				t.Errorf("source %q is neither a URL nor orgd", e.Source)
			}
			// orgd's own wording is a sentence; AWS's is as AWS writes it.
			validation := strings.HasPrefix(e.Message, "1 validation error detected: ")
			if e.Source == "orgd" && !validation && !strings.HasSuffix(msg, ".") {
				t.Errorf("message %q is not a sentence", msg)
			}
			if first := msg[:1]; !strings.HasPrefix(e.Message, "%") && first != strings.ToUpper(first) {
				t.Errorf("message %q does not start with a capital", msg)
			}
			for _, bad := range []string{"orgd", "(?:", `\x{`, "%!", "nil"} {
				if strings.Contains(e.Message, bad) {
					t.Errorf("message %q has %q", e.Message, bad)
				}
			}
		})
	}
}

func TestFormat(t *testing.T) {
	for _, tc := range []struct {
		exception, reason, key string
		args                   []any
		want                   string
	}{
		// AWS's text, whatever orgd's code says.
		{"AccountNotFoundException", "", "No account with ID %s exists in your organization.", []any{"123456789012"}, "You specified an account that doesn't exist."},
		// A key the table lacks keeps its own text.
		{"AccountNotFoundException", "", "not in the table %s", []any{"x"}, "not in the table x"},
		{"AccountNotFoundException", "", "no arguments %s", nil, "no arguments %s"},
	} {
		if got := Format(tc.exception, tc.reason, tc.key, tc.args); got != tc.want {
			t.Errorf("Format(%q, %q, %v) = %q, want %q", tc.exception, tc.key, tc.args, got, tc.want)
		}
	}
}
