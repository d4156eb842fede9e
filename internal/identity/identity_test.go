package identity

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"

	"github.com/orgd/orgd/internal/api"
)

func TestIdentify(t *testing.T) {
	const def = "123456789012"
	res := &Resolver{DefaultAccount: def}
	sigv4 := func(cred string) string {
		return "AWS4-HMAC-SHA256 Credential=" + cred + ", SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=abc123"
	}
	for _, tc := range []struct {
		name    string
		auth    string // Authorization header, if any
		query   string // raw query, if any
		account string
		key     string
		errType string
	}{
		{"sdk header, account key", sigv4("111111111111/20240101/us-east-1/organizations/aws4_request"), "", "111111111111", "111111111111", ""},
		{"any region accepted", sigv4("222222222222/20240101/eu-west-3/organizations/aws4_request"), "", "222222222222", "222222222222", ""},
		{"no spaces after commas", "AWS4-HMAC-SHA256 Credential=333333333333/20240101/us-east-1/organizations/aws4_request,SignedHeaders=host,Signature=00", "", "333333333333", "333333333333", ""},
		{"credential not first", "AWS4-HMAC-SHA256 SignedHeaders=host, Credential=444444444444/20240101/us-east-1/organizations/aws4_request, Signature=00", "", "444444444444", "444444444444", ""},
		{"ordinary key is the default account", sigv4("AKIAIOSFODNN7EXAMPLE/20240101/us-east-1/organizations/aws4_request"), "", def, "AKIAIOSFODNN7EXAMPLE", ""},
		{"11 digits is not an account", sigv4("11111111111/20240101/us-east-1/organizations/aws4_request"), "", def, "11111111111", ""},
		{"13 digits is not an account", sigv4("1111111111111/20240101/us-east-1/organizations/aws4_request"), "", def, "1111111111111", ""},
		{"presigned query", "", "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=555555555555%2F20240101%2Fus-east-1%2Forganizations%2Faws4_request&X-Amz-Signature=00", "555555555555", "555555555555", ""},
		{"header wins over query", sigv4("666666666666/20240101/us-east-1/organizations/aws4_request"), "X-Amz-Credential=777777777777%2F20240101%2Fus-east-1%2Forganizations%2Faws4_request", "666666666666", "666666666666", ""},

		{"missing", "", "", "", "", ErrMissingAuthenticationToken},
		{"unrelated query only", "", "Action=ListRoots", "", "", ErrMissingAuthenticationToken},
		{"basic auth", "Basic dXNlcjpwYXNz", "", "", "", ErrIncompleteSignature},
		{"sigv2-style", "AWS AKIDEXAMPLE:c2lnbmF0dXJl", "", "", "", ErrIncompleteSignature},
		{"no credential", "AWS4-HMAC-SHA256 SignedHeaders=host, Signature=00", "", "", "", ErrIncompleteSignature},
		{"short scope", sigv4("111111111111/20240101/us-east-1/organizations"), "", "", "", ErrIncompleteSignature},
		{"wrong terminator", sigv4("111111111111/20240101/us-east-1/organizations/aws4_requests"), "", "", "", ErrIncompleteSignature},
		{"empty key", sigv4("/20240101/us-east-1/organizations/aws4_request"), "", "", "", ErrIncompleteSignature},
		{"extra scope part", sigv4("111111111111/x/20240101/us-east-1/organizations/aws4_request"), "", "", "", ErrIncompleteSignature},
		{"malformed presigned credential", "", "X-Amz-Credential=111111111111", "", "", ErrIncompleteSignature},
	} {
		t.Run(tc.name, func(t *testing.T) {
			target := "/"
			if tc.query != "" {
				target += "?" + tc.query
			}
			r := httptest.NewRequest("POST", target, nil)
			if tc.auth != "" {
				r.Header.Set("Authorization", tc.auth)
			}
			c, err := res.Identify(r)
			if tc.errType != "" {
				var e *api.Error
				if !errors.As(err, &e) || e.Type != tc.errType || e.Message == "" {
					t.Fatalf("got %v, want %s", err, tc.errType)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.AccountID != tc.account || c.AccessKeyID != tc.key {
				t.Fatalf("got %+v, want account %s key %s", c, tc.account, tc.key)
			}
		})
	}
}

func TestContext(t *testing.T) {
	if _, ok := FromContext(context.Background()); ok {
		t.Fatal("caller in an empty context")
	}
	want := Caller{AccountID: "111111111111", AccessKeyID: "k"}
	got, ok := FromContext(NewContext(context.Background(), want))
	if !ok || got != want {
		t.Fatalf("got %+v %v", got, ok)
	}
}
