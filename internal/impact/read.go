package impact

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// Reader reads CloudTrail events, one at a time, from a stream of JSON
// values: log files as CloudTrail delivers them to S3 ({"Records": [...]}),
// output of `aws cloudtrail lookup-events` ({"Events": [{"CloudTrailEvent":
// "<JSON>"}, ...]}), and file markers ({"orgdFile": "name"}) naming the
// file the values after them come from. Only one event is held at a
// time, so memory does not grow with the number of events.
type Reader struct {
	dec *jsontext.Decoder
	// Where the reader is: the file, the index of the next record in
	// it, and the stream offset at which the file began.
	file      string
	record    int
	fileStart int64
	files     int
	array     string // "Records" or "Events" while inside that array; "" between
	inObject  bool   // inside a top-level object
	sawArray  bool   // the current top-level object held an array of events
}

// Records are decoded with encoding/json/v2's prototype: it skips the
// fields an Event does not hold at a fraction of encoding/json's cost.
// Names match exactly, as CloudTrail spells them.
var decodeOptions = json.JoinOptions(jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))

// NewReader reads from r; name is the file the stream starts with, until
// a marker names another.
func NewReader(r io.Reader, name string) *Reader {
	return &Reader{dec: jsontext.NewDecoder(r, decodeOptions), file: name}
}

// ShapeError is a record Reader could read but that is not a CloudTrail
// event it understands. It is not fatal: the next call goes on with the
// next record.
type ShapeError struct {
	File   string
	Record int // from 1
	Reason string
}

func (e *ShapeError) Error() string {
	return fmt.Sprintf("%s: record %d: %s", e.File, e.Record, e.Reason)
}

// Files is how many files the stream has named so far.
func (r *Reader) Files() int { return r.files }

func (r *Reader) fail(format string, args ...any) error {
	where := fmt.Sprintf("%s: record %d", r.file, r.record+1) // the one being read
	if r.array == "" {
		where = fmt.Sprintf("%s: at byte %d", r.file, r.dec.InputOffset()-r.fileStart)
	}
	return fmt.Errorf("%s: %s", where, fmt.Sprintf(format, args...))
}

func (r *Reader) syntax(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return r.fail("the file ends in the middle of its JSON")
	}
	var se *jsontext.SyntacticError
	if errors.As(err, &se) {
		return r.fail("not valid JSON: %v", se.Err)
	}
	return r.fail("%v", err)
}

// Next reads the next event into e. It returns io.EOF after the last, a
// *ShapeError for a record that is not an event it understands, and any
// other error when the stream cannot be read further (malformed JSON, a
// file that is not CloudTrail's), naming the file and record.
func (r *Reader) Next(e *Event) error {
	raw, err := r.nextRecord()
	if err != nil {
		return err
	}
	if reason, _ := decodeRecord(raw, r.array == "Events", e); reason != "" {
		return r.lastShape(reason)
	}
	return nil
}

// fileMarker starts the markers Copy writes; one read as a record means
// the file before it ended inside its array.
var fileMarker = []byte(`{"orgdFile":`)

// nextRecord returns the next element of a Records or Events array, as
// JSON valid until the next call; r.file and r.record say where it is.
func (r *Reader) nextRecord() ([]byte, error) {
	for {
		if r.array != "" {
			if r.dec.PeekKind() != ']' {
				raw, err := r.dec.ReadValue()
				if err != nil {
					return nil, r.syntax(err)
				}
				if bytes.HasPrefix(raw, fileMarker) {
					return nil, r.fail("the file ends in the middle of its JSON")
				}
				r.record++
				return raw, nil
			}
			if _, err := r.dec.ReadToken(); err != nil {
				return nil, r.syntax(err)
			}
			r.array = ""
		}
		if r.inObject {
			if r.dec.PeekKind() == '}' {
				if _, err := r.dec.ReadToken(); err != nil {
					return nil, r.syntax(err)
				}
				r.inObject = false
				if !r.sawArray {
					return nil, r.fail("not a CloudTrail file: no Records or Events array")
				}
				continue
			}
			tok, err := r.dec.ReadToken()
			if err != nil {
				return nil, r.syntax(err)
			}
			switch key := tok.String(); key {
			case "Records", "Events":
				if r.dec.PeekKind() != '[' {
					return nil, r.fail("%s is not an array", key)
				}
				if _, err := r.dec.ReadToken(); err != nil {
					return nil, r.syntax(err)
				}
				r.array, r.sawArray = key, true
			case "orgdFile":
				tok, err := r.dec.ReadToken()
				if err != nil {
					return nil, r.syntax(err)
				}
				r.file, r.record, r.fileStart, r.sawArray = tok.String(), 0, r.dec.InputOffset(), true
				r.files++
			default:
				// NextToken and whatever else sits beside the events.
				if err := r.dec.SkipValue(); err != nil {
					return nil, r.syntax(err)
				}
			}
			continue
		}
		tok, err := r.dec.ReadToken()
		if err == io.EOF {
			return nil, io.EOF
		}
		if err != nil {
			return nil, r.syntax(err)
		}
		if tok.Kind() != '{' {
			return nil, r.fail("not a CloudTrail file: expected a JSON object")
		}
		r.inObject, r.sawArray = true, false
	}
}

// lookupEntry holds the members of a lookup-events entry the replay reads.
type lookupEntry struct {
	EventID         string `json:"EventId"`
	CloudTrailEvent *string
}

// decodeRecord decodes one array element into e; lookup says it is a
// lookup-events entry. It returns why the record is not an event it
// understands, or "", and whether it is a CloudTrail record at all
// (understood or not, an Insights event being one): e holds what it
// says. Whatever it returns, e.EventID is the record's eventID, which
// tells copies of an event apart, or "" when the record has none or could
// not be decoded: a lookup-events entry's own EventId when its
// CloudTrailEvent does not say (they are the same ID) or is missing or
// unreadable.
func decodeRecord(raw []byte, lookup bool, e *Event) (reason string, record bool) {
	*e = Event{}
	if lookup {
		var entry lookupEntry
		if err := json.Unmarshal(raw, &entry, decodeOptions); err != nil {
			return "not a lookup-events entry: " + semantic(err), false
		}
		e.EventID = entry.EventID
		if entry.CloudTrailEvent == nil {
			return "lookup-events entry without CloudTrailEvent", false
		}
		raw = []byte(*entry.CloudTrailEvent)
		if !jsontext.Value(raw).IsValid() {
			return "CloudTrailEvent is not a CloudTrail record: not valid JSON", false
		}
	}
	outer := e.EventID
	e.EventID = ""
	if err := json.Unmarshal(raw, e, decodeOptions); err != nil {
		// What was decoded before the error is not to be trusted.
		e.EventID = outer
		return "not a CloudTrail record: " + semantic(err), false
	}
	if e.EventID == "" {
		e.EventID = outer
	}
	if e.EventSource == "" || e.EventName == "" {
		if e.EventType != "" && e.EventType != "AwsApiCall" {
			// Insights and the like record no call.
			return notAPICall(e.EventType), true
		}
		return "no eventSource or eventName", true
	}
	return "", true
}

// semantic says briefly why a value did not fit.
func semantic(err error) string {
	var se *json.SemanticError
	if errors.As(err, &se) {
		if se.JSONPointer != "" {
			return fmt.Sprintf("%s is a JSON %s", strings.TrimPrefix(string(se.JSONPointer), "/"), se.JSONKind)
		}
		return fmt.Sprintf("a JSON %s", se.JSONKind)
	}
	return err.Error()
}

// File is a CloudTrail file to read.
type File struct {
	Path string
	Size int64
}

// Files expands paths into the files they name: files as given,
// directories walked recursively for *.json and *.json.gz files (in
// name order), leaving out CloudTrail's digest files, which hold no
// events.
func Files(paths []string) ([]File, error) {
	var out []File
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			out = append(out, File{p, st.Size()})
			continue
		}
		var found []File
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if d.Name() == "CloudTrail-Digest" {
					return filepath.SkipDir
				}
				return nil
			}
			if !strings.HasSuffix(path, ".json") && !strings.HasSuffix(path, ".json.gz") {
				return nil
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			found = append(found, File{path, info.Size()})
			return nil
		})
		if err != nil {
			return nil, err
		}
		sort.Slice(found, func(i, j int) bool { return found[i].Path < found[j].Path })
		out = append(out, found...)
	}
	return out, nil
}

// Copy writes files to w as one stream a Reader reads: each file's JSON,
// decompressed when it is gzip, after a marker naming it. read is told
// of each chunk of bytes read from disk, for progress.
func Copy(w io.Writer, files []File, read func(n int64)) error {
	bw := bufio.NewWriterSize(w, 256<<10)
	for _, f := range files {
		if err := copyFile(bw, f.Path, read); err != nil {
			return err
		}
	}
	return bw.Flush()
}

func copyFile(w *bufio.Writer, path string, read func(n int64)) error {
	fh, err := os.Open(path)
	if err != nil {
		return err
	}
	defer fh.Close()
	marker, _ := json.Marshal(map[string]string{"orgdFile": path})
	w.Write(marker)
	w.WriteByte('\n')
	var src io.Reader = &counter{r: fh, read: read}
	br := bufio.NewReaderSize(src, 256<<10)
	// Compressed or not is told by the gzip magic number, not the name.
	if magic, _ := br.Peek(2); bytes.Equal(magic, []byte{0x1f, 0x8b}) {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return fmt.Errorf("%s: %v", path, err)
		}
		if _, err := io.Copy(w, zr); err != nil {
			return fmt.Errorf("%s: not a valid gzip file: %v", path, err)
		}
	} else if _, err := io.Copy(w, br); err != nil {
		return fmt.Errorf("%s: %v", path, err)
	}
	return w.WriteByte('\n')
}

type counter struct {
	r    io.Reader
	read func(int64)
}

func (c *counter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if n > 0 && c.read != nil {
		c.read(int64(n))
	}
	return n, err
}

// lastShape is a ShapeError for the record Next returned last.
func (r *Reader) lastShape(reason string) *ShapeError {
	return &ShapeError{File: r.file, Record: r.record, Reason: reason}
}
