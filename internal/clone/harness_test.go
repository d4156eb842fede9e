package clone_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/smithy-go"

	"github.com/orgd/orgd/internal/clone"
	"github.com/orgd/orgd/internal/identity"
	"github.com/orgd/orgd/internal/org"
	"github.com/orgd/orgd/internal/sdktest"
	"github.com/orgd/orgd/internal/server"
	"github.com/orgd/orgd/internal/store/memstore"
	"github.com/orgd/orgd/internal/throttle"
)

// A test server: orgd on a loopback port over a memory store, as the e2e
// harness starts them.
type orgd struct {
	URL string
	Svc *org.Service
	// Throttled counts the TooManyRequestsException answers it gave.
	Throttled atomic.Int64
}

// throttleCounter sees whether an answer is a TooManyRequestsException.
type throttleCounter struct {
	http.ResponseWriter
	o *orgd
}

func (w throttleCounter) Write(b []byte) (int, error) {
	if bytes.Contains(b, []byte("TooManyRequestsException")) {
		w.o.Throttled.Add(1)
	}
	return w.ResponseWriter.Write(b)
}

const defaultAccount = "123456789012"

func startOrgd(t testing.TB, cfg org.Config, opts ...server.Option) *orgd {
	t.Helper()
	svc, err := org.New(context.Background(), memstore.New(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	o := &orgd{Svc: svc}
	h := server.New(svc, &identity.Resolver{DefaultAccount: defaultAccount}, slog.New(slog.NewTextHandler(io.Discard, nil)), opts...)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(throttleCounter{w, o}, r)
	}))
	t.Cleanup(srv.Close)
	o.URL = srv.URL
	return o
}

// sourceConfig lets a test build big organizations quickly.
func sourceConfig() org.Config {
	cfg := org.DefaultConfig()
	cfg.Quotas.AccountsPerOrganization = 1000
	cfg.Quotas.ConcurrentCreateAccount = 1000
	cfg.CreateAccountDelay = 0
	cfg.CloseAccountDelay = 30 * 24 * time.Hour
	return cfg
}

// frozen stops cfg's clock at the present, so that two exports of one
// state are byte for byte the same.
func frozen(cfg org.Config) org.Config {
	now := time.Now().UTC()
	cfg.Now = func() time.Time { return now }
	return cfg
}

// client is an SDK client acting as account (orgd maps the access key to
// the account) with the given retryer; nil means none but of a read on a
// connection Go's transport closed (sdktest.OnlyClosedConnections), so
// that the answers compared are the server's.
func (o *orgd) client(t testing.TB, account string, retryer func() aws.Retryer) *organizations.Client {
	t.Helper()
	if retryer == nil {
		retryer = sdktest.OnlyClosedConnections
	}
	cfg, err := config.LoadDefaultConfig(context.Background(),
		config.WithRegion("us-east-1"),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(account, "secret-"+account, "")),
		config.WithRetryer(retryer),
		config.WithSharedConfigFiles([]string{}),
		config.WithSharedCredentialsFiles([]string{}),
	)
	if err != nil {
		t.Fatal(err)
	}
	return organizations.NewFromConfig(cfg, func(op *organizations.Options) { op.BaseEndpoint = aws.String(o.URL) })
}

// export returns the server's state document.
func (o *orgd) export(t testing.TB) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := o.Svc.Export(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// cloneInto crawls src as account and imports the document into dst.
func cloneInto(t testing.TB, src *orgd, account string, dst *orgd, opt clone.Options) *org.Snapshot {
	t.Helper()
	snap, err := clone.Crawl(context.Background(), src.client(t, account, clone.Retryer), opt)
	if err != nil {
		t.Fatalf("Crawl: %v", err)
	}
	importSnapshot(t, snap, dst)
	return snap
}

// importSnapshot loads the document of snap into dst, as orgd import does.
func importSnapshot(t testing.TB, snap *org.Snapshot, dst *orgd) {
	t.Helper()
	doc, err := clone.Document(context.Background(), snap)
	if err != nil {
		t.Fatalf("Document: %v", err)
	}
	if err := dst.Svc.Import(context.Background(), bytes.NewReader(doc)); err != nil {
		t.Fatalf("Import: %v", err)
	}
}

func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return c
}

// must returns v, and fails the test (by panicking: Go cannot pass
// two results and a t) on err.
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// answer is an operation's answer as JSON with its pagination tokens
// left out (they are per server), or its error's code and message.
func answer(v any, err error) string {
	if err != nil {
		var ae smithy.APIError
		if errors.As(err, &ae) {
			return "error " + ae.ErrorCode() + ": " + ae.ErrorMessage()
		}
		return "error " + err.Error()
	}
	b, merr := json.Marshal(v)
	if merr != nil {
		return "unmarshalable: " + merr.Error()
	}
	var m any
	if err := json.Unmarshal(b, &m); err != nil {
		return string(b)
	}
	strip(m)
	b, _ = json.Marshal(m)
	return string(b)
}

// strip deletes NextToken and ResultMetadata everywhere in v, and the
// EvaluationTimestamp that is the time of the call.
func strip(v any) {
	switch x := v.(type) {
	case map[string]any:
		delete(x, "NextToken")
		delete(x, "ResultMetadata")
		delete(x, "EvaluationTimestamp")
		for _, e := range x {
			strip(e)
		}
	case []any:
		for _, e := range x {
			strip(e)
		}
	}
}

// throttled starts a source that throttles as AWS does.
func throttled() server.Option { return server.WithThrottle(throttle.New()) }
