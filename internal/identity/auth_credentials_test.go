package identity

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/orgd/orgd/internal/api"
)

func TestParseCredentials(t *testing.T) {
	for _, tc := range []struct {
		name      string
		json      string
		key       string // looked up after parsing
		account   string
		principal string
		err       string // part of the error
	}{
		{name: "account only", json: `{"credentials":[{"accessKeyId":"AKIAAAAAAAAAAAAAAAA1","secretAccessKey":"s","accountId":"111111111111"}]}`,
			key: "AKIAAAAAAAAAAAAAAAA1", account: "111111111111", principal: "arn:aws:iam::111111111111:root"},
		{name: "user principal names the account", json: `{"credentials":[{"accessKeyId":"AKIAAAAAAAAAAAAAAAA1","secretAccessKey":"s","principal":"arn:aws:iam::222222222222:user/ops/alice"}]}`,
			key: "AKIAAAAAAAAAAAAAAAA1", account: "222222222222", principal: "arn:aws:iam::222222222222:user/ops/alice"},
		{name: "role principal", json: `{"credentials":[{"accessKeyId":"AKIAAAAAAAAAAAAAAAA1","secretAccessKey":"s","accountId":"333333333333","principal":"arn:aws:iam::333333333333:role/ci"}]}`,
			key: "AKIAAAAAAAAAAAAAAAA1", account: "333333333333", principal: "arn:aws:iam::333333333333:role/ci"},
		{name: "other partition", json: `{"credentials":[{"accessKeyId":"AKIAAAAAAAAAAAAAAAA1","secretAccessKey":"s","principal":"arn:aws-us-gov:iam::333333333333:root"}]}`,
			key: "AKIAAAAAAAAAAAAAAAA1", account: "333333333333", principal: "arn:aws-us-gov:iam::333333333333:root"},
		{name: "empty file list", json: `{"credentials":[]}`, key: "AKIAAAAAAAAAAAAAAAA1"},

		{name: "not JSON", json: `credentials:`, err: "credentials"},
		{name: "unknown field", json: `{"credentials":[{"accessKeyId":"AKIAAAAAAAAAAAAAAAA1","secretKey":"s","accountId":"111111111111"}]}`, err: "unknown field"},
		{name: "short key", json: `{"credentials":[{"accessKeyId":"AKIA1","secretAccessKey":"s","accountId":"111111111111"}]}`, err: "16 to 128"},
		{name: "account of 11 digits", json: `{"credentials":[{"accessKeyId":"AKIAAAAAAAAAAAAAAAA1","secretAccessKey":"s","accountId":"11111111111"}]}`, err: "12 digits"},
		{name: "account of 13 digits", json: `{"credentials":[{"accessKeyId":"AKIAAAAAAAAAAAAAAAA1","secretAccessKey":"s","accountId":"1111111111111"}]}`, err: "12 digits"},
		{name: "account with a letter", json: `{"credentials":[{"accessKeyId":"AKIAAAAAAAAAAAAAAAA1","secretAccessKey":"s","accountId":"11111111111a"}]}`, err: "12 digits"},
		{name: "session key prefix", json: `{"credentials":[{"accessKeyId":"ASIAAAAAAAAAAAAAAAA1","secretAccessKey":"s","accountId":"111111111111"}]}`, err: "STS session keys"},
		{name: "no secret", json: `{"credentials":[{"accessKeyId":"AKIAAAAAAAAAAAAAAAA1","accountId":"111111111111"}]}`, err: "secretAccessKey"},
		{name: "bad account", json: `{"credentials":[{"accessKeyId":"AKIAAAAAAAAAAAAAAAA1","secretAccessKey":"s","accountId":"1111"}]}`, err: "12 digits"},
		{name: "no account", json: `{"credentials":[{"accessKeyId":"AKIAAAAAAAAAAAAAAAA1","secretAccessKey":"s"}]}`, err: "needs accountId or principal"},
		{name: "bad principal", json: `{"credentials":[{"accessKeyId":"AKIAAAAAAAAAAAAAAAA1","secretAccessKey":"s","principal":"arn:aws:iam::111111111111:group/g"}]}`, err: "principal"},
		{name: "principal in another account", json: `{"credentials":[{"accessKeyId":"AKIAAAAAAAAAAAAAAAA1","secretAccessKey":"s","accountId":"111111111111","principal":"arn:aws:iam::222222222222:root"}]}`, err: "not in account"},
		{name: "duplicate key", json: `{"credentials":[{"accessKeyId":"AKIAAAAAAAAAAAAAAAA1","secretAccessKey":"s","accountId":"111111111111"},{"accessKeyId":"AKIAAAAAAAAAAAAAAAA1","secretAccessKey":"t","accountId":"222222222222"}]}`, err: "twice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cs, err := ParseCredentials([]byte(tc.json))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("got %v, want an error containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			c, ok := cs.Lookup(tc.key)
			if ok != (tc.account != "") || c.AccountID != tc.account || c.Principal != tc.principal {
				t.Fatalf("Lookup(%s) = %+v %v", tc.key, c, ok)
			}
		})
	}
}

func TestLoadCredentials(t *testing.T) {
	path := filepath.Join(t.TempDir(), "creds.json")
	if err := os.WriteFile(path, []byte(`{"credentials":[{"accessKeyId":"AKIAAAAAAAAAAAAAAAA1","secretAccessKey":"s","accountId":"111111111111"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	cs, err := LoadCredentials(path)
	if err != nil || cs.Len() != 1 {
		t.Fatalf("got %v %v", cs, err)
	}
	if _, err := LoadCredentials(filepath.Join(t.TempDir(), "missing.json")); err == nil {
		t.Fatal("no error for a missing file")
	}
	var none *Credentials
	if _, ok := none.Lookup("AKIAAAAAAAAAAAAAAAA1"); ok || none.Len() != 0 {
		t.Fatal("a nil set knows a key")
	}
}

// A credentials file others may write is refused, naming the file and
// its mode; one anyone may read is loaded with a warning.
func TestLoadCredentialsPermissions(t *testing.T) {
	var logged bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&logged, nil)))
	t.Cleanup(func() { slog.SetDefault(prev) })
	for _, tc := range []struct {
		mode    os.FileMode
		refused bool
		warned  bool
	}{
		{0o600, false, false},
		{0o400, false, false},
		{0o640, false, false},
		{0o644, false, true},
		{0o604, false, true},
		{0o660, true, false},
		{0o620, true, false},
		{0o602, true, false},
		{0o666, true, false},
		{0o777, true, false},
	} {
		t.Run(fmt.Sprintf("%04o", tc.mode), func(t *testing.T) {
			logged.Reset()
			path := filepath.Join(t.TempDir(), "creds.json")
			if err := os.WriteFile(path, []byte(`{"credentials":[{"accessKeyId":"AKIAAAAAAAAAAAAAAAA1","secretAccessKey":"s","accountId":"111111111111"}]}`), 0o600); err != nil {
				t.Fatal(err)
			}
			// Chmod, unlike WriteFile, is not subject to the umask.
			if err := os.Chmod(path, tc.mode); err != nil {
				t.Fatal(err)
			}
			cs, err := LoadCredentials(path)
			if tc.refused {
				want := fmt.Sprintf("credentials file %s has mode %04o", path, tc.mode)
				if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "writable") {
					t.Fatalf("got %v, want an error containing %q", err, want)
				}
				return
			}
			if err != nil || cs.Len() != 1 {
				t.Fatalf("got %v %v", cs, err)
			}
			if warned := strings.Contains(logged.String(), "world-readable") && strings.Contains(logged.String(), path); warned != tc.warned {
				t.Fatalf("warned %v, want %v; log: %s", warned, tc.warned, logged.String())
			}
		})
	}
	if _, err := LoadCredentials(t.TempDir()); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Fatalf("a directory: got %v", err)
	}
}

// Permissive mode maps known keys and sessions but checks no signature;
// other keys keep the account-ID rule.
func TestPermissiveMapping(t *testing.T) {
	now := testNow
	res := strictResolver(t, now)
	res.Mode = Permissive
	res.DefaultAccount = "123456789012"
	for _, tc := range []struct {
		name      string
		key       string
		account   string
		principal string
		temp      bool
		errType   string
		advance   time.Duration
	}{
		{name: "known key", key: testKey, account: "111111111111", principal: "arn:aws:iam::111111111111:root"},
		{name: "known user key", key: otherKey, account: "222222222222", principal: "arn:aws:iam::222222222222:user/bob"},
		{name: "session", key: sessKey, account: "333333333333", principal: "arn:aws:sts::333333333333:assumed-role/R/s", temp: true},
		{name: "expired session", key: sessKey, advance: time.Hour, errType: ErrExpiredToken},
		{name: "account ID key", key: "444444444444", account: "444444444444", principal: "arn:aws:iam::444444444444:root"},
		{name: "unknown key", key: "AKIAUNKNOWN000000001", account: "123456789012", principal: "arn:aws:iam::123456789012:root"},
		{name: "unknown session key", key: "ASIAUNKNOWN000000001", account: "123456789012", principal: "arn:aws:iam::123456789012:root"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res.Now = func(context.Context) (time.Time, error) { return now.Add(tc.advance), nil }
			r := httptest.NewRequest("POST", "/", nil)
			r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+tc.key+"/20260304/us-east-1/organizations/aws4_request, SignedHeaders=host, Signature=00")
			c, err := res.Identify(r)
			if tc.errType != "" {
				var e *api.Error
				if !errors.As(err, &e) || e.Type != tc.errType {
					t.Fatalf("got %v, want %s", err, tc.errType)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.AccountID != tc.account || c.Principal != tc.principal || c.Temporary != tc.temp || c.AccessKeyID != tc.key {
				t.Fatalf("got %+v", c)
			}
		})
	}
}

func TestUserID(t *testing.T) {
	for _, tc := range []struct {
		name   string
		caller Caller
		want   string // prefix
		exact  bool
	}{
		{"root", Caller{AccountID: "111111111111", Principal: "arn:aws:iam::111111111111:root"}, "111111111111", true},
		{"no principal is root", Caller{AccountID: "111111111111"}, "111111111111", true},
		{"user", Caller{AccountID: "111111111111", Principal: "arn:aws:iam::111111111111:user/alice"}, "AIDA", false},
		{"role", Caller{AccountID: "111111111111", Principal: "arn:aws:iam::111111111111:role/ci"}, RoleID("aws", "111111111111", "ci"), true},
		{"session", Caller{AccountID: "111111111111", Principal: "arn:aws:sts::111111111111:assumed-role/ci/run-1"}, RoleID("aws", "111111111111", "ci") + ":run-1", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := UserID(tc.caller, "aws")
			if tc.exact && got != tc.want || !strings.HasPrefix(got, tc.want) || len(got) < len(tc.want) {
				t.Fatalf("UserID = %q, want %q", got, tc.want)
			}
			if again := UserID(tc.caller, "aws"); again != got {
				t.Fatalf("UserID not stable: %q then %q", got, again)
			}
		})
	}
	if a, b := RoleID("aws", "111111111111", "a"), RoleID("aws", "111111111111", "b"); a == b || len(a) != 21 {
		t.Fatalf("role IDs %q %q", a, b)
	}
}

func TestParseMode(t *testing.T) {
	for in, want := range map[string]Mode{"": Permissive, "permissive": Permissive, "strict": Strict, "Strict": "", "lax": ""} {
		got, err := ParseMode(in)
		if got != want || (err != nil) != (want == "") {
			t.Errorf("ParseMode(%q) = %q, %v", in, got, err)
		}
	}
}
