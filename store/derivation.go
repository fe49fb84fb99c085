package store

import (
	"maps"
	"slices"
	"strings"

	tg "github.com/traffikgraph/traffikgraph"
)

// An answer the store computes from the graph can disclose more than the nodes and relationships
// it holds: a count discloses every node counted, a ranking cut by a limit every item ranked, a
// filter over neighbours the neighbours that made a node match. For the audit trail, such answers
// carry a Derivation naming the sensitive markings among what they were computed from; never ids
// or values.

// SensitiveMarkings are the markings whose disclosure is audited, in the order the audit lists them.
var SensitiveMarkings = []string{"AMBER", "AMBER_STRICT", "RED"}

// Derivation is what an answer was computed from beyond the nodes and relationships it holds: the
// sensitive markings among the nodes and relationships that were counted, summed, ranked or
// matched to produce it.
type Derivation struct {
	// Markings contributed to the answer as a whole: which items it holds, in which order, and
	// every value computed in it.
	Markings []string
	// FieldMarkings contributed only to some fields of the answer, by the field's GraphQL path
	// within the answer (totalCount, pageInfo.hasNextPage, truncated): a client that does not
	// select the field is not told what they were computed from.
	FieldMarkings map[string][]string
	// PersonalData names the personal-data properties, as Label.property (Person.name), that were
	// read to select, order, match or score the answer: people ordered by name tell their names,
	// a search hit tells what the text it matched holds. Never their values.
	PersonalData []string
}

// Derived is an answer that carries its Derivation.
type Derived interface {
	Derived() *Derivation
}

// Derived returns d, so that every answer embedding a Derivation is Derived.
func (d *Derivation) Derived() *Derivation { return d }

// field records the markings that contributed to the field at path only.
func (d *Derivation) field(path string, markings []string) {
	if len(markings) == 0 {
		return
	}
	if d.FieldMarkings == nil {
		d.FieldMarkings = map[string][]string{}
	}
	d.FieldMarkings[path] = unionMarkings(d.FieldMarkings[path], markings)
}

// Queries name markings cheaply: a row lists the markings of its variables (markingsOf), a group
// collects those lists DISTINCT (few, as markings are few) and reduces them to the sensitive ones
// it holds (sensitiveIn, at most three), which the next level collects DISTINCT again (at most
// eight). Lists are never concatenated across rows, which would cost the square of the rows.

// markingsOf returns a Cypher list of the markings of the node and relationship variables vars
// and of the elements of lists (list expressions, such as the group variables of a quantified
// path pattern).
func markingsOf(vars []string, lists ...string) string {
	var tlps []string
	for _, v := range vars {
		tlps = append(tlps, v+".tlp")
	}
	all := "[" + strings.Join(tlps, ", ") + "]"
	for _, l := range lists {
		all += " + [x IN " + l + " | x.tlp]"
	}
	return all
}

// sensitiveList is SensitiveMarkings as a Cypher list literal (constants, not input).
var sensitiveList = "['" + strings.Join(SensitiveMarkings, "', '") + "']"

// sensitiveIn returns a Cypher expression listing, in SensitiveMarkings order, the sensitive
// markings found in any of lists (an expression of a list of lists of markings).
func sensitiveIn(lists string) string {
	return "[t IN " + sensitiveList + " WHERE any(m IN " + lists + " WHERE t IN m)]"
}

// decodeMarkings reads markings out of Cypher values (strings and lists of them, nested to any
// depth) and returns the sensitive ones, in SensitiveMarkings order.
func decodeMarkings(values ...any) []string {
	found := map[string]bool{}
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case string:
			found[x] = true
		case []any:
			for _, item := range x {
				walk(item)
			}
		}
	}
	for _, v := range values {
		walk(v)
	}
	var out []string
	for _, m := range SensitiveMarkings {
		if found[m] {
			out = append(out, m)
		}
	}
	return out
}

// unionMarkings returns the sensitive markings of a and b, in SensitiveMarkings order.
func unionMarkings(a, b []string) []string {
	var out []string
	for _, m := range SensitiveMarkings {
		if slices.Contains(a, m) || slices.Contains(b, m) {
			out = append(out, m)
		}
	}
	return out
}

// unionPersonalData returns the personal-data property names of a and b, sorted, each once.
func unionPersonalData(a, b []string) []string {
	out := append(slices.Clone(a), b...)
	slices.Sort(out)
	return slices.Compact(out)
}

// filterReach is what a filter of a label reads beyond its nodes' own non-personal properties.
type filterReach struct {
	// neighbours: it holds a Relation, so what it lets through depends on neighbours the answer
	// does not hold.
	neighbours bool
	// personal names the personal-data properties it compares, its relationship filters' included.
	personal map[string]bool
}

// reachOf returns what the filter f of label reads, at any depth of its AllOf, AnyOf and Not.
func reachOf(label string, f *Filter) filterReach {
	reach := filterReach{personal: map[string]bool{}}
	reach.add(label, f)
	return reach
}

func (reach *filterReach) add(label string, f *Filter) {
	if f == nil {
		return
	}
	for _, term := range f.Terms {
		switch t := term.(type) {
		case *AllOf:
			for _, item := range t.Filters {
				reach.add(label, item)
			}
		case *AnyOf:
			for _, item := range t.Filters {
				reach.add(label, item)
			}
		case *Not:
			reach.add(label, t.Filter)
		case *Relation:
			if rf, ok := relationFilterOf(label, t.Field); ok {
				reach.neighbours = true
				reach.add(rf.target, t.Filter)
			}
		case *Condition:
			if p, ok := kindOf(label).Prop(t.Property); ok && p.PII.Personal {
				reach.personal[label+"."+p.Name] = true
			}
		case *Near:
			if p, ok := kindOf(label).Prop(t.Property); ok && p.PII.Personal {
				reach.personal[label+"."+p.Name] = true
			}
		}
	}
}

// personalDataOfList names the personal-data properties a page read to select and order its
// nodes, for a caller who may read personal data (pii): those its filter compares and those it is
// ordered by. Without pii none is read: filtering or ordering on personal data is refused, and a
// street address's name neither matches nor orders.
func personalDataOfList(k *tg.Label, reach filterReach, keys []sortKey, ordered, pii bool) []string {
	if !pii {
		return nil
	}
	used := maps.Clone(reach.personal)
	if ordered {
		for _, key := range keys {
			if key.prop.PII.Personal {
				used[k.Name+"."+key.prop.Name] = true
			}
		}
	}
	return slices.Sorted(maps.Keys(used))
}
