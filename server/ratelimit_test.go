package server_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/traffikgraph/traffikgraph/server"
)

func TestAnonymousRateLimit(t *testing.T) {
	h := startServer(t, withConfig(func(cfg *server.Config) {
		cfg.AnonymousPerMinute, cfg.AnonymousBurst = 1, 2
	}))
	const query = `{ hello }`

	t.Run("AnonymousCallersGetTheirBurst", func(t *testing.T) {
		for range 2 {
			res, got := h.post(t, query, nil, nil)
			require.Equal(t, http.StatusOK, res.status, "body: %s", res.body)
			assert.Empty(t, got.Errors)
		}
	})

	t.Run("BeyondTheBurstAnonymousCallersGetLimitExceeded", func(t *testing.T) {
		res, got := h.post(t, query, nil, nil)
		assert.Equal(t, http.StatusTooManyRequests, res.status)
		assert.Equal(t, []string{"LIMIT_EXCEEDED"}, got.codes())
		assert.False(t, got.hasData, "a limited request is not executed")
		assert.NotEmpty(t, res.header.Get("Retry-After"))
	})

	t.Run("AuthenticatedPartnersAreNotLimitedByAddress", func(t *testing.T) {
		for range 5 {
			res, got := h.post(t, query, nil, http.Header{"Authorization": {analystToken}})
			require.Equal(t, http.StatusOK, res.status, "body: %s", res.body)
			assert.Empty(t, got.Errors)
		}
	})

	t.Run("CORSPreflightsAreNotCounted", func(t *testing.T) {
		res := h.do(t, http.MethodOptions, "/graphql", nil, "")
		assert.NotEqual(t, http.StatusTooManyRequests, res.status)
	})
}
