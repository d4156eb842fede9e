package e2e

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/orgd/orgd/internal/api"
	"github.com/orgd/orgd/internal/identity"
)

// An attacker who captured a signed request, or holds a presigned URL,
// can change nothing the signature does not cover: not the operation
// (X-Amz-Target), not the content type, not the body, and for STS not a
// parameter. Each attempt goes through the real HTTP server in strict
// mode and leaves the organization in place.
func TestStrictSignedHeadersFromTheAttackersSide(t *testing.T) {
	t.Parallel()
	h := newStrictHarness(t)
	mgmt := h.orgsFrom(staticConfig(t, mgmtKey, mgmtSecret, "", false))
	org, err := mgmt.CreateOrganization(ctx(t), &organizations.CreateOrganizationInput{FeatureSet: types.OrganizationFeatureSetAll})
	if err != nil {
		t.Fatal(err)
	}
	creds := aws.Credentials{AccessKeyID: mgmtKey, SecretAccessKey: mgmtSecret}
	emptyHash := sha256Hex("")

	// sign signs a request that carries only what signedHeaders names
	// (besides host and the SigV4 headers), then adds headers unsigned,
	// as a replaying attacker would.
	sign := func(t *testing.T, body string, signed, unsigned map[string]string) *http.Request {
		req, err := http.NewRequestWithContext(ctx(t), http.MethodPost, h.URL+"/", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range signed {
			req.Header.Set(k, v)
		}
		if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, sha256Hex(body), "organizations", "us-east-1", h.now(t)); err != nil {
			t.Fatal(err)
		}
		for k, v := range unsigned {
			req.Header.Set(k, v)
		}
		return req
	}
	// presign presigns a POST with payloadHash, signing the headers of
	// signed (hoisting none into the query), then adds unsigned.
	presign := func(t *testing.T, service, query, body, payloadHash string, signed, unsigned map[string]string) *http.Request {
		req, err := http.NewRequestWithContext(ctx(t), http.MethodPost, h.URL+"/?"+query, nil)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range signed {
			req.Header.Set(k, v)
		}
		signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableHeaderHoisting = true })
		uri, hdr, err := signer.PresignHTTP(context.Background(), creds, req, payloadHash, service, "us-east-1", h.now(t))
		if err != nil {
			t.Fatal(err)
		}
		out, err := http.NewRequestWithContext(ctx(t), http.MethodPost, uri, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range hdr {
			if k != "Host" {
				out.Header[k] = v
			}
		}
		for k, v := range unsigned {
			out.Header.Set(k, v)
		}
		return out
	}
	target := func(op string) string { return api.TargetPrefix + "." + op }
	jsonType := "application/x-amz-json-1.1"
	formType := "application/x-www-form-urlencoded; charset=utf-8"
	assumeBody := "Action=AssumeRole&Version=2011-06-15&RoleSessionName=stolen&RoleArn=" + url.QueryEscape("arn:aws:iam::"+mgmtID+":role/Admin")

	for _, tc := range []struct {
		name    string
		req     func(t *testing.T) *http.Request
		status  int
		code    string
		message string
	}{
		{
			name: "signed as DescribeOrganization without its target, replayed as DeleteOrganization",
			req: func(t *testing.T) *http.Request {
				return sign(t, "{}", nil, map[string]string{"X-Amz-Target": target("DeleteOrganization"), "Content-Type": jsonType})
			},
			status: 400, code: identity.ErrInvalidSignature, message: "'X-Amz-Target' must be a 'SignedHeader' in the AWS Authorization.",
		},
		{
			name: "content type signed, target added",
			req: func(t *testing.T) *http.Request {
				return sign(t, "{}", map[string]string{"Content-Type": jsonType}, map[string]string{"X-Amz-Target": target("DeleteOrganization")})
			},
			status: 400, code: identity.ErrInvalidSignature, message: "'X-Amz-Target' must be a 'SignedHeader'",
		},
		{
			name: "target signed, content type added",
			req: func(t *testing.T) *http.Request {
				return sign(t, "{}", map[string]string{"X-Amz-Target": target("DescribeOrganization")}, map[string]string{"Content-Type": jsonType})
			},
			status: 400, code: identity.ErrInvalidSignature, message: "'Content-Type' must be a 'SignedHeader'",
		},
		{
			name: "presigned with only host and UNSIGNED-PAYLOAD, used as a bearer token",
			req: func(t *testing.T) *http.Request {
				return presign(t, "organizations", "X-Amz-Expires=604800", "{}", "UNSIGNED-PAYLOAD", nil,
					map[string]string{"X-Amz-Target": target("DeleteOrganization"), "Content-Type": jsonType})
			},
			status: 400, code: identity.ErrInvalidSignature, message: "must be a 'SignedHeader'",
		},
		{
			name: "presigned DescribeOrganization, replayed with another target",
			req: func(t *testing.T) *http.Request {
				return presign(t, "organizations", "X-Amz-Expires=600", "", "UNSIGNED-PAYLOAD",
					map[string]string{"Content-Type": jsonType}, map[string]string{"X-Amz-Target": target("DeleteOrganization")})
			},
			status: 400, code: identity.ErrInvalidSignature, message: "'X-Amz-Target' must be a 'SignedHeader'",
		},
		{
			name: "presigned with its target and UNSIGNED-PAYLOAD, given a body",
			req: func(t *testing.T) *http.Request {
				return presign(t, "organizations", "X-Amz-Expires=600", `{"AccountId":"`+memberID+`"}`, "UNSIGNED-PAYLOAD",
					map[string]string{"Content-Type": jsonType, "X-Amz-Target": target("CloseAccount")}, nil)
			},
			status: 400, code: identity.ErrInvalidSignature, message: "UNSIGNED-PAYLOAD",
		},
		{
			name: "sts: presigned GetCallerIdentity with UNSIGNED-PAYLOAD, body asks for AssumeRole",
			req: func(t *testing.T) *http.Request {
				return presign(t, "sts", "Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Expires=600", assumeBody, "UNSIGNED-PAYLOAD",
					map[string]string{"Content-Type": formType}, nil)
			},
			status: 403, code: "SignatureDoesNotMatch", message: "UNSIGNED-PAYLOAD",
		},
		{
			name: "sts: presigned GetCallerIdentity, body signed too, asks for AssumeRole",
			req: func(t *testing.T) *http.Request {
				return presign(t, "sts", "Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Expires=600", assumeBody, sha256Hex(assumeBody),
					map[string]string{"Content-Type": formType}, nil)
			},
			status: 400, code: "InvalidParameterCombination", message: "Action is given both in the query string and in the body",
		},
		{
			name: "sts: presigned with UNSIGNED-PAYLOAD, body adds parameters",
			req: func(t *testing.T) *http.Request {
				return presign(t, "sts", "Action=AssumeRole&Version=2011-06-15&X-Amz-Expires=600",
					"RoleSessionName=stolen&RoleArn="+url.QueryEscape("arn:aws:iam::"+mgmtID+":role/Admin"), "UNSIGNED-PAYLOAD",
					map[string]string{"Content-Type": formType}, nil)
			},
			status: 403, code: "SignatureDoesNotMatch", message: "UNSIGNED-PAYLOAD",
		},
		{
			name: "sts: header-signed GetCallerIdentity body, signed query asks for AssumeRole",
			req: func(t *testing.T) *http.Request {
				req, err := http.NewRequestWithContext(ctx(t), http.MethodPost, h.URL+"/?"+assumeBody, strings.NewReader("Action=GetCallerIdentity&Version=2011-06-15"))
				if err != nil {
					t.Fatal(err)
				}
				req.Header.Set("Content-Type", formType)
				if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, sha256Hex("Action=GetCallerIdentity&Version=2011-06-15"), "sts", "us-east-1", h.now(t)); err != nil {
					t.Fatal(err)
				}
				return req
			},
			status: 400, code: "InvalidParameterCombination", message: "given both",
		},
		{
			name: "sts: presigned GetCallerIdentity, content type added unsigned",
			req: func(t *testing.T) *http.Request {
				return presign(t, "sts", "Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Expires=600", "", emptyHash, nil,
					map[string]string{"Content-Type": formType})
			},
			status: 403, code: "SignatureDoesNotMatch", message: "'Content-Type' must be a 'SignedHeader'",
		},
		{
			name: "sts: header-signed, security token header added unsigned",
			req: func(t *testing.T) *http.Request {
				req, err := http.NewRequestWithContext(ctx(t), http.MethodPost, h.URL+"/", strings.NewReader("Action=GetCallerIdentity&Version=2011-06-15"))
				if err != nil {
					t.Fatal(err)
				}
				req.Header.Set("Content-Type", formType)
				if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, sha256Hex("Action=GetCallerIdentity&Version=2011-06-15"), "sts", "us-east-1", h.now(t)); err != nil {
					t.Fatal(err)
				}
				req.Header.Set("X-Amz-Security-Token", "x")
				return req
			},
			status: 403, code: "SignatureDoesNotMatch", message: "'X-Amz-Security-Token' must be a 'SignedHeader'",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, code, msg, body := authSend(t, tc.req(t))
			if status != tc.status || code != tc.code || !strings.Contains(msg, tc.message) {
				t.Fatalf("got %d %s %q, want %d %s %q", status, code, msg, tc.status, tc.code, tc.message)
			}
			if strings.Contains(body, "SecretAccessKey") || hexSignature.MatchString(body) {
				t.Fatalf("the answer gives something away: %s", body)
			}
		})
	}

	// The organization survived every attempt.
	got, err := mgmt.DescribeOrganization(ctx(t), &organizations.DescribeOrganizationInput{})
	if err != nil || aws.ToString(got.Organization.Id) != aws.ToString(org.Organization.Id) {
		t.Fatalf("the organization is gone: %v %v", got, err)
	}

	// What a careful client presigns still works: the operation, the
	// content type and an empty body all covered.
	t.Run("presigned with everything signed", func(t *testing.T) {
		req := presign(t, "organizations", "X-Amz-Expires=600", "", emptyHash,
			map[string]string{"Content-Type": jsonType, "X-Amz-Target": target("DescribeOrganization")}, nil)
		status, code, msg, body := authSend(t, req)
		if status != 200 || !strings.Contains(body, aws.ToString(org.Organization.Id)) {
			t.Fatalf("got %d %s %q: %s", status, code, msg, body)
		}
	})
	t.Run("sts: presigned GET GetCallerIdentity", func(t *testing.T) {
		req := presignedCallerIdentity(t, h, h.now(t), false)
		status, code, msg, body := authSend(t, req)
		if status != 200 || !strings.Contains(body, "arn:aws:iam::"+mgmtID+":root") {
			t.Fatalf("got %d %s %q: %s", status, code, msg, body)
		}
	})
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// A strict server refuses a body declared larger than the wire limit
// before a byte of it arrives, whatever the signature: the test sends
// only the headers and gets its answer.
func TestStrictRefusesOversizedBodiesUnread(t *testing.T) {
	t.Parallel()
	h := newStrictHarness(t)
	addr := strings.TrimPrefix(h.URL, "http://")
	for _, tc := range []struct {
		name, contentType, extra string
		service, signed          string
		code                     string
	}{
		{"organizations", "application/x-amz-json-1.1", "X-Amz-Target: " + api.TargetPrefix + ".ListRoots\r\n", "organizations", "content-type;host;x-amz-date;x-amz-target", identity.ErrRequestTooLarge},
		{"sts", "application/x-www-form-urlencoded", "", "sts", "content-type;host;x-amz-date", "RequestEntityTooLarge"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(10 * time.Second))
			now := h.now(t)
			auth := "AWS4-HMAC-SHA256 Credential=" + mgmtKey + "/" + now.Format("20060102") + "/us-east-1/" + tc.service + "/aws4_request, SignedHeaders=" + tc.signed + ", Signature=" + strings.Repeat("0", 64)
			fmt.Fprintf(conn, "POST / HTTP/1.1\r\nHost: %s\r\nContent-Type: %s\r\n%sX-Amz-Date: %s\r\nAuthorization: %s\r\nContent-Length: %d\r\n\r\n",
				addr, tc.contentType, tc.extra, now.Format("20060102T150405Z"), auth, 8<<20)
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatalf("no answer before the body was sent: %v", err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(body), tc.code) {
				t.Fatalf("got %d %s", resp.StatusCode, body)
			}
		})
	}
}

// aws-sdk-go-v2's presigned GetCallerIdentity, which tools such as EKS's
// authenticator hand to a server, still works in strict mode.
func TestStrictSDKPresignedGetCallerIdentity(t *testing.T) {
	t.Parallel()
	h := newStrictHarness(t)
	req, err := sts.NewPresignClient(h.stsFrom(staticConfig(t, aliceKey, aliceSecret, "", false))).PresignGetCallerIdentity(ctx(t), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	hr, err := http.NewRequestWithContext(ctx(t), req.Method, req.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range req.SignedHeader {
		if k != "Host" {
			hr.Header[k] = v
		}
	}
	status, code, msg, body := authSend(t, hr)
	if status != 200 || !strings.Contains(body, "arn:aws:iam::"+mgmtID+":user/alice") {
		t.Fatalf("got %d %s %q: %s", status, code, msg, body)
	}
	// The same URL with a header the signer did not sign is refused.
	hr, _ = http.NewRequestWithContext(ctx(t), req.Method, req.URL, nil)
	hr.Header.Set("X-Amz-Target", api.TargetPrefix+".DeleteOrganization")
	if status, code, _, _ := authSend(t, hr); status != 403 || code != "SignatureDoesNotMatch" {
		t.Fatalf("got %d %s", status, code)
	}
}
