package server_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/traffikgraph/traffikgraph/server"
)

func TestRoutes(t *testing.T) {
	h := startServer(t)

	t.Run("HealthzAnswersWhileTheProcessRuns", func(t *testing.T) {
		res := h.do(t, http.MethodGet, "/healthz", nil, "")
		assert.Equal(t, http.StatusOK, res.status)
		assert.JSONEq(t, `{"status":"ok"}`, string(res.body))
	})

	t.Run("ReadyzAnswersOKWhenReady", func(t *testing.T) {
		res := h.do(t, http.MethodGet, "/readyz", nil, "")
		assert.Equal(t, http.StatusOK, res.status)
	})

	t.Run("GraphiQLAtGraphiQL", func(t *testing.T) {
		res := h.do(t, http.MethodGet, "/graphiql", nil, "")
		require.Equal(t, http.StatusOK, res.status)
		assert.Contains(t, res.header.Get("Content-Type"), "text/html")
		page := string(res.body)
		assert.Contains(t, page, "GraphiQL")
		assert.Contains(t, page, `src="/graphiql/assets/graphiql.min.js?v=`, "GraphiQL is served by us, not a CDN")
		assert.Contains(t, res.header.Get("Content-Security-Policy"), "frame-ancestors 'none'")
	})

	// The root URL opens the explorer now (GraphiQL moved to /graphiql, linked from it).
	t.Run("ExplorerAtTheRoot", func(t *testing.T) {
		res := h.do(t, http.MethodGet, "/", nil, "")
		require.Equal(t, http.StatusOK, res.status)
		assert.Contains(t, string(res.body), `src="/explorer/assets/explorer.js?v=`)
	})

	t.Run("GraphQLAnswersGETAndPOST", func(t *testing.T) {
		get := h.do(t, http.MethodGet, "/graphql?query=%7Bhello%7D", nil, "")
		assert.Equal(t, http.StatusOK, get.status)
		assert.JSONEq(t, `{"data":{"hello":"world"}}`, string(get.body))

		_, post := h.post(t, "{ hello }", nil, nil)
		assert.JSONEq(t, `{"hello":"world"}`, string(post.Data))
	})

	t.Run("OptionsListsTheAllowedMethods", func(t *testing.T) {
		res := h.do(t, http.MethodOptions, "/graphql", nil, "")
		assert.Equal(t, http.StatusOK, res.status)
		assert.Equal(t, "GET, POST, OPTIONS", res.header.Get("Allow"))
	})

	t.Run("OtherMethodsAreNotAllowed", func(t *testing.T) {
		res := h.do(t, http.MethodPut, "/graphql", nil, "{}")
		assert.Equal(t, http.StatusMethodNotAllowed, res.status)
	})

	t.Run("UnknownPathIsNotFound", func(t *testing.T) {
		res := h.do(t, http.MethodGet, "/admin", nil, "")
		assert.Equal(t, http.StatusNotFound, res.status)
	})

	t.Run("EveryResponseCarriesSecurityHeaders", func(t *testing.T) {
		for _, path := range []string{"/healthz", "/graphql?query=%7Bhello%7D", "/nowhere"} {
			res := h.do(t, http.MethodGet, path, nil, "")
			assert.Equal(t, "nosniff", res.header.Get("X-Content-Type-Options"), path)
			assert.Equal(t, "DENY", res.header.Get("X-Frame-Options"), path)
			assert.Equal(t, "no-referrer", res.header.Get("Referrer-Policy"), path)
			assert.Equal(t, "no-store", res.header.Get("Cache-Control"), path)
			assert.NotEmpty(t, res.header.Get("Strict-Transport-Security"), path)
		}
		api := h.do(t, http.MethodGet, "/healthz", nil, "")
		assert.Equal(t, "default-src 'none'; frame-ancestors 'none'", api.header.Get("Content-Security-Policy"))
	})
}

func TestReadyzAnswers503WhenNotReady(t *testing.T) {
	h := startServer(t, func(_ *server.Config, deps *server.Deps) {
		deps.Ready = func(context.Context) error {
			return errors.New("neo4j at bolt://10.0.0.5:7687 refused the connection")
		}
	})

	res := h.do(t, http.MethodGet, "/readyz", nil, "")

	assert.Equal(t, http.StatusServiceUnavailable, res.status)
	assert.JSONEq(t, `{"status":"unavailable","reason":"the database does not answer"}`, string(res.body),
		"the prober learns nothing of our topology")
	assert.Contains(t, h.logs.String(), "refused the connection", "the reason is logged")
}

func TestRequestID(t *testing.T) {
	h := startServer(t)

	t.Run("GeneratedWhenAbsent", func(t *testing.T) {
		res := h.do(t, http.MethodGet, "/healthz", nil, "")
		assert.Len(t, res.header.Get(server.RequestIDHeader), 36, "a UUID")
	})

	t.Run("KeptWhenASafeToken", func(t *testing.T) {
		res := h.do(t, http.MethodGet, "/healthz", http.Header{server.RequestIDHeader: {"partner-trace_42.a"}}, "")
		assert.Equal(t, "partner-trace_42.a", res.header.Get(server.RequestIDHeader))
	})

	for name, unsafe := range map[string]string{
		"ReplacedWhenItCouldForgeLogs": "abc\" level=ERROR msg=forged",
		"ReplacedWhenTooLong":          strings.Repeat("a", 65),
		"ReplacedWhenMarkup":           "<script>",
	} {
		t.Run(name, func(t *testing.T) {
			res := h.do(t, http.MethodGet, "/healthz", http.Header{server.RequestIDHeader: {unsafe}}, "")
			got := res.header.Get(server.RequestIDHeader)
			assert.NotEqual(t, unsafe, got)
			assert.Len(t, got, 36)
		})
	}
}

func TestNewRefusesIncompleteWiring(t *testing.T) {
	valid := server.Deps{
		Schema: newTestSchema(),
		Auth:   tokenAuthenticator{},
		Ready:  func(context.Context) error { return nil },
	}

	t.Run("OK", func(t *testing.T) {
		assert.NotPanics(t, func() { server.New(testConfig(), valid) })
	})

	t.Run("MissingAuthenticator", func(t *testing.T) {
		deps := valid
		deps.Auth = nil
		assert.Panics(t, func() { server.New(testConfig(), deps) })
	})

	t.Run("InvalidConfig", func(t *testing.T) {
		cfg := testConfig()
		cfg.DepthLimit = 0
		assert.Panics(t, func() { server.New(cfg, valid) })
	})
}

func TestConfigValidate(t *testing.T) {
	t.Run("DefaultIsValid", func(t *testing.T) {
		assert.NoError(t, server.DefaultConfig().Validate())
	})

	t.Run("ReportsEveryProblem", func(t *testing.T) {
		err := server.Config{}.Validate()
		require.Error(t, err)
		for _, want := range []string{"address", "body", "timeout", "body timeout", "token limit", "field limit", "field pair limit", "cost limit", "depth", "cache"} {
			assert.Contains(t, err.Error(), want)
		}
	})

	t.Run("ExplorerPeriodEndIsADate", func(t *testing.T) {
		for end, valid := range map[string]bool{"": true, "2025-06-01": true, "2025-6-1": false, "yesterday": false, "2025-02-30": false} {
			cfg := server.DefaultConfig()
			cfg.ExplorerPeriodEnd = end
			if valid {
				assert.NoError(t, cfg.Validate(), end)
			} else {
				assert.ErrorContains(t, cfg.Validate(), "explorer period end must be a date", end)
			}
		}
	})
}

func TestPanicOutsideGraphQLIsRecovered(t *testing.T) {
	h := startServer(t)

	res := h.do(t, http.MethodPost, "/graphql", http.Header{
		"Authorization":        {panicToken},
		"Content-Type":         {"application/json"},
		server.RequestIDHeader: {"recoverer-1"},
	}, `{"query":"{ hello }"}`)

	assert.Equal(t, http.StatusInternalServerError, res.status)
	got := decodeGraphQL(t, res.body)
	require.Len(t, got.Errors, 1)
	assert.Equal(t, "internal error", got.Errors[0].Message)
	assert.Equal(t, []string{"INTERNAL"}, got.codes())
	assert.NotContains(t, string(res.body), "authenticator bug")

	line := logLine(t, h.logs.String(), "recoverer-1", "panic while serving a request")
	assert.Contains(t, line["panic"], "authenticator bug")
	assert.Contains(t, line["stack"], "goroutine")
	access := logLine(t, h.logs.String(), "recoverer-1", "request")
	assert.Equal(t, float64(http.StatusInternalServerError), access["status"])
	assert.Equal(t, "ERROR", access["level"])

	assert.Equal(t, http.StatusOK, h.do(t, http.MethodGet, "/healthz", nil, "").status, "the process keeps serving")
}
