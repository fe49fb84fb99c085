package resolvers

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	tg "github.com/traffikgraph/traffikgraph"
	"github.com/traffikgraph/traffikgraph/loaders"
	"github.com/traffikgraph/traffikgraph/store"
)

// relation describes a GraphQL field resolved over one relationship: which neighbours it
// reads, and, when its items wrap the node (Involvement.incident), the sub-field holding it.
type relation struct {
	query     store.NeighborQuery
	nodeField string
	// roles / kinds: the field takes a roles or kinds argument filtering the relationship.
	roles, kinds bool
	// single: the field returns one node, not a list.
	single bool
}

// relations is every relationship field of the schema, by GraphQL type and field name, from the
// model's table. The resolvers and the prefetch read the same table, so both ask the store the
// same question.
var relations = func() map[string]map[string]relation {
	out := map[string]map[string]relation{}
	for _, r := range tg.Relationships {
		for _, f := range r.Fields {
			if out[f.On] == nil {
				out[f.On] = map[string]relation{}
			}
			out[f.On][f.Name] = relation{
				query:     store.NeighborQuery{Type: r.Type, Direction: f.Direction, Labels: r.Reaches(f)},
				nodeField: f.NodeField, roles: f.Roles, kinds: f.Kinds, single: r.Single(f),
			}
		}
	}
	return out
}()

// maxDirectory bounds the partners and groups listed in one field.
const maxDirectory = 500

// neighborQuery returns the store query of field on typeName with the given arguments, which
// come either from a resolver's field context or from the operation's selection set.
func (r relation) neighborQuery(args map[string]any) store.NeighborQuery {
	q := r.query
	switch {
	case r.single:
		q.Limit = 1
	case args["first"] != nil:
		q.Limit = intArg(args["first"])
	default:
		q.Limit = maxDirectory
	}
	if r.roles {
		q.Roles = stringsArg(args["roles"])
	}
	if r.kinds {
		q.Kinds = stringsArg(args["kinds"])
	}
	return q
}

func intArg(v any) int {
	switch n := v.(type) {
	case int:
		return n
	case *int:
		if n != nil {
			return *n
		}
	case int64:
		return int(n)
	case json.Number:
		i, _ := n.Int64()
		return int(i)
	}
	return 0
}

func stringsArg(v any) []string {
	switch l := v.(type) {
	case []string:
		return l
	case []any:
		out := make([]string, 0, len(l))
		for _, s := range l {
			out = append(out, fmt.Sprint(s))
		}
		return out
	}
	return nil
}

// related returns the neighbours of the node id for the field being resolved.
func related(ctx context.Context, id string) ([]store.Neighbor, error) {
	fc := graphql.GetFieldContext(ctx)
	rel, ok := relations[fc.Object][fc.Field.Name]
	if !ok {
		return nil, fmt.Errorf("no relation for %s.%s", fc.Object, fc.Field.Name)
	}
	return loaders.Neighbors(ctx, rel.neighborQuery(fc.Args), id)
}

// relatedNodes is related, keeping the nodes of type T.
func relatedNodes[T store.Node](ctx context.Context, id string) ([]T, error) {
	found, err := related(ctx, id)
	if err != nil {
		return nil, err
	}
	out := make([]T, 0, len(found))
	for _, n := range found {
		if typed, ok := n.Node.(T); ok {
			out = append(out, typed)
		}
	}
	return out, nil
}

// relatedNode returns the one neighbour of a single-valued field, or nil.
func relatedNode[T store.Node](ctx context.Context, id string) (T, error) {
	var zero T
	found, err := relatedNodes[T](ctx, id)
	if err != nil || len(found) == 0 {
		return zero, err
	}
	return found[0], nil
}

// planFields turns the relationship fields a selection asks of nodes of the given types into
// store plans, with the fields asked of their neighbours nested. Fields the caller may not read
// are left out: their resolvers refuse them anyway.
func planFields(ctx context.Context, opCtx *graphql.OperationContext, typeNames []string, selection ast.SelectionSet) []*store.NeighborPlan {
	var plans []*store.NeighborPlan
	for _, typeName := range typeNames {
		for _, field := range graphql.CollectFields(opCtx, selection, []string{typeName}) {
			rel, ok := relations[typeName][field.Name]
			if !ok || !mayResolve(ctx, field.Definition) {
				continue
			}
			q := rel.neighborQuery(field.ArgumentMap(opCtx.Variables))
			childSelection := field.Selections
			if rel.nodeField != "" {
				childSelection = subSelection(opCtx, field.Selections, rel.nodeField)
			}
			childTypes := q.Labels
			if len(childTypes) == 0 {
				childTypes = tg.IntelligenceLabels
			}
			plans = append(plans, &store.NeighborPlan{
				Query: q, FromLabel: typeName, Children: planFields(ctx, opCtx, childTypes, childSelection),
			})
		}
	}
	return plans
}

// nodeTypes are the types node(id) may return.
var nodeTypes = func() []string {
	out := make([]string, len(tg.Labels))
	for i, l := range tg.Labels {
		out[i] = l.Name
	}
	return out
}()

// subSelection returns the selection set under the named field of an edge type's selection.
func subSelection(opCtx *graphql.OperationContext, selection ast.SelectionSet, name string) ast.SelectionSet {
	var out ast.SelectionSet
	for _, f := range graphql.CollectFields(opCtx, selection, nil) {
		if f.Name == name {
			out = append(out, f.Selections...)
		}
	}
	return out
}
