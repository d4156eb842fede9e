package main

import (
	"errors"
	"flag"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/orgd/orgd/internal/identity"
)

// configError is a configuration orgd refuses to start with: a bad flag
// or environment variable. main exits with status 2 on one.
type configError struct{ error }

func (e configError) Unwrap() error { return e.error }

// envName is the environment variable of a serve flag: ORGD_ and the
// flag's name upper-cased, dashes as underscores.
func envName(flagName string) string {
	return "ORGD_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// setFromEnv sets the flags of fs named in only (every flag when only is
// empty) whose variable is in the environment, through the flag's own
// parser, so that a variable means exactly what its flag does and a bad
// value is refused the same way. Flags given on the command line, parsed
// afterwards, override the environment.
func setFromEnv(fs *flag.FlagSet, lookup func(string) (string, bool), only ...string) error {
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		if len(only) > 0 && !slices.Contains(only, f.Name) {
			return
		}
		name := envName(f.Name)
		v, ok := lookup(name)
		if !ok {
			return
		}
		if err := fs.Set(f.Name, v); err != nil {
			if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
				err = errors.New("want true or false")
			}
			errs = append(errs, fmt.Errorf("environment variable %s=%q is not a valid --%s: %v", name, v, f.Name, err))
		}
	})
	return errors.Join(errs...)
}

// count is a flag.Value for a quota: a whole number, not negative.
type count struct{ p *int }

func (c count) String() string {
	if c.p == nil {
		return "0"
	}
	return strconv.Itoa(*c.p)
}

func (c count) Set(s string) error {
	n, err := strconv.Atoi(s)
	switch {
	case err != nil:
		return errors.New("want a whole number")
	case n < 0:
		return errors.New("must not be negative")
	}
	*c.p = n
	return nil
}

func (c count) Get() any { return *c.p }

// span is a flag.Value for a time.Duration that is not negative.
type span struct{ p *time.Duration }

func (d span) String() string {
	if d.p == nil {
		return "0s"
	}
	return d.p.String()
}

func (d span) Set(s string) error {
	v, err := time.ParseDuration(s)
	switch {
	case err != nil:
		return errors.New("want a duration such as 500ms, 5s or 2m")
	case v < 0:
		return errors.New("must not be negative")
	}
	*d.p = v
	return nil
}

func (d span) Get() any { return *d.p }

// authMode is the flag.Value of --auth.
type authMode struct{ p *identity.Mode }

func (m authMode) String() string {
	if m.p == nil {
		return string(identity.Permissive)
	}
	return string(*m.p)
}

func (m authMode) Get() any { return *m.p }

func (m authMode) Set(s string) error {
	v, err := identity.ParseMode(s)
	if err != nil {
		return err
	}
	*m.p = v
	return nil
}
