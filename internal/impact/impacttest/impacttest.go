// Package impacttest holds what benchmarks of the replay share: an
// organization with ten SCPs on every level of a five-level path, and
// synthetic CloudTrail logs of realistic records that cycle through a
// fixed set of callers, actions and regions, so that the report stays the
// same size whatever the number of events.
package impacttest

import (
	"bufio"
	"context"
	"fmt"
	"io"

	"github.com/orgd/orgd/internal/api"
	"github.com/orgd/orgd/internal/identity"
	"github.com/orgd/orgd/internal/org"
)

// template is one kind of call; %[1]s is the account, %[2]s the region,
// %[3]d the event number.
var templates = []string{
	`{"eventVersion":"1.10","userIdentity":{"type":"AssumedRole","principalId":"AROAEXAMPLE:deploy-%[3]d","arn":"arn:aws:sts::%[1]s:assumed-role/deploy/ci-%[3]d","accountId":"%[1]s","accessKeyId":"ASIAEXAMPLE","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROAEXAMPLE","arn":"arn:aws:iam::%[1]s:role/deploy","accountId":"%[1]s","userName":"deploy"},"attributes":{"creationDate":"2026-11-24T08:00:00Z","mfaAuthenticated":"false"}}},"eventTime":"2026-11-24T09:01:12Z","eventSource":"ec2.amazonaws.com","eventName":"RunInstances","awsRegion":"%[2]s","sourceIPAddress":"203.0.113.10","userAgent":"aws-cli/2.22.0 md/Botocore#1.35.0 ua/2.0 os/linux#6.8 md/arch#x86_64 lang/python#3.12.6","requestParameters":{"instancesSet":{"items":[{"imageId":"ami-0abcdef1234567890","minCount":1,"maxCount":1}]},"instanceType":"t3.micro"},"responseElements":{"requestId":"6d5e7c1a-0000-4000-8000-%012[3]d","reservationId":"r-0123456789abcdef0"},"requestID":"6d5e7c1a-0000-4000-8000-%012[3]d","eventID":"0b1c2d3e-0000-4000-8000-%012[3]d","readOnly":false,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"%[1]s","eventCategory":"Management","tlsDetails":{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":"ec2.%[2]s.amazonaws.com"}}`,
	`{"eventVersion":"1.10","userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::%[1]s:user/alice","accountId":"%[1]s","accessKeyId":"AKIAEXAMPLE","userName":"alice"},"eventTime":"2026-11-24T09:10:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"%[2]s","sourceIPAddress":"198.51.100.7","userAgent":"[aws-sdk-go-v2/1.32.0 os/linux lang/go#1.23 md/GOOS#linux md/GOARCH#amd64 api/s3#1.66.0]","requestParameters":{"bucketName":"data-%[1]s","key":"exports/part-%[3]d.parquet","Host":"data-%[1]s.s3.%[2]s.amazonaws.com"},"responseElements":null,"additionalEventData":{"SignatureVersion":"SigV4","CipherSuite":"TLS_AES_128_GCM_SHA256","bytesTransferredIn":0,"AuthenticationMethod":"AuthHeader","x-amz-id-2":"EXAMPLE","bytesTransferredOut":1048576},"requestID":"EXAMPLE%[3]d","eventID":"1c2d3e4f-0000-4000-8000-%012[3]d","readOnly":true,"resources":[{"type":"AWS::S3::Object","ARN":"arn:aws:s3:::data-%[1]s/exports/part-%[3]d.parquet"},{"accountId":"%[1]s","type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::data-%[1]s"}],"eventType":"AwsApiCall","managementEvent":false,"recipientAccountId":"%[1]s","eventCategory":"Data","tlsDetails":{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":"data-%[1]s.s3.%[2]s.amazonaws.com"}}`,
	`{"eventVersion":"1.10","userIdentity":{"type":"AssumedRole","principalId":"AROAEXAMPLE:lambda","arn":"arn:aws:sts::%[1]s:assumed-role/app/fn","accountId":"%[1]s","accessKeyId":"ASIAEXAMPLE","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROAEXAMPLE","arn":"arn:aws:iam::%[1]s:role/app","accountId":"%[1]s","userName":"app"},"attributes":{"creationDate":"2026-11-24T08:00:00Z","mfaAuthenticated":"false"}}},"eventTime":"2026-11-24T09:20:00Z","eventSource":"dynamodb.amazonaws.com","eventName":"PutItem","awsRegion":"%[2]s","sourceIPAddress":"10.0.1.25","userAgent":"aws-sdk-java/2.25.0","requestParameters":{"tableName":"orders","key":{"id":"%[3]d"}},"responseElements":null,"requestID":"EXAMPLE%[3]d","eventID":"2d3e4f50-0000-4000-8000-%012[3]d","readOnly":false,"resources":[{"accountId":"%[1]s","type":"AWS::DynamoDB::Table","ARN":"arn:aws:dynamodb:%[2]s:%[1]s:table/orders"}],"eventType":"AwsApiCall","managementEvent":false,"recipientAccountId":"%[1]s","eventCategory":"Data","tlsDetails":{"tlsVersion":"TLSv1.2","cipherSuite":"ECDHE-RSA-AES128-GCM-SHA256","clientProvidedHostHeader":"dynamodb.%[2]s.amazonaws.com"}}`,
	`{"eventVersion":"1.10","userIdentity":{"type":"AssumedRole","principalId":"AROAEXAMPLE:cfn","arn":"arn:aws:sts::%[1]s:assumed-role/deploy/AWSCloudFormation","accountId":"%[1]s","accessKeyId":"ASIAEXAMPLE","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROAEXAMPLE","arn":"arn:aws:iam::%[1]s:role/deploy","accountId":"%[1]s","userName":"deploy"},"attributes":{"creationDate":"2026-11-24T08:00:00Z","mfaAuthenticated":"false"}},"invokedBy":"cloudformation.amazonaws.com"},"eventTime":"2026-11-24T09:30:00Z","eventSource":"iam.amazonaws.com","eventName":"CreateRole","awsRegion":"us-east-1","sourceIPAddress":"cloudformation.amazonaws.com","userAgent":"cloudformation.amazonaws.com","requestParameters":{"roleName":"stack-role-%[3]d","assumeRolePolicyDocument":"{}"},"responseElements":{"role":{"path":"/","roleName":"stack-role-%[3]d","arn":"arn:aws:iam::%[1]s:role/stack-role-%[3]d"}},"requestID":"EXAMPLE%[3]d","eventID":"3e4f5061-0000-4000-8000-%012[3]d","readOnly":false,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"%[1]s","eventCategory":"Management","tlsDetails":{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":"iam.amazonaws.com"}}`,
	`{"eventVersion":"1.10","userIdentity":{"type":"AssumedRole","principalId":"AROAEXAMPLE:AutoScaling","arn":"arn:aws:sts::%[1]s:assumed-role/AWSServiceRoleForAutoScaling/AutoScaling","accountId":"%[1]s","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROAEXAMPLE","arn":"arn:aws:iam::%[1]s:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling","accountId":"%[1]s","userName":"AWSServiceRoleForAutoScaling"}},"invokedBy":"autoscaling.amazonaws.com"},"eventTime":"2026-11-24T09:40:00Z","eventSource":"ec2.amazonaws.com","eventName":"RunInstances","awsRegion":"%[2]s","sourceIPAddress":"autoscaling.amazonaws.com","userAgent":"autoscaling.amazonaws.com","requestParameters":{"instanceType":"m7g.large"},"responseElements":null,"requestID":"EXAMPLE%[3]d","eventID":"4f506172-0000-4000-8000-%012[3]d","readOnly":false,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"%[1]s","eventCategory":"Management"}`,
}

var regions = []string{"eu-west-1", "us-east-1", "eu-central-1", "ap-southeast-2"}

// WriteRecords writes n events made by principals of accounts as one
// CloudTrail log file ({"Records": [...]}): the events numbered from
// first of an endless log. Each has its own eventID, so the files of one
// log written from first 0, n, 2n... hold no copies of an event, which a
// replay would count once.
func WriteRecords(w io.Writer, first, n int, accounts []string) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.WriteString(`{"Records":[`)
	for i := first; i < first+n; i++ {
		if i > first {
			bw.WriteByte(',')
		}
		fmt.Fprintf(bw, templates[i%len(templates)], accounts[(i/len(templates))%len(accounts)], regions[(i/7)%len(regions)], i)
	}
	bw.WriteString("]}\n")
	return bw.Flush()
}

// Accounts are the members Org puts at the bottom of its path, and whose
// principals WriteRecords' events come from.
var Accounts = []string{"222222222222", "333333333333", "444444444444", "555555555555"}

// Management is the management account of Org's organization.
const Management = "111111111111"

// RegionSCP is a region restriction: a proposal to replay the events
// against, which denies those made outside two regions.
const RegionSCP = `{"Version":"2012-10-17","Statement":[{"Sid":"DenyOutsideEU","Effect":"Deny",` +
	`"NotAction":["iam:*","organizations:*","sts:*","support:*","cloudfront:*","route53:*","budgets:*"],"Resource":"*",` +
	`"Condition":{"StringNotEquals":{"aws:RequestedRegion":["eu-west-1","eu-central-1"]}}}]}`

// Org builds, in svc, the organization of the replay benchmarks: a
// five-level path (root, three OUs, the first account) with ten SCPs on
// every level but the lowest OU, which has nine so a proposal can add one:
// FullAWSAccess and SCPs with a Deny outside four regions, which most
// calls pass, and an Allow. The Accounts sit at the bottom. It returns
// the ID of the lowest OU.
func Org(svc *org.Service) (string, error) {
	mg := as(Management)
	if _, err := svc.CreateOrganization(mg, &api.CreateOrganizationRequest{}); err != nil {
		return "", err
	}
	roots, err := svc.ListRoots(mg, &api.ListRootsRequest{})
	if err != nil {
		return "", err
	}
	parent := roots.Roots[0].Id
	targets := []string{parent}
	for d := 1; d <= 3; d++ {
		ou, err := svc.CreateOrganizationalUnit(mg, &api.CreateOrganizationalUnitRequest{ParentId: parent, Name: fmt.Sprintf("level%d", d)})
		if err != nil {
			return "", err
		}
		parent = ou.OrganizationalUnit.Id
		targets = append(targets, parent)
	}
	for _, acct := range Accounts {
		inv, err := svc.InviteAccountToOrganization(mg, &api.InviteAccountToOrganizationRequest{Target: &api.HandshakeParty{Id: acct, Type: api.HandshakePartyTypeAccount}})
		if err != nil {
			return "", err
		}
		if _, err := svc.AcceptHandshake(as(acct), &api.AcceptHandshakeRequest{HandshakeId: inv.Handshake.Id}); err != nil {
			return "", err
		}
		if _, err := svc.MoveAccount(mg, &api.MoveAccountRequest{AccountId: acct, SourceParentId: targets[0], DestinationParentId: parent}); err != nil {
			return "", err
		}
	}
	for l, target := range append(targets, Accounts[0]) {
		n := 10
		if l == len(targets)-1 {
			n = 9
		}
		for i := 1; i < n; i++ {
			content := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[`+
				`{"Sid":"DenyOutsideRegions%d%d","Effect":"Deny","NotAction":["iam:*","sts:*","organizations:*"],"Resource":"*",`+
				`"Condition":{"StringNotEquals":{"aws:RequestedRegion":["us-east-1","eu-west-1","eu-central-1","ap-southeast-%d"]}}},`+
				`{"Effect":"Allow","Action":["ec2:*","s3:*","dynamodb:*","iam:*"],"Resource":"*"}]}`, l, i, i)
			p, err := svc.CreatePolicy(mg, &api.CreatePolicyRequest{Name: fmt.Sprintf("p%d-%d", l, i), Type: api.PolicyTypeServiceControlPolicy, Content: content})
			if err != nil {
				return "", err
			}
			if _, err := svc.AttachPolicy(mg, &api.AttachPolicyRequest{PolicyId: p.Policy.PolicySummary.Id, TargetId: target}); err != nil {
				return "", err
			}
		}
	}
	return parent, nil
}

func as(acct string) context.Context {
	return identity.NewContext(context.Background(), identity.Caller{AccountID: acct, AccessKeyID: acct})
}
