package store

import (
	"strconv"

	tg "github.com/traffikgraph/traffikgraph"
)

// relationFilter is a filter over a node's neighbours: `<name>_some: <TargetWhere>` keeps the
// nodes with at least one visible neighbour over a visible relationship matching it,
// `<name>_none` the nodes with none. The filters are the model's relationship fields marked
// Filter, which reach one label.
type relationFilter struct {
	typ       string
	direction tg.Direction
	target    string
}

// relationFilterOf returns the relationship filter name on label.
func relationFilterOf(label, name string) (relationFilter, bool) {
	r, f, ok := tg.FieldOf(label, name)
	if !ok || !f.Filter {
		return relationFilter{}, false
	}
	return relationFilter{typ: r.Type, direction: f.Direction, target: r.Reaches(f)[0]}, true
}

// maxFilterDepth bounds how deep relationship filters nest.
const maxFilterDepth = 3

// relationCondition writes the condition of a `<name>_some` or `<name>_none` filter: an EXISTS
// subquery over visible relationships to visible neighbours matching where.
func (b *filterBuilder) relationCondition(rf relationFilter, op string, value any, field string) (string, error) {
	where, ok := plain(value).(map[string]any)
	if !ok {
		return "", tg.InvalidField(field, "must be an object")
	}
	if b.depth >= maxFilterDepth {
		return "", tg.InvalidField(field, "relationship filters nest at most %d deep", maxFilterDepth)
	}
	b.vars++
	r, m := "fr"+strconv.Itoa(b.vars), "fm"+strconv.Itoa(b.vars)
	inner := &filterBuilder{kind: kindOf(rf.target), node: m, pii: b.pii, params: b.params, depth: b.depth + 1, vars: b.vars}
	cond, err := inner.build(where, field)
	if err != nil {
		return "", err
	}
	b.vars = inner.vars
	pattern := "(" + b.node + ")-[" + r + ":" + rf.typ + "]->(" + m + ":" + rf.target + ")"
	if rf.direction == tg.Incoming {
		pattern = "(" + b.node + ")<-[" + r + ":" + rf.typ + "]-(" + m + ":" + rf.target + ")"
	}
	exists := "EXISTS { MATCH " + pattern + " WHERE " + visible(r) + " AND " + visible(m)
	if cond != "" {
		exists += " AND " + cond
	}
	exists += " }"
	if op == "none" {
		return "NOT " + exists, nil
	}
	return exists, nil
}
