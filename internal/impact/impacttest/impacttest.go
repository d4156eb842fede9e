// Package impacttest writes synthetic CloudTrail logs for benchmarks of
// the replay: realistic records, cycling through a fixed set of callers,
// actions and regions, so that the report stays the same size whatever
// the number of events.
package impacttest

import (
	"bufio"
	"fmt"
	"io"
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
// CloudTrail log file ({"Records": [...]}).
func WriteRecords(w io.Writer, n int, accounts []string) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.WriteString(`{"Records":[`)
	for i := range n {
		if i > 0 {
			bw.WriteByte(',')
		}
		fmt.Fprintf(bw, templates[i%len(templates)], accounts[(i/len(templates))%len(accounts)], regions[(i/7)%len(regions)], i)
	}
	bw.WriteString("]}\n")
	return bw.Flush()
}
