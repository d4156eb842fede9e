// Command bare is the yardstick of bench/http: a bare net/http handler
// that reads the request body, as orgd does, and answers every request
// with the same JSON 1.1 reply of about 400 bytes. What orgd does beyond that is
// what the ratio in bench/http's table measures.
//
//	bare -listen 127.0.0.1:4610
package main

import (
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
	flag.Parse()
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
