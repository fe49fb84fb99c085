// Package resolvers implements the GraphQL schema: thin functions that check the caller, call
// the store or the per-operation loaders, and shape the answer.
package resolvers

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/traffikgraph/traffikgraph/graph"
	"github.com/traffikgraph/traffikgraph/loaders"
	"github.com/traffikgraph/traffikgraph/store"
)

// Resolver holds the dependencies every resolver shares.
type Resolver struct {
	Store *store.Store
}

// NewExecutableSchema returns the schema wired to s, with the access directives.
func NewExecutableSchema(s *store.Store) graphql.ExecutableSchema {
	return graph.NewExecutableSchema(graph.Config{
		Resolvers: &Resolver{Store: s},
		Directives: graph.DirectiveRoot{
			HasScope:    hasScope,
			HasAnyScope: hasAnyScope,
			Pii:         redactPII,
		},
	})
}

// PerOperation prepares the context of one GraphQL operation: fresh loaders and a fresh record
// of what was redacted.
func PerOperation(s *store.Store) func(ctx context.Context) context.Context {
	return func(ctx context.Context) context.Context {
		return withRedactions(loaders.With(ctx, s))
	}
}
