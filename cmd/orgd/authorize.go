package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/orgd/orgd/internal/org"
)

// Exit codes of orgd authorize, so that scripts can test a decision.
const (
	exitAllowed = 0
	exitDenied  = 1
	exitError   = 2
)

// contextFlag collects repeated --context key=value flags; a key given
// twice has several values.
type contextFlag map[string][]string

func (c contextFlag) String() string { return "" }

func (c contextFlag) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return fmt.Errorf("%q is not key=value", s)
	}
	c[k] = append(c[k], v)
	return nil
}

// authorizeMain runs `orgd authorize` and returns its exit code.
func authorizeMain(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("authorize", "orgd authorize --account ID --action SERVICE:ACTION [--resource ARN] [--context key=value ...]",
		"Asks a running orgd whether the SCPs in force allow the request; exits 0 if allowed, 1 if denied, 2 on error.")
	endpoint := endpointFlag(fs)
	var req org.AuthorizeRequest
	fs.StringVar(&req.Account, "account", "", "account whose principal makes the request (required)")
	fs.StringVar(&req.Action, "action", "", "action, e.g. organizations:LeaveOrganization (required)")
	fs.StringVar(&req.Resource, "resource", "", "resource ARN; empty matches only Resource \"*\"")
	fs.StringVar(&req.Principal, "principal", "", "principal ARN; default the account's root")
	ctxFlag := contextFlag{}
	fs.Var(ctxFlag, "context", "condition `key=value`; repeat for more keys or values")
	asJSON := fs.Bool("json", false, "print the server's JSON answer instead")
	err := parseFlags(fs, args, stdout)
	if err == nil && fs.NArg() > 0 {
		err = usageErr("authorize", "unexpected argument %q", fs.Arg(0))
	}
	if err == nil {
		err = requireFlags(fs, "account", "action")
	}
	if err != nil {
		if exitCode("authorize", err, stderr) == 0 {
			return exitAllowed // -h
		}
		return exitError
	}
	if len(ctxFlag) > 0 {
		req.Context = ctxFlag
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, raw, err := requestAuthorization(ctx, http.DefaultClient, *endpoint, req)
	if err != nil {
		fmt.Fprintln(stderr, "orgd authorize:", err)
		return exitError
	}
	if *asJSON {
		stdout.Write(raw)
	} else {
		printDecision(stdout, req, res)
	}
	if res.Allowed {
		return exitAllowed
	}
	return exitDenied
}

// requestAuthorization posts req to the server's decision endpoint and
// returns the decision and the answer as sent.
func requestAuthorization(ctx context.Context, client *http.Client, endpoint string, req org.AuthorizeRequest) (*org.AuthorizeResult, []byte, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return nil, nil, err
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(endpoint, "/")+"/_orgd/authorize", bytes.NewReader(body))
	if err != nil {
		return nil, nil, err
	}
	hr.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(withAdminToken(hr))
	if err != nil {
		return nil, nil, err
	}
	raw, err := adminAnswer(resp, 16<<20)
	if err != nil {
		return nil, nil, err
	}
	var res org.AuthorizeResult
	if err := json.Unmarshal(raw, &res); err != nil {
		return nil, nil, fmt.Errorf("server answer is not a decision: %w", err)
	}
	return &res, raw, nil
}

// printDecision writes the decision for people: the verdict, then what
// decided it.
func printDecision(w io.Writer, req org.AuthorizeRequest, res *org.AuthorizeResult) {
	verdict := "DENIED"
	if res.Allowed {
		verdict = "ALLOWED"
	}
	resource := req.Resource
	if resource == "" {
		resource = "*"
	}
	fmt.Fprintf(w, "%s  %s on %s by account %s\n", verdict, req.Action, resource, req.Account)
	if len(req.Context) > 0 {
		keys := make([]string, 0, len(req.Context))
		for k := range req.Context {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(w, "  context %s = %s\n", k, strings.Join(req.Context[k], ", "))
		}
	}
	switch res.Decision {
	case "EXPLICIT_DENY":
		if r := res.DecidedBy; r != nil {
			fmt.Fprintf(w, "  explicit deny: %s on %s\n", statement(*r), target(r.TargetID, r.TargetName))
		}
	case "NO_ALLOW":
		if r := res.DecidedBy; r != nil && r.TargetID != "" {
			fmt.Fprintf(w, "  no policy attached to %s allows it\n", target(r.TargetID, r.TargetName))
		} else {
			fmt.Fprintln(w, "  no policy allows it")
		}
	case "EXEMPT":
		fmt.Fprintln(w, "  exempt: the management account, or SCPs are not enabled")
	case "ALLOWED":
		for _, r := range res.AllowedBy {
			fmt.Fprintf(w, "  allowed at %s by %s\n", target(r.TargetID, r.TargetName), statement(r))
		}
	default:
		fmt.Fprintf(w, "  %s\n", res.Explanation)
	}
}

func target(id, name string) string {
	if name == "" || name == id {
		return id
	}
	return id + " (" + name + ")"
}

func statement(r org.AuthorizeRef) string {
	s := r.PolicyID
	if r.PolicyName != "" {
		s += " (" + r.PolicyName + ")"
	}
	s += fmt.Sprintf(" statement %d", r.Statement)
	if r.Sid != "" {
		s += " " + r.Sid
	}
	return s
}
