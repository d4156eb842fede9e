package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// stateTimeout bounds one export or import: the document is the whole
// state, so it may take a while, but a hung server must not hang a script.
const stateTimeout = 5 * time.Minute

// stateMain runs `orgd export` or `orgd import` against a running server's
// admin API and returns the exit code: 0 on success, 1 when the server
// refused or failed, 2 on a usage error.
func stateMain(cmd string, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	synopsis, about := "orgd export [--endpoint URL] [-o FILE] [--include-sessions]",
		"Writes a running server's whole state as one JSON document (GET /_orgd/state); NextTokens are left out, valid only where issued."
	if cmd == "import" {
		synopsis, about = "orgd import [--endpoint URL] FILE",
			"Replaces a running server's whole state with a document orgd export wrote (PUT /_orgd/state); FILE - reads standard input; a bad document changes nothing."
	}
	fs := newFlags(cmd, synopsis, about)
	endpoint := endpointFlag(fs)
	out, sessions := "", false
	if cmd == "export" {
		fs.StringVar(&out, "o", "", "write the document to this file instead of standard output")
		fs.BoolVar(&sessions, "include-sessions", false, "include the STS sessions: their secret keys and session tokens are live credentials")
	}
	if err := parseFlags(fs, args, stdout); err != nil {
		return exitCode(cmd, err, stderr)
	}
	switch {
	case cmd == "export" && fs.NArg() != 0:
		return exitCode(cmd, usageErr(cmd, "unexpected argument %q", fs.Arg(0)), stderr)
	case cmd == "import" && fs.NArg() != 1:
		return exitCode(cmd, usageErr(cmd, "import needs one FILE (- for standard input)"), stderr)
	}
	ctx, cancel := context.WithTimeout(context.Background(), stateTimeout)
	defer cancel()
	url := strings.TrimRight(*endpoint, "/") + "/_orgd/state"
	var err error
	if cmd == "export" {
		if sessions {
			url += "?sessions=include"
		}
		err = runExport(ctx, url, out, stdout, stderr)
	} else {
		err = runImport(ctx, url, fs.Arg(0), stdin, stderr)
	}
	return exitCode(cmd, err, stderr)
}

// countRecords returns how many records a document has.
func countRecords(doc []byte) (int, error) {
	var d struct {
		Records []json.RawMessage `json:"records"`
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		return 0, fmt.Errorf("the server's answer is not a state document: %w", err)
	}
	return len(d.Records), nil
}

func runExport(ctx context.Context, url, out string, stdout, stderr io.Writer) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	doc, err := stateRequest(req)
	if err != nil {
		return err
	}
	n, err := countRecords(doc)
	if err != nil {
		return err
	}
	if out == "" {
		_, err = stdout.Write(doc)
		return err
	}
	// Write beside the target and rename, so that a failed export never
	// leaves a truncated file where a good one was.
	tmp, err := writeTemp(out, doc)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	if err := os.Rename(tmp, out); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "orgd export: wrote %d records to %s\n", n, out)
	return nil
}

// writeTemp writes data to a new temporary file beside path and returns
// its name; the caller renames or removes it.
func writeTemp(path string, data []byte) (string, error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*.tmp")
	if err != nil {
		return "", err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return "", err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return "", err
	}
	return tmp.Name(), nil
}

func runImport(ctx context.Context, url, file string, stdin io.Reader, stderr io.Writer) error {
	var doc []byte
	var err error
	if file == "-" {
		doc, err = io.ReadAll(stdin)
	} else {
		doc, err = os.ReadFile(file)
	}
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, url, bytes.NewReader(doc))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if _, err := stateRequest(req); err != nil {
		return err
	}
	n, _ := countRecords(doc)
	fmt.Fprintf(stderr, "orgd import: imported %d records from %s\n", n, file)
	return nil
}

// stateRequest sends req to an admin endpoint and returns the body of a
// 200 answer; any other status is adminError's.
func stateRequest(req *http.Request) ([]byte, error) {
	resp, err := http.DefaultClient.Do(withAdminToken(req))
	if err != nil {
		return nil, err
	}
	return adminAnswer(resp, math.MaxInt64)
}
