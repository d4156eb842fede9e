package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"reflect"
	"strings"
)

// newFlags returns the flag set of subcommand cmd, whose -h prints the
// synopsis, a one-line description and the flags.
func newFlags(cmd, synopsis, about string) *flag.FlagSet {
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "usage: %s\n%s\n", synopsis, about)
		n := 0
		fs.VisitAll(func(*flag.Flag) { n++ })
		if n > 0 {
			fmt.Fprintln(w, "\nflags:")
			printFlags(w, fs)
		}
	}
	return fs
}

// printFlags prints fs's flags as flag.PrintDefaults does, except that a
// flag of a type of its own is shown with the kind of value it takes
// (-read-timeout duration, -quota-ous int, -log-level level) rather than
// flag's "value": its Get's type names it, or a back-quoted word in its
// usage as with flag.
func printFlags(w io.Writer, fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		name, usage := flag.UnquoteUsage(f)
		if g, ok := f.Value.(flag.Getter); ok && name == "value" && !strings.Contains(f.Usage, "`") {
			t := reflect.TypeOf(g.Get())
			if t != nil && t.Kind() == reflect.Pointer {
				t = t.Elem()
			}
			if t != nil && t.Name() != "" {
				name = strings.ToLower(t.Name())
			}
		}
		var b strings.Builder
		fmt.Fprintf(&b, "  -%s", f.Name)
		if name != "" {
			b.WriteString(" " + name)
		}
		if b.Len() <= 4 {
			b.WriteString("\t")
		} else {
			b.WriteString("\n    \t")
		}
		b.WriteString(strings.ReplaceAll(usage, "\n", "\n    \t"))
		if !zeroDefault(f) {
			if g, ok := f.Value.(flag.Getter); ok && isString(g.Get()) {
				fmt.Fprintf(&b, " (default %q)", f.DefValue)
			} else {
				fmt.Fprintf(&b, " (default %v)", f.DefValue)
			}
		}
		fmt.Fprintln(w, b.String())
	})
}

func isString(v any) bool { _, ok := v.(string); return ok }

// zeroDefault reports whether f's default is its type's zero value, which
// flag.PrintDefaults leaves unsaid.
func zeroDefault(f *flag.Flag) bool {
	if g, ok := f.Value.(flag.Getter); ok {
		if v := reflect.ValueOf(g.Get()); v.IsValid() {
			return v.IsZero()
		}
	}
	switch f.DefValue {
	case "", "0", "0s", "false":
		return true
	}
	return false
}

// endpointFlag adds the --endpoint flag of the commands that speak to a
// running server.
func endpointFlag(fs *flag.FlagSet) *string {
	def := "http://127.0.0.1:4599"
	if v, ok := os.LookupEnv("ORGD_ENDPOINT"); ok {
		def = v
	}
	return fs.String("endpoint", def, "URL of the running orgd server (ORGD_ENDPOINT)")
}

// parseFlags parses args into fs. -h prints the usage on stdout and
// returns flag.ErrHelp; a bad flag is a usageError of one line, not the
// whole usage.
func parseFlags(fs *flag.FlagSet, args []string, stdout io.Writer) error {
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		fs.SetOutput(stdout)
		fs.Usage()
		return flag.ErrHelp
	}
	if err != nil {
		return usageErr(fs.Name(), "%v", err)
	}
	return nil
}

// requireFlags is a usageError naming the first of the flags that was not
// given a non-empty value.
func requireFlags(fs *flag.FlagSet, names ...string) error {
	for _, name := range names {
		if f := fs.Lookup(name); f != nil && f.Value.String() == "" {
			return usageErr(fs.Name(), "missing required flag --%s", name)
		}
	}
	return nil
}

// usageError is a mistake on the command line: exit status 2.
type usageError struct{ cmd, msg string }

func usageErr(cmd, format string, args ...any) error {
	return &usageError{cmd, fmt.Sprintf(format, args...)}
}

func (e *usageError) Error() string {
	return fmt.Sprintf("%s (see orgd %s -h)", e.msg, e.cmd)
}

// exitCode reports err of subcommand cmd on stderr, in one line, and
// returns the exit status: 0 for none or -h, 2 for a usage error, 1 for
// any other.
func exitCode(cmd string, err error, stderr io.Writer) int {
	var ue *usageError
	var ce configError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ce):
		fmt.Fprintf(stderr, "orgd %s: %s\n", cmd, strings.TrimSpace(err.Error()))
		return 2
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "orgd %s: %v\n", cmd, err)
		return 2
	}
	fmt.Fprintf(stderr, "orgd %s: %s\n", cmd, strings.TrimSpace(err.Error()))
	return 1
}
