package resolvers_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/traffikgraph/traffikgraph/auth"
	"github.com/traffikgraph/traffikgraph/bench"
	"github.com/traffikgraph/traffikgraph/internal/testkit"
	"github.com/traffikgraph/traffikgraph/store"
)

// TestBenchReplaysTheStatementsTheAPISends: a bench case whose baseline is the store's own
// statements (Case.Store) measures everything around Neo4j's work only if they are the very
// statements the API sends for the case's GraphQL.
func TestBenchReplaysTheStatementsTheAPISends(t *testing.T) {
	h := newHarness(t)
	var sent []store.Statement
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.handler.ServeHTTP(w, r.WithContext(store.WithStatementLog(r.Context(), &sent)))
	}))
	t.Cleanup(srv.Close)

	cases, err := bench.Select(bench.AllCases(), "node by id with nested fields (the store's statement)")
	require.NoError(t, err)
	for _, c := range cases {
		require.NotNil(t, c.Store, "the case replays the store's statements")
		vars := map[string]any{"id": h.A + "-no-such-incident"}
		resp := testkit.Client{URL: srv.URL + "/graphql"}.Post(t, testkit.Bearer("a"), c.GraphQL, vars)
		require.Empty(t, resp.Errors)
		var replay []store.Statement
		require.NoError(t, c.Store(store.WithStatementLog(auth.WithCaller(t.Context(), h.callers["a"]), &replay), h.store, vars))
		require.NotEmpty(t, sent)
		assert.Equal(t, sent, replay)
	}
}
