package server_test

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/traffikgraph/traffikgraph"
	"github.com/traffikgraph/traffikgraph/server"
)

// TestGraphQLFailsFastWhileNotReady: while the readiness probe fails, GraphQL requests are
// refused before anything else runs (token verification included) with 503, Retry-After and
// UNAVAILABLE, and served again once it succeeds, with no restart.
func TestGraphQLFailsFastWhileNotReady(t *testing.T) {
	var down atomic.Bool
	down.Store(true)
	h := startServer(t, func(_ *server.Config, deps *server.Deps) {
		deps.Ready = func(context.Context) error {
			if down.Load() {
				return errors.Join(traffikgraph.Errorf(traffikgraph.Unavailable, "the embedded Neo4j is down: it is being restarted"),
					errors.New("dial tcp 127.0.0.1:7687: connect: connection refused"))
			}
			return nil
		}
	})
	readyz := h.do(t, http.MethodGet, "/readyz", nil, "")
	require.Equal(t, http.StatusServiceUnavailable, readyz.status)
	assert.JSONEq(t, `{"status":"unavailable","reason":"the embedded Neo4j is down: it is being restarted"}`, string(readyz.body))

	for name, query := range map[string]string{
		"Query":    `{ __typename }`,
		"Mutation": `mutation { __typename }`,
	} {
		t.Run(name, func(t *testing.T) {
			res, got := h.post(t, query, nil, http.Header{"Authorization": {analystToken}})

			assert.Equal(t, http.StatusServiceUnavailable, res.status)
			assert.Equal(t, "5", res.header.Get("Retry-After"))
			assert.Equal(t, []string{"UNAVAILABLE"}, got.codes())
			assert.Equal(t, "the embedded Neo4j is down: it is being restarted; nothing was read or written: retry later", got.Errors[0].Message)
			assert.NotContains(t, string(res.body), "7687", "no address for the client")
		})
	}
	t.Run("TokenNotVerified", func(t *testing.T) {
		res, got := h.post(t, `{ __typename }`, nil, http.Header{"Authorization": {"Bearer not-a-token"}})
		assert.Equal(t, http.StatusServiceUnavailable, res.status)
		assert.Equal(t, []string{"UNAVAILABLE"}, got.codes(), "refused before verification could wait on the database")
	})

	down.Store(false)

	require.Eventually(t, func() bool { return h.do(t, http.MethodGet, "/readyz", nil, "").status == http.StatusOK },
		10*time.Second, 20*time.Millisecond)
	res, got := h.post(t, `{ __typename }`, nil, http.Header{"Authorization": {analystToken}})
	assert.Equal(t, http.StatusOK, res.status)
	assert.Empty(t, got.Errors)
}

// TestASlowDatabaseIsNotAnOutage: a probe that only runs out of time does not refuse requests
// at once (a database slow under load is still there); several in a row do.
func TestASlowDatabaseIsNotAnOutage(t *testing.T) {
	h := startServer(t, func(_ *server.Config, deps *server.Deps) {
		deps.Ready = func(ctx context.Context) error {
			<-ctx.Done()
			return ctx.Err()
		}
	})
	require.Equal(t, http.StatusOK, h.do(t, http.MethodGet, "/readyz", nil, "").status, "one slow probe")
	res, got := h.post(t, `{ __typename }`, nil, http.Header{"Authorization": {analystToken}})
	assert.Equal(t, http.StatusOK, res.status)
	assert.Empty(t, got.Errors)

	require.Eventually(t, func() bool {
		return h.do(t, http.MethodGet, "/readyz", nil, "").status == http.StatusServiceUnavailable
	},
		time.Minute, 100*time.Millisecond, "probes that keep running out of time are an outage")
	res, got = h.post(t, `{ __typename }`, nil, http.Header{"Authorization": {analystToken}})
	assert.Equal(t, http.StatusServiceUnavailable, res.status)
	assert.Equal(t, []string{"UNAVAILABLE"}, got.codes())
}
