// Package store is the Neo4j knowledge-graph store: the driver, parameterised Cypher, the one
// visibility predicate, validation of what is written, and the domain types. It reads the Caller
// from the context of every call and returns only what that caller may see. It knows nothing of
// GraphQL or HTTP.
package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
	"github.com/neo4j/neo4j-go-driver/v5/neo4j/config"

	tg "github.com/traffikgraph/traffikgraph"
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
	// UnmergeWindow is how long after a merge unmergeEntities may undo it (store/merge.go).
	// Default DefaultUnmergeWindow.
	UnmergeWindow time.Duration
	// AuditSpool, when set, is the folder of the audit's local durable path (auditSpool): an
	// audit event is durable once synced there, and shipped to Neo4j behind the response. Empty:
	// each batch of events is committed to Neo4j before the responses waiting for it.
	AuditSpool string
	// AuditShipDelay is how long spooled audit events gather before the spool ships them to
	// Neo4j in one write (default DefaultAuditShipDelay); a read of the audit trail ships at once.
	AuditShipDelay time.Duration
	// Logger receives what the store reports on its own (the audit spool's shipping failures).
	Logger *slog.Logger
}

func (c *Config) setDefaults() {
	if c.Database == "" {
		c.Database = "neo4j"
	}
	if c.TxTimeout == 0 {
		c.TxTimeout = 30 * time.Second
	}
	setDefault(&c.AuditShipDelay, DefaultAuditShipDelay)
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
	setDefault(&c.UnmergeWindow, DefaultUnmergeWindow)
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
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
	var spool *auditSpool
	if cfg.AuditSpool != "" {
		if spool, err = openAuditSpool(cfg.AuditSpool, cfg.AuditShipDelay, cfg.Logger); err != nil {
			return nil, errors.Join(err, driver.Close(ctx), prober.Close(ctx))
		}
		spool.failures = s.metrics.auditShipFailures.Inc
	}
	s.audit = newAuditWriter(s, spool)
	return s, nil
}

// Close releases the driver, once the audit spool, if any, has shipped what it holds (while
// ctx lasts: what is left is shipped at the next start).
func (s *Store) Close(ctx context.Context) error {
	s.audit.close(ctx)
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

// counted wraps a transaction's work (a managed transaction's, or an auto-commit statement's) so
// that its runs (retries included) are counted.
func counted[T, Tx any](s *Store, mode string, work func(tx Tx) (T, error)) func(tx Tx) (T, error) {
	attempts, retries := s.metrics.txAttempts.WithLabelValues(mode), s.metrics.txRetries.WithLabelValues(mode)
	runs := 0
	return func(tx Tx) (T, error) {
		runs++
		attempts.Inc()
		if runs > 1 {
			retries.Inc()
		}
		return work(tx)
	}
}

// readTx runs work, which runs one statement, as a read (routed to readers on a cluster) that
// times out before the request does (txTimeout); its failures are told as classify says
// (neo4jerrors.go).
func readTx[T any](ctx context.Context, s *Store, work func(tx statementRunner) (T, error)) (T, error) {
	return readWithin(ctx, s, txTimeout(ctx, s.cfg.TxTimeout), work)
}

// statementRunner runs a statement: a managed transaction (writeTx), or an auto-commit read
// (readWithin).
type statementRunner interface {
	Run(ctx context.Context, cypher string, params map[string]any) (neo4j.ResultWithContext, error)
}

// autoCommit runs a statement in an auto-commit transaction of session, timing out after timeout.
type autoCommit struct {
	session neo4j.SessionWithContext
	timeout time.Duration
}

func (a autoCommit) Run(ctx context.Context, cypher string, params map[string]any) (neo4j.ResultWithContext, error) {
	return a.session.Run(ctx, cypher, params, neo4j.WithTxTimeout(a.timeout))
}

// maxAutoCommitRuns bounds the runs of an auto-commit statement whose failure the driver calls
// retryable (a pooled connection found dead, a leader switch, Neo4j's transient errors), as its
// managed transactions would retry it.
const maxAutoCommitRuns = 3

// readWithin runs work's one statement as a read in an auto-commit transaction (autoCommitted)
// that times out after timeout.
func readWithin[T any](ctx context.Context, s *Store, timeout time.Duration, work func(tx statementRunner) (T, error)) (T, error) {
	return autoCommitted(ctx, s, neo4j.AccessModeRead, timeout, work)
}

// autoCommitted runs work's one statement in an auto-commit transaction of mode that times out
// after timeout: one round trip (RUN and PULL pipelined, committed before Neo4j's last answer,
// which carries the commit's bookmark), where the driver's managed transaction takes three
// (BEGIN, awaited; RUN and PULL; COMMIT), a third of a point read's time on a loaded machine
// (docs/benchmarks.md). One statement needs none of a transaction's atomicity across
// statements. A retryable failure is run again at once, up to maxAutoCommitRuns times, as a
// managed transaction would be: for a read that is harmless, and a write run so must be
// idempotent (the audit writer's MERGE by id), since a failure can come after the commit. The
// store's own answers (a question too big or too slow, classify) are not retryable.
func autoCommitted[T any](ctx context.Context, s *Store, mode neo4j.AccessMode, timeout time.Duration,
	work func(tx statementRunner) (T, error)) (result T, err error) {
	if planOnly(ctx) != nil {
		// A warm-up is not a request: its planning may take the store's whole transaction time
		// (within the warm-up's own bound), not a traversal's.
		timeout = txTimeout(ctx, s.cfg.TxTimeout)
	}
	label := "read"
	if mode == neo4j.AccessModeWrite {
		label = "write"
	}
	run := counted(s, label, work)
	for attempt := 1; ; attempt++ {
		session, closeSession := s.session(ctx, mode)
		result, err = run(autoCommit{session: session, timeout: timeout})
		err = errors.Join(err, closeSession())
		if err == nil || attempt == maxAutoCommitRuns || ctx.Err() != nil || !neo4j.IsRetryable(err) {
			return result, classify(ctx, err, failureSite{write: mode == neo4j.AccessModeWrite})
		}
	}
}

// writeTx runs work in one managed write transaction: it commits whole or not at all. The driver
// may retry work on transient errors, so work must not have effects outside the transaction. It
// times out before the request does (txTimeout). Once ctx has ended the driver answers with the
// context's error instead of the one work returned, which for a statement says where its time
// went (run): that one is kept. Its failures are told as classify says.
func writeTx[T any](ctx context.Context, s *Store, work func(tx neo4j.ManagedTransaction) (T, error)) (result T, err error) {
	session, closeSession := s.session(ctx, neo4j.AccessModeWrite)
	var workErr error
	remembered := func(tx neo4j.ManagedTransaction) (T, error) {
		result, err := work(tx)
		workErr = err
		return result, err
	}
	result, err = neo4j.ExecuteWrite(ctx, session, counted(s, "write", remembered), neo4j.WithTxTimeout(txTimeout(ctx, s.cfg.TxTimeout)))
	if _, told := errors.AsType[*tg.Error](workErr); told && err != nil && ctx.Err() != nil {
		err = workErr
	}
	return result, errors.Join(classify(ctx, err, failureSite{write: true}), closeSession())
}

// run runs one Cypher query in tx and collects its records. A question too big for Neo4j, or too
// slow to answer in time, comes back LIMIT_EXCEEDED, and one that ran out of time before Neo4j
// began to answer it UNAVAILABLE; neither is retried (classify). The time until Neo4j answers
// the RUN (the driver's tx.Run waits for that answer only) is planning and waiting; the time of
// the records after it is the question's work.
func (s *Store) run(ctx context.Context, tx statementRunner, cypher string, params map[string]any) (records []*neo4j.Record, err error) {
	if warmup := planOnly(ctx); warmup != nil {
		return nil, warmup.explain(ctx, tx, cypher, params)
	}
	s.queries.Add(1)
	if log, ok := ctx.Value(statementLogKey{}).(*[]Statement); ok {
		*log = append(*log, Statement{Cypher: cypher, Params: params})
	}
	ctx, span := startStatementSpan(ctx, s.cfg.Database, cypher)
	defer func() { endStatementSpan(span, len(records), err) }()
	began := time.Now()
	result, err := tx.Run(ctx, cypher, params)
	if err != nil {
		return nil, classify(ctx, err, failureSite{statement: true, waited: time.Since(began)})
	}
	waited := time.Since(began)
	records, err = result.Collect(ctx)
	return records, classify(ctx, err, failureSite{statement: true, answered: true, waited: waited, answering: time.Since(began) - waited})
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
