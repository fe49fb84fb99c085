package store

import (
	"strconv"

	tg "github.com/traffikgraph/traffikgraph"
)

// relationFilter is the model of a Relation term: the relationship type, the direction it is
// followed in and the one label it reaches. The filters are the model's relationship fields
// marked Filter.
type relationFilter struct {
	typ       string
	direction tg.Direction
	target    string
}

// relationFilterOf returns the relationship filter of the field name on label.
func relationFilterOf(label, name string) (relationFilter, bool) {
	r, f, ok := tg.FieldOf(label, name)
	if !ok || !f.Filter {
		return relationFilter{}, false
	}
	return relationFilter{typ: r.Type, direction: f.Direction, target: r.Reaches(f)[0]}, true
}

// maxFilterDepth bounds how deep relationship filters nest.
const maxFilterDepth = 3

// relationCondition writes the condition of a Relation: an EXISTS subquery over visible
// relationships to visible neighbours matching its filter.
func (b *filterBuilder) relationCondition(rel *Relation) (string, error) {
	rf, ok := relationFilterOf(b.kind.Name, rel.Field)
	if !ok {
		return "", refuse(rel, "", "unknown relationship filter")
	}
	if b.depth >= maxFilterDepth {
		return "", refuse(rel, "", "relationship filters nest at most %d deep", maxFilterDepth)
	}
	b.vars++
	r, m := "fr"+strconv.Itoa(b.vars), "fm"+strconv.Itoa(b.vars)
	inner := &filterBuilder{kind: kindOf(rf.target), node: m, pii: b.pii, params: b.params, depth: b.depth + 1, vars: b.vars}
	cond, err := inner.build(rel.Filter)
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
	if rel.None {
		return "NOT " + exists, nil
	}
	return exists, nil
}
