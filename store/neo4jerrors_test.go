package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
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

// TestRunningOutOfTimeIsLimitExceededAndNotRetried: every transaction times out in Neo4j before
// the request's deadline, and a query that runs out of time is LIMIT_EXCEEDED saying it was too
// costly to answer in time, whichever gives up first: Neo4j (TransactionTimedOut) or the driver
// at the deadline (a ConnectivityError that wraps nothing, which the presenter took for INTERNAL).
// It ran once, without retries, and the store keeps answering.
func TestRunningOutOfTimeIsLimitExceededAndNotRetried(t *testing.T) {
	s := mustOpen(t)
	// Seconds of counting, in constant memory, for Neo4j to stop.
	const slow = "UNWIND range(1, 2000000000) AS x WITH x WHERE x < 0 RETURN count(x) AS n"
	for _, tc := range []struct {
		name string
		run  func(context.Context, *store.Store, string) error
		// 6 s: the transaction's timeout (3 s) ends it in Neo4j; 300 ms: the deadline passes
		// before Neo4j looks for timed-out transactions (every 2 s).
		deadline time.Duration
	}{
		{"ReadTimesOutInNeo4j", store.ReadForTest, 6 * time.Second},
		{"WriteTimesOutInNeo4j", store.WriteForTest, 6 * time.Second},
		{"ReadOutlivesTheDeadline", store.ReadForTest, 300 * time.Millisecond},
		{"WriteOutlivesTheDeadline", store.WriteForTest, 300 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(as("timeout-test", readerScopes...), tc.deadline)
			defer cancel()
			before := s.QueryCount()
			err := tc.run(ctx, s, slow)
			require.Error(t, err)
			assert.Equal(t, tg.LimitExceeded, tg.ErrorCode(err), "%v", err)
			assert.Contains(t, err.Error(), "too costly to answer in time")
			assert.Equal(t, int64(1), s.QueryCount()-before, "the query ran once, without retries")
			require.NoError(t, store.ReadForTest(as("timeout-test", readerScopes...), s, "RETURN 1"), "the store still answers")
		})
	}
}

// TestRunningOutOfTimeBeforeNeo4jAnswersIsNotAboutTheQuestionsSize: a statement whose time runs
// out while Neo4j is still planning it (a text it has not planned: replan=force keeps it so) is
// not too big a question, and is not told to ask for less: UNAVAILABLE, saying the time went to
// planning or a busy database and that nothing was written. It ran once, without retries.
func TestRunningOutOfTimeBeforeNeo4jAnswersIsNotAboutTheQuestionsSize(t *testing.T) {
	s := mustOpen(t)
	// Some seconds of planning (60 branches to plan and combine), no work: nothing matches.
	branches := make([]string, 60)
	for i := range branches {
		branches[i] = fmt.Sprintf("MATCH (n%d:Person {id: 'no-such-id'}) WHERE n%d.name STARTS WITH 'x' RETURN n%d.id AS id", i, i, i)
	}
	slowToPlan := "CYPHER replan=force " + strings.Join(branches, " UNION ")
	for name, run := range map[string]func(context.Context, *store.Store, string) error{
		"Read":  store.ReadForTest,
		"Write": store.WriteForTest,
	} {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(as("timeout-test", readerScopes...), 300*time.Millisecond)
			defer cancel()
			before := s.QueryCount()
			err := run(ctx, s, slowToPlan)
			require.Error(t, err)
			assert.Equal(t, tg.Unavailable, tg.ErrorCode(err), "%v", err)
			assert.Contains(t, err.Error(), "the time went to planning the query or to a busy database, not to the size of the question")
			assert.Contains(t, err.Error(), "nothing was written")
			assert.NotContains(t, err.Error(), "ask")
			assert.Equal(t, int64(1), s.QueryCount()-before, "the query ran once, without retries")
			require.NoError(t, store.ReadForTest(as("timeout-test", readerScopes...), s, "RETURN 1"), "the store still answers")
		})
	}
}

// TestWaitingForALockPastTheTimeoutIsNotInternal: a write that waits for a lock another
// transaction holds until its own timeout ends it (Neo4j: LockClientStopped) is told the
// database was busy and nothing was written, not INTERNAL.
func TestWaitingForALockPastTheTimeoutIsNotInternal(t *testing.T) {
	s := mustOpen(t)
	id := uuid.NewString()
	run(t, s, `CREATE (:LockTest {id: $id})`, map[string]any{"id": id})
	t.Cleanup(func() { run(t, s, `MATCH (n:LockTest {id: $id}) DELETE n`, map[string]any{"id": id}) })
	session := s.Driver().NewSession(context.Background(), neo4j.SessionConfig{DatabaseName: s.Database()})
	defer session.Close(context.Background())
	holder, err := session.BeginTransaction(context.Background())
	require.NoError(t, err)
	defer holder.Rollback(context.Background())
	_, err = holder.Run(context.Background(), `MATCH (n:LockTest {id: $id}) SET n.held = true`, map[string]any{"id": id})
	require.NoError(t, err)

	ctx, cancel := context.WithTimeout(as("lock-test", readerScopes...), 8*time.Second)
	defer cancel()
	err = store.WriteForTest(ctx, s, `MATCH (n:LockTest {id: '`+id+`'}) SET n.waited = true`)
	require.Error(t, err)
	assert.Equal(t, tg.Unavailable, tg.ErrorCode(err), "%v", err)
	assert.Contains(t, err.Error(), "nothing was written")
}
