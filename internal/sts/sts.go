// Package sts serves the AWS Security Token Service actions that tools
// and CI pipelines need against orgd (GetCallerIdentity, AssumeRole,
// GetSessionToken, GetFederationToken, GetAccessKeyInfo,
// DecodeAuthorizationMessage, and the unsigned AssumeRoleWithWebIdentity
// and AssumeRoleWithSAML) over the AWS query protocol (form-encoded
// Action=…&Version=2011-06-15, XML answers) on the same endpoint as
// Organizations. Sessions it issues are kept by the domain; identity then
// maps their keys to their principals.
package sts

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"sort"
	"time"

	"github.com/orgd/orgd/internal/api"
	"github.com/orgd/orgd/internal/federation"
	"github.com/orgd/orgd/internal/identity"
	"github.com/orgd/orgd/internal/wire"
)

// APIVersion is the only Version STS has.
const APIVersion = "2011-06-15"

const (
	xmlns   = "https://sts.amazonaws.com/doc/2011-06-15/"
	maxBody = 1 << 20
)

// Service is what STS needs of the domain.
type Service interface {
	// Now is the server clock.
	Now(ctx context.Context) (time.Time, error)
	// CanAssumeRole reports whether caller may assume role in account.
	CanAssumeRole(ctx context.Context, caller identity.Caller, account, role string) (bool, error)
	// PutSession stores a session; it fails if the access key is taken.
	PutSession(ctx context.Context, s identity.Session) error
	// OrganizationOf returns the ID of the organization account is in,
	// "" for none: aws:PrincipalOrgID for session policies.
	OrganizationOf(ctx context.Context, account string) (string, error)
}

// Handler answers STS requests.
type Handler struct {
	Service Service
	// Identify authenticates a request to the STS endpoint.
	Identify func(*http.Request) (identity.Caller, error)
	// KeyAccount returns the account of an access key orgd knows, for
	// GetAccessKeyInfo.
	KeyAccount func(ctx context.Context, accessKeyID string) (string, bool, error)
	// Federation holds the identity providers and roles of the
	// credentials file; nil for none.
	Federation *federation.Config
	// Strict verifies every web identity token and SAML assertion
	// against a configured provider and role (strict mode).
	Strict bool
	// Partition is the ARN partition; "" means "aws".
	Partition string
	Log       *slog.Logger
	// Observe, when set, is told of every request once it is answered.
	Observe func(*http.Request, wire.Exchange)
}

// Match reports whether r is an STS request: Action in the query string,
// or a form-encoded POST whose body has an Action. It puts back what it
// reads of the body, and reads nothing of a form-encoded body declared
// larger than the wire limit: that is STS's to refuse.
func Match(r *http.Request) bool {
	// Parsing an empty query would still allocate, on every API request.
	if r.URL.RawQuery != "" && r.URL.Query().Has("Action") {
		return true
	}
	if !isForm(r) {
		return false
	}
	if r.ContentLength > maxBody {
		return true
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	r.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(b), r.Body), r.Body}
	if err != nil {
		return false
	}
	v, err := url.ParseQuery(string(b))
	return err == nil && v.Has("Action")
}

// isForm reports whether r is a POST with a form-encoded body.
func isForm(r *http.Request) bool {
	if r.Method != http.MethodPost || r.Body == nil {
		return false
	}
	h := r.Header.Get("Content-Type")
	if h == "application/x-amz-json-1.1" {
		return false // every Organizations call: no media-type parse
	}
	ct, _, err := mime.ParseMediaType(h)
	return err == nil && ct == "application/x-www-form-urlencoded"
}

// readParams returns the parameters of r, from its query string and its
// form-encoded body, and puts the body back for identity to hash. A
// parameter given twice, in one place or in both, is refused: which of
// the two a reader takes differs between readers, and a body that the
// signature does not cover must not override the signed query string.
func readParams(r *http.Request) (url.Values, error) {
	query, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, &stsError{http.StatusBadRequest, "MalformedQueryString", "The query string is not a valid form-encoded string."}
	}
	if err := once(query, nil, "the query string"); err != nil {
		return nil, err
	}
	if r.Method != http.MethodPost || r.Body == nil {
		return query, nil
	}
	if r.ContentLength > maxBody {
		return nil, errTooLarge()
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return nil, err
	}
	r.Body.Close()
	r.Body = io.NopCloser(bytes.NewReader(b))
	if len(b) > maxBody {
		return nil, errTooLarge()
	}
	if len(b) == 0 {
		return query, nil
	}
	if !isForm(r) {
		return nil, &stsError{http.StatusBadRequest, "MalformedQueryString", "An STS request body must be form-encoded (Content-Type: application/x-www-form-urlencoded)."}
	}
	form, err := url.ParseQuery(string(b))
	if err != nil {
		return nil, &stsError{http.StatusBadRequest, "MalformedQueryString", "The request body is not a valid form-encoded string."}
	}
	if err := once(form, query, "the body"); err != nil {
		return nil, err
	}
	for k, v := range form {
		query[k] = v
	}
	return query, nil
}

// once refuses a parameter that vs gives more than once or that other
// also gives.
func once(vs, other url.Values, where string) error {
	keys := make([]string, 0, len(vs))
	for k := range vs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if len(vs[k]) > 1 {
			return &stsError{http.StatusBadRequest, "InvalidParameterCombination", fmt.Sprintf("The parameter %s is given %d times in %s; give each parameter once.", k, len(vs[k]), where)}
		}
		if other.Has(k) {
			return &stsError{http.StatusBadRequest, "InvalidParameterCombination", fmt.Sprintf("The parameter %s is given both in the query string and in the body; give each parameter once.", k)}
		}
	}
	return nil
}

func errTooLarge() error {
	return &stsError{http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", fmt.Sprintf("Request body exceeds %d bytes.", maxBody)}
}

// stsError is an error as STS sends it.
type stsError struct {
	status  int
	code    string
	message string
}

func (e *stsError) Error() string { return e.code + ": " + e.message }

func validation(format string, args ...any) error {
	return &stsError{http.StatusBadRequest, "ValidationError", fmt.Sprintf(format, args...)}
}

// authErrors maps identity's errors, named as the JSON protocol names
// them, to the query protocol's codes and statuses (STS answers 403 for
// a bad key, token or signature, 400 for a malformed one).
var authErrors = map[string]struct {
	code   string
	status int
}{
	identity.ErrUnrecognizedClient:         {"InvalidClientTokenId", http.StatusForbidden},
	identity.ErrInvalidSignature:           {"SignatureDoesNotMatch", http.StatusForbidden},
	identity.ErrIncompleteSignature:        {"IncompleteSignature", http.StatusBadRequest},
	identity.ErrMissingAuthenticationToken: {"MissingAuthenticationToken", http.StatusForbidden},
	identity.ErrExpiredToken:               {"ExpiredToken", http.StatusForbidden},
	identity.ErrRequestTooLarge:            {"RequestEntityTooLarge", http.StatusRequestEntityTooLarge},
}

// unsigned are the STS actions that AWS serves without credentials: the
// token or assertion they carry is the credential.
var unsigned = map[string]bool{"AssumeRoleWithSAML": true, "AssumeRoleWithWebIdentity": true}

// sessionChecked are the STS actions, besides AssumeRole, that a
// session's session policies must allow. GetSessionToken and
// GetFederationToken are refused to every session (allowed).
var sessionChecked = map[string]bool{"GetAccessKeyInfo": true, "DecodeAuthorizationMessage": true}

// unimplemented are the STS actions orgd knows of but does not serve.
var unimplemented = map[string]bool{
	"AssumeRoot":              true,
	"GetDelegatedAccessToken": true, "GetWebIdentityToken": true,
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	x := wire.Exchange{RequestID: wire.NewRequestID(), Status: http.StatusOK}
	w.Header().Set("x-amzn-RequestId", x.RequestID)
	var out any
	var err error
	x.Op, out, err = h.serve(w, r, &x)
	var b []byte
	if err == nil {
		b, err = xml.Marshal(out)
	}
	if err != nil {
		h.writeError(w, &x, err)
	} else {
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(http.StatusOK)
		w.Write(append([]byte(xml.Header), b...))
	}
	if h.Observe != nil {
		x.Duration = time.Since(start)
		h.Observe(r, x)
	}
}

func (h *Handler) serve(w http.ResponseWriter, r *http.Request, x *wire.Exchange) (action string, out any, err error) {
	id := x.RequestID
	ctx := r.Context()
	now, err := h.Service.Now(ctx)
	if err != nil {
		return "", nil, err
	}
	// The server clock, which the admin API can move, is the one
	// signatures are checked against; SDKs correct their skew from Date.
	w.Header().Set("Date", now.UTC().Format(http.TimeFormat))
	// The parameters are read first, for the action: the unsigned ones
	// authenticate by their token instead. A request whose parameters do
	// not parse is authenticated first, so that it learns no more than
	// a signed one would.
	params, perr := readParams(r)
	if perr == nil {
		action = params.Get("Action")
	}
	var caller identity.Caller
	if perr != nil || !unsigned[action] {
		if caller, err = h.Identify(r); err != nil {
			x.Unauthenticated = true
			return action, nil, err
		}
	}
	x.Caller = caller
	if perr != nil {
		return action, nil, perr
	}
	if v := params.Get("Version"); v != APIVersion {
		return action, nil, &stsError{http.StatusBadRequest, "InvalidAction", fmt.Sprintf("STS has no action %q in version %q; the version is %s.", action, v, APIVersion)}
	}
	if err := h.allowed(caller, action); err != nil {
		return action, nil, err
	}
	// Session policies limit what a session may call of STS too.
	// GetCallerIdentity needs no permission, on AWS even under a policy
	// that denies everything; AssumeRole is checked with its role as the
	// resource (assumeRole).
	if sessionChecked[action] {
		if err := h.sessionAllows(ctx, caller, action, "", nil); err != nil {
			return action, nil, err
		}
	}
	meta := responseMetadata{RequestID: id}
	switch action {
	case "GetCallerIdentity":
		return action, &getCallerIdentityResponse{Xmlns: xmlns, Result: h.callerIdentity(caller), Metadata: meta}, nil
	case "AssumeRole":
		res, err := h.assumeRole(ctx, caller, params, now)
		if err != nil {
			return action, nil, err
		}
		return action, &assumeRoleResponse{Xmlns: xmlns, Result: *res, Metadata: meta}, nil
	case "AssumeRoleWithWebIdentity":
		res, err := h.assumeRoleWithWebIdentity(ctx, params, now)
		if err != nil {
			return action, nil, err
		}
		return action, &assumeRoleWithWebIdentityResponse{Xmlns: xmlns, Result: *res, Metadata: meta}, nil
	case "AssumeRoleWithSAML":
		res, err := h.assumeRoleWithSAML(ctx, params, now)
		if err != nil {
			return action, nil, err
		}
		return action, &assumeRoleWithSAMLResponse{Xmlns: xmlns, Result: *res, Metadata: meta}, nil
	case "GetSessionToken":
		creds, err := h.getSessionToken(ctx, caller, params, now)
		if err != nil {
			return action, nil, err
		}
		out := &getSessionTokenResponse{Xmlns: xmlns, Metadata: meta}
		out.Result.Credentials = creds
		return action, out, nil
	case "GetFederationToken":
		res, err := h.getFederationToken(ctx, caller, params, now)
		if err != nil {
			return action, nil, err
		}
		return action, &getFederationTokenResponse{Xmlns: xmlns, Result: *res, Metadata: meta}, nil
	case "GetAccessKeyInfo":
		account, err := h.getAccessKeyInfo(ctx, params)
		if err != nil {
			return action, nil, err
		}
		out := &getAccessKeyInfoResponse{Xmlns: xmlns, Metadata: meta}
		out.Result.Account = account
		return action, out, nil
	case "DecodeAuthorizationMessage":
		return action, nil, decodeAuthorizationMessage(params)
	}
	if unimplemented[action] {
		return action, nil, &stsError{http.StatusNotImplemented, api.ErrNotImplemented, "orgd does not implement the STS " + action + " action."}
	}
	return action, nil, &stsError{http.StatusBadRequest, "InvalidAction", fmt.Sprintf("STS has no action %q.", action)}
}

func (h *Handler) partition() string {
	if h.Partition == "" {
		return "aws"
	}
	return h.Partition
}

func (h *Handler) writeError(w http.ResponseWriter, x *wire.Exchange, err error) {
	id, action := x.RequestID, x.Op
	var se *stsError
	var ae *api.Error
	switch {
	case errors.As(err, &se):
	case errors.As(err, &ae) && authErrors[ae.Type].code != "":
		m := authErrors[ae.Type]
		se = &stsError{m.status, m.code, ae.Message}
	default:
		if errors.Is(err, context.Canceled) {
			x.Status, x.Exception = 499, "RequestCanceled"
			return
		}
		h.log().Error("sts internal error", "action", action, "err", err, "request_id", id)
		se = &stsError{http.StatusInternalServerError, "InternalFailure", "The request failed because of an internal error."}
	}
	typ := "Sender"
	if se.status >= 500 {
		typ = "Receiver"
	}
	b, _ := xml.Marshal(&errorResponse{Xmlns: xmlns, Error: errorBody{Type: typ, Code: se.code, Message: se.message}, RequestID: id})
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(se.status)
	w.Write(append([]byte(xml.Header), b...))
	x.Status, x.Exception, x.Message = se.status, se.code, se.message
}

func (h *Handler) log() *slog.Logger {
	if h.Log != nil {
		return h.Log
	}
	return slog.Default()
}

// randomString returns n characters drawn uniformly from alphabet.
func randomString(alphabet string, n int) string {
	out := make([]byte, n)
	buf := make([]byte, 1)
	limit := 256 - 256%len(alphabet)
	for i := 0; i < n; {
		rand.Read(buf)
		if int(buf[0]) < limit {
			out[i] = alphabet[int(buf[0])%len(alphabet)]
			i++
		}
	}
	return string(out)
}

func randomToken(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}
