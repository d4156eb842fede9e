package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// opsTimeout bounds one call of reset, clock or health.
const opsTimeout = 30 * time.Second

// adminCall sends a request to the admin API of the server at endpoint,
// with the admin token (stateRequest), and decodes the JSON answer into
// out.
func adminCall(endpoint, method, path string, body, out any) error {
	ctx, cancel := context.WithTimeout(context.Background(), opsTimeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(endpoint, "/")+path, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	raw, err := stateRequest(req)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("%s %s: the answer is not JSON: %w", method, req.URL, err)
	}
	return nil
}

// resetMain runs `orgd reset`: it wipes a running server's state.
func resetMain(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("reset", "orgd reset [--endpoint URL]",
		"Wipes a running server's whole state, clock included (POST /_orgd/reset).")
	endpoint := endpointFlag(fs)
	err := parseFlags(fs, args, stdout)
	if err == nil && fs.NArg() > 0 {
		err = usageErr("reset", "unexpected argument %q", fs.Arg(0))
	}
	if err == nil {
		var out map[string]any
		if err = adminCall(*endpoint, http.MethodPost, "/_orgd/reset", nil, &out); err == nil {
			fmt.Fprintln(stdout, "the server's state is wiped")
		}
	}
	return exitCode("reset", err, stderr)
}

// clockAnswer is what GET and POST /_orgd/clock answer.
type clockAnswer struct {
	Time float64 `json:"time"`
	ISO  string  `json:"iso"`
}

// clockMain runs `orgd clock` (print the server time) and `orgd clock
// advance DURATION` (move it forward and run the work that falls due).
func clockMain(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("clock", "orgd clock [--endpoint URL] [advance DURATION]",
		"Prints a running server's clock; advance moves it forward by DURATION (e.g. 15d, 36h, 1d12h, 90s), completing what falls due.")
	endpoint := endpointFlag(fs)
	err := parseFlags(fs, args, stdout)
	var out clockAnswer
	switch {
	case err != nil:
	case fs.NArg() == 0:
		err = adminCall(*endpoint, http.MethodGet, "/_orgd/clock", nil, &out)
	case fs.Arg(0) != "advance":
		err = usageErr("clock", "unknown argument %q: want advance DURATION", fs.Arg(0))
	case fs.NArg() != 2:
		err = usageErr("clock", "advance needs one DURATION, e.g. 15d or 36h")
	default:
		var d time.Duration
		if d, err = parseDuration(fs.Arg(1)); err != nil {
			err = usageErr("clock", "%v", err)
			break
		}
		err = adminCall(*endpoint, http.MethodPost, "/_orgd/clock", map[string]float64{"advanceSeconds": d.Seconds()}, &out)
	}
	if err == nil {
		fmt.Fprintln(stdout, out.ISO)
	}
	return exitCode("clock", err, stderr)
}

var daysRe = regexp.MustCompile(`^(\d+(?:\.\d+)?)d(.*)$`)

// parseDuration is time.ParseDuration with days (24 hours) in front:
// 15d, 1.5d, 1d12h, 36h, 90s. It refuses negative durations, since the
// clock only moves forward.
func parseDuration(s string) (time.Duration, error) {
	if strings.HasPrefix(s, "-") {
		return 0, fmt.Errorf("duration %q is negative: the clock only moves forward", s)
	}
	var d time.Duration
	rest := s
	if m := daysRe.FindStringSubmatch(s); m != nil {
		days, _ := strconv.ParseFloat(m[1], 64)
		if days*24 > math.MaxInt64/float64(time.Hour) {
			return 0, fmt.Errorf("duration %q is too long", s)
		}
		d, rest = time.Duration(days*24*float64(time.Hour)), m[2]
	}
	if rest != "" {
		e, err := time.ParseDuration(rest)
		if err != nil || strings.HasPrefix(rest, "-") || strings.HasPrefix(rest, "+") {
			return 0, fmt.Errorf("duration %q: want a number of days (d), hours (h), minutes (m) or seconds (s), e.g. 15d or 36h", s)
		}
		d += e
	}
	if rest == "" && d == 0 && s == "" {
		return 0, fmt.Errorf("empty duration: want e.g. 15d or 36h")
	}
	return d, nil
}

// healthMain runs `orgd health`: exit 0 when the server answers that it
// is healthy, 1 otherwise, so that scripts can wait on it.
func healthMain(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("health", "orgd health [--endpoint URL]",
		"Asks a running server whether it is healthy (GET /_orgd/health); exits 0 if it is, 1 if not.")
	endpoint := endpointFlag(fs)
	err := parseFlags(fs, args, stdout)
	if err == nil && fs.NArg() > 0 {
		err = usageErr("health", "unexpected argument %q", fs.Arg(0))
	}
	if err == nil {
		var out struct {
			Status  string  `json:"status"`
			Version string  `json:"version"`
			Time    float64 `json:"time"`
		}
		if err = adminCall(*endpoint, http.MethodGet, "/_orgd/health", nil, &out); err == nil {
			sec, frac := math.Modf(out.Time)
			at := time.Unix(int64(sec), int64(frac*1e9)).UTC().Format(time.RFC3339)
			fmt.Fprintf(stdout, "%s: orgd %s, server time %s\n", out.Status, out.Version, at)
		}
	}
	return exitCode("health", err, stderr)
}
