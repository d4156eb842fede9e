package e2e

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"

	"github.com/orgd/orgd/internal/identity"
	"github.com/orgd/orgd/internal/org"
	"github.com/orgd/orgd/internal/server"
	"github.com/orgd/orgd/internal/store/memstore"
)

// BenchmarkReadHandler measures the server's side of the reads bench/http
// loads, with no client or network in the way: each request is handed to
// the handler as wrk sends it, for an organization of 50 accounts. As
// orgd serves them, each read after the first is answered from the
// answer kept of it (package memo).
func BenchmarkReadHandler(b *testing.B) { benchReads(b) }

// BenchmarkReadHandlerRun is BenchmarkReadHandler with every read run,
// none answered from a kept answer (package memo): the cost of a first
// read, or of one after a write.
func BenchmarkReadHandlerRun(b *testing.B) { benchReads(b, server.WithoutMemo()) }

func benchReads(b *testing.B, opts ...server.Option) {
	cfg := org.DefaultConfig()
	cfg.CreateAccountDelay = 0
	cfg.Quotas.AccountsPerOrganization = 1000
	handler, mgmt := benchOrganization(b, cfg, opts...)
	var member string
	for i := range 50 {
		out, err := mgmt.CreateAccount(ctx(b), &organizations.CreateAccountInput{Email: aws.String(fmt.Sprintf("a%d@example.com", i)), AccountName: aws.String(fmt.Sprintf("a%d", i))})
		if err != nil {
			b.Fatal(err)
		}
		for {
			s, err := mgmt.DescribeCreateAccountStatus(ctx(b), &organizations.DescribeCreateAccountStatusInput{CreateAccountRequestId: out.CreateAccountStatus.Id})
			if err != nil {
				b.Fatal(err)
			}
			if s.CreateAccountStatus.AccountId != nil {
				member = *s.CreateAccountStatus.AccountId
				break
			}
			time.Sleep(time.Millisecond)
		}
	}
	roots, err := mgmt.ListRoots(ctx(b), &organizations.ListRootsInput{})
	if err != nil {
		b.Fatal(err)
	}
	root := *roots.Roots[0].Id
	for _, c := range []struct{ op, body string }{
		{"DescribeOrganization", `{}`},
		{"DescribeAccount", `{"AccountId":"` + member + `"}`},
		{"ListAccounts", `{"MaxResults":20}`},
		{"ListChildren", `{"ParentId":"` + root + `","ChildType":"ACCOUNT","MaxResults":20}`},
	} {
		b.Run(c.op, func(b *testing.B) {
			for b.Loop() {
				benchRequest(b, handler, c.op, c.body)
			}
		})
	}
}

// benchOrganization is the server the handler benchmarks load: a memory
// store with cfg, an organization made through the API by the management
// account 111111111111, whose client it returns.
func benchOrganization(b *testing.B, cfg org.Config, opts ...server.Option) (http.Handler, *organizations.Client) {
	svc, err := org.New(context.Background(), memstore.New(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	handler := server.New(svc, &identity.Resolver{DefaultAccount: defaultAccount}, slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelWarn})), append([]server.Option{server.WithAdminToken(adminToken)}, opts...)...)
	h := &harness{Svc: svc}
	h.serve(b, handler)
	mgmt := h.client(b, "111111111111")
	if _, err := mgmt.CreateOrganization(ctx(b), &organizations.CreateOrganizationInput{}); err != nil {
		b.Fatal(err)
	}
	return handler, mgmt
}

// benchRequest hands handler op with body as wrk sends it (bench/http's
// headers) and fails unless it answers 200.
func benchRequest(b *testing.B, handler http.Handler, op, body string) {
	r := httptest.NewRequest("POST", "/", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-amz-json-1.1")
	r.Header.Set("X-Amz-Target", "AWSOrganizationsV20161128."+op)
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=111111111111/20260101/us-east-1/organizations/aws4_request, SignedHeaders=host, Signature=0")
	w := httptest.NewRecorder()
	handler.ServeHTTP(w, r)
	if w.Code != http.StatusOK {
		b.Fatalf("%s: %d %s", op, w.Code, w.Body)
	}
}
