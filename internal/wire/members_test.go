package wire

import "testing"

// TestOnlyModelMembers checks that the copy-free check agrees with
// modelMembers on whether anything would be dropped, at the top level and
// inside lists of structures.
func TestOnlyModelMembers(t *testing.T) {
	for _, c := range []struct {
		shape, body string
		exact       bool
	}{
		{"DescribeAccountRequest", `{}`, true},
		{"DescribeAccountRequest", `{"AccountId":"111111111111"}`, true},
		{"DescribeAccountRequest", `{"accountid":"111111111111"}`, false},
		{"DescribeAccountRequest", `{"AccountId":"111111111111","Extra":1}`, false},
		{"TagResourceRequest", `{"ResourceId":"111111111111","Tags":[{"Key":"k","Value":"v"}]}`, true},
		{"TagResourceRequest", `{"ResourceId":"111111111111","Tags":[{"Key":"k","value":"v"}]}`, false},
		{"TagResourceRequest", `{"ResourceId":"111111111111","Tags":[{"Key":"k","Value":"v"},{"Key":"k","Value":"v","X":1}]}`, false},
		{"TagResourceRequest", `{"ResourceId":"111111111111","Tags":"not a list"}`, true},
		{"ListAccountsRequest", `{"MaxResults":20,"NextToken":"x"}`, true},
	} {
		doc, err := parseBody([]byte(c.body))
		if err != nil {
			t.Fatalf("%s: %v", c.body, err)
		}
		_, dropped := modelMembers(c.shape, doc)
		if got := onlyModelMembers(c.shape, doc); got != c.exact || got == dropped {
			t.Errorf("%s %s: onlyModelMembers %v, modelMembers dropped %v, want exact %v", c.shape, c.body, got, dropped, c.exact)
		}
	}
}
