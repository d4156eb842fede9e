package impact

import (
	"bytes"
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/orgd/orgd/internal/api"
	"github.com/orgd/orgd/internal/impact/impacttest"
	"github.com/orgd/orgd/internal/org"
)

// BenchmarkReplay measures events per second through the reader, the
// request context and both decisions, on ten SCPs per level of a
// five-level path (impacttest.Org), with a proposal that swaps one of
// them for a region restriction.
func BenchmarkReplay(b *testing.B) {
	svc := newService(b)
	ou, err := impacttest.Org(svc)
	if err != nil {
		b.Fatal(err)
	}
	var p org.Proposal
	ids := must[*api.ListPoliciesForTargetResponse](b)(svc.ListPoliciesForTarget(as(mgmtAcct), &api.ListPoliciesForTargetRequest{TargetId: ou, Filter: api.PolicyTypeServiceControlPolicy}))
	p.Detach = []org.PolicyAttachment{{Policy: ids.Policies[1].Id, Target: ou}}
	p.New = []org.ProposedPolicy{newSCP("eu-only", impacttest.RegionSCP)}
	p.Attach = []org.PolicyAttachment{{Policy: "eu-only", Target: ou}}
	sim, err := svc.Simulate(context.Background(), p)
	if err != nil {
		b.Fatal(err)
	}
	const perRun = 20000
	var log bytes.Buffer
	if err := impacttest.WriteRecords(&log, 0, perRun, impacttest.Accounts); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(log.Len() / perRun))
	b.ResetTimer()
	// CPU time says what the replay costs even when other work shares
	// the machine and stretches the wall clock.
	var before, after syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &before)
	start := time.Now()
	events := 0
	for events < b.N {
		rep, err := Replay(context.Background(), sim, NewReader(bytes.NewReader(log.Bytes()), "bench"), Options{})
		if err != nil {
			b.Fatal(err)
		}
		if rep.Summary.Events != perRun || rep.Summary.Duplicates != 0 || rep.Summary.UnknownShape != 0 || rep.Summary.NewlyDenied == 0 {
			b.Fatalf("unexpected report: %+v", rep.Summary)
		}
		events += perRun
	}
	b.ReportMetric(float64(events)/time.Since(start).Seconds(), "events/s")
	syscall.Getrusage(syscall.RUSAGE_SELF, &after)
	cpu := time.Duration(after.Utime.Nano() + after.Stime.Nano() - before.Utime.Nano() - before.Stime.Nano())
	b.ReportMetric(float64(cpu.Microseconds())/float64(events), "cpu-µs/event")
}
