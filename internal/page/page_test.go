package page

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	s := NewSigner([]byte("secret"))
	for _, after := range []string{"", "acct/111111111111", "with\x00nul", strings.Repeat("k", 500), "ünïcode/ключ"} {
		tok := s.Token("ListAccounts|111111111111", after)
		if strings.ContainsAny(tok, "+/= \n") {
			t.Errorf("token %q is not URL-safe", tok)
		}
		got, err := s.After("ListAccounts|111111111111", tok)
		if err != nil || got != after {
			t.Errorf("After(Token(%q)) = %q, %v", after, got, err)
		}
		// The CLI and humans may paste a token with spaces around it.
		if got, err := s.After("ListAccounts|111111111111", " "+tok+"\n"); err != nil || got != after {
			t.Errorf("padded token: %q, %v", got, err)
		}
	}
}

func TestRefused(t *testing.T) {
	s := NewSigner([]byte("secret"))
	const scope = "ListChildren|111111111111|r-abcd|ACCOUNT"
	tok := s.Token(scope, "child/r-abcd/a/222222222222")
	raw, _ := base64.RawURLEncoding.DecodeString(tok)
	flip := func(i int) string {
		b := append([]byte(nil), raw...)
		b[i] ^= 1
		return base64.RawURLEncoding.EncodeToString(b)
	}
	forged := base64.RawURLEncoding.EncodeToString(append(raw[:macLen:macLen], "child/r-abcd/a/999999999999"...))
	for _, tc := range []struct {
		name, scope, token string
		signer             *Signer
	}{
		{"tampered key", scope, flip(len(raw) - 1), s},
		{"tampered mac", scope, flip(0), s},
		{"key swapped under old mac", scope, forged, s},
		{"truncated", scope, tok[:len(tok)-2], s},
		{"foreign scope: other operation", "ListAccounts|111111111111", tok, s},
		{"foreign scope: other caller", "ListChildren|222222222222|r-abcd|ACCOUNT", tok, s},
		{"foreign scope: other filter", "ListChildren|111111111111|r-abcd|ORGANIZATIONAL_UNIT", tok, s},
		{"other secret", scope, tok, NewSigner([]byte("other"))},
		{"empty", scope, "", s},
		{"garbage", scope, "not a token!", s},
		{"standard base64", scope, base64.StdEncoding.EncodeToString(raw), s},
		{"shorter than a mac", scope, base64.RawURLEncoding.EncodeToString(raw[:macLen-1]), s},
	} {
		t.Run(tc.name, func(t *testing.T) {
			after, err := tc.signer.After(tc.scope, tc.token)
			if !errors.Is(err, ErrInvalid) || after != "" {
				t.Fatalf("After = %q, %v; want ErrInvalid", after, err)
			}
		})
	}
}

// Scope and key are hashed with a separator, so moving bytes from one to
// the other gives another MAC.
func TestScopeKeyBoundary(t *testing.T) {
	s := NewSigner([]byte("secret"))
	tok := s.Token("ab", "c")
	if _, err := s.After("a", tok); err == nil {
		t.Fatal("token for scope ab accepted for scope a")
	}
	if s.Token("ab", "c") == s.Token("a", "bc") {
		t.Fatal("scope/key boundary not in the MAC")
	}
}

func FuzzAfter(f *testing.F) {
	s := NewSigner([]byte("secret"))
	f.Add("scope", s.Token("scope", "k"))
	f.Add("scope", "")
	f.Add("x", "AAAA")
	f.Fuzz(func(t *testing.T, scope, token string) {
		after, err := s.After(scope, token)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v", err)
			}
			return
		}
		// Only the bytes of a token this signer made for this scope are
		// accepted (the decoder tolerates some spelling variants).
		got, _ := base64.RawURLEncoding.DecodeString(strings.TrimSpace(token))
		want, _ := base64.RawURLEncoding.DecodeString(s.Token(scope, after))
		if string(got) != string(want) {
			t.Fatalf("accepted token %q is not Token(%q, %q)", token, scope, after)
		}
	})
}
