package store

import (
	"context"
	"errors"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	tg "github.com/traffikgraph/traffikgraph"
)

// auditWriter group-commits audit events: while one write transaction commits, the events that
// arrive meanwhile wait and are committed together by the next, so under load each request still
// waits for its own event's commit but Neo4j commits far fewer transactions. A lone event is
// written at once: there is no timer.
type auditWriter struct {
	store   *Store
	queue   chan auditRequest
	stop    chan struct{}
	stopped chan struct{}
}

type auditRequest struct {
	event map[string]any // {id, props}
	done  chan error
}

// maxAuditBatch bounds the events of one transaction.
const maxAuditBatch = 256

const writeAuditEvents = `
UNWIND $events AS event
MERGE (e:` + tg.LabelAuditEvent + ` {id: event.id})
SET e = event.props, e.id = event.id`

func newAuditWriter(s *Store) *auditWriter {
	w := &auditWriter{store: s, queue: make(chan auditRequest, maxAuditBatch), stop: make(chan struct{}), stopped: make(chan struct{})}
	go w.loop()
	return w
}

var errStoreClosed = errors.New("the store is closed")

// write queues the event and waits until the transaction holding it has committed.
func (w *auditWriter) write(ctx context.Context, event map[string]any) error {
	req := auditRequest{event: event, done: make(chan error, 1)}
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

// commit writes a batch in one transaction, under its own deadline: the batch is shared, so no
// one request's cancellation may abort the others' records.
func (w *auditWriter) commit(batch []auditRequest) error {
	ctx, cancel := context.WithTimeout(context.Background(), w.store.cfg.TxTimeout)
	defer cancel()
	events := make([]map[string]any, len(batch))
	for i, req := range batch {
		events[i] = req.event
	}
	started := time.Now()
	// One statement, idempotent (MERGE by id): an auto-commit transaction, one round trip. Its
	// records are read to the end, and Neo4j answers the end only once it has committed.
	_, err := autoCommitted(ctx, w.store, neo4j.AccessModeWrite, txTimeout(ctx, w.store.cfg.TxTimeout), func(tx statementRunner) (struct{}, error) {
		_, err := w.store.run(ctx, tx, writeAuditEvents, map[string]any{"events": events})
		return struct{}{}, err
	})
	w.store.metrics.observeAuditCommit(len(events), time.Since(started), err)
	return err
}

// close stops the writer; writes still waiting are refused (the store closes after the server
// has drained its requests, so normally there are none).
func (w *auditWriter) close() {
	close(w.stop)
	<-w.stopped
}
