package store

import (
	"fmt"

	tg "github.com/traffikgraph/traffikgraph"
)

// Bounds on the size of a Filter, checked on its shape before any Cypher is built.
// Neo4j's Cypher parser recurses once per nesting level (300 nested NOTs overflowed its stack
// and the server never answered) and its planner's time grows with every term, above all with
// the terms inside relationship filters: each is an EXISTS subquery, which Neo4j plans with its
// predicate again for the plans it weighs. Measured with `traffikgraph bench attack`'s shapes
// (random filters within the bounds, each a plan Neo4j had not seen) on the demo world, on two
// cores shared with a dozen other processes, where a two-condition filter plans in 0.1-0.9 s:
// 100 terms without relationship filters planned in 0.7-3.5 s, 50 in 0.3-1.9 s; 50 terms with
// 2 or 3 relationship filters in 2.0-8.5 s, 100 terms with up to 8 in 2.5-28.5 s; while 4
// relationship filters holding 9 conditions planned in 0.1-1.6 s. Within these bounds a filter
// plans in about a second; many values belong in one OpIn condition, whose list is one
// parameter to Neo4j however long it is.
const (
	// MaxFilterNesting bounds how deep AllOf, AnyOf, Not and Relation terms nest: each is one
	// level. Hand-written filters need two or three; 8 NOTs, each with a condition, plan like a
	// two-condition filter.
	MaxFilterNesting = 8
	// MaxFilterTerms bounds the weighted terms of one filter: every condition, every filter of an
	// AllOf or AnyOf (an empty one too: it is still a term to Neo4j), every Not and Relation
	// counts 1, and RelationshipTermWeight when it is a relationship filter or inside one.
	MaxFilterTerms = 50
	// RelationshipTermWeight is what a relationship filter, and each term inside one, counts
	// against MaxFilterTerms: terms inside EXISTS subqueries cost Neo4j's planner several times
	// what terms of the filter's own node do (above). Two relationship filters of a condition
	// each weigh 16 of the 50.
	RelationshipTermWeight = 4
	// MaxFilterListItems bounds the values of one OpIn condition.
	MaxFilterListItems = 1000
	// MaxFilterRelationships bounds the Relation terms (at every depth) of one filter, whatever
	// their terms weigh.
	MaxFilterRelationships = 4
)

// checkFilterSize refuses a filter beyond the bounds above with LIMIT_EXCEEDED at the term
// where it went over. It looks only at the filter's shape; build checks what the terms mean.
func checkFilterSize(f *Filter) error {
	return (&filterCounts{}).size(f, 0, false)
}

// filterCounts are the weighted terms and the relationship filters counted so far.
type filterCounts struct {
	terms, relationships int
}

// size counts the terms of f, at nesting level depth; inRelationship says that f is inside a
// relationship filter.
func (c *filterCounts) size(f *Filter, depth int, inRelationship bool) error {
	if f == nil {
		return nil
	}
	for _, term := range f.Terms {
		switch t := term.(type) {
		case *AllOf:
			if err := c.items(t, t.Filters, depth, inRelationship); err != nil {
				return err
			}
		case *AnyOf:
			if err := c.items(t, t.Filters, depth, inRelationship); err != nil {
				return err
			}
		case *Not:
			if err := c.nested(t, t.Filter, depth, inRelationship); err != nil {
				return err
			}
		case *Relation:
			if depth+1 > MaxFilterNesting {
				return tooDeep(t)
			}
			if c.relationships++; c.relationships > MaxFilterRelationships {
				return filterLimit(t, "a filter has at most %d relationship filters", MaxFilterRelationships)
			}
			if err := c.nested(t, t.Filter, depth, true); err != nil {
				return err
			}
		case *Condition:
			if err := c.term(t, inRelationship); err != nil {
				return err
			}
			if items, ok := asList(t.Value); ok && t.Op == tg.OpIn && len(items) > MaxFilterListItems {
				return filterLimit(t, "a list holds at most %d values", MaxFilterListItems)
			}
		default: // an external ref
			if err := c.term(t, inRelationship); err != nil {
				return err
			}
		}
	}
	return nil
}

// items counts an AllOf or AnyOf: one level, and each of its filters a term.
func (c *filterCounts) items(at Term, filters []*Filter, depth int, inRelationship bool) error {
	if depth+1 > MaxFilterNesting {
		return tooDeep(at)
	}
	for _, item := range filters {
		if err := c.term(item, inRelationship); err != nil {
			return err
		}
		if err := c.size(item, depth+1, inRelationship); err != nil {
			return err
		}
	}
	return nil
}

// nested counts a Not or a Relation: one level and one term, and the terms of its filter.
func (c *filterCounts) nested(at Term, inner *Filter, depth int, inRelationship bool) error {
	if depth+1 > MaxFilterNesting {
		return tooDeep(at)
	}
	if err := c.term(at, inRelationship); err != nil {
		return err
	}
	return c.size(inner, depth+1, inRelationship)
}

func tooDeep(at Term) error {
	return filterLimit(at, "filters nest at most %d deep (AND, OR, NOT and relationship filters)", MaxFilterNesting)
}

// term counts one term, weighted when it is a relationship filter or inside one.
func (c *filterCounts) term(at any, weighted bool) error {
	c.terms++
	if weighted {
		c.terms += RelationshipTermWeight - 1
	}
	if c.terms > MaxFilterTerms {
		return filterLimit(at, "a filter has at most %d terms (conditions, AND and OR items, NOT and relationship filters; "+
			"a relationship filter and each term inside one count %d); put many values in one list of values", MaxFilterTerms, RelationshipTermWeight)
	}
	return nil
}

func filterLimit(at any, format string, args ...any) error {
	return &FilterError{At: at, Err: &tg.Error{Code: tg.LimitExceeded, Message: fmt.Sprintf(format, args...)}}
}
