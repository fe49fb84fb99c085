// Package store is the Neo4j knowledge-graph store: the driver, parameterised Cypher, the one
// visibility predicate, validation of what is written, and the domain types. It reads the Caller
// from the context of every call and returns only what that caller may see. It knows nothing of
// GraphQL or HTTP.
package store

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
	"github.com/neo4j/neo4j-go-driver/v5/neo4j/config"
)

// Config says which Neo4j to use and the store's bounds.
type Config struct {
	URI      string
	Username string
	Password string
	Database string
	// TxTimeout bounds every transaction the store runs (and each ends before the request's
	// deadline: txTimeout).
	TxTimeout time.Duration
	// MaxConnections is the size of the driver's connection pool, and ConnectionWait how long a
	// query waits for a free connection before the driver gives up on that attempt (its default,
	// a minute, outlasts any request). The HTTP layer's per-partner bounds keep one partner to a
	// share of the pool (server.Config.PartnerConcurrency x RootFieldParallelism).
	MaxConnections int
	ConnectionWait time.Duration
	// MaxPageSize bounds `first` on lists; DefaultPageSize is used when it is not given.
	MaxPageSize     int
	DefaultPageSize int
	// MaxNeighbors bounds `first` on relationship fields.
	MaxNeighbors int
	// TriagePartner is the partner that receives anonymous reports (SubmitReport): they are
	// stored as its AMBER_STRICT data, so only it can read and triage them. Default "stt", the
	// hub's own partner in the seed.
	TriagePartner string
	// Traversal bounds the traversal queries (network, paths, hotspots, supply chains, search).
	Traversal TraversalLimits
	// Export bounds workspace exports (WorkspaceExport).
	Export ExportLimits
}

func (c *Config) setDefaults() {
	if c.Database == "" {
		c.Database = "neo4j"
	}
	if c.TxTimeout == 0 {
		c.TxTimeout = 30 * time.Second
	}
	setDefault(&c.MaxConnections, 100)
	setDefault(&c.ConnectionWait, 2*time.Second)
	if c.MaxPageSize == 0 {
		c.MaxPageSize = 500
	}
	if c.DefaultPageSize == 0 {
		c.DefaultPageSize = 20
	}
	if c.MaxNeighbors == 0 {
		c.MaxNeighbors = 1000
	}
	if c.TriagePartner == "" {
		c.TriagePartner = DefaultTriagePartner
	}
	c.Traversal.setDefaults()
	c.Export.setDefaults()
}

// Store is the graph store. It is safe for concurrent use; one per process.
type Store struct {
	driver neo4j.DriverWithContext
	// prober has a connection of its own for Ping, so that a pool busy with queries does not
	// look like a database that is gone.
	prober   neo4j.DriverWithContext
	cfg      Config
	queries  atomic.Int64
	partners partnerCache
	// bookmarks chains every session of the process, so that on a cluster a read routed to a
	// follower sees the writes this process has made (read-your-writes).
	bookmarks neo4j.BookmarkManager
	audit     *auditWriter
	metrics   *storeMetrics
}

// Open connects to Neo4j and verifies that it answers.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	cfg.setDefaults()
	auth := neo4j.BasicAuth(cfg.Username, cfg.Password, "")
	driver, err := neo4j.NewDriverWithContext(cfg.URI, auth,
		func(c *config.Config) {
			c.MaxConnectionPoolSize = cfg.MaxConnections
			c.ConnectionAcquisitionTimeout = cfg.ConnectionWait
		})
	if err != nil {
		return nil, fmt.Errorf("neo4j driver for %s: %w", cfg.URI, err)
	}
	if err := driver.VerifyConnectivity(ctx); err != nil {
		return nil, errors.Join(fmt.Errorf("neo4j at %s does not answer: %w", cfg.URI, err), driver.Close(ctx))
	}
	prober, err := neo4j.NewDriverWithContext(cfg.URI, auth, func(c *config.Config) { c.MaxConnectionPoolSize = 1 })
	if err != nil {
		return nil, errors.Join(fmt.Errorf("neo4j driver for %s: %w", cfg.URI, err), driver.Close(ctx))
	}
	s := &Store{driver: driver, prober: prober, cfg: cfg, bookmarks: neo4j.NewBookmarkManager(neo4j.BookmarkManagerConfig{}),
		metrics: newStoreMetrics()}
	s.audit = newAuditWriter(s)
	return s, nil
}

// Close releases the driver.
func (s *Store) Close(ctx context.Context) error {
	s.audit.close()
	return errors.Join(s.driver.Close(ctx), s.prober.Close(ctx))
}

// Driver returns the underlying driver, for migrations, seeding and benchmarks.
func (s *Store) Driver() neo4j.DriverWithContext { return s.driver }

// Database returns the database name the store uses.
func (s *Store) Database() string { return s.cfg.Database }

// Ping reports whether Neo4j answers, for readiness checks.
func (s *Store) Ping(ctx context.Context) error { return s.prober.VerifyConnectivity(ctx) }

// QueryCount returns how many Cypher queries the store has run; tests use it to prove that a
// request runs a fixed number of queries.
func (s *Store) QueryCount() int64 { return s.queries.Load() }

// session opens a session, counted in use until its close function runs.
func (s *Store) session(ctx context.Context, mode neo4j.AccessMode) (neo4j.SessionWithContext, func() error) {
	session := s.driver.NewSession(ctx, neo4j.SessionConfig{DatabaseName: s.cfg.Database, AccessMode: mode, BookmarkManager: s.bookmarks})
	s.metrics.sessionsInUse.Inc()
	return session, func() error {
		s.metrics.sessionsInUse.Dec()
		return session.Close(ctx)
	}
}

// counted wraps a transaction's work so that its runs (retries included) are counted.
func counted[T any](s *Store, mode string, work func(tx neo4j.ManagedTransaction) (T, error)) func(tx neo4j.ManagedTransaction) (T, error) {
	attempts, retries := s.metrics.txAttempts.WithLabelValues(mode), s.metrics.txRetries.WithLabelValues(mode)
	runs := 0
	return func(tx neo4j.ManagedTransaction) (T, error) {
		runs++
		attempts.Inc()
		if runs > 1 {
			retries.Inc()
		}
		return work(tx)
	}
}

// readTx runs work in a managed read transaction (routed to readers on a cluster), which times out
// before the request does (txTimeout); running out of time is LIMIT_EXCEEDED (neo4jerrors.go).
func readTx[T any](ctx context.Context, s *Store, work func(tx neo4j.ManagedTransaction) (T, error)) (result T, err error) {
	session, closeSession := s.session(ctx, neo4j.AccessModeRead)
	defer func() { err = errors.Join(classifyUnreachable(ctx, err, errReadUnreachable), closeSession()) }()
	result, err = neo4j.ExecuteRead(ctx, session, counted(s, "read", work), neo4j.WithTxTimeout(txTimeout(ctx, s.cfg.TxTimeout)))
	return result, classifyNeo4jError(ctx, err)
}

// writeTx runs work in one managed write transaction: it commits whole or not at all. The driver
// may retry work on transient errors, so work must not have effects outside the transaction. It
// times out like readTx.
func writeTx[T any](ctx context.Context, s *Store, work func(tx neo4j.ManagedTransaction) (T, error)) (result T, err error) {
	session, closeSession := s.session(ctx, neo4j.AccessModeWrite)
	defer func() { err = errors.Join(classifyUnreachable(ctx, err, errWriteUnreachable), closeSession()) }()
	result, err = neo4j.ExecuteWrite(ctx, session, counted(s, "write", work), neo4j.WithTxTimeout(txTimeout(ctx, s.cfg.TxTimeout)))
	return result, classifyNeo4jError(ctx, err)
}

// run runs one Cypher query in tx and collects its records. A question too big for Neo4j, or too
// slow to answer in time, comes back LIMIT_EXCEEDED, and is not retried (neo4jerrors.go).
func (s *Store) run(ctx context.Context, tx neo4j.ManagedTransaction, cypher string, params map[string]any) (records []*neo4j.Record, err error) {
	s.queries.Add(1)
	if log, ok := ctx.Value(statementLogKey{}).(*[]Statement); ok {
		*log = append(*log, Statement{Cypher: cypher, Params: params})
	}
	ctx, span := startStatementSpan(ctx, s.cfg.Database, cypher)
	defer func() { endStatementSpan(span, len(records), err) }()
	result, err := tx.Run(ctx, cypher, params)
	if err != nil {
		return nil, classifyNeo4jError(ctx, err)
	}
	records, err = result.Collect(ctx)
	return records, classifyNeo4jError(ctx, err)
}

// Statement is one Cypher query the store ran, with its parameters.
type Statement struct {
	Cypher string
	Params map[string]any
}

type statementLogKey struct{}

// WithStatementLog returns a context under which the store appends every query it runs to log.
// The benchmark uses it to replay the exact statements through the driver; log is not safe for
// concurrent use, so give each call its own.
func WithStatementLog(ctx context.Context, log *[]Statement) context.Context {
	return context.WithValue(ctx, statementLogKey{}, log)
}
