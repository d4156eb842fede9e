package sts

import (
	"context"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/orgd/orgd/internal/identity"
	"github.com/orgd/orgd/internal/pattern"
)

// --- responses ----------------------------------------------------------------

type getSessionTokenResponse struct {
	XMLName xml.Name `xml:"GetSessionTokenResponse"`
	Xmlns   string   `xml:"xmlns,attr"`
	Result  struct {
		Credentials credentials
	} `xml:"GetSessionTokenResult"`
	Metadata responseMetadata `xml:"ResponseMetadata"`
}

type federatedUser struct {
	FederatedUserId string
	Arn             string
}

type getFederationTokenResult struct {
	Credentials      credentials
	FederatedUser    federatedUser
	PackedPolicySize *int `xml:",omitempty"`
}

type getFederationTokenResponse struct {
	XMLName  xml.Name                 `xml:"GetFederationTokenResponse"`
	Xmlns    string                   `xml:"xmlns,attr"`
	Result   getFederationTokenResult `xml:"GetFederationTokenResult"`
	Metadata responseMetadata         `xml:"ResponseMetadata"`
}

type getAccessKeyInfoResponse struct {
	XMLName xml.Name `xml:"GetAccessKeyInfoResponse"`
	Xmlns   string   `xml:"xmlns,attr"`
	Result  struct {
		Account string
	} `xml:"GetAccessKeyInfoResult"`
	Metadata responseMetadata `xml:"ResponseMetadata"`
}

// Limits of GetSessionToken and GetFederationToken, from the STS model
// and AWS's rule that an account's root gets at most an hour.
const (
	maxUserDuration     = 129600
	defaultUserDuration = 43200
	maxRootDuration     = 3600
)

var (
	federatedNameRe = pattern.MustCompile(`^[\w+=,.@-]{2,32}$`)
	accessKeyIDRe   = pattern.MustCompile(`^\w{16,128}$`)
	rootARNRe       = pattern.MustCompile(`^arn:[a-z][a-z0-9-]*:iam::\d{12}:root$`)
)

// allowed refuses the STS actions that temporary credentials may not
// call, as AWS refuses them: no session gets another through
// GetSessionToken or GetFederationToken; a GetSessionToken session may
// call only AssumeRole and GetCallerIdentity, and a federated user only
// GetCallerIdentity.
func (h *Handler) allowed(caller identity.Caller, action string) error {
	kind := identity.KindOf(caller)
	if kind == identity.LongTerm || action == "GetCallerIdentity" || unsigned[action] {
		return nil
	}
	if action == "GetSessionToken" || action == "GetFederationToken" {
		return &stsError{http.StatusForbidden, "AccessDenied", "Cannot call " + action + " with session credentials"}
	}
	if kind == identity.FederatedSession || kind == identity.UserSession && action != "AssumeRole" {
		return &stsError{http.StatusForbidden, "AccessDenied", fmt.Sprintf("User: %s is not authorized to perform: sts:%s",
			identity.PrincipalOf(caller, h.partition()), action)}
	}
	return nil
}

// userDuration reads DurationSeconds of GetSessionToken and
// GetFederationToken: 900 to 129600 seconds, 43200 by default, and for
// an account's root never more than an hour.
func userDuration(p url.Values, caller identity.Caller, partition string) (int, error) {
	d := defaultUserDuration
	if v := p.Get("DurationSeconds"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < minDuration || n > maxUserDuration {
			return 0, validation("DurationSeconds must be a whole number from %d to %d; it is %q.", minDuration, maxUserDuration, v)
		}
		d = n
	}
	if rootARNRe.MatchString(identity.PrincipalOf(caller, partition)) {
		d = min(d, maxRootDuration)
	}
	return d, nil
}

// --- GetSessionToken ------------------------------------------------------------

// getSessionToken issues temporary credentials that act as the caller
// itself. orgd keeps no MFA devices: SerialNumber and TokenCode are
// checked for form, not against a device.
func (h *Handler) getSessionToken(ctx context.Context, caller identity.Caller, p url.Values, now time.Time) (credentials, error) {
	duration, err := userDuration(p, caller, h.partition())
	if err != nil {
		return credentials{}, err
	}
	serial, code := p.Get("SerialNumber"), p.Get("TokenCode")
	if serial != "" && !serialRe.MatchString(serial) {
		return credentials{}, validation("SerialNumber must be 9 to 256 characters from letters, digits and _+=/:,.@-.")
	}
	if code != "" && !tokenCodeRe.MatchString(code) {
		return credentials{}, validation("TokenCode must be six digits.")
	}
	if (serial == "") != (code == "") {
		return credentials{}, validation("SerialNumber and TokenCode go together: give both or neither.")
	}
	principal := identity.PrincipalOf(caller, h.partition())
	s := identity.Session{
		Expiration: now.Add(time.Duration(duration) * time.Second).Truncate(time.Second).UTC(),
		AccountID:  caller.AccountID,
		Principal:  principal,
		Source:     principal,
	}
	return h.issue(ctx, &s)
}

// --- GetFederationToken ---------------------------------------------------------

func (h *Handler) getFederationToken(ctx context.Context, caller identity.Caller, p url.Values, now time.Time) (*getFederationTokenResult, error) {
	name := p.Get("Name")
	if name == "" {
		return nil, validation("Name is required.")
	}
	if !federatedNameRe.MatchString(name) {
		return nil, validation("Name must be 2 to 32 characters from letters, digits and _+=,.@-.")
	}
	duration, err := userDuration(p, caller, h.partition())
	if err != nil {
		return nil, err
	}
	packed, own, err := sessionPolicies(p)
	if err != nil {
		return nil, err
	}
	// No session calls GetFederationToken (allowed), so there is nothing
	// to chain from.
	policies, err := chain(nil, own)
	if err != nil {
		return nil, err
	}
	if len(policies) == 0 {
		// A federated user has what its session policies grant and no
		// more, as on AWS: without any it may do nothing but ask who it
		// is. An empty set is one no request finds an allow in.
		policies = identity.SessionPolicies{{}}
	}
	principal := identity.FederatedUserARN(h.partition(), caller.AccountID, name)
	s := identity.Session{
		Expiration:  now.Add(time.Duration(duration) * time.Second).Truncate(time.Second).UTC(),
		AccountID:   caller.AccountID,
		SessionName: name,
		Principal:   principal,
		Source:      identity.PrincipalOf(caller, h.partition()),
		Policies:    policies,
	}
	creds, err := h.issue(ctx, &s)
	if err != nil {
		return nil, err
	}
	return &getFederationTokenResult{
		Credentials:      creds,
		FederatedUser:    federatedUser{FederatedUserId: caller.AccountID + ":" + name, Arn: principal},
		PackedPolicySize: packed,
	}, nil
}

// --- GetAccessKeyInfo -----------------------------------------------------------

func (h *Handler) getAccessKeyInfo(ctx context.Context, p url.Values) (string, error) {
	key := p.Get("AccessKeyId")
	if key == "" {
		return "", validation("AccessKeyId is required.")
	}
	if !accessKeyIDRe.MatchString(key) {
		return "", validation("AccessKeyId must be 16 to 128 letters, digits or underscores.")
	}
	account, ok, err := h.KeyAccount(ctx, key)
	if err != nil {
		return "", err
	}
	if !ok {
		// AWS reads the account out of the key ID; orgd's keys carry
		// none, so a key orgd does not know has no account to show.
		return "", validation("The access key %s is not one orgd knows.", key)
	}
	return account, nil
}

// --- DecodeAuthorizationMessage -------------------------------------------------

// decodeAuthorizationMessage refuses every message: orgd's refusals
// carry their explanation in plain text, so it never produces an
// encoded one.
func decodeAuthorizationMessage(p url.Values) error {
	msg := p.Get("EncodedMessage")
	if msg == "" {
		return validation("EncodedMessage is required.")
	}
	if len(msg) > 10240 {
		return validation("EncodedMessage must be at most 10240 characters.")
	}
	if strings.ContainsAny(msg, "\r\n") {
		return &stsError{http.StatusBadRequest, "InvalidAuthorizationMessageException", "The encoded message contains a line break."}
	}
	return &stsError{http.StatusBadRequest, "InvalidAuthorizationMessageException", "The message is not an authorization message orgd encoded: orgd's AccessDenied messages are plain text and are never encoded."}
}
