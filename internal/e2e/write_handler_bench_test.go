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

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"

	"github.com/orgd/orgd/internal/identity"
	"github.com/orgd/orgd/internal/org"
	"github.com/orgd/orgd/internal/server"
	"github.com/orgd/orgd/internal/store/memstore"
)

// BenchmarkWriteHandler is BenchmarkReadHandler for the writes bench/http
// loads: CreateOrganizationalUnit under one OU with a new name each time,
// and TagResource on an OU, cycling through four tag keys.
func BenchmarkWriteHandler(b *testing.B) {
	cfg := org.DefaultConfig()
	cfg.Quotas.OUsPerOrganization = 1 << 30
	svc, err := org.New(context.Background(), memstore.New(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	handler := server.New(svc, &identity.Resolver{DefaultAccount: defaultAccount}, slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelWarn})), server.WithAdminToken(adminToken))
	h := &harness{Svc: svc}
	h.serve(b, handler)
	mgmt := h.client(b, "111111111111")
	if _, err := mgmt.CreateOrganization(ctx(b), &organizations.CreateOrganizationInput{}); err != nil {
		b.Fatal(err)
	}
	roots, err := mgmt.ListRoots(ctx(b), &organizations.ListRootsInput{})
	if err != nil {
		b.Fatal(err)
	}
	ou, err := mgmt.CreateOrganizationalUnit(ctx(b), &organizations.CreateOrganizationalUnitInput{ParentId: roots.Roots[0].Id, Name: aws.String("parent")})
	if err != nil {
		b.Fatal(err)
	}
	parent := *ou.OrganizationalUnit.Id
	for _, c := range []struct {
		op   string
		body func(i int) string
	}{
		{"CreateOrganizationalUnit", func(i int) string { return fmt.Sprintf(`{"ParentId":"%s","Name":"w-%d"}`, parent, i) }},
		{"TagResource", func(i int) string {
			return fmt.Sprintf(`{"ResourceId":"%s","Tags":[{"Key":"t%d","Value":"%d"}]}`, parent, i%4, i)
		}},
	} {
		b.Run(c.op, func(b *testing.B) {
			i := 0
			for b.Loop() {
				r := httptest.NewRequest("POST", "/", strings.NewReader(c.body(i)))
				r.Header.Set("Content-Type", "application/x-amz-json-1.1")
				r.Header.Set("X-Amz-Target", "AWSOrganizationsV20161128."+c.op)
				r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=111111111111/20260101/us-east-1/organizations/aws4_request, SignedHeaders=host, Signature=0")
				w := httptest.NewRecorder()
				handler.ServeHTTP(w, r)
				if w.Code != http.StatusOK {
					b.Fatalf("%s: %d %s", c.op, w.Code, w.Body)
				}
				i++
			}
		})
	}
}
