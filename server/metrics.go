package server

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/vektah/gqlparser/v2/ast"
)

// latencyBuckets suit a service whose answers take milliseconds to seconds.
var latencyBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}

// metrics are the HTTP layer's Prometheus series. Every label value comes from a fixed set (route
// patterns, operation types, schema root fields, error codes, refusal reasons), never from what a
// client chose: no operation names, no paths as sent.
type metrics struct {
	httpRequests   *prometheus.CounterVec
	httpDuration   *prometheus.HistogramVec
	operations     *prometheus.CounterVec
	operationTimes *prometheus.HistogramVec
	refusals       *prometheus.CounterVec
}

// Refusal reasons, the values of traffikgraph_refusals_total's reason label.
const (
	refusedUnavailable = "unavailable"
	refusedToken       = "token"
	refusedRateLimit   = "rate_limit"
	refusedConcurrency = "concurrency"
)

func newMetrics(registerer prometheus.Registerer) *metrics {
	m := &metrics{
		httpRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "traffikgraph_http_requests_total", Help: "HTTP requests by route pattern and status.",
		}, []string{"route", "status"}),
		httpDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "traffikgraph_http_request_duration_seconds", Help: "Time to answer an HTTP request, by route pattern.", Buckets: latencyBuckets,
		}, []string{"route"}),
		operations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "traffikgraph_graphql_operations_total",
			Help: "GraphQL operations by type, first root field and the first error's extensions.code (OK without errors).",
		}, []string{"type", "field", "code"}),
		operationTimes: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "traffikgraph_graphql_operation_duration_seconds", Help: "Time from parsing to response, by operation type and first root field.",
			Buckets: latencyBuckets,
		}, []string{"type", "field"}),
		refusals: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "traffikgraph_refusals_total",
			Help: "GraphQL requests refused before execution: unavailable (database down), token, rate_limit (anonymous), concurrency.",
		}, []string{"reason"}),
	}
	if registerer != nil {
		registerer.MustRegister(m.httpRequests, m.httpDuration, m.operations, m.operationTimes, m.refusals)
	}
	for _, reason := range []string{refusedUnavailable, refusedToken, refusedRateLimit, refusedConcurrency} {
		m.refusals.WithLabelValues(reason) // present at 0, so that a rate of them can be graphed
	}
	return m
}

// measureHTTP counts every request by its route pattern (known once chi has routed it) and status.
func (m *metrics) measureHTTP(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
		next.ServeHTTP(ww, r)
		route := "unmatched"
		if rc := chi.RouteContext(r.Context()); rc != nil && rc.RoutePattern() != "" {
			route = rc.RoutePattern()
		}
		status := ww.Status()
		if status == 0 {
			status = http.StatusOK
		}
		m.httpRequests.WithLabelValues(route, strconv.Itoa(status)).Inc()
		m.httpDuration.WithLabelValues(route).Observe(time.Since(start).Seconds())
	})
}

type passedKey struct{}

// countRefusals counts the requests a middleware answers itself instead of passing them on.
func (m *metrics) countRefusals(reason string, limit func(http.Handler) http.Handler) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		limited := limit(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if passed, ok := r.Context().Value(passedKey{}).(*bool); ok {
				*passed = true
			}
			next.ServeHTTP(w, r)
		}))
		counter := m.refusals.WithLabelValues(reason)
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			passed := false
			limited.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), passedKey{}, &passed)))
			if !passed {
				counter.Inc()
			}
		})
	}
}

// operationMetrics counts and times every GraphQL answer, request errors (parse, validation,
// limits) included.
type operationMetrics struct{ metrics *metrics }

var (
	_ graphql.HandlerExtension    = operationMetrics{}
	_ graphql.ResponseInterceptor = operationMetrics{}
)

func (operationMetrics) ExtensionName() string                   { return "OperationMetrics" }
func (operationMetrics) Validate(graphql.ExecutableSchema) error { return nil }

func (o operationMetrics) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	response := next(ctx)
	if response == nil {
		return nil
	}
	kind, field := "none", "none"
	var started time.Time
	if graphql.HasOperationContext(ctx) {
		opCtx := graphql.GetOperationContext(ctx)
		kind, field = operationShape(opCtx.Operation)
		started = opCtx.Stats.OperationStart
	}
	code := "OK"
	if len(response.Errors) > 0 {
		code, _ = response.Errors[0].Extensions["code"].(string)
		if code == "" {
			code = "UNKNOWN"
		}
	}
	o.metrics.operations.WithLabelValues(kind, field, code).Inc()
	if !started.IsZero() {
		o.metrics.operationTimes.WithLabelValues(kind, field).Observe(time.Since(started).Seconds())
	}
	return response
}

// operationShape is an operation's type and its first root field, both from the schema (the
// operation was validated), or "none" before validation.
func operationShape(op *ast.OperationDefinition) (kind, field string) {
	if op == nil {
		return "none", "none"
	}
	kind, field = string(op.Operation), "none"
	for _, selection := range op.SelectionSet {
		if f, ok := selection.(*ast.Field); ok && f.Definition != nil {
			return kind, f.Name
		}
	}
	return kind, field
}
