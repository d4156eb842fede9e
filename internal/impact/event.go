package impact

import (
	"net/netip"
	"strings"

	"github.com/orgd/orgd/internal/policy/scp"
)

// Event is the part of a CloudTrail record that decides what the call
// was and who made it; the rest of the record is skipped.
type Event struct {
	EventVersion string       `json:"eventVersion"`
	UserIdentity userIdentity `json:"userIdentity"`
	EventTime    string       `json:"eventTime"`
	EventSource  string       `json:"eventSource"`
	EventName    string       `json:"eventName"`
	AWSRegion    string       `json:"awsRegion"`
	SourceIP     string       `json:"sourceIPAddress"`
	ErrorCode    string       `json:"errorCode"`
	EventType    string       `json:"eventType"`
	EventID      string       `json:"eventID"`
	Recipient    string       `json:"recipientAccountId"`
	VPCEndpoint  string       `json:"vpcEndpointId"`
	Resources    []struct {
		ARN       string `json:"ARN"`
		AccountID string `json:"accountId"`
	} `json:"resources"`
	TLSDetails *struct {
		TLSVersion string `json:"tlsVersion"`
	} `json:"tlsDetails"`
}

type userIdentity struct {
	Type           string `json:"type"`
	ARN            string `json:"arn"`
	AccountID      string `json:"accountId"`
	UserName       string `json:"userName"`
	InvokedBy      string `json:"invokedBy"`
	SessionContext struct {
		SessionIssuer struct {
			Type      string `json:"type"`
			ARN       string `json:"arn"`
			AccountID string `json:"accountId"`
		} `json:"sessionIssuer"`
		Attributes struct {
			MFAAuthenticated string `json:"mfaAuthenticated"`
		} `json:"attributes"`
	} `json:"sessionContext"`
}

// failedOnAWS reports whether AWS refused the call for lack of
// permission: its outcome is on record and needs no evaluating.
func (e *Event) failedOnAWS() bool {
	switch e.ErrorCode {
	case "AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "Client.UnauthorizedOperation", "UnauthorizedAccess", "Forbidden":
		return true
	}
	return false
}

// actionPrefixes are the services whose IAM prefix is not the first label
// of their CloudTrail event source.
var actionPrefixes = map[string]string{
	"monitoring": "cloudwatch",
	"email":      "ses",
}

// action is the IAM action of the call: the service prefix of the event
// source and the event name.
func (e *Event) action() string {
	svc, _, _ := strings.Cut(e.EventSource, ".")
	if p, ok := actionPrefixes[svc]; ok {
		svc = p
	}
	return svc + ":" + e.EventName
}

// rcpServices are the services RCPs apply to.
var rcpServices = map[string]bool{
	"s3": true, "sts": true, "kms": true, "sqs": true, "secretsmanager": true,
	"ecr": true, "aoss": true, "cognito-identity": true, "dynamodb": true, "logs": true,
}

// requestContext turns an event into what the evaluator needs. Its
// buffers are reused from one event to the next, so a replay allocates
// nothing per event for the context.
type requestContext struct {
	ctx  map[string][]string
	vals [20]string
	n    int
}

func newRequestContext() *requestContext {
	return &requestContext{ctx: make(map[string][]string, 16)}
}

func (rc *requestContext) set(key, value string) {
	rc.vals[rc.n] = value
	rc.ctx[key] = rc.vals[rc.n : rc.n+1 : rc.n+1]
	rc.n++
}

// principal names who made the call.
type principal struct {
	arn     string // aws:PrincipalArn; "" when the event does not say
	account string
	kind    string // aws:PrincipalType
	exempt  bool   // an AWS service, or a service-linked role
	known   bool   // the identity type is one SCPs are defined for
}

func (e *Event) principal() principal {
	u := &e.UserIdentity
	p := principal{account: u.AccountID}
	switch u.Type {
	case "Root":
		p.arn, p.kind, p.known = u.ARN, "Account", true
	case "IAMUser":
		p.arn, p.kind, p.known = u.ARN, "User", true
	case "AssumedRole":
		// aws:PrincipalArn of a role session is the role's ARN.
		p.arn, p.kind, p.known = u.SessionContext.SessionIssuer.ARN, "AssumedRole", true
		if p.arn == "" {
			p.arn = roleOfSession(u.ARN)
		}
		p.exempt = strings.Contains(p.arn, ":role/aws-service-role/")
	case "FederatedUser":
		p.arn, p.kind, p.known = u.ARN, "FederatedUser", true
	case "AWSAccount":
		// A call from another account that CloudTrail names only by its
		// account: the principal's ARN is not on record.
		p.kind, p.known = "", true
	case "AWSService":
		p.arn, p.exempt, p.known = u.InvokedBy, true, true
	}
	if p.account == "" {
		p.account = accountOfARN(p.arn)
	}
	return p
}

// roleOfSession maps arn:aws:sts::A:assumed-role/R/S to arn:aws:iam::A:role/R.
func roleOfSession(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 || !strings.HasPrefix(parts[5], "assumed-role/") {
		return ""
	}
	role, _, _ := strings.Cut(strings.TrimPrefix(parts[5], "assumed-role/"), "/")
	return parts[0] + ":" + parts[1] + ":iam::" + parts[4] + ":role/" + role
}

func accountOfARN(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return ""
	}
	return parts[4]
}

// knownKeys are the condition keys an event determines: each is either
// set from the event or known to be absent. Every other key is unknown.
var knownKeys = map[string]bool{}

func init() {
	for _, k := range []string{
		"aws:PrincipalArn", "aws:PrincipalAccount", "aws:PrincipalOrgID", "aws:PrincipalType", "aws:username",
		"aws:RequestedRegion", "aws:SourceIp", "aws:SourceVpce", "aws:ViaAWSService", "aws:CalledVia",
		"aws:CalledViaFirst", "aws:CalledViaLast", "aws:MultiFactorAuthPresent", "aws:PrincipalIsAWSService",
		"aws:SecureTransport", "aws:CurrentTime",
	} {
		knownKeys[strings.ToLower(k)] = true
	}
}

// unknownKey is scp.Request.Unknown for requests built from events.
func unknownKey(key string) bool {
	if knownKeys[key] {
		return false
	}
	return !knownKeys[strings.ToLower(key)]
}

// request fills rc from e and returns the request to evaluate, made by p.
// org is the organization's ID when p's account is a member.
func (rc *requestContext) request(e *Event, p *principal, org string) scp.Request {
	clear(rc.ctx)
	rc.n = 0
	if p.arn != "" {
		rc.set("aws:PrincipalArn", p.arn)
	}
	if p.account != "" {
		rc.set("aws:PrincipalAccount", p.account)
	}
	if org != "" {
		rc.set("aws:PrincipalOrgID", org)
	}
	if p.kind != "" {
		rc.set("aws:PrincipalType", p.kind)
	}
	if e.UserIdentity.Type == "IAMUser" && e.UserIdentity.UserName != "" {
		rc.set("aws:username", e.UserIdentity.UserName)
	}
	if e.AWSRegion != "" {
		rc.set("aws:RequestedRegion", e.AWSRegion)
	}
	// A call an AWS service makes on the principal's behalf has a service
	// name where the address would be, and no aws:SourceIp.
	if _, err := netip.ParseAddr(e.SourceIP); err == nil {
		rc.set("aws:SourceIp", e.SourceIP)
	}
	if e.VPCEndpoint != "" {
		rc.set("aws:SourceVpce", e.VPCEndpoint)
	}
	via := e.UserIdentity.InvokedBy
	if e.UserIdentity.Type != "AWSService" && strings.HasSuffix(via, ".amazonaws.com") {
		rc.set("aws:ViaAWSService", "true")
		rc.set("aws:CalledVia", via)
		rc.set("aws:CalledViaFirst", via)
		rc.set("aws:CalledViaLast", via)
	} else {
		rc.set("aws:ViaAWSService", "false")
	}
	if e.UserIdentity.Type == "AWSService" {
		rc.set("aws:PrincipalIsAWSService", "true")
	} else {
		rc.set("aws:PrincipalIsAWSService", "false")
	}
	// Only temporary credentials carry MFA state; for long-term keys the
	// key is absent, as on AWS.
	if mfa := e.UserIdentity.SessionContext.Attributes.MFAAuthenticated; mfa != "" {
		rc.set("aws:MultiFactorAuthPresent", mfa)
	}
	if e.TLSDetails != nil {
		rc.set("aws:SecureTransport", "true")
	}
	if e.EventTime != "" {
		rc.set("aws:CurrentTime", e.EventTime)
	}
	return scp.Request{
		Action:            e.action(),
		Principal:         p.arn,
		Account:           p.account,
		Context:           rc.ctx,
		ServiceLinkedRole: p.exempt,
		Unknown:           rc.unknown,
	}
}

// unknown adds to the keys no event reveals the ones this event leaves
// open: aws:SecureTransport without TLS details on record.
func (rc *requestContext) unknown(key string) bool {
	if strings.EqualFold(key, "aws:SecureTransport") {
		return true
	}
	return unknownKey(key)
}
