// Package metrics defines orgd's Prometheus metrics: API requests by
// operation and outcome, their latency, throttling, kept answers given,
// store transactions and serialization retries, SCP decisions, the
// state's size counted at scrape time, and the Go runtime's collectors.
// It serves them in the Prometheus text format.
package metrics

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/orgd/orgd/internal/api"
	"github.com/orgd/orgd/internal/org"
	"github.com/orgd/orgd/internal/store"
)

// Outcome of a request that succeeded; a failed one's outcome is its
// exception's name.
const OutcomeOK = "ok"

// Metrics is one server's registry and its metrics.
type Metrics struct {
	reg          *prometheus.Registry
	requests     *prometheus.CounterVec
	latency      *prometheus.HistogramVec
	throttled    *prometheus.CounterVec
	kept         *prometheus.CounterVec
	transactions *prometheus.HistogramVec
	retries      prometheus.Counter
	scp          *prometheus.CounterVec
	// ops holds the series of every operation of the model, each made
	// on its first request: WithLabelValues hashes its labels and takes a
	// lock on every call, which a request should not pay twice.
	ops map[string]*opSeries
}

// opSeries are one operation's series of successful requests, of
// latency and of kept answers given.
type opSeries struct {
	ok      lazy[prometheus.Counter]
	latency lazy[prometheus.Observer]
	kept    lazy[prometheus.Counter]
}

// lazy is a series made on first use, as WithLabelValues would make it,
// and then kept. Two first uses at once make it twice; WithLabelValues
// gives both the same series.
type lazy[T any] struct{ p atomic.Pointer[T] }

func (l *lazy[T]) get(make func() T) T {
	if p := l.p.Load(); p != nil {
		return *p
	}
	v := make()
	l.p.Store(&v)
	return v
}

// New returns a registry with orgd's metrics and the Go runtime and
// process collectors.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "orgd_requests_total",
			Help: "API requests answered, by operation and outcome (ok, or the exception's name).",
		}, []string{"operation", "outcome"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "orgd_request_duration_seconds",
			Help:    "Time to answer an API request, by operation.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"operation"}),
		throttled: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "orgd_throttled_requests_total",
			Help: "API requests refused with TooManyRequestsException by --throttle, by operation.",
		}, []string{"operation"}),
		kept: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "orgd_kept_answers_total",
			Help: "API requests answered from the kept answer of the same request, run no transaction (memory and embedded stores), by operation.",
		}, []string{"operation"}),
		transactions: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "orgd_store_transaction_duration_seconds",
			Help:    "Time a store transaction took, retries included, by kind (view or update).",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 5},
		}, []string{"kind"}),
		retries: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "orgd_store_serialization_retries_total",
			Help: "Store transactions run again after losing a serialization conflict (PostgreSQL).",
		}),
		scp: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "orgd_scp_decisions_total",
			Help: "Service control policy decisions on member accounts' calls, by result (ALLOWED, EXPLICIT_DENY, NO_ALLOW, EXEMPT).",
		}, []string{"result"}),
	}
	m.ops = make(map[string]*opSeries, len(api.Operations))
	for op := range api.Operations {
		m.ops[op] = new(opSeries)
	}
	m.reg.MustRegister(m.requests, m.latency, m.throttled, m.kept, m.transactions, m.retries, m.scp,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the metrics in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// Request counts one answered API request.
func (m *Metrics) Request(operation, exception string, d time.Duration) {
	if operation == "" {
		operation = "unknown"
	}
	if s := m.ops[operation]; s != nil {
		if exception == "" {
			s.ok.get(func() prometheus.Counter { return m.requests.WithLabelValues(operation, OutcomeOK) }).Inc()
		} else {
			m.requests.WithLabelValues(operation, exception).Inc()
		}
		s.latency.get(func() prometheus.Observer { return m.latency.WithLabelValues(operation) }).Observe(d.Seconds())
		return
	}
	outcome := exception
	if outcome == "" {
		outcome = OutcomeOK
	}
	m.requests.WithLabelValues(operation, outcome).Inc()
	m.latency.WithLabelValues(operation).Observe(d.Seconds())
}

// Throttled counts a request --throttle refused.
func (m *Metrics) Throttled(operation string) {
	m.throttled.WithLabelValues(operation).Inc()
}

// KeptAnswer counts a request answered from a kept answer.
func (m *Metrics) KeptAnswer(operation string) {
	if s := m.ops[operation]; s != nil {
		s.kept.get(func() prometheus.Counter { return m.kept.WithLabelValues(operation) }).Inc()
	}
}

// SCPDecision counts one SCP decision; it is what org.Service.OnSCPDecision
// is given.
func (m *Metrics) SCPDecision(result string) {
	m.scp.WithLabelValues(result).Inc()
}

// Store returns st with its transactions timed, and makes the backends'
// serialization retries count here.
func (m *Metrics) Store(st store.Store) store.Store {
	store.OnConflictRetry(m.retries.Inc)
	return &timedStore{Store: st, m: m}
}

type timedStore struct {
	store.Store
	m            *Metrics
	view, update lazy[prometheus.Observer]
}

func (s *timedStore) UsesHints() bool { return store.UsesHints(s.Store) }

func (s *timedStore) Version() (uint64, bool) { return store.Version(s.Store) }

func (s *timedStore) View(ctx context.Context, fn func(store.Tx) error) error {
	defer s.observe(&s.view, "view", time.Now())
	return s.Store.View(ctx, fn)
}

func (s *timedStore) Update(ctx context.Context, fn func(store.Tx) error) error {
	defer s.observe(&s.update, "update", time.Now())
	return s.Store.Update(ctx, fn)
}

func (s *timedStore) observe(series *lazy[prometheus.Observer], kind string, start time.Time) {
	series.get(func() prometheus.Observer { return s.m.transactions.WithLabelValues(kind) }).Observe(time.Since(start).Seconds())
}

// StatsSource is what the state gauges are counted from: org.Service.
type StatsSource interface {
	Stats(context.Context) (org.Stats, error)
}

// CollectState registers gauges of the state (organizations, accounts,
// open handshakes by action, migrations in progress) that src counts at
// every scrape. A Metrics counts one state: after the first call, later
// ones change nothing.
func (m *Metrics) CollectState(src StatsSource) {
	if err := m.reg.Register(&stateCollector{src: src}); err != nil && !errors.As(err, new(prometheus.AlreadyRegisteredError)) {
		panic(err) // the descriptors are constants: only a programming error gets here
	}
}

var (
	descOrganizations = prometheus.NewDesc("orgd_organizations", "Organizations.", nil, nil)
	descAccounts      = prometheus.NewDesc("orgd_accounts", "Accounts in organizations, management accounts included.", nil, nil)
	descHandshakes    = prometheus.NewDesc("orgd_open_handshakes", "Handshakes waiting for an answer (OPEN or REQUESTED), by action.", []string{"action"}, nil)
	descMigrations    = prometheus.NewDesc("orgd_migrations_in_progress", "All-features migrations (EnableAllFeatures) in progress.", nil, nil)
)

// stateScrapeTimeout bounds the counting of one scrape.
const stateScrapeTimeout = 10 * time.Second

type stateCollector struct{ src StatsSource }

func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descOrganizations
	ch <- descAccounts
	ch <- descHandshakes
	ch <- descMigrations
}

func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), stateScrapeTimeout)
	defer cancel()
	st, err := c.src.Stats(ctx)
	if err != nil {
		// The scrape fails and says why rather than reporting zeros.
		ch <- prometheus.NewInvalidMetric(descOrganizations, err)
		return
	}
	ch <- prometheus.MustNewConstMetric(descOrganizations, prometheus.GaugeValue, float64(st.Organizations))
	ch <- prometheus.MustNewConstMetric(descAccounts, prometheus.GaugeValue, float64(st.Accounts))
	// Every action has a series, 0 when none is open, so that a rate or an
	// alert sees it from the start.
	for _, action := range api.ActionType("").Values() {
		ch <- prometheus.MustNewConstMetric(descHandshakes, prometheus.GaugeValue, float64(st.OpenHandshakes[action]), string(action))
	}
	ch <- prometheus.MustNewConstMetric(descMigrations, prometheus.GaugeValue, float64(st.Migrations))
}
