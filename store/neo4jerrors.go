package store

import (
	"context"
	"errors"
	"fmt"
	"strings"

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

// classifyNeo4jError turns a Neo4j failure that is about the size of the question into
// errTooBigForNeo4j and returns any other error as it is.
func classifyNeo4jError(err error) error {
	neo4jErr, ok := errors.AsType[*neo4j.Neo4jError](err)
	if !ok {
		return err
	}
	parts := strings.Split(neo4jErr.Code, ".")
	if len(parts) == 4 && parts[2] == "General" && tooBigForNeo4j[parts[3]] {
		return errTooBigForNeo4j
	}
	return err
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
