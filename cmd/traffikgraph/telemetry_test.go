package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/traffikgraph/traffikgraph/server"
)

// TestServeExposesMetricsAndTraces: after some requests, /metrics on its own address has the main
// series, and each request is a trace of HTTP request -> GraphQL operation -> Cypher statements,
// with statement shapes but no parameter values, whose trace id the log lines carry.
func TestServeExposesMetricsAndTraces(t *testing.T) {
	require.NotEmpty(t, os.Getenv("NEO4J_URI"), "NEO4J_URI must point at the test Neo4j (the README's test command sets it)")
	ensureDemoPartners(t)
	spans := tracetest.NewInMemoryExporter()
	previous := otel.GetTracerProvider()
	otel.SetTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans)))
	t.Cleanup(func() { otel.SetTracerProvider(previous) })
	logs := &lockedBuffer{}
	logger := slog.New(server.WithTraceIDs(slog.NewJSONHandler(logs, nil)))

	addr, devAddr, metricsAddr := freeAddr(t), freeAddr(t), freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- serve(ctx, []string{"--addr", addr, "--dev-issuer", "on", "--dev-issuer-addr", devAddr, "--metrics-addr", metricsAddr},
			os.Getenv, io.Discard, io.Discard, logger)
	}()
	t.Cleanup(func() {
		cancel()
		assert.NoError(t, <-done, "serve stops cleanly")
	})
	base := "http://" + addr
	waitServeReady(t, base, done)
	token := devToken(t, "http://"+devAddr, "analyst")

	// The marker is a parameter value: no span may carry it.
	const marker = "zz-marker-never-in-a-span"
	read := post(t, base, token, `{ partners(first: 5, where: {name_contains: "`+marker+`"}) { totalCount } }`)
	require.Empty(t, read.Errors)
	write := post(t, base, token, `mutation { upsertBusiness(externalRef: "telemetry-test", input: {name: "`+marker+`"}, marking: {tlp: GREEN}) { id } }`)
	require.Empty(t, write.Errors)
	refused := post(t, base, token[:len(token)-4]+"AAAA", `{ __typename }`)
	require.Equal(t, "UNAUTHENTICATED", refused.Errors[0].Extensions["code"])

	t.Run("MetricsOnTheirOwnAddress", func(t *testing.T) {
		resp, err := http.Get("http://" + metricsAddr + "/metrics")
		require.NoError(t, err)
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		metrics := string(body)
		for _, series := range []string{
			`traffikgraph_http_requests_total{route="/graphql",status="200"}`,
			`traffikgraph_http_request_duration_seconds_bucket{route="/graphql",le="0.1"}`,
			`traffikgraph_graphql_operations_total{code="OK",field="partners",type="query"} 1`,
			`traffikgraph_graphql_operations_total{code="OK",field="upsertBusiness",type="mutation"} 1`,
			`traffikgraph_graphql_operation_duration_seconds_count{field="partners",type="query"} 1`,
			`traffikgraph_refusals_total{reason="token"} 1`,
			`traffikgraph_refusals_total{reason="rate_limit"} 0`,
			`traffikgraph_refusals_total{reason="concurrency"} 0`,
			`traffikgraph_refusals_total{reason="unavailable"} 0`,
			`traffikgraph_neo4j_transaction_attempts_total{mode="read"}`,
			`traffikgraph_neo4j_transaction_attempts_total{mode="write"}`,
			`traffikgraph_neo4j_sessions_in_use`,
			`traffikgraph_neo4j_pool_max_connections 100`,
			`traffikgraph_neo4j_statements_total`,
			`traffikgraph_audit_queue_depth`,
			`traffikgraph_audit_commit_duration_seconds_count`,
			`traffikgraph_audit_events_committed_total`,
			`traffikgraph_audit_spool_backlog_bytes 0`,
			`traffikgraph_audit_spool_ship_failures_total 0`,
			`go_goroutines`,
		} {
			assert.Contains(t, metrics, series)
		}
		assert.NotContains(t, metrics, marker)
	})

	t.Run("TracesFromRequestToStatement", func(t *testing.T) {
		var httpSpan, operation, statement *tracetest.SpanStub
		recorded := spans.GetSpans()
		for i := range recorded {
			s := &recorded[i]
			if s.Name == "graphql query partners" {
				operation = s
			}
			for _, attr := range s.Attributes {
				assert.NotContains(t, attr.Value.Emit(), marker, "span %s, attribute %s", s.Name, attr.Key)
			}
		}
		require.NotNil(t, operation, "a span for the operation")
		for i := range recorded {
			switch s := &recorded[i]; {
			case s.SpanContext.SpanID() == operation.Parent.SpanID():
				httpSpan = s
			case s.Name == "cypher" && s.Parent.SpanID() == operation.SpanContext.SpanID():
				statement = s
			}
		}
		require.NotNil(t, httpSpan, "the operation's parent")
		assert.Equal(t, "HTTP POST /graphql", httpSpan.Name)
		assert.Equal(t, trace.SpanKindServer, httpSpan.SpanKind)
		require.NotNil(t, statement, "a Cypher statement under the operation")
		shape := attribute(statement, "db.query.text")
		assert.Contains(t, shape, "$", "the statement's shape, with its parameters as placeholders")
		assert.Equal(t, "neo4j", attribute(statement, "db.system.name"))

		traceID := httpSpan.SpanContext.TraceID().String()
		assert.True(t, logs.hasLine(func(line map[string]any) bool {
			return line["msg"] == "request" && line["trace_id"] == traceID
		}), "the access log line carries the trace id")
	})
}

func attribute(span *tracetest.SpanStub, key string) string {
	for _, attr := range span.Attributes {
		if string(attr.Key) == key {
			return attr.Value.Emit()
		}
	}
	return ""
}

// lockedBuffer collects JSON log lines written by concurrent requests.
type lockedBuffer struct {
	mu    sync.Mutex
	lines []string
	part  strings.Builder
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.part.Write(p)
	for {
		text := b.part.String()
		i := strings.IndexByte(text, '\n')
		if i < 0 {
			break
		}
		b.lines = append(b.lines, text[:i])
		b.part.Reset()
		b.part.WriteString(text[i+1:])
	}
	return len(p), nil
}

// hasLine tells whether a log line matches, waiting a little for lines still being written.
func (b *lockedBuffer) hasLine(match func(map[string]any) bool) bool {
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		b.mu.Lock()
		lines := append([]string(nil), b.lines...)
		b.mu.Unlock()
		for _, raw := range lines {
			var line map[string]any
			if json.Unmarshal([]byte(raw), &line) == nil && match(line) {
				return true
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return false
}
