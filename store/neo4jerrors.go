package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
	tg "github.com/traffikgraph/traffikgraph"
)

// tooBigForNeo4j names the Neo4j status codes (Neo.<class>.General.<name>) that mean the question
// needs more than Neo4j will give one transaction: memory (the transaction's own limit,
// db.memory.transaction.max; the pool all transactions share, dbms.memory.transaction.total.max;
// the heap) or stack. Neo4j classes most of them as transient, so the driver's managed
// transactions would retry them for up to 30 s, each attempt taking the memory every other
// partner's queries need, for an answer that cannot come.
var tooBigForNeo4j = map[string]bool{
	"TransactionOutOfMemoryError": true,
	"TransactionMemoryLimit":      true,
	"MemoryPoolOutOfMemoryError":  true,
	"OutOfMemoryError":            true,
	"StackOverFlowError":          true,
}

// errTooBigForNeo4j is what run returns for them. It does not wrap the Neo4j error, so that the
// driver sees an error of ours, which it never retries.
var errTooBigForNeo4j = tg.Errorf(tg.LimitExceeded,
	"the question needs more memory than Neo4j allows one query; ask for less (smaller first or limit, fewer nested lists, a narrower filter)")

// errTooSlowForNeo4j is what a statement that ran out of time while Neo4j was answering it
// becomes: Neo4j had planned it and begun to produce its records, and most of the time went
// there, to the work the question asks for, so asking for less is the honest advice. Like
// errTooBigForNeo4j it is ours, so the driver never retries it.
var errTooSlowForNeo4j = tg.Errorf(tg.LimitExceeded,
	"the question was too costly to answer in time: Neo4j took longer to run it than a request may take; "+
		"ask a simpler question (fewer filter terms, relationship filters and nested fields)")

// errNotBegunInTime is what a statement that ran out of time before Neo4j answered it (or whose
// time went mostly there) becomes: the time went to planning it (a query text Neo4j has not
// planned yet: the first of its shape since Neo4j started) or to waiting for a busy server, not
// to the size of the question, and the same request retried shortly is likely to be answered.
// Nothing was written: a statement of a write that fails so ends its transaction uncommitted.
var errNotBegunInTime = tg.Errorf(tg.Unavailable,
	"Neo4j did not begin to answer in time: the time went to planning the query or to a busy database, "+
		"not to the size of the question; nothing was written: retry in a few seconds")

// What a transaction that ran out of time outside its statements (waiting for a connection,
// beginning, committing) becomes: a busy database. A write's commit may have been cut short after
// Neo4j applied it, so a write's message says it may have been applied.
var (
	errReadBusy  = tg.Errorf(tg.Unavailable, "the database was too busy to answer in time, not because of the question's size: retry in a few seconds")
	errWriteBusy = tg.Errorf(tg.Unavailable,
		"the database was too busy to finish the write in time; it was not acknowledged and may have been applied: check before retrying (an upsert by externalRef is safe to retry)")
)

// failureSite says where a failure was met, for classify.
type failureSite struct {
	// statement: met by run, in one statement, whose RUN Neo4j answered (answered) after waited
	// (planning, locks, a busy server), its records then taking answering. The driver's retries of
	// connectivity failures must go on there, so they are left as they are.
	statement bool
	answered  bool
	waited    time.Duration
	answering time.Duration
	// write: met by writeTx (else by readTx or a traversal), whose messages say whether the write
	// may have been applied.
	write bool
}

// classify turns a failure into what the caller is told: a question too big for Neo4j is
// errTooBigForNeo4j; running out of time (Neo4j's transaction timeout, or the request's deadline
// under ctx) is errTooSlowForNeo4j when the time went to answering a statement and
// errNotBegunInTime when it went before Neo4j began to (statement), the busy database otherwise;
// a failure to reach Neo4j (no connection, or the driver's retries of one used up) is
// unreachable, which the readiness probe hears of (its code is UNAVAILABLE); a failure once the
// request's context has ended is that context's error (the driver's ConnectivityError does not
// wrap it). Errors already answered (a *tg.Error) and any other error are returned as they are.
func classify(ctx context.Context, err error, site failureSite) error {
	if err == nil {
		return nil
	}
	if _, answered := errors.AsType[*tg.Error](err); answered {
		return err
	}
	outOfTimeErr := errReadBusy
	switch {
	case site.statement && site.answered && site.answering > site.waited:
		outOfTimeErr = errTooSlowForNeo4j
	case site.statement:
		outOfTimeErr = errNotBegunInTime
	case site.write:
		outOfTimeErr = errWriteBusy
	}
	if neo4jErr, ok := errors.AsType[*neo4j.Neo4jError](err); ok {
		parts := strings.Split(neo4jErr.Code, ".")
		switch {
		case len(parts) == 4 && parts[2] == "General" && tooBigForNeo4j[parts[3]]:
			return errTooBigForNeo4j
		// Neo.ClientError.Transaction.TransactionTimedOut, ...TransactionTimedOutClientConfiguration
		case len(parts) == 4 && parts[2] == "Transaction" && strings.HasPrefix(parts[3], "TransactionTimedOut"):
			return outOfTimeErr
		// Neo.ClientError.Transaction.LockClientStopped: the timeout ended it, before its commit,
		// while it waited for a lock another transaction held: a busy database, not a big question.
		case len(parts) == 4 && parts[2] == "Transaction" && parts[3] == "LockClientStopped":
			return errNotBegunInTime
		}
		return err
	}
	if outOfTime(ctx, err) {
		return outOfTimeErr
	}
	if site.statement {
		return err
	}
	if ctx.Err() != nil {
		if errors.Is(err, ctx.Err()) {
			return err
		}
		return fmt.Errorf("%w: %w", ctx.Err(), err)
	}
	unreachable := errReadUnreachable
	if site.write {
		unreachable = errWriteUnreachable
	}
	if limit, ok := errors.AsType[*neo4j.TransactionExecutionLimit](err); ok {
		for _, cause := range limit.Errors {
			if neo4j.IsConnectivityError(cause) {
				return errors.Join(unreachable, err)
			}
		}
	}
	if _, ok := errors.AsType[*neo4j.ConnectivityError](err); ok {
		return errors.Join(unreachable, err)
	}
	return err
}

// outOfTime says whether err is the driver giving up because ctx's deadline passed: the context's
// own error, or (the driver's ConnectivityError and TransactionExecutionLimit wrap nothing) a
// failed read of the connection or a retry cut short once the deadline is gone.
func outOfTime(ctx context.Context, err error) bool {
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	_, connectivity := errors.AsType[*neo4j.ConnectivityError](err)
	_, retriesCut := errors.AsType[*neo4j.TransactionExecutionLimit](err)
	return (connectivity || retriesCut) && errors.Is(ctx.Err(), context.DeadlineExceeded)
}

// txDeadlineMargin is how long before the request's deadline a transaction's timeout ends:
// Neo4j looks for timed-out transactions every 2 s (db.transaction.monitor.check.interval), and
// its answer must still reach the request in time, so that a slow query ends as Neo4j's
// TransactionTimedOut and its connection stays usable, rather than as a broken read.
const txDeadlineMargin = 3 * time.Second

// txTimeout is the timeout of a transaction run under ctx: bound, shortened to end
// txDeadlineMargin before ctx's deadline (or, with less time left than that, halfway to it).
// Neo4j takes zero for "no timeout", so it is never below a millisecond.
func txTimeout(ctx context.Context, bound time.Duration) time.Duration {
	deadline, ok := ctx.Deadline()
	if !ok {
		return bound
	}
	left := time.Until(deadline)
	return max(min(bound, max(left-txDeadlineMargin, left/2)), time.Millisecond)
}

// What a caller is told when Neo4j could not be reached. A write that failed so may have
// committed (the connection can die between commit and its acknowledgement): it is not
// acknowledged, and the message says so.
var (
	errReadUnreachable  = tg.Errorf(tg.Unavailable, "the database cannot be reached right now; retry later")
	errWriteUnreachable = tg.Errorf(tg.Unavailable,
		"the database could not be reached; the write was not acknowledged and may not have been applied: check before retrying (an upsert by externalRef is safe to retry)")
)
