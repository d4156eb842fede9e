// Package page makes and checks the opaque NextToken of List operations.
//
// A token carries the last key a page returned and is bound by an HMAC to
// its scope (the operation, the caller and the filters), so an edited token
// or one from another listing is refused rather than misread.
package page

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"hash"
	"io"
	"strings"
	"sync"
)

// ErrInvalid is returned for a token that was not made for this scope.
var ErrInvalid = errors.New("page: invalid next token")

const macLen = 16

// Signer makes and checks tokens with one secret key.
type Signer struct {
	key []byte
	// macs keeps keyed HMACs: keying one costs two SHA-256 blocks and
	// most List pages make or check a token.
	macs sync.Pool
}

// NewSigner returns a Signer; servers that share a store must share the key.
func NewSigner(key []byte) *Signer {
	s := &Signer{key: key}
	s.macs.New = func() any { return hmac.New(sha256.New, s.key) }
	return s
}

func (s *Signer) mac(scope, after string) []byte {
	h := s.macs.Get().(hash.Hash)
	h.Reset()
	io.WriteString(h, scope)
	h.Write([]byte{0})
	io.WriteString(h, after)
	sum := h.Sum(make([]byte, 0, sha256.Size+len(after)))[:macLen]
	s.macs.Put(h)
	return sum
}

// Token returns the token that resumes the listing scope after key after.
func (s *Signer) Token(scope, after string) string {
	b := append(s.mac(scope, after), after...)
	return base64.RawURLEncoding.EncodeToString(b)
}

// After returns the key a token resumes after, or ErrInvalid.
func (s *Signer) After(scope, token string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimSpace(token))
	if err != nil || len(b) < macLen {
		return "", ErrInvalid
	}
	after := string(b[macLen:])
	if !hmac.Equal(b[:macLen], s.mac(scope, after)) {
		return "", ErrInvalid
	}
	return after, nil
}
