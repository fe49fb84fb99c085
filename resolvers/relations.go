package resolvers

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

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

func outTo(typ string, labels ...string) store.NeighborQuery {
	return store.NeighborQuery{Type: typ, Direction: store.Outgoing, Labels: labels}
}

func inFrom(typ string, labels ...string) store.NeighborQuery {
	return store.NeighborQuery{Type: typ, Direction: store.Incoming, Labels: labels}
}

// relations is every relationship field of the schema, by GraphQL type and field name. The
// resolvers and the prefetch read the same table, so both ask the store the same question.
var relations = map[string]map[string]relation{
	"Person": {
		"incidents":   {query: outTo(store.RelInvolvedIn, store.LabelIncident), nodeField: "incident", roles: true},
		"associates":  {query: outTo(store.RelAssociateOf, store.LabelPerson), nodeField: "person", kinds: true},
		"identifiers": {query: outTo(store.RelHasIdentifier, store.LabelIdentifier)},
		"worksFor":    {query: outTo(store.RelWorksFor, store.LabelBusiness)},
		"directorOf":  {query: outTo(store.RelDirectorOf, store.LabelBusiness)},
		"owns":        {query: outTo(store.RelOwns, store.LabelBusiness)},
		"livesAt":     {query: outTo(store.RelLivesAt, store.LabelLocation)},
	},
	"Location": {
		"parent":     {query: outTo(store.RelWithin, store.LabelLocation), single: true},
		"children":   {query: inFrom(store.RelWithin, store.LabelLocation)},
		"incidents":  {query: inFrom(store.RelOccurredAt, store.LabelIncident)},
		"businesses": {query: inFrom(store.RelLocatedAt, store.LabelBusiness)},
	},
	"Route": {
		"stops":     {query: outTo(store.RelStop, store.LabelLocation), nodeField: "location"},
		"incidents": {query: inFrom(store.RelUsedRoute, store.LabelIncident)},
	},
	"Business": {
		"suppliers":    {query: inFrom(store.RelSupplies, store.LabelBusiness), nodeField: "business"},
		"customers":    {query: outTo(store.RelSupplies, store.LabelBusiness), nodeField: "business"},
		"owners":       {query: inFrom(store.RelOwns, store.LabelPerson, store.LabelBusiness)},
		"subsidiaries": {query: outTo(store.RelOwns, store.LabelBusiness)},
		"directors":    {query: inFrom(store.RelDirectorOf, store.LabelPerson)},
		"location":     {query: outTo(store.RelLocatedAt, store.LabelLocation), single: true},
		"identifiers":  {query: outTo(store.RelHasIdentifier, store.LabelIdentifier)},
		"incidents":    {query: outTo(store.RelInvolvedIn, store.LabelIncident), nodeField: "incident", roles: true},
	},
	"Incident": {
		"location":   {query: outTo(store.RelOccurredAt, store.LabelLocation), single: true},
		"route":      {query: outTo(store.RelUsedRoute, store.LabelRoute), single: true},
		"people":     {query: inFrom(store.RelInvolvedIn, store.LabelPerson), nodeField: "person", roles: true},
		"businesses": {query: inFrom(store.RelInvolvedIn, store.LabelBusiness), nodeField: "business", roles: true},
		"reports":    {query: inFrom(store.RelEvidences, store.LabelReport)},
	},
	"Identifier": {
		"holders": {query: inFrom(store.RelHasIdentifier, store.LabelPerson, store.LabelBusiness)},
	},
	"Report": {
		"about":     {query: outTo(store.RelAbout, store.LabelLocation), single: true},
		"evidences": {query: outTo(store.RelEvidences, store.LabelIncident)},
		"mentions":  {query: outTo(store.RelMentions)},
	},
	"Partner": {
		"groups": {query: outTo(store.RelMemberOf, store.LabelSharingGroup)},
	},
	"SharingGroup": {
		"members": {query: inFrom(store.RelMemberOf, store.LabelPartner)},
	},
}

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
				childTypes = entityTypes
			}
			plans = append(plans, &store.NeighborPlan{
				Query: q, FromLabel: typeName, Children: planFields(ctx, opCtx, childTypes, childSelection),
			})
		}
	}
	return plans
}

// entityTypes are the types a relationship without a label restriction (Report.mentions) reaches.
var entityTypes = []string{
	store.LabelPerson, store.LabelLocation, store.LabelRoute, store.LabelBusiness,
	store.LabelIncident, store.LabelIdentifier, store.LabelReport,
}

// nodeTypes are the types node(id) may return.
var nodeTypes = append(slices.Clone(entityTypes), store.LabelPartner, store.LabelSharingGroup)

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
