// Command pgload drives orgd servers with concurrent Organizations calls
// and prints throughput, latency percentiles and errors, for issue 16's
// measurements of orgd on PostgreSQL (bench/pgload.sh runs it). With
// -bare ADDR it instead serves a bare net/http handler that answers like
// DescribeAccount, the yardstick that orgd's point reads are compared with.
//
//	pgload -targets http://127.0.0.1:4601,http://127.0.0.1:4602 -orgs 1 -writers 8 -op ou -duration 10s
//
// With -rate each organization is offered that many calls a second, spread
// evenly over its writers, and a call's latency counts from when it was
// due, so that a server falling behind shows as latency rather than as
// calls never sent.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "pgload:", err)
		os.Exit(1)
	}
}

func run() error {
	targets := flag.String("targets", "http://127.0.0.1:4599", "comma-separated orgd URLs; writers are spread over them")
	orgs := flag.Int("orgs", 1, "organizations written at once, one management account each")
	writers := flag.Int("writers", 8, "concurrent clients per target and organization")
	op := flag.String("op", "ou", "ou (CreateOrganizationalUnit), tag (TagResource on the root, a tag key per client) or describe (DescribeAccount)")
	duration := flag.Duration("duration", 10*time.Second, "how long to run")
	first := flag.Int("first-account", 100000000001, "the first organization's management account; the others follow")
	bare := flag.String("bare", "", "serve the bare handler on this address instead of loading servers")
	label := flag.String("label", "", "the row's label (default: the operation)")
	setup := flag.Bool("setup", true, "create the organizations first (false for the bare handler)")
	rate := flag.Float64("rate", 0, "calls a second offered per organization (0: each writer calls again as soon as answered)")
	flag.Parse()
	if *bare != "" {
		return serveBare(*bare)
	}
	urls := strings.Split(*targets, ",")
	if *orgs < 1 || *writers < 1 {
		return errors.New("-orgs and -writers must be at least 1")
	}
	if *rate < 0 {
		return errors.New("-rate must not be negative")
	}
	// Each of an organization's writers calls once per interval, the
	// writers evenly staggered.
	perOrg := len(urls) * *writers
	var interval time.Duration
	if *rate > 0 {
		interval = time.Duration(float64(time.Second) * float64(perOrg) / *rate)
	}
	call, ok := ops[*op]
	if !ok {
		return fmt.Errorf("-op %q: use ou, tag or describe", *op)
	}
	c := &client{http: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1024, DialContext: (&net.Dialer{}).DialContext}}}
	roots := make([]string, *orgs)
	for i := range roots {
		if !*setup {
			break
		}
		root, err := c.setup(urls[0], fmt.Sprint(*first+i))
		if err != nil {
			return err
		}
		roots[i] = root
	}

	var (
		mu        sync.Mutex
		latencies []time.Duration
		errs      = map[string]int{}
		stop      atomic.Bool
		wg        sync.WaitGroup
	)
	start := time.Now()
	for o := range *orgs {
		for ti, u := range urls {
			for w := range *writers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					me := worker{c: c, url: u, acct: fmt.Sprint(*first + o), root: roots[o], name: fmt.Sprintf("s%dw%d", ti, w)}
					var lat []time.Duration
					due := start.Add(interval * time.Duration(ti**writers+w) / time.Duration(perOrg))
					for n := 0; !stop.Load(); n++ {
						t0 := time.Now()
						if interval > 0 {
							time.Sleep(time.Until(due))
							t0, due = due, due.Add(interval)
						}
						err := call(&me, n)
						d := time.Since(t0)
						if err != nil {
							mu.Lock()
							errs[err.Error()]++
							mu.Unlock()
							continue
						}
						lat = append(lat, d)
					}
					mu.Lock()
					latencies = append(latencies, lat...)
					mu.Unlock()
				}()
			}
		}
	}
	time.Sleep(*duration)
	stop.Store(true)
	wg.Wait()
	elapsed := time.Since(start)
	slices.Sort(latencies)
	pct := func(p float64) time.Duration {
		if len(latencies) == 0 {
			return 0
		}
		return latencies[min(len(latencies)-1, int(float64(len(latencies))*p))]
	}
	nerr := 0
	var kinds []string
	for k, n := range errs {
		nerr += n
		kinds = append(kinds, fmt.Sprintf("%dx %s", n, k))
	}
	slices.Sort(kinds)
	name := *label
	if name == "" {
		name = *op
	}
	// One machine-readable line for the script's table.
	fmt.Printf("%s\t%.0f/s\tp50 %s\tp99 %s\tmax %s\terrors %d\n", name,
		float64(len(latencies))/elapsed.Seconds(), ms(pct(0.50)), ms(pct(0.99)), ms(pct(1)), nerr)
	for _, k := range kinds {
		fmt.Fprintln(os.Stderr, "  error:", k)
	}
	return nil
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond)) }

type client struct{ http *http.Client }

// call sends one JSON 1.1 request as acct (permissive mode takes a
// 12-digit access key as the account) and decodes the reply into out.
func (c *client) call(url, acct, op string, in, out any) error {
	body, _ := json.Marshal(in)
	req, err := http.NewRequest(http.MethodPost, url+"/", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "AWSOrganizationsV20161128."+op)
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+acct+"/20260101/us-east-1/organizations/aws4_request, SignedHeaders=host, Signature=0")
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Type string `json:"__type"`
		}
		json.Unmarshal(b, &e)
		return fmt.Errorf("%s: %d %s", op, resp.StatusCode, e.Type)
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

// setup makes acct the management account of an organization, if it is
// not yet, and returns its root's ID.
func (c *client) setup(url, acct string) (string, error) {
	err := c.call(url, acct, "CreateOrganization", map[string]string{"FeatureSet": "ALL"}, nil)
	if err != nil && !strings.Contains(err.Error(), "AlreadyInOrganization") {
		return "", err
	}
	var roots struct{ Roots []struct{ Id string } }
	if err := c.call(url, acct, "ListRoots", map[string]any{}, &roots); err != nil {
		return "", err
	}
	if len(roots.Roots) != 1 {
		return "", fmt.Errorf("account %s: %d roots", acct, len(roots.Roots))
	}
	return roots.Roots[0].Id, nil
}

type worker struct {
	c                     *client
	url, acct, root, name string
}

var ops = map[string]func(w *worker, n int) error{
	"ou": func(w *worker, n int) error {
		return w.c.call(w.url, w.acct, "CreateOrganizationalUnit",
			map[string]string{"ParentId": w.root, "Name": fmt.Sprintf("%s-%d-%d", w.name, time.Now().UnixNano(), n)}, nil)
	},
	"tag": func(w *worker, n int) error {
		return w.c.call(w.url, w.acct, "TagResource",
			map[string]any{"ResourceId": w.root, "Tags": []map[string]string{{"Key": w.name, "Value": fmt.Sprint(n)}}}, nil)
	},
	"describe": func(w *worker, n int) error {
		return w.c.call(w.url, w.acct, "DescribeAccount", map[string]string{"AccountId": w.acct}, nil)
	},
}

// serveBare answers every request with a DescribeAccount-sized reply,
// reading the body as orgd would: the cost of HTTP and JSON alone.
func serveBare(addr string) error {
	reply := []byte(`{"Account":{"Arn":"arn:aws:organizations::100000000001:account/o-abcdefghij/100000000001","Email":"mgmt@example.com","Id":"100000000001","JoinedMethod":"CREATED","JoinedTimestamp":1.7e9,"Name":"management","State":"ACTIVE","Status":"ACTIVE"}}`)
	return http.ListenAndServe(addr, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in map[string]any
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.Write(reply)
	}))
}
