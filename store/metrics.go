package store

import (
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// storeMetrics are the store's Prometheus series; Collectors hands them out for registration.
type storeMetrics struct {
	txAttempts    *prometheus.CounterVec
	txRetries     *prometheus.CounterVec
	sessionsInUse prometheus.Gauge
	auditCommits  prometheus.Histogram
	auditEvents   prometheus.Counter
	// auditShipFailures counts the audit spool's failed shipments to Neo4j.
	auditShipFailures prometheus.Counter
}

func newStoreMetrics() *storeMetrics {
	return &storeMetrics{
		txAttempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "traffikgraph_neo4j_transaction_attempts_total", Help: "Runs of a managed transaction's work, retries included, by access mode.",
		}, []string{"mode"}),
		txRetries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "traffikgraph_neo4j_transaction_retries_total", Help: "Runs of a managed transaction's work after the first (the driver retries transient errors), by access mode.",
		}, []string{"mode"}),
		sessionsInUse: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "traffikgraph_neo4j_sessions_in_use", Help: "Neo4j sessions open now, each holding or waiting for one of the pool's connections.",
		}),
		auditCommits: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "traffikgraph_audit_commit_duration_seconds", Help: "Time to commit one batch of audit events (responses wait for it).",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}),
		auditEvents: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "traffikgraph_audit_events_committed_total", Help: "Audit events committed.",
		}),
		auditShipFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "traffikgraph_audit_spool_ship_failures_total", Help: "Failed shipments of the audit spool to Neo4j (each is retried).",
		}),
	}
}

// Collectors are the store's Prometheus series: transactions and their retries, sessions in use
// against the pool's size, statements run, and the audit writer's queue and commits.
func (s *Store) Collectors() []prometheus.Collector {
	return []prometheus.Collector{
		s.metrics.txAttempts, s.metrics.txRetries, s.metrics.sessionsInUse, s.metrics.auditCommits, s.metrics.auditEvents,
		s.metrics.auditShipFailures,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "traffikgraph_neo4j_pool_max_connections", Help: "Size of the driver's connection pool.",
		}, func() float64 { return float64(s.cfg.MaxConnections) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "traffikgraph_neo4j_statements_total", Help: "Cypher statements run.",
		}, func() float64 { return float64(s.queries.Load()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "traffikgraph_audit_queue_depth", Help: "Audit events waiting for the writer's next transaction.",
		}, func() float64 { return float64(len(s.audit.queue)) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "traffikgraph_audit_spool_backlog_bytes", Help: "Audit events durable in the local spool but not yet in Neo4j (0 without a spool).",
		}, func() float64 {
			if s.audit.spool == nil {
				return 0
			}
			return float64(s.audit.spool.backlog())
		}),
	}
}

func (m *storeMetrics) observeAuditCommit(events int, took time.Duration, err error) {
	m.auditCommits.Observe(took.Seconds())
	if err == nil {
		m.auditEvents.Add(float64(events))
	}
}

// maxStatementShape bounds the statement text a span carries.
const maxStatementShape = 2000

// statementShape is a statement's text for a span: the parameterised Cypher with its whitespace
// collapsed. It holds no values (they are parameters) and so no personal data.
func statementShape(cypher string) string {
	shape := strings.Join(strings.Fields(cypher), " ")
	if len(shape) > maxStatementShape {
		shape = shape[:maxStatementShape] + "…"
	}
	return shape
}
