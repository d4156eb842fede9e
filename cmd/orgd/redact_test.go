package main

import (
	"strings"
	"testing"
)

func TestRedactURL(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"postgres://orgd:s3cret@db.internal:5432/orgd?sslmode=require", "postgres://orgd:xxxxx@db.internal:5432/orgd?sslmode=require"},
		{"postgresql://orgd:s3cret@db/orgd", "postgresql://orgd:xxxxx@db/orgd"},
		{"postgres://orgd@db/orgd?sslmode=disable", "postgres://orgd@db/orgd?sslmode=disable"},
		{"postgres://db/orgd?user=orgd&password=s3cret", "postgres://db/orgd?password=xxxxx&user=orgd"},
		{"postgres://orgd:s3cret@db:bad/orgd", "postgres://(unparsable URL, redacted)"},
		{"/var/lib/orgd/orgd.db", "/var/lib/orgd/orgd.db"},
		{"bolt:orgd.db", "bolt:orgd.db"},
		{"memory", "memory"},
	} {
		got := redactURL(tc.in)
		if got != tc.want {
			t.Errorf("redactURL(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if strings.Contains(got, "s3cret") {
			t.Errorf("redactURL(%q) leaks the password: %q", tc.in, got)
		}
	}
}
