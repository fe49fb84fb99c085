package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/traffikgraph/traffikgraph/server"
)

func TestErrorPresenter(t *testing.T) {
	h := startServer(t)

	t.Run("ApplicationErrorKeepsItsCodeAndMessage", func(t *testing.T) {
		for _, code := range []string{"UNAUTHENTICATED", "FORBIDDEN", "NOT_FOUND", "LIMIT_EXCEEDED", "UNAVAILABLE"} {
			res, got := h.post(t, `query($code: String!) { hello appError(code: $code, message: "no such person") }`,
				map[string]any{"code": code}, http.Header{"Authorization": {analystToken}})

			require.Equal(t, http.StatusOK, res.status)
			assert.JSONEq(t, `{"hello":"world","appError":null}`, string(got.Data), "other fields still resolve")
			require.Len(t, got.Errors, 1)
			assert.Equal(t, "no such person", got.Errors[0].Message)
			assert.Equal(t, []any{"appError"}, got.Errors[0].Path)
			assert.Equal(t, map[string]any{"code": code}, got.Errors[0].Extensions)
		}
	})

	t.Run("BadUserInputNamesTheField", func(t *testing.T) {
		_, got := h.post(t, `{ appError(code: "BAD_USER_INPUT", message: "not an ISO 3166 code", field: "input.countryCode") }`, nil, nil)

		require.Len(t, got.Errors, 1)
		assert.Equal(t, "not an ISO 3166 code", got.Errors[0].Message)
		assert.Equal(t, map[string]any{"code": "BAD_USER_INPUT", "field": "input.countryCode"}, got.Errors[0].Extensions)
	})

	t.Run("InternalApplicationErrorIsHidden", func(t *testing.T) {
		_, got := h.post(t, `{ appError(code: "INTERNAL", message: "constraint person_id violated") }`, nil, nil)

		require.Len(t, got.Errors, 1)
		assert.Equal(t, "internal error", got.Errors[0].Message)
		assert.Equal(t, []string{"INTERNAL"}, got.codes())
	})

	t.Run("UnknownErrorLeaksNothing", func(t *testing.T) {
		res, got := h.post(t, "{ leak }", nil, http.Header{server.RequestIDHeader: {"leak-test-1"}})

		require.Len(t, got.Errors, 1)
		assert.Equal(t, "internal error", got.Errors[0].Message)
		assert.Equal(t, []string{"INTERNAL"}, got.codes())
		assert.Equal(t, []any{"leak"}, got.Errors[0].Path)
		for _, secret := range []string{"MATCH", "bolt://", "10.0.0.5", "unexpected EOF"} {
			assert.NotContains(t, string(res.body), secret)
		}
		line := logLine(t, h.logs.String(), "leak-test-1", "internal error")
		assert.Contains(t, line["error"], "MATCH (p:Person", "the detail is in the log, for us")
		assert.Equal(t, "leak", line["path"])
	})

	t.Run("PanicBecomesInternal", func(t *testing.T) {
		res, got := h.post(t, "{ hello boom }", nil, http.Header{server.RequestIDHeader: {"panic-test-1"}, "Authorization": {analystToken}})

		require.Equal(t, http.StatusOK, res.status, "the process and the rest of the operation survive")
		assert.JSONEq(t, `{"hello":"world","boom":null}`, string(got.Data))
		require.Len(t, got.Errors, 1)
		assert.Equal(t, "internal error", got.Errors[0].Message)
		assert.Equal(t, []string{"INTERNAL"}, got.codes())
		assert.NotContains(t, string(res.body), "boom:")
		assert.NotContains(t, string(res.body), "goroutine")

		line := logLine(t, h.logs.String(), "panic-test-1", "panic while executing an operation")
		assert.Contains(t, line["panic"], "boom: MATCH")
		assert.Contains(t, line["stack"], "goroutine", "the stack is logged")
		assert.Equal(t, 1, strings.Count(h.logs.String(), "panic-test-1\",\"panic"), "logged once, not again by the presenter")
	})

	t.Run("ParseErrorKeepsGraphQLCode", func(t *testing.T) {
		_, got := h.post(t, "{ hello", nil, nil)
		assert.Equal(t, []string{"GRAPHQL_PARSE_FAILED"}, got.codes())
	})

	t.Run("ValidationErrorKeepsGraphQLCodeAndMessage", func(t *testing.T) {
		_, got := h.post(t, "{ nope }", nil, nil)
		require.Equal(t, []string{"GRAPHQL_VALIDATION_FAILED"}, got.codes())
		assert.Contains(t, got.Errors[0].Message, `Cannot query field "nope"`)
	})
}

func TestIntrospection(t *testing.T) {
	const query = `{ __type(name: "Node") { name } }`

	t.Run("DisabledIsAValidationError", func(t *testing.T) {
		h := startServer(t)
		for _, q := range []string{query, "{ __schema { queryType { name } } }", "{ ...Meta } fragment Meta on Query { __type(name: \"Node\") { name } }"} {
			_, got := h.post(t, q, nil, nil)
			assert.False(t, got.hasData)
			require.Equal(t, []string{"GRAPHQL_VALIDATION_FAILED"}, got.codes(), q)
			assert.Equal(t, "introspection is disabled on this server", got.Errors[0].Message)
		}
	})

	t.Run("DisabledStillAnswersTypename", func(t *testing.T) {
		h := startServer(t)
		_, got := h.post(t, "{ __typename }", nil, nil)
		assert.Empty(t, got.Errors)
		assert.JSONEq(t, `{"__typename":"Query"}`, string(got.Data))
	})

	t.Run("EnabledAnswers", func(t *testing.T) {
		h := startServer(t, withConfig(func(cfg *server.Config) { cfg.Introspection = true }))
		_, got := h.post(t, query, nil, nil)
		assert.Empty(t, got.Errors)
		assert.JSONEq(t, `{"__type":{"name":"Node"}}`, string(got.Data))
	})
}

func TestRequestTimeout(t *testing.T) {
	t.Run("ResolversSeeTheDeadline", func(t *testing.T) {
		h := startServer(t, withConfig(func(cfg *server.Config) { cfg.RequestTimeout = 50 * time.Millisecond }))

		start := time.Now()
		res, got := h.post(t, "{ waitForDeadline }", nil, nil)

		assert.Less(t, time.Since(start), 5*time.Second)
		assert.Equal(t, http.StatusOK, res.status)
		require.Len(t, got.Errors, 1)
		assert.Equal(t, []string{"UNAVAILABLE"}, got.codes())
		assert.Equal(t, "the request took too long and was stopped", got.Errors[0].Message)
	})

	t.Run("ExpiredBeforeExecutionIs503", func(t *testing.T) {
		h := startServer(t, withConfig(func(cfg *server.Config) { cfg.RequestTimeout = time.Nanosecond }))

		res, got := h.post(t, "{ hello }", nil, nil)

		assert.Equal(t, http.StatusServiceUnavailable, res.status)
		assert.False(t, got.hasData)
		assert.Equal(t, []string{"UNAVAILABLE"}, got.codes())
	})
}

func TestPerOperation(t *testing.T) {
	var calls int
	h := startServer(t, func(_ *server.Config, deps *server.Deps) {
		deps.PerOperation = func(ctx context.Context) context.Context {
			calls++
			return context.WithValue(ctx, perOperationKey{}, "loaders-for-this-operation")
		}
	})

	_, got := h.post(t, "{ perOperation }", nil, nil)

	assert.JSONEq(t, `{"perOperation":"loaders-for-this-operation"}`, string(got.Data))
	assert.Equal(t, 1, calls)

	_, _ = h.post(t, "{ nope }", nil, nil)
	assert.Equal(t, 1, calls, "operations refused before execution need no loaders")
}

func TestAccessLog(t *testing.T) {
	h := startServer(t)

	h.post(t, `query FindPeople($text: String!) { echo(text: $text) }`,
		map[string]any{"text": "Jane Doe, born 1990"},
		http.Header{"Authorization": {analystToken}, server.RequestIDHeader: {"access-log-1"}})

	line := logLine(t, h.logs.String(), "access-log-1", "request")
	assert.Equal(t, "POST", line["method"])
	assert.Equal(t, "/graphql", line["path"])
	assert.Equal(t, float64(http.StatusOK), line["status"])
	assert.Equal(t, "FindPeople", line["operation"])
	assert.Contains(t, line, "duration")
	logs := h.logs.String()
	assert.NotContains(t, logs, "Jane Doe", "variables never reach the log")
	assert.NotContains(t, logs, "analyst-token", "tokens never reach the log")
	assert.NotContains(t, logs, "echo(text", "queries never reach the log")
}

// logLine finds the JSON log line with the request id and message.
func logLine(t *testing.T, logs, requestID, msg string) map[string]any {
	t.Helper()
	for raw := range strings.SplitSeq(strings.TrimSpace(logs), "\n") {
		var line map[string]any
		require.NoError(t, json.Unmarshal([]byte(raw), &line))
		if line["request_id"] == requestID && line["msg"] == msg {
			return line
		}
	}
	require.Failf(t, "no log line", "request_id=%s msg=%q in:\n%s", requestID, msg, logs)
	return nil
}
