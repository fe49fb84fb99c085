package resolvers

import (
	"context"
	"fmt"
	"slices"

	"github.com/99designs/gqlgen/graphql"
	"github.com/traffikgraph/traffikgraph/graph/model"
	"github.com/traffikgraph/traffikgraph/loaders"
	"github.com/traffikgraph/traffikgraph/store"
)

// listPage runs one list query for label and returns the nodes as T with their cursors. It asks
// for totalCount only when the client selected it, for no node when it selected neither edges
// nor pageInfo, and for the nested fields of the page's nodes in the same query.
func listPage[T store.Node](ctx context.Context, s *store.Store, label string, first *int, after *string,
	where map[string]any, orderBy []*store.Sort) ([]T, []string, *model.PageInfo, int, error) {
	opCtx := graphql.GetOperationContext(ctx)
	edges := subSelection(opCtx, graphql.GetFieldContext(ctx).Field.Selections, "edges")
	params := store.ListParams{
		First: first, After: after, Where: where, WithTotal: selects(ctx, "totalCount"),
		CountOnly: !selects(ctx, "edges") && !selects(ctx, "pageInfo"),
		// The nested fields asked of the page's nodes are answered with the page.
		Plans: planFields(ctx, opCtx, []string{label}, subSelection(opCtx, edges, "node")),
	}
	for _, o := range orderBy {
		params.OrderBy = append(params.OrderBy, *o)
	}
	nodes, page, err := listNodes[T](ctx, s, label, params)
	if err != nil {
		return nil, nil, nil, 0, err
	}
	info := &model.PageInfo{HasNextPage: page.HasNextPage, HasPreviousPage: page.HasPreviousPage}
	if len(page.Cursors) > 0 {
		info.StartCursor, info.EndCursor = &page.Cursors[0], &page.Cursors[len(page.Cursors)-1]
	}
	return nodes, page.Cursors, info, page.TotalCount, nil
}

// listNodes runs one list query for label and returns its nodes as T, with the page they came in.
// The answers of the page's nested fields are primed into the loaders, and what the page was
// computed from beyond its nodes is noted for the audit.
func listNodes[T store.Node](ctx context.Context, s *store.Store, label string, params store.ListParams) ([]T, *store.Page, error) {
	page, err := s.List(ctx, label, params)
	if err != nil {
		return nil, nil, err
	}
	loaders.Prime(ctx, page.Tree)
	noteDerivation(ctx, &page.Derivation)
	nodes := make([]T, 0, len(page.Nodes))
	for _, n := range page.Nodes {
		typed, ok := n.(T)
		if !ok {
			return nil, nil, fmt.Errorf("list %s: got %T", label, n)
		}
		nodes = append(nodes, typed)
	}
	return nodes, page, nil
}

// selects reports whether the current field's selection set asks for the named field.
func selects(ctx context.Context, name string) bool {
	return slices.ContainsFunc(graphql.CollectFieldsCtx(ctx, nil), func(f graphql.CollectedField) bool {
		return f.Name == name
	})
}

// as converts what the store returned for label into its domain type.
func as[T store.Node](n store.Node, err error) (T, error) {
	var zero T
	if err != nil || n == nil {
		return zero, err
	}
	typed, ok := n.(T)
	if !ok {
		return zero, fmt.Errorf("store returned %T", n)
	}
	return typed, nil
}

func create[T store.Node](ctx context.Context, s *store.Store, label string, input map[string]any, marking store.Marking, externalRef *string) (T, error) {
	return as[T](s.Create(ctx, label, store.CreateParams{Input: input, Marking: marking, ExternalRef: externalRef}))
}

func update[T store.Node](ctx context.Context, s *store.Store, label, id string, input map[string]any, marking *store.Marking) (T, error) {
	return as[T](s.Update(ctx, label, id, input, marking))
}

func remove(ctx context.Context, s *store.Store, label, id string) (*model.DeletePayload, error) {
	if err := s.Delete(ctx, label, id); err != nil {
		return nil, err
	}
	return &model.DeletePayload{ID: id, Deleted: true}, nil
}

func involvements(found []store.Neighbor) []*model.Involvement {
	out := make([]*model.Involvement, 0, len(found))
	for _, n := range found {
		if incident, ok := n.Node.(*store.Incident); ok {
			out = append(out, &model.Involvement{Role: deref(n.Link.Role), Incident: incident, Provenance: &n.Link.Provenance})
		}
	}
	return out
}

func supplies(found []store.Neighbor) []*model.Supply {
	out := make([]*model.Supply, 0, len(found))
	for _, n := range found {
		if b, ok := n.Node.(*store.Business); ok {
			out = append(out, &model.Supply{Business: b, Product: n.Link.Product, Since: n.Link.Since, Until: n.Link.Until, Provenance: &n.Link.Provenance})
		}
	}
	return out
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
