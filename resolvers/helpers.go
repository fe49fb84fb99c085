package resolvers

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	tg "github.com/traffikgraph/traffikgraph"
	"github.com/traffikgraph/traffikgraph/graph/model"
	"github.com/traffikgraph/traffikgraph/loaders"
	"github.com/traffikgraph/traffikgraph/store"
)

// listPage runs one list query for label and returns the nodes as T with their cursors. It asks
// for totalCount only when the client selected it, for no node when it selected neither edges
// nor pageInfo, and for the nested fields of the page's nodes in the same query.
func listPage[T store.Node, S sortInput](ctx context.Context, s *store.Store, label string, first *int, after *string,
	where any, orderBy []*S) ([]T, []string, *model.PageInfo, int, error) {
	opCtx := graphql.GetOperationContext(ctx)
	edges := subSelection(opCtx, graphql.GetFieldContext(ctx).Field.Selections, "edges")
	filter, paths := filterOf(label, where, "where")
	order, err := sortOf(label, orderBy)
	if err != nil {
		return nil, nil, nil, 0, err
	}
	params := store.ListParams{
		First: first, After: after, Filter: filter, Order: order, WithTotal: selects(ctx, "totalCount"),
		CountOnly: !selects(ctx, "edges") && !selects(ctx, "pageInfo"),
		// The nested fields asked of the page's nodes are answered with the page.
		Plans: planFields(ctx, opCtx, []string{label}, subSelection(opCtx, edges, "node")),
	}
	nodes, page, err := listNodes[T](ctx, s, label, params)
	if err != nil {
		return nil, nil, nil, 0, orderPath(paths.pathOf(err))
	}
	return nodes, page.Cursors, pageInfoOf(page), page.TotalCount, nil
}

// pageInfoOf is the PageInfo of a page.
func pageInfoOf(page *store.Page) *model.PageInfo {
	info := &model.PageInfo{HasNextPage: page.HasNextPage, HasPreviousPage: page.HasPreviousPage}
	if len(page.Cursors) > 0 {
		info.StartCursor, info.EndCursor = &page.Cursors[0], &page.Cursors[len(page.Cursors)-1]
	}
	return info
}

// sortInput is every generated XSort input: a XSortField value and a SortDirection.
type sortInput interface {
	~struct {
		Field     string "json:\"field\""
		Direction string "json:\"direction\""
	}
}

type sortArgument struct{ Field, Direction string }

// sortOf returns the store's ordering for orderBy: the property each sort field names.
func sortOf[S sortInput](label string, orderBy []*S) ([]store.Sort, error) {
	k, _ := tg.LabelOf(label)
	var order []store.Sort
	for i, o := range orderBy {
		arg := sortArgument(*o)
		p, ok := k.SortProp(arg.Field)
		if !ok {
			return nil, tg.InvalidField(fmt.Sprintf("orderBy[%d].field", i), "unknown sort field")
		}
		order = append(order, store.Sort{Property: p.Name, Descending: arg.Direction == "DESC"})
	}
	return order, nil
}

// orderRefusal matches the store's names of the ordering ("order", "order[1]").
var orderRefusal = regexp.MustCompile(`^order(\[\d+\])?$`)

// orderPath names the orderBy argument in a refusal of the store's ordering.
func orderPath(err error) error {
	var refused *tg.Error
	if !errors.As(err, &refused) || !orderRefusal.MatchString(refused.Field) {
		return err
	}
	field := "orderBy" + strings.TrimPrefix(refused.Field, "order")
	if field != "orderBy" {
		field += ".field"
	}
	return &tg.Error{Code: refused.Code, Message: refused.Message, Field: field}
}

// listNodes runs one list query for label and returns its nodes as T (nodesOf), with the page
// they came in.
func listNodes[T store.Node](ctx context.Context, s *store.Store, label string, params store.ListParams) ([]T, *store.Page, error) {
	page, err := s.List(ctx, label, params)
	if err != nil {
		return nil, nil, err
	}
	nodes, err := nodesOf[T](ctx, label, page)
	return nodes, page, err
}

// nodesOf returns the nodes of a page of label as T. The answers of the page's nested fields are
// primed into the loaders, and what the page was computed from beyond its nodes is noted for the
// audit.
func nodesOf[T store.Node](ctx context.Context, label string, page *store.Page) ([]T, error) {
	loaders.Prime(ctx, page.Tree)
	noteDerivation(ctx, &page.Derivation)
	nodes := make([]T, 0, len(page.Nodes))
	for _, n := range page.Nodes {
		typed, ok := n.(T)
		if !ok {
			return nil, fmt.Errorf("list %s: got %T", label, n)
		}
		nodes = append(nodes, typed)
	}
	return nodes, nil
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

// create creates (or, with an externalRef, upserts) a node of label from a generated input.
func create[T store.Node](ctx context.Context, s *store.Store, label string, input any, marking store.Marking, externalRef *string) (T, error) {
	return createWithID[T](ctx, s, label, "", input, marking, externalRef)
}

// createWithID creates a directory entry (a partner, a group) under the id an admin chose.
func createWithID[T store.Node](ctx context.Context, s *store.Store, label, id string, input any, marking store.Marking, externalRef *string) (T, error) {
	n, err := s.Create(ctx, label, store.CreateParams{ID: id, Properties: patchOf(input), Marking: marking, ExternalRef: externalRef})
	return as[T](n, inputPath(err, "input", "id"))
}

// update applies a generated input to a node: its fields given as null are removed. The reason
// goes into the node's history.
func update[T store.Node](ctx context.Context, s *store.Store, label, id string, input any, marking *store.Marking, reason *string) (T, error) {
	n, err := s.Update(ctx, label, id, patchOf(input), marking, reason)
	return as[T](n, inputPath(err, "input", "id"))
}

func remove(ctx context.Context, s *store.Store, label, id string, reason *string) (*model.DeletePayload, error) {
	if err := s.Delete(ctx, label, id, reason); err != nil {
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
