package main

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"testing"
)

func TestStartPprof(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, addr := range []string{"0.0.0.0:0", ":0", "192.0.2.1:6060", "nonsense"} {
		ln, err := startPprof(addr, log)
		var ce configError
		if ln != nil || !errors.As(err, &ce) {
			t.Errorf("startPprof(%q) = %v, %v; want a configuration error", addr, ln, err)
			if ln != nil {
				ln.Close()
			}
		}
	}
	if ln, err := startPprof("", log); ln != nil || err != nil {
		t.Errorf("startPprof(\"\") = %v, %v; want nothing served", ln, err)
	}
	ln, err := startPprof("127.0.0.1:0", log)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	resp, err := http.Get("http://" + ln.Addr().String() + "/debug/pprof/cmdline")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), os.Args[0]) {
		t.Errorf("GET cmdline = %d %q", resp.StatusCode, b)
	}
}
