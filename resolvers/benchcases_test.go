package resolvers_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/traffikgraph/traffikgraph/auth"
	"github.com/traffikgraph/traffikgraph/bench"
	"github.com/traffikgraph/traffikgraph/internal/testkit"
	"github.com/traffikgraph/traffikgraph/resolvers"
	"github.com/traffikgraph/traffikgraph/server"
	"github.com/traffikgraph/traffikgraph/store"
)

// TestBenchReplaysTheStatementsTheAPISends: a bench case whose baseline is the store's own
// statements (Case.Store) measures everything around Neo4j's work only if they are the very
// statements the API sends for the case's GraphQL.
func TestBenchReplaysTheStatementsTheAPISends(t *testing.T) {
	h := newHarness(t)
	var sent []store.Statement
	handler := server.New(server.DefaultConfig(), server.Deps{
		Schema: resolvers.NewExecutableSchema(h.store), Auth: h.callers, Ready: h.store.Ping,
		PerOperation: resolvers.PerOperation(h.store), Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Extensions: []graphql.HandlerExtension{resolvers.Audit(h.store, slog.New(slog.NewTextHandler(io.Discard, nil)))},
	})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		handler.ServeHTTP(w, r.WithContext(store.WithStatementLog(r.Context(), &sent)))
	}))
	t.Cleanup(srv.Close)

	replayed := 0
	for _, c := range bench.AllCases() {
		if c.Store == nil || c.Name != "node by id with nested fields (the store's statement)" {
			continue
		}
		replayed++
		t.Run(c.Name, func(t *testing.T) {
			vars := map[string]any{"id": h.A + "-no-such-incident"}
			sent = nil
			resp := testkit.Client{URL: srv.URL + "/graphql"}.Post(t, testkit.Bearer("a"), c.GraphQL, vars)
			require.Empty(t, resp.Errors)
			var replay []store.Statement
			require.NoError(t, c.Store(store.WithStatementLog(auth.WithCaller(t.Context(), h.callers["a"]), &replay), h.store, vars))
			require.NotEmpty(t, sent)
			assert.Equal(t, sent, replay)
		})
	}
	require.Equal(t, 1, replayed, "the case is among the bench's")
}
