package e2e

import (
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"
)

// GetSessionToken, GetFederationToken, GetAccessKeyInfo and
// DecodeAuthorizationMessage through aws-sdk-go-v2 against a strict
// server: the credentials they issue sign requests, act as AWS says they
// do, and may call of STS only what AWS lets them.
func TestStrictSTSTokens(t *testing.T) {
	t.Parallel()
	h := newStrictHarness(t)
	if _, err := h.orgsFrom(staticConfig(t, mgmtKey, mgmtSecret, "", false)).CreateOrganization(ctx(t), &organizations.CreateOrganizationInput{}); err != nil {
		t.Fatal(err)
	}
	alice := h.stsFrom(staticConfig(t, aliceKey, aliceSecret, "", false))
	aliceARN := "arn:aws:iam::" + mgmtID + ":user/alice"
	wantCode := func(t *testing.T, err error, code string) {
		t.Helper()
		var ae smithy.APIError
		if !errors.As(err, &ae) || ae.ErrorCode() != code {
			t.Fatalf("got %v, want %s", err, code)
		}
	}
	sessionClients := func(c *ststypes.Credentials) (*sts.Client, *organizations.Client) {
		cfg := staticConfig(t, aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken), false)
		return h.stsFrom(cfg), h.orgsFrom(cfg)
	}

	t.Run("GetSessionToken", func(t *testing.T) {
		start := h.now(t)
		out, err := alice.GetSessionToken(ctx(t), &sts.GetSessionTokenInput{
			DurationSeconds: aws.Int32(900), SerialNumber: aws.String("arn:aws:iam::" + mgmtID + ":mfa/alice"), TokenCode: aws.String("123456"),
		})
		if err != nil {
			t.Fatal(err)
		}
		if exp := aws.ToTime(out.Credentials.Expiration); exp.Before(start.Add(899*time.Second)) || exp.After(start.Add(902*time.Second)) {
			t.Fatalf("expiration %v, want 900 s after %v", exp, start)
		}
		s, orgs := sessionClients(out.Credentials)
		who, err := s.GetCallerIdentity(ctx(t), &sts.GetCallerIdentityInput{})
		if err != nil || aws.ToString(who.Arn) != aliceARN || aws.ToString(who.Account) != mgmtID {
			t.Fatalf("caller %+v %v", who, err)
		}
		if _, err := orgs.DescribeOrganization(ctx(t), &organizations.DescribeOrganizationInput{}); err != nil {
			t.Fatal(err)
		}
		_, err = s.GetSessionToken(ctx(t), &sts.GetSessionTokenInput{})
		wantCode(t, err, "AccessDenied")
		if _, err := s.AssumeRole(ctx(t), &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + mgmtID + ":role/R"), RoleSessionName: aws.String("s1"), DurationSeconds: aws.Int32(7200)}); err != nil {
			t.Fatalf("a session token may assume a role for more than an hour: %v", err)
		}
		info, err := alice.GetAccessKeyInfo(ctx(t), &sts.GetAccessKeyInfoInput{AccessKeyId: out.Credentials.AccessKeyId})
		if err != nil || aws.ToString(info.Account) != mgmtID {
			t.Fatalf("GetAccessKeyInfo %+v %v", info, err)
		}
		_, err = alice.GetSessionToken(ctx(t), &sts.GetSessionTokenInput{DurationSeconds: aws.Int32(129601)})
		wantCode(t, err, "ValidationError")
	})

	t.Run("GetFederationToken", func(t *testing.T) {
		out, err := alice.GetFederationToken(ctx(t), &sts.GetFederationTokenInput{
			Name: aws.String("ci-bot"), Policy: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"organizations:Describe*","Resource":"*"}]}`),
		})
		if err != nil {
			t.Fatal(err)
		}
		arn := "arn:aws:sts::" + mgmtID + ":federated-user/ci-bot"
		if aws.ToString(out.FederatedUser.Arn) != arn || aws.ToString(out.FederatedUser.FederatedUserId) != mgmtID+":ci-bot" || out.PackedPolicySize == nil {
			t.Fatalf("federated user %+v, packed %v", out.FederatedUser, out.PackedPolicySize)
		}
		s, orgs := sessionClients(out.Credentials)
		who, err := s.GetCallerIdentity(ctx(t), &sts.GetCallerIdentityInput{})
		if err != nil || aws.ToString(who.Arn) != arn || aws.ToString(who.UserId) != mgmtID+":ci-bot" {
			t.Fatalf("caller %+v %v", who, err)
		}
		if _, err := orgs.DescribeOrganization(ctx(t), &organizations.DescribeOrganizationInput{}); err != nil {
			t.Fatal(err)
		}
		_, err = s.AssumeRole(ctx(t), &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + mgmtID + ":role/R"), RoleSessionName: aws.String("s1")})
		wantCode(t, err, "AccessDenied")
		_, err = s.GetFederationToken(ctx(t), &sts.GetFederationTokenInput{Name: aws.String("again")})
		wantCode(t, err, "AccessDenied")
		_, err = alice.GetFederationToken(ctx(t), &sts.GetFederationTokenInput{Name: aws.String("x")})
		wantCode(t, err, "ValidationError")
		_, err = alice.GetFederationToken(ctx(t), &sts.GetFederationTokenInput{Name: aws.String("bob"), Policy: aws.String("not json")})
		var malformed *ststypes.MalformedPolicyDocumentException
		if !errors.As(err, &malformed) {
			t.Fatalf("got %v, want MalformedPolicyDocumentException", err)
		}
	})

	t.Run("GetAccessKeyInfo", func(t *testing.T) {
		info, err := alice.GetAccessKeyInfo(ctx(t), &sts.GetAccessKeyInfoInput{AccessKeyId: aws.String(memberKey)})
		if err != nil || aws.ToString(info.Account) != memberID {
			t.Fatalf("%+v %v", info, err)
		}
		_, err = alice.GetAccessKeyInfo(ctx(t), &sts.GetAccessKeyInfoInput{AccessKeyId: aws.String(unknownKey)})
		wantCode(t, err, "ValidationError")
	})

	t.Run("DecodeAuthorizationMessage", func(t *testing.T) {
		_, err := alice.DecodeAuthorizationMessage(ctx(t), &sts.DecodeAuthorizationMessageInput{EncodedMessage: aws.String("not-an-orgd-message")})
		var invalid *ststypes.InvalidAuthorizationMessageException
		if !errors.As(err, &invalid) {
			t.Fatalf("got %v, want InvalidAuthorizationMessageException", err)
		}
	})
}
