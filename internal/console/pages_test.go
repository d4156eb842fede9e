package console_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// get fetches a console URL with client c and returns the status and body.
func get(t testing.TB, c *http.Client, url string) (int, string) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

func TestPages(t *testing.T) {
	s := seed(t, "")
	base := s.URL + "/_orgd/console/" + mgmtID
	for _, tc := range []struct {
		path string
		want []string
	}{
		{"/", []string{"Organization", s.RootID, "Server clock"}},
		{"/tree", []string{"Workloads", "Sandbox", "Carol Shared"}},
		{"/tree?parent=" + s.Workloads, []string{"Prod"}},
		{"/tree/children?parent=" + s.Prod, []string{"Alice Prod"}},
		{"/search?q=alice", []string{aliceID}},
		{"/accounts/" + aliceID, []string{"DenyLeaving", "Inherited", "payments"}},
		{"/accounts/" + aliceID + "?action=organizations:LeaveOrganization", []string{"Denied", "NoLeaving"}},
		{"/handshakes", []string{"Invite"}},
		{"/migration", []string{"all features enabled"}},
		{"/policies", []string{"DenyLeaving", "FullAWSAccess"}},
		{"/policies/" + s.SCP, []string{"Workloads", "NoLeaving"}},
		{"/delegated", []string{"No delegated administrator"}},
		{"/impact", []string{"No impact report yet"}},
	} {
		code, body := get(t, http.DefaultClient, base+tc.path)
		if code != http.StatusOK {
			t.Errorf("GET %s: %d\n%s", tc.path, code, body)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(body, w) {
				t.Errorf("GET %s lacks %q:\n%s", tc.path, w, body)
			}
		}
	}
}
