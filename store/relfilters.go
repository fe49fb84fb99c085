package store

import (
	"strconv"

	tg "github.com/traffikgraph/traffikgraph"
)

// relationFilter is a filter over a node's neighbours: `<name>_some: <TargetWhere>` keeps the
// nodes with at least one visible neighbour over a visible relationship matching it,
// `<name>_none` the nodes with none.
type relationFilter struct {
	typ       string
	direction Direction
	target    string
}

// relationFilters are the relationship filters of each label, named as the GraphQL fields that
// follow the same relationships.
var relationFilters = map[string]map[string]relationFilter{
	LabelPerson: {
		"incidents":   {RelInvolvedIn, Outgoing, LabelIncident},
		"associates":  {RelAssociateOf, Outgoing, LabelPerson},
		"identifiers": {RelHasIdentifier, Outgoing, LabelIdentifier},
		"livesAt":     {RelLivesAt, Outgoing, LabelLocation},
	},
	LabelIncident: {
		"location":   {RelOccurredAt, Outgoing, LabelLocation},
		"route":      {RelUsedRoute, Outgoing, LabelRoute},
		"people":     {RelInvolvedIn, Incoming, LabelPerson},
		"businesses": {RelInvolvedIn, Incoming, LabelBusiness},
	},
	LabelBusiness: {
		"suppliers": {RelSupplies, Incoming, LabelBusiness},
		"customers": {RelSupplies, Outgoing, LabelBusiness},
		"location":  {RelLocatedAt, Outgoing, LabelLocation},
		"incidents": {RelInvolvedIn, Outgoing, LabelIncident},
	},
	LabelLocation: {
		"parent":    {RelWithin, Outgoing, LabelLocation},
		"incidents": {RelOccurredAt, Incoming, LabelIncident},
	},
	LabelRoute: {
		"stops":     {RelStop, Outgoing, LabelLocation},
		"incidents": {RelUsedRoute, Incoming, LabelIncident},
	},
	LabelReport: {
		"about":     {RelAbout, Outgoing, LabelLocation},
		"evidences": {RelEvidences, Outgoing, LabelIncident},
	},
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
	if rf.direction == Incoming {
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
