// Package server is traffikgraph's HTTP layer: the chi router, its middleware (request id, access
// log, recoverer, timeout, body limit, security headers, authentication), the gqlgen handler with
// its GraphQL-over-HTTP transports, limits and error presenter, the health endpoints, GraphiQL, the partner explorer,
// and a graceful Serve. It builds around any graphql.ExecutableSchema and knows nothing of Neo4j.
package server

import (
	"errors"
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
	// MaxBodyBytes is the largest request body accepted; larger bodies get 413.
	MaxBodyBytes int64
	// RequestTimeout bounds each request through its context deadline, so resolvers and Neo4j
	// queries stop when it passes.
	RequestTimeout time.Duration
	// ComplexityLimit is the largest gqlgen complexity an operation may have. It also bounds the
	// fields an operation selects once fragments are expanded (each costs at least 1), checked
	// first and in linear time.
	ComplexityLimit int
	// DepthLimit is the deepest field nesting an operation may have (fragments add no depth).
	DepthLimit int
	// QueryCacheSize is how many parsed and validated query documents are kept.
	QueryCacheSize int
	// APQCacheSize is how many automatic persisted queries (hash to query text) are kept.
	APQCacheSize int
	// ShutdownTimeout bounds how long Serve waits for in-flight requests once its context ends.
	ShutdownTimeout time.Duration
	// AnonymousPerMinute and AnonymousBurst rate limit requests without a token, per client
	// address (IPv4 address or IPv6 /64): a burst of AnonymousBurst, refilled at
	// AnonymousPerMinute. Anonymous callers can only submit reports and read CLEAR aggregates.
	AnonymousPerMinute int
	AnonymousBurst     int
	// ExplorerIssuers are the trusted issuers; the explorer offers sign-in at those that name its
	// client id (IssuerConfig.Explorer).
	ExplorerIssuers []auth.IssuerConfig
}

// DefaultConfig returns a configuration fit for production: introspection off, bounded bodies,
// time, depth and complexity.
func DefaultConfig() Config {
	return Config{
		Addr:            ":8080",
		Introspection:   false,
		MaxBodyBytes:    1 << 20,
		RequestTimeout:  30 * time.Second,
		ComplexityLimit: 2000,
		DepthLimit:      15,
		QueryCacheSize:  1000,
		APQCacheSize:    1000,
		ShutdownTimeout: 20 * time.Second,
		// A person filing a report and a public dashboard refreshing its map stay well below.
		AnonymousPerMinute: 30,
		AnonymousBurst:     15,
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
	if c.ComplexityLimit <= 0 {
		errs = append(errs, errors.New("complexity limit must be positive"))
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
	return errors.Join(errs...)
}
