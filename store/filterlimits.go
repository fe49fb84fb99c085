package store

import (
	"fmt"
	"strings"

	tg "github.com/traffikgraph/traffikgraph"
)

// Bounds on the size of a `where` filter, checked on the input before any Cypher is built.
// Neo4j's Cypher parser recurses once per nesting level (300 nested NOTs overflowed its stack
// and the server never answered) and its planner's time grows with every term, above all with
// the terms inside relationship filters: each is an EXISTS subquery, which Neo4j plans with its
// predicate again for the plans it weighs. Measured with `traffikgraph bench attack`'s shapes
// (random filters within the bounds, each a plan Neo4j had not seen) on the demo world, on two
// cores shared with a dozen other processes, where a two-condition filter plans in 0.1-0.9 s:
// 100 terms without relationship filters planned in 0.7-3.5 s, 50 in 0.3-1.9 s; 50 terms with
// 2 or 3 relationship filters in 2.0-8.5 s, 100 terms with up to 8 in 2.5-28.5 s; while 4
// relationship filters holding 9 conditions planned in 0.1-1.6 s. Within these bounds a filter
// plans in about a second; many values belong in one `_in` list, which is one parameter to
// Neo4j however long it is.
const (
	// MaxFilterNesting bounds how deep AND, OR, NOT and relationship filters (`_some`,
	// `_none`) nest: each is one level. Hand-written filters need two or three; 8 NOTs, each
	// with a condition, plan like a two-condition filter.
	MaxFilterNesting = 8
	// MaxFilterTerms bounds the weighted terms of one filter: every condition, every item of an
	// AND or OR list (an empty one too: it is still a term to Neo4j), every NOT and relationship
	// filter counts 1, and RelationshipTermWeight when it is a relationship filter or inside one.
	MaxFilterTerms = 50
	// RelationshipTermWeight is what a relationship filter, and each term inside one, counts
	// against MaxFilterTerms: terms inside EXISTS subqueries cost Neo4j's planner several times
	// what terms of the filter's own node do (above). Two relationship filters of a condition
	// each weigh 16 of the 50.
	RelationshipTermWeight = 4
	// MaxFilterListItems bounds the values of one `_in` list.
	MaxFilterListItems = 1000
	// MaxFilterRelationships bounds the relationship filters (`_some`, `_none`, at every depth)
	// of one filter, whatever their terms weigh.
	MaxFilterRelationships = 4
)

// checkFilterSize refuses a filter beyond the bounds above with LIMIT_EXCEEDED naming the field
// where it went over. It looks only at the input's shape; build checks what the keys mean.
func checkFilterSize(where map[string]any, path string) error {
	return (&filterCounts{}).size(where, path, 0, false)
}

// filterCounts are the weighted terms and the relationship filters counted so far.
type filterCounts struct {
	terms, relationships int
}

// size counts the terms of where, at nesting level depth; inRelationship says that where is
// inside a relationship filter.
func (c *filterCounts) size(where map[string]any, path string, depth int, inRelationship bool) error {
	for _, key := range sortedKeys(where) {
		value := plain(where[key])
		if value == nil {
			continue
		}
		field := path + "." + key
		inner, isObject := value.(map[string]any)
		relationship := isObject && (strings.HasSuffix(key, "_some") || strings.HasSuffix(key, "_none"))
		nests := key == "AND" || key == "OR" || relationship || (isObject && key == "NOT")
		if nests && depth+1 > MaxFilterNesting {
			return filterLimit(field, "filters nest at most %d deep (AND, OR, NOT and relationship filters)", MaxFilterNesting)
		}
		switch {
		case key == "AND" || key == "OR":
			items, _ := asList(value)
			for i, item := range items {
				itemField := fmt.Sprintf("%s[%d]", field, i)
				if err := c.term(itemField, inRelationship); err != nil {
					return err
				}
				if object, ok := plain(item).(map[string]any); ok {
					if err := c.size(object, itemField, depth+1, inRelationship); err != nil {
						return err
					}
				}
			}
		case key == "provenance" && isObject:
			// Its conditions are terms of the filter it is in; it adds no level.
			if err := c.size(inner, field, depth, inRelationship); err != nil {
				return err
			}
		case nests:
			if relationship {
				if c.relationships++; c.relationships > MaxFilterRelationships {
					return filterLimit(field, "a filter has at most %d relationship filters (_some, _none)", MaxFilterRelationships)
				}
			}
			if err := c.term(field, inRelationship || relationship); err != nil {
				return err
			}
			if err := c.size(inner, field, depth+1, inRelationship || relationship); err != nil {
				return err
			}
		default:
			if err := c.term(field, inRelationship); err != nil {
				return err
			}
			if items, ok := asList(value); ok && strings.HasSuffix(key, "_in") && len(items) > MaxFilterListItems {
				return filterLimit(field, "a list holds at most %d values", MaxFilterListItems)
			}
		}
	}
	return nil
}

// term counts one term, weighted when it is a relationship filter or inside one.
func (c *filterCounts) term(field string, weighted bool) error {
	c.terms++
	if weighted {
		c.terms += RelationshipTermWeight - 1
	}
	if c.terms > MaxFilterTerms {
		return filterLimit(field, "a filter has at most %d terms (conditions, AND and OR items, NOT and relationship filters; "+
			"a relationship filter and each term inside one count %d); put many values in one _in list", MaxFilterTerms, RelationshipTermWeight)
	}
	return nil
}

func filterLimit(field, format string, args ...any) error {
	return &tg.Error{Code: tg.LimitExceeded, Message: fmt.Sprintf(format, args...), Field: field}
}
