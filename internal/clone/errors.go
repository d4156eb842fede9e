package clone

import (
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go"
)

// CallError is a call of the source that failed; its message says, on
// one line, what went wrong and what to do about it.
type CallError struct {
	Op  string
	Err error
}

func (e *CallError) Unwrap() error { return e.Err }

func (e *CallError) Error() string {
	return oneLine(e.Op + ": " + e.explain())
}

func (e *CallError) explain() string {
	var ae smithy.APIError
	if errors.As(e.Err, &ae) {
		msg := ae.ErrorMessage()
		switch ae.ErrorCode() {
		case "AccessDeniedException":
			return "access denied (" + msg + "): clone must run with the management account's credentials, " +
				"or a delegated administrator's, who may list accounts, OUs and policies but to whom AWS can " +
				"refuse create-account requests, handshakes and the delegation settings"
		case "AWSOrganizationsNotInUseException":
			return "these credentials' account is not in an organization (AWSOrganizationsNotInUseException): " +
				"use the management account's credentials (--profile)"
		case "UnrecognizedClientException", "InvalidClientTokenId", "InvalidSignatureException",
			"SignatureDoesNotMatch", "ExpiredTokenException", "IncompleteSignature":
			return "the source refused the credentials (" + ae.ErrorCode() + ": " + msg + "): check --profile or the AWS_* environment"
		case "TooManyRequestsException":
			return fmt.Sprintf("still throttled after %d attempts (%s): run again later or with a lower --pace", MaxAttempts, msg)
		}
		return ae.ErrorCode() + ": " + msg
	}
	var me *retry.MaxAttemptsError
	var ne net.Error
	switch {
	case isCredentialsError(e.Err):
		return "no usable AWS credentials: configure them as for the AWS CLI (--profile, AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY): " + e.Err.Error()
	case errors.As(e.Err, &ne):
		return "the endpoint does not answer: " + e.Err.Error()
	case errors.As(e.Err, &me) && strings.Contains(e.Err.Error(), "StatusCode: 5"):
		hint := ""
		if slices.Contains(Skippable, e.Op) {
			hint = "; if the source does not serve " + e.Op + ", --skip it"
		}
		return "the source keeps failing: " + e.Err.Error() + hint
	case errors.As(e.Err, &me):
		return "the endpoint does not answer: " + e.Err.Error()
	}
	return e.Err.Error()
}

func isCredentialsError(err error) bool {
	return strings.Contains(err.Error(), "failed to retrieve credentials") || strings.Contains(err.Error(), "no EC2 IMDS role found")
}

// oneLine joins s's lines, so that every error is one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ")), " ")
}
