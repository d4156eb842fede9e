package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/organizations"

	"github.com/orgd/orgd/internal/clone"
	"github.com/orgd/orgd/internal/progress"
)

// preflightTimeout bounds the first call, so that an endpoint that does
// not answer fails the clone at once instead of after every retry.
const preflightTimeout = 30 * time.Second

// cloneMain runs `orgd clone` and returns the exit code: 0 on success, 1
// when the clone failed, 2 on a usage error. Nothing is written unless
// the whole organization was read.
func cloneMain(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("clone", "orgd clone [--profile NAME] [--region R] [--endpoint-url URL] (-o FILE | --into URL | --plan-only)",
		"Reads an organization with the management account's credentials (List and Describe calls only) and writes the orgd state document of a copy with the same IDs; see docs/clone.md.")
	profile := fs.String("profile", "", "AWS profile of the source's credentials (default: the AWS CLI's choice)")
	region := fs.String("region", "", "AWS region (default: the profile's, else us-east-1)")
	endpoint := fs.String("endpoint-url", "", "Organizations endpoint of the source (default: AWS's)")
	out := fs.String("o", "", "write the state document to this file")
	into := fs.String("into", "", "load the state straight into the orgd at this URL (PUT /_orgd/state)")
	force := fs.Bool("force", false, "with -o, replace an existing file")
	replace := fs.Bool("replace", false, "with --into, replace an organization the orgd already holds")
	quiet := fs.Bool("quiet", false, "no progress on stderr, only errors")
	planOnly := fs.Bool("plan-only", false, "only print the migration readiness summary; write no state")
	pace := fs.Float64("pace", clone.DefaultPace, "share of AWS's documented rate to call each operation at; 0 does not pace (local sources only)")
	concurrency := fs.Int("concurrency", clone.DefaultConcurrency, "calls in flight at once")
	skip := fs.String("skip", "", "comma-separated operations not to call, for a source that lacks them: any of "+strings.Join(clone.Skippable, ", "))
	if err := parseFlags(fs, args, stdout); err != nil {
		return exitCode("clone", err, stderr)
	}
	usage := func(msg string) int {
		return exitCode("clone", usageErr("clone", "%s", msg), stderr)
	}
	switch {
	case fs.NArg() != 0:
		return usage("unexpected argument " + fs.Arg(0))
	case *planOnly && (*out != "" || *into != ""):
		return usage("--plan-only writes no state: drop -o and --into")
	case !*planOnly && (*out == "") == (*into == ""):
		return usage("give one of -o FILE and --into URL (or --plan-only)")
	case *pace < 0 || *pace > 1:
		return usage("--pace must be between 0 and 1")
	case *concurrency < 1:
		return usage("--concurrency must be at least 1")
	}
	skipped := map[string]bool{}
	for op := range strings.SplitSeq(*skip, ",") {
		if op = strings.TrimSpace(op); op == "" {
			continue
		}
		if !slices.Contains(clone.Skippable, op) {
			return usage("--skip: " + op + " is not one of " + strings.Join(clone.Skippable, ", "))
		}
		skipped[op] = true
	}
	if err := runClone(cloneRun{
		profile: *profile, region: *region, endpoint: *endpoint, out: *out, into: strings.TrimRight(*into, "/"),
		force: *force, replace: *replace, quiet: *quiet, planOnly: *planOnly,
		opt: clone.Options{Pace: *pace, Concurrency: *concurrency, Skip: skipped},
	}, stdout, stderr); err != nil {
		fmt.Fprintln(stderr, "orgd clone: "+strings.Join(strings.Fields(err.Error()), " "))
		return 1
	}
	return 0
}

type cloneRun struct {
	profile, region, endpoint, out, into string
	force, replace, quiet, planOnly      bool
	opt                                  clone.Options
}

func runClone(r cloneRun, stdout, stderr io.Writer) error {
	// Interrupted, the clone stops and writes nothing.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// Refuse what would be refused at the end before the crawl, not after.
	if err := r.checkDestination(ctx); err != nil {
		return err
	}
	client, err := sourceClient(ctx, r.profile, r.region, r.endpoint)
	if err != nil {
		return err
	}
	if err := preflight(ctx, client); err != nil {
		return err
	}
	var rep *clone.Reporter
	if !r.quiet {
		rep = clone.NewReporter(stderr, progress.IsTerminal(stderr))
		r.opt.Progress = rep
	}
	start := time.Now()
	snap, err := clone.Crawl(ctx, client, r.opt)
	if err != nil {
		if rep != nil {
			rep.Stop()
		}
		return err
	}
	if rep != nil {
		rep.Finish()
	}
	ready := clone.ReadinessOf(snap)
	if r.planOnly {
		fmt.Fprint(stdout, ready)
		return nil
	}
	doc, err := clone.Document(ctx, snap)
	if err != nil {
		return err
	}
	if r.out != "" {
		if err := writeNew(r.out, doc, r.force); err != nil {
			return err
		}
	} else if err := r.load(ctx, doc); err != nil {
		return err
	}
	if !r.quiet {
		where := r.out
		if where == "" {
			where = r.into
		}
		fmt.Fprintf(stderr, "orgd clone: copied organization %s (%s): %d accounts, %d OUs, %d policies, %d handshakes in %s to %s\n",
			snap.Organization.Id, snap.Organization.FeatureSet, len(snap.Accounts), len(snap.OUs), len(snap.Policies), len(snap.Handshakes),
			time.Since(start).Round(time.Millisecond), where)
		for op := range r.opt.Skip {
			fmt.Fprintf(stderr, "orgd clone: skipped %s: the copy lacks what it reads\n", op)
		}
		if ready.FeatureSet != "ALL" {
			fmt.Fprint(stderr, ready)
		}
	}
	return nil
}

// sourceClient is the Organizations client of the source, with the
// credentials the AWS CLI would use and the adaptive retryer.
func sourceClient(ctx context.Context, profile, region, endpoint string) (*organizations.Client, error) {
	opts := []func(*config.LoadOptions) error{config.WithRetryer(clone.Retryer)}
	if profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(profile))
	}
	if region != "" {
		opts = append(opts, config.WithRegion(region))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	var missing config.SharedConfigProfileNotExistError
	switch {
	case errors.As(err, &missing):
		return nil, fmt.Errorf("--profile %s: no such profile in the AWS config and credentials files", profile)
	case err != nil:
		return nil, fmt.Errorf("AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1" // Organizations' endpoint is global
	}
	return organizations.NewFromConfig(cfg, func(o *organizations.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	}), nil
}

// preflight makes the first call with few retries and a deadline, so
// that bad credentials or a dead endpoint fail fast.
func preflight(ctx context.Context, c *organizations.Client) error {
	ctx, cancel := context.WithTimeout(ctx, preflightTimeout)
	defer cancel()
	_, err := c.DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{}, func(o *organizations.Options) {
		o.RetryMaxAttempts = 2
	})
	if err != nil {
		return &clone.CallError{Op: "DescribeOrganization", Err: err}
	}
	return nil
}

// checkDestination refuses an output file that exists without --force and
// an orgd that holds an organization without --replace.
func (r cloneRun) checkDestination(ctx context.Context) error {
	switch {
	case r.out != "":
		if _, err := os.Stat(r.out); err == nil && !r.force {
			return fmt.Errorf("%s exists; use --force to replace it", r.out)
		}
	case r.into != "" && !r.replace:
		held, err := heldOrganizations(ctx, r.into)
		if err != nil {
			return err
		}
		if len(held) > 0 {
			return fmt.Errorf("%s already holds organization %s; use --replace to replace its whole state", r.into, strings.Join(held, ", "))
		}
	}
	return nil
}

// heldOrganizations returns the IDs of the organizations an orgd holds.
func heldOrganizations(ctx context.Context, url string) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, stateTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+"/_orgd/state", nil)
	if err != nil {
		return nil, fmt.Errorf("--into: %w", err)
	}
	doc, err := stateRequest(req)
	if err != nil {
		return nil, fmt.Errorf("--into %s: %w", url, err)
	}
	var d struct {
		Records []struct {
			Key string `json:"key"`
		} `json:"records"`
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		return nil, fmt.Errorf("--into %s: the answer is not a state document: %w", url, err)
	}
	var held []string
	for _, rec := range d.Records {
		if id, ok := strings.CutPrefix(rec.Key, "org/"); ok {
			held = append(held, id)
		}
	}
	return held, nil
}

// load puts the document into the --into orgd, checking again that it
// holds nothing to keep.
func (r cloneRun) load(ctx context.Context, doc []byte) error {
	if err := r.checkDestination(ctx); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, stateTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, r.into+"/_orgd/state", bytes.NewReader(doc))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if _, err := stateRequest(req); err != nil {
		return fmt.Errorf("--into %s: %w", r.into, err)
	}
	return nil
}

// writeNew writes data to path through a temporary file beside it, so
// that a failure leaves no partial file; without force it refuses to
// replace a file that appeared meanwhile.
func writeNew(path string, data []byte, force bool) error {
	tmp, err := writeTemp(path, data)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	if force {
		return os.Rename(tmp, path)
	}
	if err := os.Link(tmp, path); err != nil {
		if errors.Is(err, os.ErrExist) {
			return fmt.Errorf("%s exists; use --force to replace it", path)
		}
		return err
	}
	return nil
}
