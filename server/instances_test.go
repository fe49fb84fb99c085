package server_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/traffikgraph/traffikgraph/server"
)

// TestSeveralInstancesShareNothing proves what docs/reliability.md ("Several instances") asks an
// operator to rely on: two instances hold nothing in common, and nothing breaks for it.
func TestSeveralInstancesShareNothing(t *testing.T) {
	t.Run("APQHashUnknownToTheOtherInstanceFallsBackToTheQuery", func(t *testing.T) {
		a, b := startServer(t), startServer(t)
		const query = "{ hello }"
		persisted := url.Values{"extensions": {`{"persistedQuery":{"version":1,"sha256Hash":"` + sha256Hex(query) + `"}}`}}
		registered := url.Values{"query": {query}, "extensions": persisted["extensions"]}
		header := http.Header{"Authorization": {analystToken}}
		require.Equal(t, http.StatusOK, a.do(t, http.MethodGet, "/graphql?"+registered.Encode(), header, "").status)

		// A round-robin balancer sends the hash alone to the other instance: it asks for the
		// query, and the client's retry with it (the APQ protocol) is answered.
		res := b.do(t, http.MethodGet, "/graphql?"+persisted.Encode(), header, "")
		assert.Equal(t, []string{"PERSISTED_QUERY_NOT_FOUND"}, decodeGraphQL(t, res.body).codes())
		res = b.do(t, http.MethodGet, "/graphql?"+registered.Encode(), header, "")
		assert.JSONEq(t, `{"data":{"hello":"world"}}`, string(res.body))
	})

	t.Run("AnonymousBudgetIsTheTCPPeersWhateverHeadersSay", func(t *testing.T) {
		// Behind a proxy every anonymous request comes from the proxy's address, so an instance's
		// anonymous limit is its total anonymous budget, and the per-client limit is the proxy's
		// job; no header can hand a client a fresh budget.
		h := startServer(t, withConfig(func(cfg *server.Config) { cfg.AnonymousPerMinute, cfg.AnonymousBurst = 1, 2 }))
		for range 2 {
			res, _ := h.post(t, `{ hello }`, nil, nil)
			require.Equal(t, http.StatusOK, res.status)
		}
		for _, header := range []string{"X-Forwarded-For", "X-Real-IP", "Forwarded", "True-Client-IP"} {
			value := "203.0.113.9"
			if header == "Forwarded" {
				value = "for=203.0.113.9"
			}
			res, got := h.post(t, `{ hello }`, nil, http.Header{header: {value}})
			assert.Equal(t, http.StatusTooManyRequests, res.status, header)
			assert.Equal(t, []string{"LIMIT_EXCEEDED"}, got.codes(), header)
		}
	})
}
