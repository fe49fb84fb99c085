package resolvers

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	tg "github.com/traffikgraph/traffikgraph"
	"github.com/traffikgraph/traffikgraph/auth"
	"github.com/traffikgraph/traffikgraph/store"
	"github.com/vektah/gqlparser/v2/ast"
)

// scopeOf maps the schema's Scope enum (GRAPH_READ_PII) to the token scope (graph:read:pii).
func scopeOf(enum string) auth.Scope {
	return auth.Scope(strings.ReplaceAll(strings.ToLower(enum), "_", ":"))
}

// scopeEnumOf is scopeOf's inverse: the Scope enum value naming a token scope.
func scopeEnumOf(scope auth.Scope) string {
	return strings.ToUpper(strings.ReplaceAll(string(scope), ":", "_"))
}

// hasScope implements @hasScope: a caller without the scope gets FORBIDDEN for this field only.
func hasScope(ctx context.Context, _ any, next graphql.Resolver, scope string) (any, error) {
	if !auth.CallerFrom(ctx).Has(scopeOf(scope)) {
		return nil, tg.Errorf(tg.Forbidden, "this field needs the %s scope", scopeOf(scope))
	}
	return next(ctx)
}

// mayResolve reports whether the caller holds what the field's @hasScope or @hasAnyScope asks,
// so that work is not done ahead for a field its directive will refuse.
func mayResolve(ctx context.Context, field *ast.FieldDefinition) bool {
	if field == nil {
		return false
	}
	caller := auth.CallerFrom(ctx)
	if d := field.Directives.ForName("hasScope"); d != nil {
		if arg := d.Arguments.ForName("scope"); arg != nil && !caller.Has(scopeOf(arg.Value.Raw)) {
			return false
		}
	}
	if d := field.Directives.ForName("hasAnyScope"); d != nil {
		if arg := d.Arguments.ForName("scopes"); arg != nil {
			return slices.ContainsFunc(arg.Value.Children, func(c *ast.ChildValue) bool {
				return caller.Has(scopeOf(c.Value.Raw))
			})
		}
	}
	return true
}

// hasAnyScope implements @hasAnyScope: a caller holding none of the scopes gets FORBIDDEN for
// this field only.
func hasAnyScope(ctx context.Context, _ any, next graphql.Resolver, scopes []string) (any, error) {
	caller := auth.CallerFrom(ctx)
	names := make([]string, len(scopes))
	for i, scope := range scopes {
		if caller.Has(scopeOf(scope)) {
			return next(ctx)
		}
		names[i] = string(scopeOf(scope))
	}
	return nil, tg.Errorf(tg.Forbidden, "this field needs one of the scopes %s", strings.Join(names, ", "))
}

// redactPII implements @pii: without graph:read:pii the field is null and its path is listed in
// the response's extensions.redacted. (The store already withholds the values; this makes the
// redaction visible to the client.)
//
// On an input field (a filter) it refuses the request instead: without the scope personal data
// cannot be used to select anything.
func redactPII(ctx context.Context, obj any, next graphql.Resolver) (any, error) {
	_, isInput := obj.(map[string]any)
	mayRead := auth.CallerFrom(ctx).Has(auth.ScopeGraphReadPII)
	switch {
	case isInput && mayRead:
		// Selecting by personal data discloses it as surely as returning it (a totalCount of
		// name_startsWith "Ma" is an answer about names): the audit records it.
		noteFilterOnPersonalData(ctx, graphql.GetPath(ctx)[1:].String())
		return next(ctx)
	case isInput:
		return nil, &tg.Error{Code: tg.Forbidden, Message: "filtering on personal data needs the graph:read:pii scope",
			Field: graphql.GetPath(ctx)[1:].String()}
	case mayRead:
		return next(ctx)
	}
	if n, ok := obj.(store.Node); ok && !store.IsPersonal(n, graphql.GetFieldContext(ctx).Field.Name) {
		return next(ctx) // not personal on this node (a location's name unless it is an address)
	}
	if r, ok := ctx.Value(redactionsKey{}).(*redactions); ok {
		r.add(graphql.GetFieldContext(ctx).Path().String())
		r.once.Do(func() { graphql.RegisterExtension(ctx, "redacted", r) })
	}
	return nil, nil
}

type redactionsKey struct{}

// redactions records the paths redacted in one operation; it is marshalled into the response's
// extensions once every field has been resolved.
type redactions struct {
	once  sync.Once // the extension is registered with the first redaction
	mu    sync.Mutex
	paths []string
}

func withRedactions(ctx context.Context) context.Context {
	return context.WithValue(ctx, redactionsKey{}, &redactions{})
}

func (r *redactions) add(path string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.paths = append(r.paths, path)
}

// MarshalJSON lists the paths in a stable order.
func (r *redactions) MarshalJSON() ([]byte, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	paths := slices.Clone(r.paths)
	slices.Sort(paths)
	return json.Marshal(paths)
}
