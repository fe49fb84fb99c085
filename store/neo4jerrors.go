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

// errTooSlowForNeo4j is what a query that ran out of time becomes: its transaction timed out in
// Neo4j, or the request's deadline passed while the driver waited for Neo4j. The time may have
// gone to planning (a query shape Neo4j has not seen, with many terms and subqueries), where a
// smaller page saves nothing, so the advice is about the question's shape. Like
// errTooBigForNeo4j it is ours, so the driver never retries it.
var errTooSlowForNeo4j = tg.Errorf(tg.LimitExceeded,
	"the question was too costly to answer in time: Neo4j took longer to plan and run it than a request may take; "+
		"ask a simpler question (fewer filter terms, relationship filters and nested fields)")

// classifyNeo4jError turns a failure that is about the size of the question into
// errTooBigForNeo4j, one that is about its time (under ctx) into errTooSlowForNeo4j, and
// returns any other error as it is.
func classifyNeo4jError(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if neo4jErr, ok := errors.AsType[*neo4j.Neo4jError](err); ok {
		parts := strings.Split(neo4jErr.Code, ".")
		switch {
		case len(parts) == 4 && parts[2] == "General" && tooBigForNeo4j[parts[3]]:
			return errTooBigForNeo4j
		// Neo.ClientError.Transaction.TransactionTimedOut, ...TransactionTimedOutClientConfiguration
		case len(parts) == 4 && parts[2] == "Transaction" && strings.HasPrefix(parts[3], "TransactionTimedOut"):
			return errTooSlowForNeo4j
		}
		return err
	}
	if outOfTime(ctx, err) {
		return errTooSlowForNeo4j
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

// classifyUnreachable turns a failure to reach Neo4j (no connection, or the driver's retries of
// one used up) into unreachable, which the readiness probe hears of (its code is UNAVAILABLE);
// a failure once the request's context has ended is that context's error (the driver's
// ConnectivityError does not wrap it); any other error is returned as it is.
func classifyUnreachable(ctx context.Context, err error, unreachable *tg.Error) error {
	if err == nil {
		return nil
	}
	// Already answered (LIMIT_EXCEEDED for a query out of time, classifyNeo4jError): kept.
	if _, answered := errors.AsType[*tg.Error](err); answered {
		return err
	}
	if ctx.Err() != nil {
		if errors.Is(err, ctx.Err()) {
			return err
		}
		return fmt.Errorf("%w: %w", ctx.Err(), err)
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
