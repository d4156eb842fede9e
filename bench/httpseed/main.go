// Command httpseed prepares the organization bench/http loads: an
// ALL-features organization made through the API, with accounts created
// by CreateAccount, an OU and a service control policy. It prints the
// IDs the load needs as shell assignments (ROOT=r-… and so on).
//
//	httpseed -url http://127.0.0.1:4611 -management 100000000001 -accounts 50
//
// The server should run with --create-account-delay 0 so that the
// accounts exist as soon as they are asked for.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "httpseed:", err)
		os.Exit(1)
	}
}

func run() error {
	url := flag.String("url", "http://127.0.0.1:4611", "orgd's URL")
	mgmt := flag.String("management", "100000000001", "the management account (permissive mode's 12-digit access key)")
	n := flag.Int("accounts", 50, "member accounts to create")
	flag.Parse()
	c := caller{url: *url, acct: *mgmt}
	if err := c.call("CreateOrganization", map[string]string{"FeatureSet": "ALL"}, nil); err != nil {
		return err
	}
	var roots struct{ Roots []struct{ Id string } }
	if err := c.call("ListRoots", map[string]any{}, &roots); err != nil {
		return err
	}
	if len(roots.Roots) != 1 {
		return fmt.Errorf("%d roots", len(roots.Roots))
	}
	root := roots.Roots[0].Id
	for i := range *n {
		err := c.call("CreateAccount", map[string]string{
			"Email": fmt.Sprintf("member-%d@example.com", i), "AccountName": fmt.Sprintf("member %d", i),
		}, nil)
		if err != nil {
			return err
		}
	}
	// The creations finish as due work; wait until every one has.
	var accounts []string
	for deadline := time.Now().Add(30 * time.Second); ; {
		accounts = accounts[:0]
		in := map[string]any{}
		for {
			var page struct {
				Accounts  []struct{ Id string }
				NextToken string
			}
			if err := c.call("ListAccounts", in, &page); err != nil {
				return err
			}
			for _, a := range page.Accounts {
				accounts = append(accounts, a.Id)
			}
			if page.NextToken == "" {
				break
			}
			in["NextToken"] = page.NextToken
		}
		if len(accounts) == *n+1 {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d of %d accounts created after 30 s: does the server run with --create-account-delay 0?", len(accounts)-1, *n)
		}
		time.Sleep(50 * time.Millisecond)
	}
	var ou struct{ OrganizationalUnit struct{ Id string } }
	if err := c.call("CreateOrganizationalUnit", map[string]string{"ParentId": root, "Name": "bench"}, &ou); err != nil {
		return err
	}
	var policy struct {
		Policy struct{ PolicySummary struct{ Id string } }
	}
	err := c.call("CreatePolicy", map[string]string{
		"Name": "bench", "Description": "bench/http", "Type": "SERVICE_CONTROL_POLICY",
		"Content": `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:DeleteBucket","Resource":"*"}]}`,
	}, &policy)
	if err != nil {
		return err
	}
	member := accounts[len(accounts)-1]
	if member == *mgmt {
		member = accounts[0]
	}
	// MEMBERS, not ACCOUNTS: bench/http's ACCOUNTS is the count, often
	// exported, and as a list of 20,000 IDs it would be too long for the
	// environment of every command after.
	fmt.Printf("ROOT=%s\nOU=%s\nPOLICY=%s\nMEMBER=%s\nMEMBERS=%q\n", root, ou.OrganizationalUnit.Id,
		policy.Policy.PolicySummary.Id, member, strings.Join(accounts, " "))
	return nil
}

type caller struct{ url, acct string }

// call sends one JSON 1.1 request as c.acct and decodes the reply into out.
func (c caller) call(op string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	req, err := http.NewRequest(http.MethodPost, c.url+"/", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "AWSOrganizationsV20161128."+op)
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+c.acct+"/20260101/us-east-1/organizations/aws4_request, SignedHeaders=host, Signature=0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return errors.New(op + ": " + resp.Status + ": " + string(b))
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(b, out)
}
