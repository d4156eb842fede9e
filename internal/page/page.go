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
	"strings"
	"sync"
)

// ErrInvalid is returned for a token that was not made for this scope.
var ErrInvalid = errors.New("page: invalid next token")

const macLen = 16

// Signer makes and checks tokens with one secret key.
type Signer struct {
	key []byte
	// macs keeps keyed HMACs with scratch space: keying one costs two
	// SHA-256 blocks and most List pages make or check a token.
	macs sync.Pool
}

type mac struct {
	h   hash.Hash
	buf []byte // what is signed, then the sum
}

// NewSigner returns a Signer; servers that share a store must share the key.
func NewSigner(key []byte) *Signer {
	s := &Signer{key: key}
	s.macs.New = func() any { return &mac{h: hmac.New(sha256.New, s.key)} }
	return s
}

// sign appends the MAC of after in scope to dst.
func (s *Signer) sign(dst []byte, scope, after string) []byte {
	m := s.macs.Get().(*mac)
	m.h.Reset()
	m.buf = append(append(append(m.buf[:0], scope...), 0), after...)
	m.h.Write(m.buf)
	m.buf = m.h.Sum(m.buf[:0])
	dst = append(dst, m.buf[:macLen]...)
	s.macs.Put(m)
	return dst
}

// Token returns the token that resumes the listing scope after key after.
func (s *Signer) Token(scope, after string) string {
	var raw [128]byte
	b := append(s.sign(raw[:0], scope, after), after...)
	var enc [172]byte // 128 bytes in base64
	return string(base64.RawURLEncoding.AppendEncode(enc[:0], b))
}

// After returns the key a token resumes after, or ErrInvalid.
func (s *Signer) After(scope, token string) (string, error) {
	var raw [128]byte
	b, err := base64.RawURLEncoding.AppendDecode(raw[:0], []byte(strings.TrimSpace(token)))
	if err != nil || len(b) < macLen {
		return "", ErrInvalid
	}
	after := string(b[macLen:])
	var sum [macLen]byte
	if !hmac.Equal(b[:macLen], s.sign(sum[:0], scope, after)) {
		return "", ErrInvalid
	}
	return after, nil
}
