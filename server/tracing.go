package server

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/99designs/gqlgen/graphql"
	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// tracerName names the spans of the HTTP layer.
const tracerName = "github.com/traffikgraph/traffikgraph/server"

// traceRequests opens a span for every HTTP request (the parent of its GraphQL operation's and
// of each Cypher statement's), continuing a W3C trace context the client sent. The span holds
// the method, route pattern and status only: never the query string, body or headers, which
// carry tokens, queries and personal data.
func traceRequests(next http.Handler) http.Handler {
	tracer := otel.Tracer(tracerName)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := otel.GetTextMapPropagator().Extract(r.Context(), propagation.HeaderCarrier(r.Header))
		ctx, span := tracer.Start(ctx, "HTTP "+r.Method, trace.WithSpanKind(trace.SpanKindServer),
			trace.WithAttributes(attribute.String("http.request.method", r.Method)))
		defer span.End()
		ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
		r = r.WithContext(ctx)
		next.ServeHTTP(ww, r)
		status := ww.Status()
		if status == 0 {
			status = http.StatusOK
		}
		if rc := chi.RouteContext(r.Context()); rc != nil && rc.RoutePattern() != "" {
			span.SetName("HTTP " + r.Method + " " + rc.RoutePattern())
			span.SetAttributes(attribute.String("http.route", rc.RoutePattern()))
		}
		span.SetAttributes(attribute.Int("http.response.status_code", status))
		if status >= http.StatusInternalServerError {
			span.SetStatus(codes.Error, http.StatusText(status))
		}
	})
}

// operationTracing opens a span for each GraphQL operation, around its execution, with its type
// and first root field (from the schema), and ends it with the first error's code.
type operationTracing struct{}

var (
	_ graphql.HandlerExtension     = operationTracing{}
	_ graphql.OperationInterceptor = operationTracing{}
)

func (operationTracing) ExtensionName() string                   { return "OperationTracing" }
func (operationTracing) Validate(graphql.ExecutableSchema) error { return nil }

func (operationTracing) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	kind, field := operationShape(graphql.GetOperationContext(ctx).Operation)
	ctx, span := otel.Tracer(tracerName).Start(ctx, "graphql "+kind+" "+field, trace.WithAttributes(
		attribute.String("graphql.operation.type", kind), attribute.String("graphql.root_field", field)))
	responses := next(ctx)
	ended := false
	return func(ctx context.Context) *graphql.Response {
		response := responses(ctx)
		if !ended {
			ended = true
			if response != nil && len(response.Errors) > 0 {
				code, _ := response.Errors[0].Extensions["code"].(string)
				span.SetStatus(codes.Error, code)
			}
			span.End()
		}
		return response
	}
}

// WithTraceIDs returns a slog handler that adds the trace_id and span_id of the record's
// context, when it has a span, so a log line can be found from its trace and back.
func WithTraceIDs(h slog.Handler) slog.Handler { return traceIDHandler{h} }

type traceIDHandler struct{ slog.Handler }

func (h traceIDHandler) Handle(ctx context.Context, record slog.Record) error {
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		record.AddAttrs(slog.String("trace_id", sc.TraceID().String()), slog.String("span_id", sc.SpanID().String()))
	}
	return h.Handler.Handle(ctx, record)
}

func (h traceIDHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return traceIDHandler{h.Handler.WithAttrs(attrs)}
}

func (h traceIDHandler) WithGroup(name string) slog.Handler {
	return traceIDHandler{h.Handler.WithGroup(name)}
}
