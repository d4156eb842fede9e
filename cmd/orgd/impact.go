package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync/atomic"
	"time"

	"github.com/orgd/orgd/internal/api"
	"github.com/orgd/orgd/internal/impact"
	"github.com/orgd/orgd/internal/org"
	"github.com/orgd/orgd/internal/progress"
)

// Exit codes of orgd impact, so that a CI job can gate an SCP change.
const (
	exitNoneDenied  = 0
	exitNewlyDenied = 1
	exitImpactError = 2
)

// listFlag collects a repeated flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(s string) error { *l = append(*l, s); return nil }

// impactMain runs `orgd impact` and returns its exit code.
func impactMain(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("impact", "orgd impact [--endpoint URL] --events PATH... [--attach POLICY=TARGET] [--detach POLICY=TARGET]\n"+
		"                   [--content POLICY=FILE] [--new NAME:TYPE=FILE --attach NAME=TARGET] [--json]",
		"Replays CloudTrail against the SCPs and RCPs in force and with the change, which is never applied;\n"+
			"exits 1 when the change denies a call that is allowed now, 0 when it denies none, 2 on error.")
	endpoint := endpointFlag(fs)
	var events, attach, detach, content, newPolicies listFlag
	fs.Var(&events, "events", "CloudTrail log `path`: a file, or a directory walked for *.json and *.json.gz; repeat for more")
	fs.Var(&attach, "attach", "attach a policy (ID, or a --new name) to a root, OU or account, given as `POLICY=TARGET`; repeatable")
	fs.Var(&detach, "detach", "detach a policy, given as `POLICY=TARGET`; repeatable")
	fs.Var(&content, "content", "replace a policy's document with a file's, given as `POLICY=FILE`; repeatable")
	fs.Var(&newPolicies, "new", "a policy that does not exist yet, given as `NAME:TYPE=FILE` (TYPE SERVICE_CONTROL_POLICY or RESOURCE_CONTROL_POLICY, or SCP, RCP); repeatable")
	organization := fs.String("organization", "", "organization to evaluate, when the server holds several")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if err := parseFlags(fs, args, stdout); err != nil {
		if exitCode("impact", err, stderr) == 0 {
			return exitNoneDenied // -h
		}
		return exitImpactError
	}
	events = append(events, fs.Args()...)
	if len(events) == 0 {
		exitCode("impact", usageErr("impact", "missing required flag --events (a CloudTrail file or directory)"), stderr)
		return exitImpactError
	}
	p, err := proposal(*organization, newPolicies, content, attach, detach)
	if err != nil {
		fmt.Fprintln(stderr, "orgd impact:", err)
		return exitImpactError
	}
	files, err := impact.Files(events)
	if err != nil {
		fmt.Fprintln(stderr, "orgd impact: --events:", err)
		return exitImpactError
	}
	if len(files) == 0 {
		fmt.Fprintf(stderr, "orgd impact: no CloudTrail files (*.json, *.json.gz) under %s\n", strings.Join(events, ", "))
		return exitImpactError
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	rep, raw, err := replay(ctx, http.DefaultClient, *endpoint, p, files, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "orgd impact:", err)
		return exitImpactError
	}
	if *asJSON {
		stdout.Write(raw)
	} else {
		rep.WriteText(stdout)
	}
	if rep.Summary.NewlyDenied > 0 {
		return exitNewlyDenied
	}
	return exitNoneDenied
}

// proposal builds the change from the flags, reading the documents they
// name.
func proposal(organization string, newPolicies, content, attach, detach []string) (org.Proposal, error) {
	p := org.Proposal{Organization: organization}
	for _, s := range newPolicies {
		spec, file, ok := strings.Cut(s, "=")
		name, typ, ok2 := strings.Cut(spec, ":")
		if !ok || !ok2 || name == "" || file == "" {
			return p, fmt.Errorf("--new %q: want NAME:TYPE=FILE", s)
		}
		switch strings.ToUpper(typ) {
		case "SCP", string(api.PolicyTypeServiceControlPolicy):
			typ = string(api.PolicyTypeServiceControlPolicy)
		case "RCP", string(api.PolicyTypeResourceControlPolicy):
			typ = string(api.PolicyTypeResourceControlPolicy)
		default:
			return p, fmt.Errorf("--new %q: TYPE must be SERVICE_CONTROL_POLICY or RESOURCE_CONTROL_POLICY (SCP, RCP), not %q", s, typ)
		}
		doc, err := os.ReadFile(file)
		if err != nil {
			return p, fmt.Errorf("--new %s: %w", name, err)
		}
		p.New = append(p.New, org.ProposedPolicy{Name: name, Type: api.PolicyType(typ), Content: string(doc)})
	}
	for _, s := range content {
		id, file, ok := strings.Cut(s, "=")
		if !ok || id == "" || file == "" {
			return p, fmt.Errorf("--content %q: want POLICY=FILE", s)
		}
		doc, err := os.ReadFile(file)
		if err != nil {
			return p, fmt.Errorf("--content %s: %w", id, err)
		}
		p.Content = append(p.Content, org.PolicyContent{Policy: id, Content: string(doc)})
	}
	pairs := func(flagName string, list []string) ([]org.PolicyAttachment, error) {
		var out []org.PolicyAttachment
		for _, s := range list {
			policy, target, ok := strings.Cut(s, "=")
			if !ok || policy == "" || target == "" {
				return nil, fmt.Errorf("--%s %q: want POLICY=TARGET", flagName, s)
			}
			out = append(out, org.PolicyAttachment{Policy: policy, Target: target})
		}
		return out, nil
	}
	var err error
	if p.Attach, err = pairs("attach", attach); err != nil {
		return p, err
	}
	p.Detach, err = pairs("detach", detach)
	return p, err
}

// replay streams the proposal and the files to the server's replay
// endpoint and returns its report and the report as sent. The body is
// written as it is read, so neither side holds the events.
func replay(ctx context.Context, client *http.Client, endpoint string, p org.Proposal, files []impact.File, stderr io.Writer) (*impact.Report, []byte, error) {
	line, err := json.Marshal(p)
	if err != nil {
		return nil, nil, err
	}
	var total int64
	for _, f := range files {
		total += f.Size
	}
	prog := &sent{total: total, files: len(files)}
	terminal := progress.IsTerminal(stderr)
	meter := progress.New(stderr, terminal, func(elapsed time.Duration) string { return prog.line(elapsed, terminal) })
	meter.Start()
	defer meter.Stop()
	pr, pw := io.Pipe()
	var copyErr atomic.Value
	go func() {
		pw.Write(append(line, '\n'))
		err := impact.Copy(pw, files, prog.add)
		if err != nil {
			copyErr.Store(err)
		}
		pw.CloseWithError(err)
	}()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(endpoint, "/")+"/_orgd/impact", pr)
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Content-Type", "application/x-ndjson")
	resp, err := client.Do(withAdminToken(req))
	if e, ok := copyErr.Load().(error); ok {
		// A file that cannot be read is the first thing to say.
		return nil, nil, e
	}
	if err != nil {
		return nil, nil, err
	}
	raw, err := adminAnswer(resp, 256<<20)
	if err != nil {
		return nil, nil, err
	}
	var rep impact.Report
	if err := json.Unmarshal(raw, &rep); err != nil {
		return nil, nil, fmt.Errorf("server answer is not a report: %w", err)
	}
	if !bytes.HasSuffix(raw, []byte("\n")) {
		raw = append(raw, '\n')
	}
	return &rep, raw, nil
}

// sent counts the bytes of the input sent, for the progress line.
type sent struct {
	total int64
	files int
	read  atomic.Int64
}

func (s *sent) add(n int64) { s.read.Add(n) }

// line says how much of the input has been sent after elapsed: a bar on a
// terminal, a plain line otherwise.
func (s *sent) line(elapsed time.Duration, terminal bool) string {
	read := s.read.Load()
	done, of := min(read, s.total), s.total
	if of <= 0 {
		// Nothing to send is all sent.
		done, of = 1, 1
	}
	pct := 100 * float64(done) / float64(of)
	mb := func(n int64) float64 { return float64(n) / (1 << 20) }
	if !terminal {
		return fmt.Sprintf("orgd impact: sent %.1f of %.1f MB from %d files (%.0f%%) in %s", mb(read), mb(s.total), s.files, pct, elapsed.Round(time.Second))
	}
	return fmt.Sprintf("%s %3.0f%% %.1f/%.1f MB %s", progress.Bar(done, of), pct, mb(read), mb(s.total), elapsed.Round(time.Second))
}
