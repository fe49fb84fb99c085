package store

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	tg "github.com/traffikgraph/traffikgraph"
)

// auditWriter group-commits audit events: while one batch is made durable, the events that
// arrive meanwhile wait and are committed together by the next, so under load each request still
// waits for its own event's commit but far fewer commits are made. A lone event is written at
// once: there is no timer. An event is durable when a Neo4j transaction holding it has committed,
// or, with an audit spool (Config.AuditSpool), when the spool's file holding it has been synced
// to disk; the spool's shipper then writes it to Neo4j.
type auditWriter struct {
	store   *Store
	spool   *auditSpool // nil: events are committed to Neo4j directly
	queue   chan auditRequest
	stop    chan struct{}
	stopped chan struct{}
	closing sync.Once
}

type auditRequest struct {
	record auditRecord
	done   chan error
}

// maxAuditBatch bounds the events of one commit.
const maxAuditBatch = 256

const writeAuditEvents = `
UNWIND $events AS event
MERGE (e:` + tg.LabelAuditEvent + ` {id: event.id})
SET e = event.props, e.id = event.id`

func newAuditWriter(s *Store, spool *auditSpool) *auditWriter {
	w := &auditWriter{store: s, spool: spool, queue: make(chan auditRequest, maxAuditBatch), stop: make(chan struct{}), stopped: make(chan struct{})}
	go w.loop()
	if spool != nil {
		go spool.ship(w.commitToNeo4j)
	}
	return w
}

var errStoreClosed = errors.New("the store is closed")

// write queues the record and waits until the commit holding it is durable.
func (w *auditWriter) write(ctx context.Context, record auditRecord) error {
	req := auditRequest{record: record, done: make(chan error, 1)}
	select {
	case <-w.stopped:
		return errStoreClosed
	case w.queue <- req:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-req.done:
		return err
	case <-w.stopped:
		// Stopped before (or while) writing it: the caller withholds its response.
		return errStoreClosed
	case <-ctx.Done():
		// The event may still be committed; the caller withholds its response either way.
		return ctx.Err()
	}
}

func (w *auditWriter) loop() {
	defer close(w.stopped)
	for {
		var first auditRequest
		select {
		case first = <-w.queue:
		case <-w.stop:
			return
		}
		batch := []auditRequest{first}
	gather:
		for len(batch) < maxAuditBatch {
			select {
			case req := <-w.queue:
				batch = append(batch, req)
			default:
				break gather
			}
		}
		err := w.commit(batch)
		for _, req := range batch {
			req.done <- err
		}
	}
}

// commit makes a batch durable, in the spool when there is one, else in one Neo4j transaction.
func (w *auditWriter) commit(batch []auditRequest) error {
	records := make([]auditRecord, len(batch))
	for i, req := range batch {
		records[i] = req.record
	}
	started := time.Now()
	var err error
	if w.spool != nil {
		err = w.spool.append(records)
	} else {
		// Under its own deadline: the batch is shared, so no one request's cancellation may
		// abort the others' records.
		ctx, cancel := context.WithTimeout(context.Background(), w.store.cfg.TxTimeout)
		err = w.commitToNeo4j(ctx, records)
		cancel()
	}
	w.store.metrics.observeAuditCommit(len(records), time.Since(started), err)
	return err
}

// commitToNeo4j writes records in one statement, idempotent (MERGE by id), so an auto-commit
// transaction of one round trip: its records are read to the end, and Neo4j answers the end
// only once it has committed. Writing a record again (a retry, or the spool shipping a batch
// whose answer was lost) leaves the same node.
func (w *auditWriter) commitToNeo4j(ctx context.Context, records []auditRecord) error {
	events := make([]map[string]any, len(records))
	for i, r := range records {
		events[i] = r.event()
	}
	_, err := autoCommitted(ctx, w.store, neo4j.AccessModeWrite, txTimeout(ctx, w.store.cfg.TxTimeout), func(tx statementRunner) (struct{}, error) {
		_, err := w.store.run(ctx, tx, writeAuditEvents, map[string]any{"events": events})
		return struct{}{}, err
	})
	return err
}

// shipped waits until every event made durable before the call is in Neo4j, so that a read of
// the audit trail sees the events of the responses already sent. Without a spool they are there.
func (w *auditWriter) shipped(ctx context.Context) error {
	if w.spool == nil {
		return nil
	}
	return w.spool.waitShipped(ctx)
}

// close stops the writer; writes still waiting are refused (the store closes after the server
// has drained its requests, so normally there are none). The spool ships what it holds while
// ctx lasts; what is left is shipped at the next start.
func (w *auditWriter) close(ctx context.Context) {
	w.closing.Do(func() {
		close(w.stop)
		<-w.stopped
		if w.spool != nil {
			w.spool.close(ctx)
		}
	})
}
