// Package errmsg holds the message of every API error orgd raises, as
// data (messages.tsv): the text AWS returns where a public record of it
// exists, with the record's address, and orgd's own wording in AWS's style
// elsewhere. The api package builds every error's message through Format,
// so the code keeps naming each situation with its own format string.
//
// A new raise needs its line: `go test ./internal/errmsg -add-missing`
// appends one in orgd's words for each, to be reworded (or replaced by
// AWS's text, with its source) before it is committed.
package errmsg

import (
	_ "embed"
	"fmt"
	"strings"
)

//go:embed messages.tsv
var data string

// Entry is one line of the table.
type Entry struct {
	Exception string // the exception's name, as the model spells it
	Reason    string // its Reason, or ""
	// Key is the format string orgd's code passes for this situation.
	Key string
	// Message is what is sent: a fmt format over the arguments the code
	// passes with Key (indexed verbs, %[2]s, may pick some of them), or
	// plain text.
	Message string
	// Source is the URL of the public record of AWS's text, or "orgd"
	// where there is none and the wording is orgd's.
	Source string
}

// Columns of messages.tsv, in order.
var columns = []string{"exception", "reason", "key", "message", "source"}

var entries, index = mustParse(data)

func mapKey(exception, reason, key string) string {
	return exception + "\x00" + reason + "\x00" + key
}

// parse reads the table: a header line of columns, then one entry a line,
// tab-separated; blank lines and lines starting with # are skipped.
func parse(text string) ([]Entry, map[string]int, error) {
	var out []Entry
	idx := map[string]int{}
	header := false
	for n, line := range strings.Split(text, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if !header {
			if strings.Join(f, ",") != strings.Join(columns, ",") {
				return nil, nil, fmt.Errorf("messages.tsv:%d: header %q, want %q", n+1, f, columns)
			}
			header = true
			continue
		}
		if len(f) != len(columns) {
			return nil, nil, fmt.Errorf("messages.tsv:%d: %d fields, want %d", n+1, len(f), len(columns))
		}
		e := Entry{Exception: f[0], Reason: f[1], Key: f[2], Message: f[3], Source: f[4]}
		if e.Exception == "" || e.Key == "" || e.Message == "" || e.Source == "" {
			return nil, nil, fmt.Errorf("messages.tsv:%d: empty field", n+1)
		}
		k := mapKey(e.Exception, e.Reason, e.Key)
		if _, dup := idx[k]; dup {
			return nil, nil, fmt.Errorf("messages.tsv:%d: %s %s %q is there twice", n+1, e.Exception, e.Reason, e.Key)
		}
		idx[k] = len(out)
		out = append(out, e)
	}
	return out, idx, nil
}

func mustParse(text string) ([]Entry, map[string]int) {
	e, idx, err := parse(text)
	if err != nil {
		panic(err)
	}
	return e, idx
}

// Entries returns the table, in file order.
func Entries() []Entry { return append([]Entry(nil), entries...) }

// Lookup returns the entry for an exception, reason and key.
func Lookup(exception, reason, key string) (Entry, bool) {
	i, ok := index[mapKey(exception, reason, key)]
	if !ok {
		return Entry{}, false
	}
	return entries[i], true
}

// Format returns the message of an error that orgd's code raises with
// format key and args: the table's message, filled in. A key the table
// lacks keeps its own text, so that no error loses its message; a test
// keeps the table complete.
func Format(exception, reason, key string, args []any) string {
	msg := key
	if e, ok := Lookup(exception, reason, key); ok {
		msg = e.Message
	}
	if len(args) == 0 || !strings.Contains(msg, "%") {
		return msg
	}
	return fmt.Sprintf(msg, args...)
}
