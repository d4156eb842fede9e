package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/orgd/orgd/internal/store/boltstore"
)

// checkStoreMain runs `orgd check-store [PATH]`: it checks every page of
// an embedded store file and returns the exit code: 0 when the file is
// sound, 1 when it is damaged or cannot be read, 2 on a usage error.
func checkStoreMain(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("check-store", "orgd check-store [PATH]",
		"Checks every page of the embedded store file PATH (bolt:PATH, or a directory's orgd.db; the default store without one) and lists every problem. Stop the server that uses the file first, or check a copy.")
	if err := parseFlags(fs, args, stdout); err != nil {
		return exitCode("check-store", err, stderr)
	}
	if fs.NArg() > 1 {
		return exitCode("check-store", usageErr("check-store", "unexpected argument %q", fs.Arg(1)), stderr)
	}
	path, err := boltPath(fs.Arg(0))
	if err != nil {
		fmt.Fprintln(stderr, "orgd check-store:", err)
		return 2
	}
	fi, err := os.Stat(path)
	if err != nil {
		fmt.Fprintln(stderr, "orgd check-store:", err)
		return 1
	}
	fmt.Fprintf(stderr, "checking %s (%.1f MiB)\n", path, float64(fi.Size())/(1<<20))
	start := time.Now()
	err = boltstore.Check(path)
	var damaged *boltstore.DamagedError
	switch {
	case errors.As(err, &damaged):
		fmt.Fprintf(stdout, "%s is damaged:\n", path)
		for _, p := range damaged.Problems {
			fmt.Fprintln(stdout, "  "+p)
		}
		fmt.Fprintln(stdout, "Restore the file from a backup, or start orgd on a new file and load a saved export with orgd import.")
		return 1
	case err != nil:
		fmt.Fprintln(stderr, "orgd check-store:", err)
		return 1
	}
	fmt.Fprintf(stdout, "%s is sound (checked in %s)\n", path, time.Since(start).Round(time.Millisecond))
	return 0
}
