package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// serveLimited serves h on a loopback port with the limits l and returns
// its address.
func serveLimited(t *testing.T, h http.Handler, l httpLimits) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := newHTTPServer(h, l, slog.New(slog.NewTextHandler(io.Discard, nil)))
	go srv.Serve(l.listener(ln))
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// closedWithin reports whether the server closes conn within d: reading
// reaches EOF or a reset rather than the client's own deadline.
func closedWithin(t *testing.T, conn net.Conn, d time.Duration) bool {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(d))
	_, err := io.Copy(io.Discard, conn)
	var ne net.Error
	return !(errors.As(err, &ne) && ne.Timeout())
}

func readAll(w http.ResponseWriter, r *http.Request) {
	if _, err := io.ReadAll(r.Body); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	io.WriteString(w, "ok")
}

func TestReadTimeoutClosesStalledBody(t *testing.T) {
	addr := serveLimited(t, http.HandlerFunc(readAll), httpLimits{ReadTimeout: 300 * time.Millisecond})
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// Headers promise 100 bytes of body; 10 come, then nothing.
	fmt.Fprintf(conn, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789")
	if !closedWithin(t, conn, 10*time.Second) {
		t.Fatal("a stalled body kept the connection open")
	}
}

func TestWriteTimeoutEndsSlowAnswer(t *testing.T) {
	release := make(chan struct{})
	slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-release })
	addr := serveLimited(t, slow, httpLimits{WriteTimeout: 300 * time.Millisecond})
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	// The handler is still running; once it returns its answer cannot be
	// written past the deadline and the connection closes.
	time.AfterFunc(500*time.Millisecond, func() { close(release) })
	if !closedWithin(t, conn, 10*time.Second) {
		t.Fatal("a late answer kept the connection open")
	}
}

func TestIdleTimeoutClosesKeepAlive(t *testing.T) {
	addr := serveLimited(t, http.HandlerFunc(readAll), httpLimits{IdleTimeout: 300 * time.Millisecond})
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Close {
		t.Fatalf("answer %d, close %v: want a kept-alive 200", resp.StatusCode, resp.Close)
	}
	if !closedWithin(t, conn, 10*time.Second) {
		t.Fatal("an idle keep-alive connection stayed open")
	}
}

func TestMaxHeaderBytes(t *testing.T) {
	addr := serveLimited(t, http.HandlerFunc(readAll), httpLimits{MaxHeaderBytes: 1024})
	req, _ := http.NewRequest("GET", "http://"+addr+"/", nil)
	req.Header.Set("X-Big", strings.Repeat("a", 16<<10))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("16 KiB of headers against a 1 KiB limit: %d", resp.StatusCode)
	}
}

func TestMaxConnections(t *testing.T) {
	const limit = 2
	var mu sync.Mutex
	inside, most := 0, 0
	entered := make(chan struct{}, 10)
	release := make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		inside++
		most = max(most, inside)
		mu.Unlock()
		entered <- struct{}{}
		<-release
		mu.Lock()
		inside--
		mu.Unlock()
	})
	addr := serveLimited(t, h, httpLimits{MaxConnections: limit})
	// Each client its own connection.
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	var wg sync.WaitGroup
	errs := make(chan error, limit+2)
	for range limit + 2 {
		wg.Go(func() {
			resp, err := client.Get("http://" + addr + "/")
			if err != nil {
				errs <- err
				return
			}
			resp.Body.Close()
		})
	}
	for range limit {
		<-entered
	}
	// The others wait to be accepted: none gets in while max are served.
	select {
	case <-entered:
		t.Errorf("a connection beyond the cap of %d was served", limit)
	case <-time.After(300 * time.Millisecond):
	}
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if most != limit {
		t.Fatalf("at most %d served at once, want %d", most, limit)
	}
}

func TestCheckAdminExposure(t *testing.T) {
	for _, tc := range []struct {
		listen string
		strict bool
		token  string
		open   bool
		refuse bool
	}{
		{"127.0.0.1:4599", false, "", false, false},
		{"127.0.0.5:4599", false, "", false, false},
		{"[::1]:4599", false, "", false, false},
		{"localhost:4599", false, "", false, false},
		{"0.0.0.0:4599", false, "", false, true},
		{"[::]:4599", false, "", false, true},
		{":4599", false, "", false, true},
		{"192.168.1.20:4599", false, "", false, true},
		{"[fd00::1]:4599", false, "", false, true},
		{"0.0.0.0:4599", false, "s3cret", false, false},
		{"0.0.0.0:4599", true, "", false, false},
		{"0.0.0.0:4599", false, "", true, false},
		{"192.168.1.20:4599", true, "s3cret", true, false},
	} {
		name := fmt.Sprintf("%s strict=%v token=%q open=%v", tc.listen, tc.strict, tc.token, tc.open)
		err := checkAdminExposure(tc.listen, tc.strict, tc.token, tc.open)
		if (err != nil) != tc.refuse {
			t.Errorf("%s: %v, want refused %v", name, err, tc.refuse)
			continue
		}
		if err == nil {
			continue
		}
		if exitCode("serve", err, io.Discard) != 2 {
			t.Errorf("%s: exit status %d, want 2", name, exitCode("serve", err, io.Discard))
		}
		for _, want := range []string{tc.listen, "anyone", "--admin-token", "loopback", "--admin-open"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%s: message %q does not say %q", name, err, want)
			}
		}
	}
}
