package server

import (
	"context"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/traffikgraph/traffikgraph"
	"github.com/traffikgraph/traffikgraph/auth"
)

// oneQuestionWhenAnonymous refuses an anonymous operation that selects more than one root field
// (introspection aside). The rate limit counts requests, so without this one request holding
// two hundred aliased submitReport or hotspots fields would pass as one.
type oneQuestionWhenAnonymous struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = oneQuestionWhenAnonymous{}

func (oneQuestionWhenAnonymous) ExtensionName() string { return "OneQuestionWhenAnonymous" }

func (oneQuestionWhenAnonymous) Validate(graphql.ExecutableSchema) error { return nil }

func (oneQuestionWhenAnonymous) MutateOperationContext(ctx context.Context, opCtx *graphql.OperationContext) *gqlerror.Error {
	if !auth.CallerFrom(ctx).Anonymous() {
		return nil
	}
	// The root type's name, so that fragments on it (... on Mutation { a: x b: x }) count too.
	root := []string{"Query"}
	switch opCtx.Operation.Operation {
	case ast.Mutation:
		root = []string{"Mutation"}
	case ast.Subscription:
		root = []string{"Subscription"}
	}
	questions := 0
	for _, field := range graphql.CollectFields(opCtx, opCtx.Operation.SelectionSet, root) {
		if !strings.HasPrefix(field.Name, "__") {
			questions++
		}
	}
	if questions <= 1 {
		return nil
	}
	err := gqlerror.Errorf("a request without a token may select one root field, not %d", questions)
	errcode.Set(err, string(traffikgraph.LimitExceeded))
	return err
}
