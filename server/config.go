// Package server is traffikgraph's HTTP layer: the chi router, its middleware (request id, access
// log, recoverer, timeout, body limit, security headers, authentication, the body read whole
// before a concurrency slot), the gqlgen handler with its GraphQL-over-HTTP transports, limits and
// error presenter, the health endpoints, GraphiQL, the partner explorer, partners' audit exports
// (over an AuditExporter) and a graceful Serve. It builds around any graphql.ExecutableSchema and
// knows nothing of Neo4j.
package server

import (
	"errors"
	"fmt"
	"time"

	"github.com/traffikgraph/traffikgraph/auth"
)

// Config is the HTTP layer's configuration. Start from DefaultConfig and check it with Validate.
type Config struct {
	// Addr is the TCP address Serve listens on, such as ":8080" or "127.0.0.1:8080".
	Addr string
	// Introspection enables __schema and __type queries. Off in production: the schema is the
	// map of what partners share, and clients ship with their own copy.
	Introspection bool
	// MaxBodyBytes is the largest request body accepted; larger bodies get 413. Every byte of a
	// GraphQL request costs CPU to decode and coerce (a 600 KB filter took 200 ms to refuse); the
	// largest legitimate body, a 20,000-character report, is well below the default.
	MaxBodyBytes int64
	// RequestTimeout bounds each request through its context deadline, so resolvers and Neo4j
	// queries stop when it passes. It runs from the request's headers, its body included.
	RequestTimeout time.Duration
	// BodyTimeout bounds how long a client may take to send a request's body. The body is read
	// whole before the request takes a concurrency slot, so a slow client holds only its own
	// connection meanwhile; a slower body gets 408. The largest legitimate body, a 20,000-character
	// report (about 60 KB), takes 10 s over a poor 2G connection.
	BodyTimeout time.Duration
	// BodiesPerCaller bounds the bodies one partner (all its callers together), or one address
	// without a token, may have arriving at once, and BodyBytesInFlight the memory every body
	// arriving at once may hold (each counted at its Content-Length, or MaxBodyBytes when it has
	// none); callers without a token may use a quarter of it. Bodies are read whole before a
	// concurrency slot is taken (BodyTimeout), so without these 3,000 half-sent bodies of one
	// partner held 1.8 GB. Over a bound: 429 with Retry-After, before any byte is read.
	BodiesPerCaller   int
	BodyBytesInFlight int64
	// TokenLimit, FieldLimit and FieldPairLimit bound a query document before it is validated
	// (document.go), since validation costs more than linear time: its lexical tokens; its fields
	// once fragments are expanded, all its operations and fragments together (which also keeps
	// the cost estimate's walk, re-walking a fragment at every spread, short); and the pairs
	// validation compares, quadratic in their number: fields of the same response name, and
	// fragments spread into one selection set.
	TokenLimit     int
	FieldLimit     int
	FieldPairLimit int
	// CostLimit bounds an operation's estimated cost: its fields, each list's selection counted
	// once per item its `first` or `limit` allows (cost.go), an estimate of how many values the
	// answer can hold.
	CostLimit int
	// DepthLimit is the deepest field nesting an operation may have (fragments add no depth).
	DepthLimit int
	// QueryCacheSize is how many parsed and validated query documents are kept.
	QueryCacheSize int
	// APQCacheSize is how many automatic persisted queries (caller and hash to query text) are
	// kept, all callers together.
	APQCacheSize int
	// ShutdownTimeout bounds how long Serve waits for in-flight requests once its context ends.
	ShutdownTimeout time.Duration
	// AnonymousPerMinute and AnonymousBurst rate limit requests without a token, per client
	// address (IPv4 address or IPv6 /64): a burst of AnonymousBurst, refilled at
	// AnonymousPerMinute. Anonymous callers can only submit reports and read CLEAR aggregates.
	AnonymousPerMinute int
	AnonymousBurst     int
	// PartnerConcurrency bounds the GraphQL requests one partner has in flight, all its callers
	// together; AnonymousConcurrency those of every caller without a token, together. A request
	// beyond the bound waits up to ConcurrencyWait for a slot, then gets 429 with Retry-After.
	PartnerConcurrency   int
	AnonymousConcurrency int
	ConcurrencyWait      time.Duration
	// RootFieldParallelism bounds how many root fields of one operation resolve at a time (each
	// is a Neo4j query), so a partner holds at most PartnerConcurrency x RootFieldParallelism of
	// the store's connections.
	RootFieldParallelism int
	// ExplorerIssuers are the trusted issuers; the explorer offers sign-in at those that name its
	// client id (IssuerConfig.Explorer).
	ExplorerIssuers []auth.IssuerConfig
	// ExplorerPeriodEnd (YYYY-MM-DD) is the day the explorer's default periods (the hotspot map's
	// last 12 months) end; empty is the browser's today. Data that ends earlier, such as the demo
	// world's, would otherwise open on an empty map.
	ExplorerPeriodEnd string
	// AuditExportBatch is how many audit events GET /audit/export reads from Neo4j at a time:
	// its memory whatever the window (at most the store's MaxPageSize).
	AuditExportBatch int
}

// DefaultConfig returns a configuration fit for production: introspection off, bounded bodies,
// time, depth, fields, cost and concurrency.
func DefaultConfig() Config {
	return Config{
		Addr:           ":8080",
		Introspection:  false,
		MaxBodyBytes:   256 << 10,
		RequestTimeout: 30 * time.Second,
		BodyTimeout:    15 * time.Second,
		// 16 bodies a partner or an address is twice the anonymous callers' concurrency; 64 MiB is
		// 256 of the largest bodies.
		BodiesPerCaller:   16,
		BodyBytesInFlight: 64 << 20,
		// GraphiQL's introspection query has 200 tokens, 466 fields once expanded and no pair
		// of same-named fields; the explorer's largest query 300 tokens, 214 fields and 522
		// pairs. 10,000 pairs cost validation at most about 10 ms.
		TokenLimit:      10_000,
		FieldLimit:      2000,
		FieldPairLimit:  10_000,
		CostLimit:       2_000_000,
		DepthLimit:      15,
		QueryCacheSize:  1000,
		APQCacheSize:    1000,
		ShutdownTimeout: 20 * time.Second,
		// A person filing a report and a public dashboard refreshing its map stay well below.
		AnonymousPerMinute: 30,
		AnonymousBurst:     15,
		// A partner's analysts and integrations together: four requests of two root fields each
		// at a time hold at most 8 of the store's 100 connections, and already keep a two-core
		// Neo4j busy. The wait absorbs a burst of quick requests and still refuses within the
		// second.
		PartnerConcurrency:   4,
		AnonymousConcurrency: 8,
		ConcurrencyWait:      500 * time.Millisecond,
		RootFieldParallelism: 2,
		AuditExportBatch:     500,
	}
}

// Validate reports every setting that cannot work, joined into one error.
func (c Config) Validate() error {
	var errs []error
	if c.Addr == "" {
		errs = append(errs, errors.New("server address must not be empty"))
	}
	if c.MaxBodyBytes <= 0 {
		errs = append(errs, errors.New("max body bytes must be positive"))
	}
	if c.RequestTimeout <= 0 {
		errs = append(errs, errors.New("request timeout must be positive"))
	}
	if c.BodyTimeout <= 0 {
		errs = append(errs, errors.New("body timeout must be positive"))
	}
	if c.BodiesPerCaller <= 0 || c.BodyBytesInFlight < 4*c.MaxBodyBytes {
		errs = append(errs, errors.New("bodies per caller must be positive and the body bytes in flight at least four bodies of the largest size"))
	}
	if c.TokenLimit <= 0 {
		errs = append(errs, errors.New("token limit must be positive"))
	}
	if c.FieldLimit <= 0 {
		errs = append(errs, errors.New("field limit must be positive"))
	}
	if c.FieldPairLimit <= 0 {
		errs = append(errs, errors.New("field pair limit must be positive"))
	}
	if c.CostLimit <= 0 {
		errs = append(errs, errors.New("cost limit must be positive"))
	}
	if c.DepthLimit <= 0 {
		errs = append(errs, errors.New("depth limit must be positive"))
	}
	if c.QueryCacheSize <= 0 {
		errs = append(errs, errors.New("query cache size must be positive"))
	}
	if c.APQCacheSize <= 0 {
		errs = append(errs, errors.New("APQ cache size must be positive"))
	}
	if c.ShutdownTimeout <= 0 {
		errs = append(errs, errors.New("shutdown timeout must be positive"))
	}
	if c.AnonymousPerMinute <= 0 || c.AnonymousBurst <= 0 {
		errs = append(errs, errors.New("anonymous rate limit (per minute and burst) must be positive"))
	}
	if c.PartnerConcurrency <= 0 || c.AnonymousConcurrency <= 0 || c.RootFieldParallelism <= 0 {
		errs = append(errs, errors.New("concurrency bounds (partner, anonymous, root fields) must be positive"))
	}
	if _, err := time.Parse(time.DateOnly, c.ExplorerPeriodEnd); c.ExplorerPeriodEnd != "" && err != nil {
		errs = append(errs, fmt.Errorf("explorer period end must be a date such as 2025-06-01, not %q", c.ExplorerPeriodEnd))
	}
	if c.AuditExportBatch <= 0 {
		errs = append(errs, errors.New("audit export batch must be positive"))
	}
	if c.ConcurrencyWait < 0 {
		errs = append(errs, errors.New("concurrency wait must not be negative"))
	}
	return errors.Join(errs...)
}
