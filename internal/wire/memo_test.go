package wire

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/orgd/orgd/internal/api"
	"github.com/orgd/orgd/internal/identity"
	"github.com/orgd/orgd/internal/memo"
)

// stamping answers as a domain over a numbered store would: every answer
// names its run, and stamps the state it read, unless told otherwise.
type stamping struct {
	api.Unimplemented
	version atomic.Uint64
	runs    atomic.Int64
	spoil   atomic.Bool // the next answers looked at something unnumbered
	fail    atomic.Bool // the next answers are errors
}

func (s *stamping) run(ctx context.Context) (string, error) {
	n := s.runs.Add(1)
	st := memo.FromContext(ctx)
	st.Read(s.version.Load(), !s.spoil.Load(), time.Time{})
	if s.fail.Load() {
		return "", api.NewAccessDenied("no")
	}
	c, _ := identity.FromContext(ctx)
	return fmt.Sprintf("run %d for %s", n, c.Principal), nil
}

func (s *stamping) DescribeOrganization(ctx context.Context, _ *api.Empty) (*api.DescribeOrganizationResponse, error) {
	name, err := s.run(ctx)
	if err != nil {
		return nil, err
	}
	return &api.DescribeOrganizationResponse{Organization: &api.Organization{Id: name}}, nil
}

func (s *stamping) DescribeAccount(ctx context.Context, in *api.DescribeAccountRequest) (*api.DescribeAccountResponse, error) {
	name, err := s.run(ctx)
	if err != nil {
		return nil, err
	}
	return &api.DescribeAccountResponse{Account: &api.Account{Id: in.AccountId, Name: name}}, nil
}

// CreateOrganizationalUnit stamps its answer as keepable, as no write
// should: the server must keep no write's answer whatever its stamp.
func (s *stamping) CreateOrganizationalUnit(ctx context.Context, in *api.CreateOrganizationalUnitRequest) (*api.CreateOrganizationalUnitResponse, error) {
	name, err := s.run(ctx)
	if err != nil {
		return nil, err
	}
	return &api.CreateOrganizationalUnitResponse{OrganizationalUnit: &api.OrganizationalUnit{Name: name}}, nil
}

// TestMemo drives a server that keeps answers: what it answers again
// without running the operation, and what it always runs.
func TestMemo(t *testing.T) {
	h := &stamping{}
	var allowed atomic.Bool
	allowed.Store(true)
	var observed atomic.Int64
	s := &Server{
		Handler: h,
		Identify: func(r *http.Request) (identity.Caller, error) {
			c := identity.Caller{AccountID: "111111111111", AccessKeyID: "AKIDTEST", Principal: r.Header.Get("X-Test-Principal"), Region: "us-east-1"}
			if r.Header.Get("X-Test-Region") != "" {
				c.Region = r.Header.Get("X-Test-Region")
			}
			if c.Principal == "" {
				return c, &api.Error{Type: identity.ErrMissingAuthenticationToken, Message: "no"}
			}
			return c, nil
		},
		Allow:   func(string, string) bool { return allowed.Load() },
		Observe: func(*http.Request, Exchange) { observed.Add(1) },
		Memo:    memo.New(func() (uint64, bool) { return h.version.Load(), true }, time.Now),
	}
	type answer struct {
		status int
		body   string
	}
	call := func(op, body string, header ...string) answer {
		t.Helper()
		r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		r.Header.Set("X-Amz-Target", "AWSOrganizationsV20161128."+op)
		r.Header.Set("X-Test-Principal", "arn:aws:iam::111111111111:root")
		for i := 0; i+1 < len(header); i += 2 {
			r.Header.Set(header[i], header[i+1])
		}
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		b, _ := io.ReadAll(w.Body)
		return answer{w.Code, string(b)}
	}
	runs := func() int64 { return h.runs.Load() }

	first := call("DescribeOrganization", "{}")
	if first.status != 200 || !strings.Contains(first.body, "run 1 ") {
		t.Fatalf("first DescribeOrganization = %+v", first)
	}
	if again := call("DescribeOrganization", "{}"); again != first || runs() != 1 {
		t.Fatalf("the same request again = %+v after %d runs; want the kept answer %+v, one run", again, runs(), first)
	}
	if n := observed.Load(); n != 2 {
		t.Errorf("Observe heard of %d requests, want both", n)
	}

	// Whatever differs in caller, body or operation is another answer.
	for _, c := range []struct {
		name           string
		op, body       string
		header         []string
		status         int
		ranAgain, kept bool
	}{
		{"another principal", "DescribeOrganization", "{}", []string{"X-Test-Principal", "arn:aws:iam::111111111111:user/mallory"}, 200, true, true},
		{"another region", "DescribeOrganization", "{}", []string{"X-Test-Region", "eu-west-1"}, 200, true, true},
		{"another body", "DescribeAccount", `{"AccountId":"222222222222"}`, nil, 200, true, true},
		{"the same body spaced", "DescribeAccount", `{"AccountId": "222222222222"}`, nil, 200, true, true},
		{"another account asked for", "DescribeAccount", `{"AccountId":"333333333333"}`, nil, 200, true, true},
		// An unidentified request never reaches the memo.
		{"no credentials", "DescribeOrganization", "{}", []string{"X-Test-Principal", ""}, 400, false, false},
		// A write is run every time, whatever its stamp says.
		{"a write", "CreateOrganizationalUnit", `{"ParentId":"r-abcd","Name":"x"}`, nil, 200, true, false},
		// A body that does not validate is refused before any run.
		{"an invalid body", "DescribeAccount", `{"AccountId":"12"}`, nil, 400, false, false},
	} {
		before := runs()
		got := call(c.op, c.body, c.header...)
		if got.status != c.status || (runs() > before) != c.ranAgain {
			t.Errorf("%s: %s = %+v, run: %v; want status %d, run: %v", c.name, c.op, got, runs() > before, c.status, c.ranAgain)
		}
		if !c.ranAgain {
			continue
		}
		before = runs()
		again := call(c.op, c.body, c.header...)
		if ranAgain := runs() > before; ranAgain == c.kept || (c.kept && again != got) {
			t.Errorf("%s: the same request again = %+v, run: %v; want kept: %v", c.name, again, ranAgain, c.kept)
		}
	}

	// A new state: every kept answer is gone.
	h.version.Add(1)
	before := runs()
	if got := call("DescribeOrganization", "{}"); got == first || runs() != before+1 {
		t.Errorf("after the state changed, DescribeOrganization = %+v; want a new run", got)
	}

	// A throttled caller is refused even an answer that is kept.
	allowed.Store(false)
	if got := call("DescribeOrganization", "{}"); got.status != 400 || !strings.Contains(got.body, "TooManyRequestsException") {
		t.Errorf("throttled, DescribeOrganization = %+v; want TooManyRequestsException", got)
	}
	allowed.Store(true)

	// Answers stamped unkeepable, and errors, are run every time.
	h.version.Add(1)
	h.spoil.Store(true)
	call("DescribeOrganization", "{}")
	before = runs()
	call("DescribeOrganization", "{}")
	if runs() != before+1 {
		t.Error("an answer stamped unkeepable was kept")
	}
	h.spoil.Store(false)
	h.fail.Store(true)
	call("DescribeOrganization", "{}")
	before = runs()
	if got := call("DescribeOrganization", "{}"); runs() != before+1 || got.status != 400 {
		t.Errorf("an error was kept: %+v", got)
	}
}

// TestMemoUnnumbered: a store that cannot tell its state's number keeps
// every read running.
func TestMemoUnnumbered(t *testing.T) {
	h := &stamping{}
	s := &Server{
		Handler: h,
		Identify: func(*http.Request) (identity.Caller, error) {
			return identity.Caller{AccountID: "111111111111", Principal: "p"}, nil
		},
		Memo: memo.New(func() (uint64, bool) { return 0, false }, time.Now),
	}
	for range 3 {
		r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader("{}"))
		r.Header.Set("X-Amz-Target", "AWSOrganizationsV20161128.DescribeOrganization")
		s.ServeHTTP(httptest.NewRecorder(), r)
	}
	if n := h.runs.Load(); n != 3 {
		t.Errorf("%d runs of 3 requests over an unnumbered store, want 3", n)
	}
}
