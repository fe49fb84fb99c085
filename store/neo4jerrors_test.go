package store_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	tg "github.com/traffikgraph/traffikgraph"
	"github.com/traffikgraph/traffikgraph/store"
)

// TestMemoryExhaustionIsLimitExceededAndNotRetried: a query that needs more memory than Neo4j
// lets a transaction have (db.memory.transaction.max, or the global transaction pool) is answered
// LIMIT_EXCEEDED at once. Neo4j calls it a transient error, so the driver retried it for 30 s
// while it held memory every other partner's queries needed; the store's queries are never
// retried for it (one query ran, not several).
func TestMemoryExhaustionIsLimitExceededAndNotRetried(t *testing.T) {
	s := mustOpen(t)
	// About 1.5 GB of list in Neo4j's accounting: more than any transaction may have.
	const greedy = "UNWIND range(1, 50000000) AS x RETURN size(collect(x)) AS n"
	for name, run := range map[string]func(context.Context, *store.Store, string) error{
		"Read":  store.ReadForTest,
		"Write": store.WriteForTest,
	} {
		t.Run(name, func(t *testing.T) {
			before := s.QueryCount()
			err := run(as("memory-test", readerScopes...), s, greedy)
			require.Error(t, err)
			assert.Equal(t, tg.LimitExceeded, tg.ErrorCode(err), "%v", err)
			assert.Contains(t, err.Error(), "more memory than Neo4j allows")
			assert.Equal(t, int64(1), s.QueryCount()-before, "the query ran once, without retries")
		})
	}
}
