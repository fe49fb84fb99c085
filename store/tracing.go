package store

import (
	"context"
	"errors"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	tg "github.com/traffikgraph/traffikgraph"
)

const tracerName = "github.com/traffikgraph/traffikgraph/store"

// startStatementSpan opens the span of one Cypher statement: its shape (the parameterised text),
// never its parameters.
func startStatementSpan(ctx context.Context, database, cypher string) (context.Context, trace.Span) {
	return otel.Tracer(tracerName).Start(ctx, "cypher", trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(
		attribute.String("db.system.name", "neo4j"),
		attribute.String("db.namespace", database),
		attribute.String("db.query.text", statementShape(cypher))))
}

// endStatementSpan ends it with the records returned or, on failure, the code of the error only:
// Neo4j's messages can quote values (a constraint's conflicting property, say).
func endStatementSpan(span trace.Span, records int, err error) {
	defer span.End()
	if err == nil {
		span.SetAttributes(attribute.Int("db.response.returned_rows", records))
		return
	}
	code := string(tg.ErrorCode(err))
	if neo4jErr, ok := errors.AsType[*neo4j.Neo4jError](err); ok {
		code = neo4jErr.Code
	}
	span.SetStatus(codes.Error, code)
}
