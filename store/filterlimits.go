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
)

// checkFilterSize refuses a filter beyond the bounds above with LIMIT_EXCEEDED naming the field
// where it went over. It looks only at the input's shape; build checks what the keys mean.
func checkFilterSize(where map[string]any, path string) error {
	terms := 0
	return filterSize(where, path, 0, &terms)
}

func filterSize(where map[string]any, path string, depth int, terms *int) error {
	for _, key := range sortedKeys(where) {
		value := plain(where[key])
		if value == nil {
			continue
		}
		field := path + "." + key
		inner, isObject := value.(map[string]any)
		nests := key == "AND" || key == "OR" || (isObject && (key == "NOT" || strings.HasSuffix(key, "_some") || strings.HasSuffix(key, "_none")))
		if nests && depth+1 > MaxFilterNesting {
			return filterLimit(field, "filters nest at most %d deep (AND, OR, NOT and relationship filters)", MaxFilterNesting)
		}
		switch {
		case key == "AND" || key == "OR":
			items, _ := asList(value)
			for i, item := range items {
				itemField := fmt.Sprintf("%s[%d]", field, i)
				if err := countTerm(terms, itemField); err != nil {
					return err
				}
				if object, ok := plain(item).(map[string]any); ok {
					if err := filterSize(object, itemField, depth+1, terms); err != nil {
						return err
					}
				}
			}
		case key == "provenance" && isObject:
			// Its conditions are terms of the filter it is in; it adds no level.
			if err := filterSize(inner, field, depth, terms); err != nil {
				return err
			}
		case nests:
			if err := countTerm(terms, field); err != nil {
				return err
			}
			if err := filterSize(inner, field, depth+1, terms); err != nil {
				return err
			}
		default:
			if err := countTerm(terms, field); err != nil {
				return err
			}
			if items, ok := asList(value); ok && strings.HasSuffix(key, "_in") && len(items) > MaxFilterListItems {
				return filterLimit(field, "a list holds at most %d values", MaxFilterListItems)
			}
		}
	}
	return nil
}

func countTerm(terms *int, field string) error {
	*terms++
	if *terms > MaxFilterTerms {
		return filterLimit(field, "a filter has at most %d terms (conditions, AND and OR items, NOT and relationship filters); put many values in one _in list", MaxFilterTerms)
	}
	return nil
}

func filterLimit(field, format string, args ...any) error {
	return &tg.Error{Code: tg.LimitExceeded, Message: fmt.Sprintf(format, args...), Field: field}
}
