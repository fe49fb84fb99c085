package store

import (
	"fmt"
	"strings"

	tg "github.com/traffikgraph/traffikgraph"
)

// Bounds on the size of a `where` filter, checked on the input before any Cypher is built.
// Neo4j's Cypher parser recurses once per nesting level (300 nested NOTs overflowed its stack
// and the server never answered) and its planner's time grows with every term (1,000 OR
// alternatives took 11 s to plan, 5,000 kept both cores busy for minutes). Within these bounds a
// filter plans in about a second on a cold cache; many values belong in one `_in` list, which is
// one parameter to Neo4j however long it is.
const (
	// MaxFilterNesting bounds how deep AND, OR, NOT and relationship filters (`_some`,
	// `_none`) nest: each is one level. Hand-written filters need two or three.
	MaxFilterNesting = 8
	// MaxFilterTerms bounds the terms of one filter: every condition, every item of an AND or
	// OR list (an empty one too: it is still a term to Neo4j), every NOT and relationship filter.
	MaxFilterTerms = 100
	// MaxFilterListItems bounds the values of one `_in` list.
	MaxFilterListItems = 1000
	// MaxFilterRelationships bounds the relationship filters (`_some`, `_none`, at every depth)
	// of one filter: each is an EXISTS subquery, which Neo4j takes about as long to plan as
	// twenty conditions (25 of them took 5 s).
	MaxFilterRelationships = 8
)

// checkFilterSize refuses a filter beyond the bounds above with LIMIT_EXCEEDED naming the field
// where it went over. It looks only at the input's shape; build checks what the keys mean.
func checkFilterSize(where map[string]any, path string) error {
	return (&filterCounts{}).size(where, path, 0)
}

// filterCounts are the terms and relationship filters counted so far.
type filterCounts struct {
	terms, relationships int
}

func (c *filterCounts) size(where map[string]any, path string, depth int) error {
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
				if err := c.term(itemField); err != nil {
					return err
				}
				if object, ok := plain(item).(map[string]any); ok {
					if err := c.size(object, itemField, depth+1); err != nil {
						return err
					}
				}
			}
		case key == "provenance" && isObject:
			// Its conditions are terms of the filter it is in; it adds no level.
			if err := c.size(inner, field, depth); err != nil {
				return err
			}
		case nests:
			if err := c.term(field); err != nil {
				return err
			}
			if relationship {
				if c.relationships++; c.relationships > MaxFilterRelationships {
					return filterLimit(field, "a filter has at most %d relationship filters (_some, _none)", MaxFilterRelationships)
				}
			}
			if err := c.size(inner, field, depth+1); err != nil {
				return err
			}
		default:
			if err := c.term(field); err != nil {
				return err
			}
			if items, ok := asList(value); ok && strings.HasSuffix(key, "_in") && len(items) > MaxFilterListItems {
				return filterLimit(field, "a list holds at most %d values", MaxFilterListItems)
			}
		}
	}
	return nil
}

func (c *filterCounts) term(field string) error {
	c.terms++
	if c.terms > MaxFilterTerms {
		return filterLimit(field, "a filter has at most %d terms (conditions, AND and OR items, NOT and relationship filters); put many values in one _in list", MaxFilterTerms)
	}
	return nil
}

func filterLimit(field, format string, args ...any) error {
	return &tg.Error{Code: tg.LimitExceeded, Message: fmt.Sprintf(format, args...), Field: field}
}
