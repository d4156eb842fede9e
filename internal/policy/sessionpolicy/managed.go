package sessionpolicy

import (
	"strings"

	"github.com/orgd/orgd/internal/policy/scp"
)

// managedDocuments are the AWS managed policies a session may name in
// PolicyArns that orgd knows the text of: the default version of each,
// as the AWS Managed Policy Reference Guide
// (https://docs.aws.amazon.com/aws-managed-policy/latest/reference/)
// prints it. Only those that decide Organizations and STS calls are here,
// and only ones whose text is on record; ReadOnlyAccess, for one, is not
// (its action list changes with every service AWS launches). An ARN not
// here grants nothing.
var managedDocuments = map[string]string{
	// v1, February 6, 2015.
	"AdministratorAccess": `{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": "*", "Resource": "*"}
  ]
}`,
	// v9, February 12, 2026.
	"AWSOrganizationsFullAccess": `{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "AWSOrganizationsFullAccess", "Effect": "Allow", "Action": "organizations:*", "Resource": "*"},
    {"Sid": "AWSOrganizationsFullAccessAccount", "Effect": "Allow", "Action": [
      "account:PutAlternateContact", "account:DeleteAlternateContact", "account:GetAlternateContact",
      "account:GetContactInformation", "account:PutContactInformation", "account:ListRegions",
      "account:EnableRegion", "account:DisableRegion", "account:PutAccountName", "account:GetAccountInformation"
    ], "Resource": "*"},
    {"Sid": "AWSOrganizationsFullAccessCreateSLR", "Effect": "Allow", "Action": "iam:CreateServiceLinkedRole", "Resource": "*",
     "Condition": {"StringEquals": {"iam:AWSServiceName": "organizations.amazonaws.com"}}}
  ]
}`,
	// v6, June 7, 2024.
	"AWSOrganizationsReadOnlyAccess": `{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "AWSOrganizationsReadOnly", "Effect": "Allow", "Action": ["organizations:Describe*", "organizations:List*"], "Resource": "*"},
    {"Sid": "AWSOrganizationsReadOnlyAccount", "Effect": "Allow", "Action": [
      "account:GetAlternateContact", "account:GetContactInformation", "account:ListRegions",
      "account:GetRegionOptStatus", "account:GetPrimaryEmail"
    ], "Resource": "*"}
  ]
}`,
	// v12, February 12, 2026.
	"PowerUserAccess": `{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "NotAction": ["iam:*", "organizations:*", "account:*"], "Resource": "*"},
    {"Effect": "Allow", "Action": [
      "account:GetAccountInformation", "account:GetGovCloudAccountInformation", "account:GetPrimaryEmail",
      "account:ListRegions", "iam:CreateServiceLinkedRole", "iam:DeleteServiceLinkedRole", "iam:ListRoles",
      "organizations:DescribeEffectivePolicy", "organizations:DescribeOrganization"
    ], "Resource": "*"}
  ]
}`,
}

// managed holds managedDocuments compiled, by name.
var managed = func() map[string]*scp.Document {
	m := make(map[string]*scp.Document, len(managedDocuments))
	for name, text := range managedDocuments {
		doc, err := scp.ParseSessionPolicy(text)
		if err != nil {
			panic("sessionpolicy: managed policy " + name + ": " + err.Error())
		}
		m[name] = doc
	}
	return m
}()

// Managed returns the compiled AWS managed policy that arn names,
// arn:<partition>:iam::aws:policy/<name> in the server's partition, or
// nil when orgd does not know it: a customer managed policy (orgd keeps
// none), an AWS managed policy not in managedDocuments, or an ARN of
// another partition. An empty partition means "aws".
func Managed(partition, arn string) *scp.Document {
	if partition == "" {
		partition = "aws"
	}
	rest, ok := strings.CutPrefix(arn, "arn:")
	if !ok {
		return nil
	}
	rest, ok = strings.CutPrefix(rest, partition)
	if !ok {
		return nil
	}
	name, ok := strings.CutPrefix(rest, ":iam::aws:policy/")
	if !ok {
		return nil
	}
	return managed[name]
}
