// Command impactgen writes what bench/impact replays: the state of an
// organization with ten SCPs on every level of a five-level path, for
// orgd import, and gzip CloudTrail log files with a given number of
// events. It prints the ID of the OU the proposal attaches to.
//
//	go run ./bench/impactgen -events 1000000 -out DIR -state FILE
package main

import (
	"compress/gzip"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/orgd/orgd/internal/impact/impacttest"
	"github.com/orgd/orgd/internal/org"
	"github.com/orgd/orgd/internal/store/memstore"
)

func main() {
	events := flag.Int("events", 10000, "events to write")
	perFile := flag.Int("per-file", 10000, "events per log file")
	out := flag.String("out", "", "directory for the log files (required)")
	state := flag.String("state", "", "file for the organization's state (required)")
	flag.Parse()
	if *out == "" || *state == "" || *events < 1 || *perFile < 1 {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*events, *perFile, *out, *state); err != nil {
		fmt.Fprintln(os.Stderr, "impactgen:", err)
		os.Exit(1)
	}
}

func run(events, perFile int, out, state string) error {
	svc, err := org.New(context.Background(), memstore.New(), org.DefaultConfig())
	if err != nil {
		return err
	}
	ou, err := impacttest.Org(svc)
	if err != nil {
		return err
	}
	f, err := os.Create(state)
	if err != nil {
		return err
	}
	if err := svc.Export(context.Background(), f); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	dir := filepath.Join(out, "AWSLogs", "o-bench", impacttest.Accounts[0], "CloudTrail", "eu-west-1", "2026", "11", "24")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for i := 0; i*perFile < events; i++ {
		n := min(perFile, events-i*perFile)
		path := filepath.Join(dir, fmt.Sprintf("%s_CloudTrail_eu-west-1_20261124T%04dZ_bench.json.gz", impacttest.Accounts[0], i))
		if err := writeLog(path, i*perFile, n); err != nil {
			return err
		}
	}
	fmt.Println(ou)
	return nil
}

func writeLog(path string, first, n int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	zw := gzip.NewWriter(f)
	if err := impacttest.WriteRecords(zw, first, n, impacttest.Accounts); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return f.Close()
}
