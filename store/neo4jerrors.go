package store

import (
	"errors"
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
