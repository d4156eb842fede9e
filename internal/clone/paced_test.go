package clone_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/orgd/orgd/internal/clone"
)

// TestPacedCloneIsNeverThrottled clones the 301-account organization at
// the default pace from a source that throttles at AWS's rates: no call
// may be refused, and the time is about what Estimate says. It takes
// about 40 seconds, so it runs only with ORGD_CLONE_PACED=1.
func TestPacedCloneIsNeverThrottled(t *testing.T) {
	if os.Getenv("ORGD_CLONE_PACED") != "1" {
		t.Skip("a 40-second paced clone; ORGD_CLONE_PACED=1 runs it")
	}
	src := startOrgd(t, frozen(sourceConfig()), throttled())
	seedRich(t, src)
	start := time.Now()
	var n counting
	snap, err := clone.Crawl(context.Background(), src.client(t, mgmtID, clone.Retryer), clone.Options{Pace: clone.DefaultPace, Progress: &n})
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	est, op := clone.Estimate(clone.Size{Accounts: len(snap.Accounts), OUs: len(snap.OUs), Policies: len(snap.Policies), CreateRequests: len(snap.CreateStatuses), Handshakes: len(snap.Handshakes)}, clone.DefaultPace)
	t.Logf("%d accounts, %d OUs, %d policies: %s, %d calls, %d throttled; Estimate %s (%s)",
		len(snap.Accounts), len(snap.OUs), len(snap.Policies), took.Round(time.Millisecond), n.last.Calls, src.Throttled.Load(), est, op)
	if src.Throttled.Load() != 0 {
		t.Errorf("the source throttled %d calls of a paced clone", src.Throttled.Load())
	}
	if took < est*9/10 {
		t.Errorf("took %s, under the %s the pace allows: it is not paced", took, est)
	}
}
