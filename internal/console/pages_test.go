package console_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/orgd/orgd/internal/server"
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

// The impact page shows the report of the last `orgd impact` run, in the
// JSON shape GET /_orgd/impact serves, escaped as any other text.
func TestImpactReport(t *testing.T) {
	fixture, err := os.ReadFile("testdata/impact.json")
	if err != nil {
		t.Fatal(err)
	}
	// A principal is whatever CloudTrail recorded: it must not become markup.
	hostile := []byte(strings.Replace(string(fixture), "user/build-bot", "user/<script>alert(1)</script>", 1))
	if string(hostile) == string(fixture) {
		t.Fatal("the fixture lacks user/build-bot")
	}
	for _, tc := range []struct {
		name   string
		last   func() ([]byte, bool)
		want   []string
		absent []string
	}{
		{"none yet", func() ([]byte, bool) { return nil, false }, []string{"No impact report yet"}, []string{"newly denied"}},
		{"a report", func() ([]byte, bool) { return hostile, true }, []string{
			"2026-12-01T08:30:00Z", `<span class="n">1842</span> events`, `<span class="n" id="newly-denied">31</span> newly denied`,
			`<span class="n">5</span> undetermined`, `<span class="n">14</span> failed on AWS`, `<span class="n">1</span> of unknown shape`, `<span class="n">7</span> copies left out`,
			"s3:PutBucketPolicy", "arn:aws:sts::222222222222:assumed-role/Deployer/ci", "<td>27</td>", `href="/_orgd/console/` + mgmtID + `/policies/p-4jxf1kwf01">DenyLeaving</a>`,
			"on ou-odg6-a2nrjtjd", "RegionLock", "OnlyEU", "&lt;script&gt;alert(1)&lt;/script&gt;",
			"ec2:CreateTags", "<code>aws:RequestTag/team</code> <code>ec2:CreateAction</code>",
		}, []string{"<script>alert", "No impact report yet"}},
		{"unreadable", func() ([]byte, bool) { return []byte("{not json"), true }, []string{"The last report is not readable"}, []string{"No impact report yet"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := seed(t, "", server.WithLastImpact(tc.last))
			code, body := get(t, http.DefaultClient, s.URL+"/_orgd/console/"+mgmtID+"/impact")
			if code != http.StatusOK {
				t.Fatalf("GET impact: %d\n%s", code, body)
			}
			for _, w := range tc.want {
				if !strings.Contains(body, w) {
					t.Errorf("lacks %q", w)
				}
			}
			for _, w := range tc.absent {
				if strings.Contains(body, w) {
					t.Errorf("has %q", w)
				}
			}
			if t.Failed() {
				t.Log(body)
			}
		})
	}
	// Without the option there is never a report.
	s := seed(t, "")
	if _, body := get(t, http.DefaultClient, s.URL+"/_orgd/console/"+mgmtID+"/impact"); !strings.Contains(body, "No impact report yet") {
		t.Errorf("without WithLastImpact:\n%s", body)
	}
}

func TestPagesNotFound(t *testing.T) {
	s := seed(t, "")
	c := noRedirect(t)
	for _, tc := range []struct {
		path string
		want int
		in   string
	}{
		// The landing page: the default account is in no organization.
		{"/_orgd/console/", http.StatusOK, "AWSOrganizationsNotInUseException"},
		{"/_orgd/console/?account=" + aliceID, http.StatusFound, ""},
		{"/_orgd/console/" + mgmtID, http.StatusMovedPermanently, ""},
		{"/_orgd/console/999999999999/", http.StatusNotFound, "AWSOrganizationsNotInUseException"},
		{"/_orgd/console/" + mgmtID + "/policies/p-nothere1", http.StatusNotFound, "PolicyNotFoundException"},
		{"/_orgd/console/" + mgmtID + "/accounts/999999999999", http.StatusNotFound, "AccountNotFoundException"},
		{"/_orgd/console/" + mgmtID + "/handshakes/h-nothere", http.StatusNotFound, "HandshakeNotFoundException"},
		{"/_orgd/console/" + mgmtID + "/nothing", http.StatusNotFound, "no console page at /_orgd/console/" + mgmtID + "/nothing"},
		{"/_orgd/console/notanaccount/tree", http.StatusNotFound, "There is no console page"},
		{"/_orgd/console/static/../console.go", http.StatusTemporaryRedirect, ""}, // to the clean path, no file
		{"/_orgd/console/static/sub/console.css", http.StatusNotFound, ""},
		{"/_orgd/console/static/", http.StatusNotFound, ""},
		{"/_orgd/console/static/console.css", http.StatusOK, "--accent"},
	} {
		resp, body := do(t, c, "GET", s.URL+tc.path, nil, nil)
		if resp.StatusCode != tc.want || !strings.Contains(body, tc.in) {
			t.Errorf("GET %s: %d, want %d with %q\n%s", tc.path, resp.StatusCode, tc.want, tc.in, body)
		}
	}
}

// The clock buttons move the server clock as POST /_orgd/clock does.
func TestAdvanceClock(t *testing.T) {
	s := seed(t, "")
	c := noRedirect(t)
	base := s.URL + "/_orgd/console/" + mgmtID
	_, body := do(t, c, "GET", base+"/", nil, nil)
	csrf := csrfField.FindStringSubmatch(body)[1]
	before, err := s.Svc.Now(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"", "-1", "soon", "1e12"} {
		if resp, _ := do(t, c, "POST", base+"/clock", url.Values{"csrf": {csrf}, "seconds": {bad}}, nil); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("seconds=%q: %d, want 400", bad, resp.StatusCode)
		}
	}
	if resp, _ := do(t, c, "POST", base+"/clock", url.Values{"seconds": {"86400"}}, nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("without the CSRF token: %d, want 403", resp.StatusCode)
	}
	resp, body := do(t, c, "POST", base+"/clock", url.Values{"csrf": {csrf}, "seconds": {"86400"}}, nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("advance: %d\n%s", resp.StatusCode, body)
	}
	after, err := s.Svc.Now(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if d := after.Sub(before); d < 24*time.Hour || d > 25*time.Hour {
		t.Errorf("the clock moved by %v, want a day", d)
	}
}
