// Command bare is the yardstick of bench/http: a bare net/http handler
// that reads the request body, as orgd does, and answers every request
// with the same JSON 1.1 reply of about 400 bytes. What orgd does beyond that is
// what the ratio in bench/http's table measures. With -accounts N the reply
// is instead a ListAccounts page of N accounts, the yardstick for a list
// page whose answer is many times larger, which costs the kernel more to
// send whoever sends it.
//
//	bare -listen 127.0.0.1:4610
//	bare -listen 127.0.0.1:4609 -accounts 20
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
)

// reply is a DescribeOrganization answer, about the size of orgd's.
var reply = []byte(`{"Organization":{"Arn":"arn:aws:organizations::100000000001:organization/o-abcdefghij","AvailablePolicyTypes":[{"Status":"ENABLED","Type":"SERVICE_CONTROL_POLICY"}],"FeatureSet":"ALL","Id":"o-abcdefghij","MasterAccountArn":"arn:aws:organizations::100000000001:account/o-abcdefghij/100000000001","MasterAccountEmail":"management-account@example.com","MasterAccountId":"100000000001"}}`)

func main() {
	listen := flag.String("listen", "127.0.0.1:4610", "address to listen on")
	accounts := flag.Int("accounts", 0, "answer a ListAccounts page of this many accounts instead")
	flag.Parse()
	if *accounts < 0 {
		fmt.Fprintln(os.Stderr, "bare: -accounts must not be negative")
		os.Exit(2)
	}
	if *accounts > 0 {
		reply = listAccounts(*accounts)
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.Copy(io.Discard, r.Body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.Write(reply)
	})
	if err := http.ListenAndServe(*listen, h); err != nil {
		fmt.Fprintln(os.Stderr, "bare:", err)
		os.Exit(1)
	}
}

// listAccounts is a ListAccounts answer of n accounts, each the size of
// one of orgd's, with a NextToken.
func listAccounts(n int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"Accounts":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"Arn":"arn:aws:organizations::100000000001:account/o-abcdefghij/%012d","Email":"member-%012d@example.com","Id":"%012d","JoinedMethod":"CREATED","JoinedTimestamp":1.764590000123E9,"Name":"member-%012d","State":"ACTIVE","Status":"ACTIVE"}`, 200000000000+i, 200000000000+i, 200000000000+i, 200000000000+i)
	}
	b.WriteString(`],"NextToken":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}`)
	return b.Bytes()
}
