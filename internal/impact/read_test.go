package impact

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const okRecord = `{"eventVersion":"1.10","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::222222222222:user/a","accountId":"222222222222"},"eventSource":"s3.amazonaws.com","eventName":"ListBuckets","awsRegion":"eu-west-1","recipientAccountId":"222222222222"}`

// readAll streams files through Copy and a Reader and returns the events
// read, the shape errors, and the error that ended the stream.
func readAll(t *testing.T, files ...File) (events int, shapes []string, err error) {
	t.Helper()
	var buf bytes.Buffer
	if err := Copy(&buf, files, nil); err != nil {
		return 0, nil, err
	}
	r := NewReader(&buf, "stdin")
	var e Event
	for {
		err := r.Next(&e)
		if err == io.EOF {
			return events, shapes, nil
		}
		var se *ShapeError
		if errors.As(err, &se) {
			shapes = append(shapes, se.Error())
			continue
		}
		if err != nil {
			return events, shapes, err
		}
		events++
	}
}

func writeFile(t *testing.T, dir, name, content string, gz bool) File {
	t.Helper()
	path := filepath.Join(dir, name)
	data := []byte(content)
	if gz {
		var b bytes.Buffer
		w := gzip.NewWriter(&b)
		w.Write(data)
		w.Close()
		data = b.Bytes()
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return File{Path: path, Size: int64(len(data))}
}

func TestReaderInputs(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name, content string
		gz            bool
		events        int
		shapes        []string // substrings, in order
		err           string   // substring of the fatal error, naming file and record
	}{
		{"records", `{"Records":[` + okRecord + `,` + okRecord + `]}`, false, 2, nil, ""},
		{"gzip, named .json", `{"Records":[` + okRecord + `]}`, true, 1, nil, ""},
		{"lookup-events with NextToken first", `{"NextToken":"x","Events":[{"EventId":"1","CloudTrailEvent":` + quote(okRecord) + `}]}`, false, 1, nil, ""},
		{"empty Records", `{"Records":[]}`, false, 0, nil, ""},
		{"record without eventName", `{"Records":[{"eventSource":"s3.amazonaws.com"},` + okRecord + `]}`, false, 1, []string{"record 1: no eventSource or eventName"}, ""},
		{"record that is not an object", `{"Records":[42,` + okRecord + `]}`, false, 1, []string{"record 1: not a CloudTrail record"}, ""},
		{"field of the wrong type", `{"Records":[` + okRecord + `,{"eventSource":"s3.amazonaws.com","eventName":7}]}`, false, 1, []string{"record 2: not a CloudTrail record"}, ""},
		{"CloudTrailEvent not JSON", `{"Events":[{"CloudTrailEvent":"{not json"}]}`, false, 0, []string{"record 1: CloudTrailEvent is not a CloudTrail record"}, ""},
		{"lookup entry without CloudTrailEvent", `{"Events":[{"EventId":"1"}]}`, false, 0, []string{"record 1: lookup-events entry without CloudTrailEvent"}, ""},
		{"syntax error in a record", `{"Records":[` + okRecord + `,{"eventSource":}]}`, false, 1, nil, "record 2: not valid JSON"},
		{"truncated", `{"Records":[` + okRecord + `,` + okRecord[:40], false, 1, nil, "record 2: not valid JSON"}, // the next file's marker follows
		{"truncated after a comma", `{"Records":[` + okRecord + `,`, false, 1, nil, "the file ends in the middle of its JSON"},
		{"not CloudTrail", `{"awsAccountId":"1","logFiles":[]}`, false, 0, nil, "not a CloudTrail file: no Records or Events array"},
		{"an array", `[1,2]`, false, 0, nil, "not a CloudTrail file: expected a JSON object"},
		{"not JSON", "hello", false, 0, nil, "not valid JSON"},
		{"Records not an array", `{"Records":{}}`, false, 0, nil, "Records is not an array"},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := writeFile(t, dir, strings.Repeat("x", i+1)+".json", c.content, c.gz)
			next := writeFile(t, dir, strings.Repeat("y", i+1)+".json", `{"Records":[`+okRecord+`]}`, false)
			events, shapes, err := readAll(t, f, next)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) || !strings.HasPrefix(err.Error(), f.Path+": ") {
					t.Fatalf("got error %v, want one naming %s and saying %q", err, f.Path, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if events != c.events+1 {
				t.Fatalf("read %d events, want %d and the next file's", events, c.events)
			}
			if len(shapes) != len(c.shapes) {
				t.Fatalf("shape errors %q, want %q", shapes, c.shapes)
			}
			for j := range shapes {
				if !strings.Contains(shapes[j], c.shapes[j]) || !strings.HasPrefix(shapes[j], f.Path+": ") {
					t.Fatalf("shape error %q, want %q naming %s", shapes[j], c.shapes[j], f.Path)
				}
			}
		})
	}
}

func quote(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"`
}

func TestCopyBadFiles(t *testing.T) {
	dir := t.TempDir()
	corrupt := writeFile(t, dir, "corrupt.json.gz", "\x1f\x8b\x08\x00garbage-after-the-magic", false)
	if err := Copy(io.Discard, []File{corrupt}, nil); err == nil || !strings.Contains(err.Error(), corrupt.Path) {
		t.Fatalf("corrupt gzip: got %v, want an error naming the file", err)
	}
	missing := File{Path: filepath.Join(dir, "missing.json")}
	if err := Copy(io.Discard, []File{missing}, nil); err == nil || !strings.Contains(err.Error(), missing.Path) {
		t.Fatalf("missing file: got %v, want an error naming the file", err)
	}
	if _, err := Files([]string{filepath.Join(dir, "nowhere")}); err == nil {
		t.Fatal("Files of a path that does not exist succeeded")
	}
}

func TestFilesWalksAndSkipsDigests(t *testing.T) {
	files, err := Files([]string{filepath.Join("testdata", "cloudtrail")})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		names = append(names, filepath.Base(f.Path))
		if strings.Contains(f.Path, "CloudTrail-Digest") {
			t.Fatalf("digest file %s listed", f.Path)
		}
	}
	if len(files) != 3 {
		t.Fatalf("found %q, want the two log files and lookup-events.json", names)
	}
}

// FuzzReader feeds the reader arbitrary streams: it must end every one
// with io.EOF or an error, never a panic or a loop.
func FuzzReader(f *testing.F) {
	f.Add(`{"Records":[` + okRecord + `]}`)
	f.Add(`{"orgdFile":"a"}` + "\n" + `{"Events":[{"CloudTrailEvent":` + quote(okRecord) + `}],"NextToken":"x"}`)
	f.Add(`{"Records":[{"eventSource":"s3.amazonaws.com","eventName":7}],"x":[1,{"y":null}]}`)
	f.Fuzz(func(t *testing.T, in string) {
		r := NewReader(strings.NewReader(in), "fuzz")
		var e Event
		for i := 0; i <= len(in); i++ {
			err := r.Next(&e)
			var se *ShapeError
			if errors.As(err, &se) {
				continue
			}
			if err != nil {
				return
			}
		}
		t.Fatalf("more events than bytes in %q", in)
	})
}
