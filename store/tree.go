package store

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	tg "github.com/traffikgraph/traffikgraph"
)

// NeighborPlan is one relationship field of a selection: the neighbours it asks for, the label of
// the nodes asking (empty: any), and the fields asked in turn of the nodes it reaches.
type NeighborPlan struct {
	Query     NeighborQuery
	FromLabel string
	Children  []*NeighborPlan
}

// NeighborTree answers a whole tree of relationship fields, asked of the nodes ids, in one
// query: every level is a subquery of the one above, so nested fields cost one round trip, not
// one per level. For each plan it returns the neighbours of each node the plan was asked of
// (nodes of its FromLabel among the roots, or among its parent plan's neighbours). Every node and
// relationship on the way must be visible to the caller.
func (s *Store) NeighborTree(ctx context.Context, ids []string, plans []*NeighborPlan) (Tree, error) {
	b := newTreeBuilder(s, viewerParams(ctx, map[string]any{"ids": ids}))
	calls, answers, err := b.calls(plans, "s")
	if err != nil {
		return nil, err
	}
	query := viewerPrelude + `
UNWIND $ids AS id
MATCH (s:` + tg.LabelEntity + ` {id: id})
` + calls + `RETURN id, labels(s) AS labels, ` + answers + ` AS found`
	return readTx(ctx, s, func(tx statementRunner) (Tree, error) {
		records, err := s.run(ctx, tx, query, b.params)
		if err != nil {
			return nil, fmt.Errorf("neighbour tree: %w", err)
		}
		out := Tree{}
		for _, r := range records {
			id, _ := r.Get("id")
			labels, _ := r.Get("labels")
			found, _ := r.Get("found")
			if err := b.decodeFound(plans, id.(string), labels.([]any), found, out); err != nil {
				return nil, err
			}
		}
		return out, nil
	})
}

// MaxRelationshipFields bounds the relationship fields (NeighborPlans, at every depth) answered
// in one query. Each is a CALL subquery, and Neo4j's planning time grows faster than their number
// (a plan is compiled once per query shape): with `traffikgraph bench attack`'s shapes on the
// demo world, on two cores shared with a dozen other processes where a two-condition filter
// plans in 0.1-0.9 s, a person with 2 of them first: 1 planned in 0.5 s, 4 in 1.6 s, 6 in 2.0 s,
// 8 in 3.7-7.1 s, 10 in 3.4-12 s, 20 in 18-24 s; 100 not within 30 s. The README's examples
// ask at most 5.
const MaxRelationshipFields = 6

// Tree is the answer of a tree of plans: for each plan, the neighbours of each node it was asked
// of.
type Tree map[*NeighborPlan]map[string][]Neighbor

func newTreeBuilder(s *Store, params map[string]any) *treeBuilder {
	return &treeBuilder{store: s, params: params, keys: map[*NeighborPlan]string{}}
}

// calls writes the subqueries of plans on the node variable parent (with `peers` in scope), and
// returns them with the map expression holding their answers.
func (b *treeBuilder) calls(plans []*NeighborPlan, parent string) (string, string, error) {
	var calls, keys []string
	for _, plan := range plans {
		call, key, err := b.subquery(plan, parent)
		if err != nil {
			return "", "", err
		}
		calls = append(calls, call)
		keys = append(keys, key+": "+key)
	}
	return strings.Join(calls, ""), "{" + strings.Join(keys, ", ") + "}", nil
}

// decodeFound reads the answers of plans asked of one node (its id and labels) into out.
func (b *treeBuilder) decodeFound(plans []*NeighborPlan, id string, labels []any, found any, out Tree) error {
	answers, _ := found.(map[string]any)
	for _, plan := range plans {
		if !labelled(labels, plan.FromLabel) {
			continue
		}
		items, _ := answers[b.keys[plan]].([]any)
		if err := b.decode(plan, id, items, out); err != nil {
			return err
		}
	}
	return nil
}

func labelled(labels []any, label string) bool {
	return label == "" || slices.Contains(labels, any(label))
}

// treeBuilder writes the nested subqueries of a tree and reads their answer back.
type treeBuilder struct {
	store  *Store
	params map[string]any
	keys   map[*NeighborPlan]string
	count  int
}

// subquery writes the CALL subquery of plan on the node variable parent, with its children
// nested inside, and returns it with the name of the list it binds.
func (b *treeBuilder) subquery(plan *NeighborPlan, parent string) (string, string, error) {
	q := plan.Query
	if _, ok := tg.RelationshipOf(q.Type); !ok {
		return "", "", fmt.Errorf("neighbour tree: relationship type %q is not in the allowlist", q.Type)
	}
	if q.Limit <= 0 || q.Limit > b.store.cfg.MaxNeighbors {
		return "", "", tg.InvalidField("first", "must be between 1 and %d", b.store.cfg.MaxNeighbors)
	}
	if b.count == MaxRelationshipFields {
		return "", "", tg.Errorf(tg.LimitExceeded, "a query follows at most %d relationship fields (each is a subquery Neo4j must plan); "+
			"ask for fewer nested fields, or split the operation", MaxRelationshipFields)
	}
	b.count++
	n := b.count
	r, t, items := fmt.Sprintf("r%d", n), fmt.Sprintf("t%d", n), fmt.Sprintf("p%d", n)
	b.keys[plan] = items
	pattern := "(" + parent + ")-[" + r + ":" + q.Type + "]->(" + t + ":" + tg.LabelEntity + ")"
	if q.Direction == tg.Incoming {
		pattern = "(" + parent + ")<-[" + r + ":" + q.Type + "]-(" + t + ":" + tg.LabelEntity + ")"
	}
	conds := []string{visible(r), visible(t)}
	if plan.FromLabel != "" {
		conds = append(conds, parent+":"+kindOf(plan.FromLabel).Name)
	}
	if len(q.Labels) > 0 {
		var labelConds []string
		for _, l := range q.Labels {
			labelConds = append(labelConds, t+":"+kindOf(l).Name)
		}
		conds = append(conds, "("+strings.Join(labelConds, " OR ")+")")
	}
	b.params[items+"limit"] = q.Limit
	if len(q.Roles) > 0 {
		conds = append(conds, r+".role IN $"+items+"roles")
		b.params[items+"roles"] = q.Roles
	}
	if len(q.Kinds) > 0 {
		conds = append(conds, r+".kind IN $"+items+"kinds")
		b.params[items+"kinds"] = q.Kinds
	}
	order := t + ".createdAt, " + t + ".id"
	if q.Type == tg.RelStop {
		order = r + ".seq, " + t + ".id"
	}
	var children, childKeys []string
	for _, child := range plan.Children {
		call, key, err := b.subquery(child, t)
		if err != nil {
			return "", "", err
		}
		children = append(children, call)
		childKeys = append(childKeys, key+": "+key)
	}
	return `CALL {
    WITH ` + parent + `, peers
    MATCH ` + pattern + `
    WHERE ` + strings.Join(conds, "\n      AND ") + `
    WITH ` + r + `, ` + t + `, peers ORDER BY ` + order + `
    LIMIT $` + items + `limit
` + strings.Join(children, "") + `    RETURN collect({link: ` + relProjection(r) + `, node: ` + projection(t) +
		`, children: {` + strings.Join(childKeys, ", ") + `}}) AS ` + items + `
}
`, items, nil
}

// decode reads the neighbours of parentID for plan, and below them their own plans' answers.
func (b *treeBuilder) decode(plan *NeighborPlan, parentID string, items []any, out Tree) error {
	list := make([]Neighbor, 0, len(items))
	for _, item := range items {
		m := item.(map[string]any)
		node, err := decodeNode(m["node"])
		if err != nil {
			return err
		}
		link, err := decodeLink(m["link"])
		if err != nil {
			return err
		}
		list = append(list, Neighbor{Node: node, Link: link})
		children, _ := m["children"].(map[string]any)
		for _, child := range plan.Children {
			if child.FromLabel != "" && node.Label() != child.FromLabel {
				continue
			}
			grandchildren, _ := children[b.keys[child]].([]any)
			if err := b.decode(child, node.NodeID(), grandchildren, out); err != nil {
				return err
			}
		}
	}
	// Subqueries keep the order of their rows in practice; sorting here makes it a guarantee.
	slices.SortStableFunc(list, func(x, y Neighbor) int {
		if plan.Query.Type == tg.RelStop {
			return cmp.Or(cmp.Compare(seqOf(x.Link), seqOf(y.Link)), strings.Compare(x.Node.NodeID(), y.Node.NodeID()))
		}
		return cmp.Or(x.Node.provenance().CreatedAt.Compare(y.Node.provenance().CreatedAt), strings.Compare(x.Node.NodeID(), y.Node.NodeID()))
	})
	if out[plan] == nil {
		out[plan] = map[string][]Neighbor{}
	}
	out[plan][parentID] = list
	return nil
}

func seqOf(l *Link) int {
	if l.Seq == nil {
		return 0
	}
	return *l.Seq
}
