package main

import (
	"flag"
	"io"
	"strings"
	"testing"
	"time"
)

func TestServeRefusesBadConfiguration(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		want []string // in the message
	}{
		{"int variable", map[string]string{"ORGD_QUOTA_ACCOUNTS": "ten"}, nil, []string{"ORGD_QUOTA_ACCOUNTS", `"ten"`}},
		{"duration without unit", map[string]string{"ORGD_CREATE_ACCOUNT_DELAY": "5"}, nil, []string{"ORGD_CREATE_ACCOUNT_DELAY", `"5"`, "duration"}},
		{"bool variable", map[string]string{"ORGD_THROTTLE": "yes"}, nil, []string{"ORGD_THROTTLE", `"yes"`, "true or false"}},
		{"empty bool variable", map[string]string{"ORGD_ADMIN_OPEN": ""}, nil, []string{"ORGD_ADMIN_OPEN"}},
		{"negative quota variable", map[string]string{"ORGD_QUOTA_OUS": "-1"}, nil, []string{"ORGD_QUOTA_OUS", `"-1"`, "negative"}},
		{"negative delay variable", map[string]string{"ORGD_CLOSE_ACCOUNT_DELAY": "-5s"}, nil, []string{"ORGD_CLOSE_ACCOUNT_DELAY", "negative"}},
		{"auth variable", map[string]string{"ORGD_AUTH": "lax"}, nil, []string{"ORGD_AUTH", `"lax"`, "permissive or strict"}},
		{"log level variable", map[string]string{"ORGD_LOG_LEVEL": "loud"}, nil, []string{"ORGD_LOG_LEVEL", `"loud"`}},
		{"timeout variable", map[string]string{"ORGD_READ_TIMEOUT": "soon"}, nil, []string{"ORGD_READ_TIMEOUT", `"soon"`}},
		{"connection cap variable", map[string]string{"ORGD_MAX_CONNECTIONS": "-3"}, nil, []string{"ORGD_MAX_CONNECTIONS", "negative"}},
		{"every bad variable at once", map[string]string{"ORGD_QUOTA_ACCOUNTS": "ten", "ORGD_THROTTLE": "yes"}, nil, []string{"ORGD_QUOTA_ACCOUNTS", "ORGD_THROTTLE"}},
		{"bad variable under a good flag", map[string]string{"ORGD_QUOTA_TAGS": "many"}, []string{"--quota-tags", "3"}, []string{"ORGD_QUOTA_TAGS"}},
		{"negative quota flag", nil, []string{"--quota-accounts", "-5"}, []string{"-quota-accounts", `"-5"`, "negative"}},
		{"negative concurrency flag", nil, []string{"--quota-concurrent-creates=-1"}, []string{"-quota-concurrent-creates", "negative"}},
		{"bad duration flag", nil, []string{"--idle-timeout", "1"}, []string{"-idle-timeout", "duration"}},
		{"bad auth flag", nil, []string{"--auth", "STRICT"}, []string{"-auth", "STRICT"}},
		{"listen address without a port", map[string]string{"ORGD_LISTEN": "127.0.0.1"}, nil, []string{"--listen", "127.0.0.1"}},
		{"open admin API on the network", map[string]string{"ORGD_LISTEN": "0.0.0.0:4599"}, []string{"--store", "memory"}, []string{"0.0.0.0:4599", "--admin-open"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			err := serve(tc.args)
			if err == nil {
				t.Fatal("serve started")
			}
			if got := exitCode("serve", err, io.Discard); got != 2 {
				t.Errorf("exit status %d, want 2 (%v)", got, err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("message %q does not name %s", err, w)
				}
			}
		})
	}
}

func TestSetFromEnv(t *testing.T) {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	n := 7
	d := time.Second
	fs.Var(count{&n}, "quota-things", "")
	fs.Var(span{&d}, "some-delay", "")
	b := fs.Bool("throttle", false, "")
	s := fs.String("listen", "x", "")
	env := map[string]string{"ORGD_QUOTA_THINGS": "0", "ORGD_SOME_DELAY": "1m30s", "ORGD_THROTTLE": "1", "ORGD_LISTEN": ""}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	if err := setFromEnv(fs, lookup); err != nil {
		t.Fatal(err)
	}
	if n != 0 || d != 90*time.Second || !*b || *s != "" {
		t.Fatalf("from the environment: %d %v %v %q", n, d, *b, *s)
	}
	// The command line overrides the environment.
	if err := fs.Parse([]string{"--quota-things", "4"}); err != nil || n != 4 {
		t.Fatalf("%v %d", err, n)
	}
	// Only the named flags, when named.
	n = 7
	if err := setFromEnv(fs, lookup, "listen"); err != nil || n != 7 {
		t.Fatalf("%v %d", err, n)
	}
}
