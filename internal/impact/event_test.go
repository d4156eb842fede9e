package impact

import (
	"slices"
	"testing"

	"github.com/go-json-experiment/json"
)

func TestRequestFromEvent(t *testing.T) {
	cases := []struct {
		name      string
		event     string
		action    string
		principal string
		account   string
		exempt    bool
		known     bool
		ctx       map[string][]string // keys that must have these values
		absent    []string            // keys that must be absent, and known to be
		unknown   []string            // keys the event cannot reveal
	}{
		{"IAM user with long-term keys",
			`{"userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::222222222222:user/alice","accountId":"222222222222","userName":"alice"},"eventSource":"iam.amazonaws.com","eventName":"CreateAccessKey","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.10","tlsDetails":{"tlsVersion":"TLSv1.3"}}`,
			"iam:CreateAccessKey", "arn:aws:iam::222222222222:user/alice", "222222222222", false, true,
			map[string][]string{"aws:PrincipalArn": {"arn:aws:iam::222222222222:user/alice"}, "aws:username": {"alice"}, "aws:PrincipalType": {"User"},
				"aws:SourceIp": {"203.0.113.10"}, "aws:SecureTransport": {"true"}, "aws:ViaAWSService": {"false"}, "aws:PrincipalIsAWSService": {"false"}, "aws:RequestedRegion": {"us-east-1"}},
			[]string{"aws:MultiFactorAuthPresent", "aws:CalledVia", "aws:SourceVpce"}, []string{"aws:PrincipalTag/team", "ec2:InstanceType"}},
		{"role session through CloudFormation",
			`{"userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::222222222222:assumed-role/deploy/s","accountId":"222222222222","invokedBy":"cloudformation.amazonaws.com","sessionContext":{"sessionIssuer":{"arn":"arn:aws:iam::222222222222:role/deploy"},"attributes":{"mfaAuthenticated":"true"}}},"eventSource":"s3.amazonaws.com","eventName":"CreateBucket","awsRegion":"eu-west-1","sourceIPAddress":"cloudformation.amazonaws.com"}`,
			"s3:CreateBucket", "arn:aws:iam::222222222222:role/deploy", "222222222222", false, true,
			map[string][]string{"aws:ViaAWSService": {"true"}, "aws:CalledVia": {"cloudformation.amazonaws.com"}, "aws:MultiFactorAuthPresent": {"true"}, "aws:PrincipalType": {"AssumedRole"}},
			[]string{"aws:SourceIp"}, []string{"aws:SecureTransport"}}, // no tlsDetails on record
		{"role session without its issuer on record",
			`{"userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::222222222222:assumed-role/deploy/s","accountId":"222222222222"},"eventSource":"monitoring.amazonaws.com","eventName":"PutMetricData"}`,
			"cloudwatch:PutMetricData", "arn:aws:iam::222222222222:role/deploy", "222222222222", false, true, nil, nil, nil},
		{"service-linked role",
			`{"userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::222222222222:assumed-role/AWSServiceRoleForAutoScaling/AutoScaling","sessionContext":{"sessionIssuer":{"arn":"arn:aws:iam::222222222222:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"}}},"eventSource":"ec2.amazonaws.com","eventName":"RunInstances"}`,
			"ec2:RunInstances", "arn:aws:iam::222222222222:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling", "222222222222", true, true, nil, nil, nil},
		{"AWS service", `{"userIdentity":{"type":"AWSService","invokedBy":"cloudtrail.amazonaws.com"},"eventSource":"s3.amazonaws.com","eventName":"GetBucketAcl"}`,
			"s3:GetBucketAcl", "cloudtrail.amazonaws.com", "", true, true, map[string][]string{"aws:PrincipalIsAWSService": {"true"}, "aws:ViaAWSService": {"false"}}, nil, nil},
		{"root", `{"userIdentity":{"type":"Root","arn":"arn:aws:iam::333333333333:root","accountId":"333333333333"},"eventSource":"organizations.amazonaws.com","eventName":"LeaveOrganization"}`,
			"organizations:LeaveOrganization", "arn:aws:iam::333333333333:root", "333333333333", false, true, map[string][]string{"aws:PrincipalType": {"Account"}}, nil, nil},
		{"federated user", `{"userIdentity":{"type":"FederatedUser","arn":"arn:aws:sts::333333333333:federated-user/sam","accountId":"333333333333"},"eventSource":"email.amazonaws.com","eventName":"SendEmail"}`,
			"ses:SendEmail", "arn:aws:sts::333333333333:federated-user/sam", "333333333333", false, true, nil, nil, nil},
		{"another account, named only by its ID", `{"userIdentity":{"type":"AWSAccount","accountId":"999999999999"},"eventSource":"kms.amazonaws.com","eventName":"Decrypt"}`,
			"kms:Decrypt", "", "999999999999", false, true, map[string][]string{"aws:PrincipalAccount": {"999999999999"}}, []string{"aws:PrincipalArn"}, nil},
		{"SAML user", `{"userIdentity":{"type":"SAMLUser","userName":"jane"},"eventSource":"sts.amazonaws.com","eventName":"AssumeRoleWithSAML"}`,
			"sts:AssumeRoleWithSAML", "", "", false, false, nil, nil, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var e Event
			if err := json.Unmarshal([]byte(c.event), &e, decodeOptions); err != nil {
				t.Fatal(err)
			}
			p := e.principal()
			if p.known != c.known || p.exempt != c.exempt {
				t.Fatalf("known %v exempt %v, want %v %v", p.known, p.exempt, c.known, c.exempt)
			}
			if !c.known {
				return
			}
			rc := newRequestContext()
			req := rc.request(&e, &p, "o-example")
			if req.Action != c.action || req.Principal != c.principal || req.Account != c.account || req.ServiceLinkedRole != c.exempt {
				t.Fatalf("request %+v, want %s by %s of %s", req, c.action, c.principal, c.account)
			}
			for k, v := range c.ctx {
				if !slices.Equal(req.Context[k], v) {
					t.Errorf("%s = %q, want %q", k, req.Context[k], v)
				}
			}
			for _, k := range c.absent {
				if _, ok := req.Context[k]; ok || req.Unknown(k) {
					t.Errorf("%s should be known to be absent: %q, unknown %v", k, req.Context[k], req.Unknown(k))
				}
			}
			for _, k := range c.unknown {
				if !req.Unknown(k) {
					t.Errorf("%s should be unknown", k)
				}
			}
		})
	}
}
