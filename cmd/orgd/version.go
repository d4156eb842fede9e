package main

import (
	"fmt"
	"io"
	"runtime/debug"

	"github.com/orgd/orgd/internal/server"
)

// The version the server reports (health, the start-up log) is the one
// -ldflags stamped, else the module version from the build info, which
// `go install github.com/orgd/orgd/cmd/orgd@vX` records.
func init() {
	if info, ok := debug.ReadBuildInfo(); ok && server.Version == "dev" && info.Main.Version != "" && info.Main.Version != "(devel)" {
		server.Version = info.Main.Version
	}
}

// revision is the VCS revision scripts/release stamps with -ldflags, for
// builds whose build info lacks one (-buildvcs=false, a git worktree).
var revision string

// versionLine is what `orgd version` prints: the version, then the VCS
// revision the binary was built from, when the build info has it.
func versionLine(info *debug.BuildInfo, ok bool) string {
	line := "orgd " + server.Version
	if !ok {
		return line
	}
	rev, modified := revision, ""
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				modified = ", modified"
			}
		}
	}
	if rev != "" {
		line += " (" + rev + modified + ")"
	}
	return line + " " + info.GoVersion
}

// versionMain runs `orgd version`.
func versionMain(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("version", "orgd version", "Prints orgd's version, the VCS revision it was built from and the Go version.")
	err := parseFlags(fs, args, stdout)
	if err == nil && fs.NArg() > 0 {
		err = usageErr("version", "unexpected argument %q", fs.Arg(0))
	}
	if err == nil {
		fmt.Fprintln(stdout, versionLine(debug.ReadBuildInfo()))
	}
	return exitCode("version", err, stderr)
}
