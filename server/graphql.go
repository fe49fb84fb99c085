package server

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"
)

// newGraphQLHandler assembles gqlgen's handler: our GraphQL-over-HTTP transports, caches,
// introspection as configured, the document (tokens, fields), depth and cost limits, per-operation context (the
// dataloaders), and the error presenter and recover function that keep internals from clients.
func newGraphQLHandler(cfg Config, deps Deps, logger *slog.Logger) *handler.Server {
	srv := handler.New(deps.Schema)
	srv.AddTransport(transport.Options{
		AllowedMethods: []string{http.MethodGet, http.MethodPost, http.MethodOptions},
	})
	srv.AddTransport(getTransport{})
	srv.AddTransport(postTransport{})

	queryCache := lru.New[*ast.QueryDocument](cfg.QueryCacheSize)
	srv.SetQueryCache(queryCache)
	if cfg.Introspection {
		srv.Use(extension.Introspection{})
	} else {
		srv.Use(introspectionDisabled{})
	}
	srv.Use(extension.AutomaticPersistedQuery{Cache: callerPersistedQueries{cache: lru.New[string](cfg.APQCacheSize)}})
	// After the APQ extension, so that it bounds the text a hash stands for.
	srv.Use(documentLimit{maxTokens: cfg.TokenLimit, maxFields: cfg.FieldLimit, maxFieldPairs: cfg.FieldPairLimit, validated: queryCache})
	srv.Use(depthLimit{maxDepth: cfg.DepthLimit})
	srv.Use(oneQuestionWhenAnonymous{})
	srv.Use(&costLimit{limit: cfg.CostLimit})
	srv.Use(rootFieldParallelism{limit: cfg.RootFieldParallelism})
	for _, ext := range deps.Extensions {
		srv.Use(ext)
	}

	srv.AroundOperations(func(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
		recordOperationName(ctx, graphql.GetOperationContext(ctx).Operation.Name)
		if deps.PerOperation != nil {
			// Per operation, not per request: a fresh dataloader cache for every operation.
			ctx = deps.PerOperation(ctx)
		}
		return next(ctx)
	})
	srv.SetErrorPresenter(presentError(logger))
	srv.SetRecoverFunc(recoverPanic(logger))
	return srv
}
