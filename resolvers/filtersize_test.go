package resolvers_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// nestedNots is a BusinessWhere of depth NOTs around one condition.
func nestedNots(depth int) map[string]any {
	where := map[string]any{"name_contains": "Textiles"}
	for range depth {
		where = map[string]any{"NOT": where}
	}
	return where
}

// alternatives is a BusinessWhere of n OR alternatives, one condition each.
func alternatives(n int) map[string]any {
	items := make([]any, n)
	for i := range items {
		items[i] = map[string]any{"name_contains": fmt.Sprintf("word %d", i)}
	}
	return map[string]any{"OR": items}
}

// relationshipAlternatives is a BusinessWhere of n OR alternatives, a relationship filter each.
func relationshipAlternatives(n int) map[string]any {
	items := make([]any, n)
	for i := range items {
		items[i] = map[string]any{"location_some": map[string]any{"name": fmt.Sprintf("town %d", i)}}
	}
	return map[string]any{"OR": items}
}

func emptyAlternatives(n int) []any {
	items := make([]any, n)
	for i := range items {
		items[i] = map[string]any{}
	}
	return items
}

// TestFilterSizeIsBoundedBeforeNeo4j: a filter nested deeper than 8 levels, with more than 100
// terms, more than 8 relationship filters or an `_in` list of more than 1,000 values is
// LIMIT_EXCEEDED naming where it went over, and Neo4j never sees it (300 nested NOTs once
// overflowed its parser's stack; 1,000 OR alternatives took it 11 s to plan, 25 relationship
// filters 5 s). Filters at the limits are answered.
func TestFilterSizeIsBoundedBeforeNeo4j(t *testing.T) {
	h := newHarness(t)
	h.cypher(`
UNWIND ['Alpha Textiles', 'Beta Farms'] AS name
CREATE (:Entity:Business {id: $a + '-' + name, name: name, tlp: 'GREEN', sourcePartner: $a, sharedWith: [], externalRefs: [],
        createdAt: datetime(), updatedAt: datetime()})`, map[string]any{"a": h.A})
	const query = `query($w: BusinessWhere) { businesses(where: $w) { totalCount } }`
	ids := make([]any, 1001)
	for i := range ids {
		ids[i] = fmt.Sprintf("id-%d", i)
	}

	refused := []struct {
		name  string
		where map[string]any
		field string
	}{
		{"300NestedNots", nestedNots(300), "where" + strings.Repeat(".NOT", 9)},
		{"NineNestedNots", nestedNots(9), "where" + strings.Repeat(".NOT", 9)},
		{"1000Alternatives", alternatives(1000), "where.OR[50]"},
		{"5000Alternatives", alternatives(5000), "where.OR[50]"},
		{"20000Alternatives", alternatives(20000), "where.OR[50]"},
		{"EmptyAlternativesCountToo", map[string]any{"OR": emptyAlternatives(101)}, "where.OR[100]"},
		{"NestingThroughRelationshipFilters", map[string]any{"AND": []any{map[string]any{"OR": []any{map[string]any{"NOT": map[string]any{
			"location_some": map[string]any{"parent_some": map[string]any{"parent_some": map[string]any{"AND": []any{map[string]any{
				"OR": []any{map[string]any{"NOT": map[string]any{"name": "x"}}}}}}}}}}}}}},
			"where.AND[0].OR[0].NOT.location_some.parent_some.parent_some.AND[0].OR[0].NOT"},
		{"NineRelationshipFilters", relationshipAlternatives(9), "where.OR[8].location_some"},
		{"InListOfMoreThan1000Values", map[string]any{"id_in": ids}, "where.id_in"},
		{"ProvenanceInListOfMoreThan1000Values", map[string]any{"provenance": map[string]any{"sourcePartner_in": ids}}, "where.provenance.sourcePartner_in"},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			queries := h.store.QueryCount()
			resp := h.do("a", query, map[string]any{"w": tc.where})
			require.Equal(t, []string{"LIMIT_EXCEEDED"}, resp.codes(), "%+v", resp.Errors)
			assert.Equal(t, tc.field, resp.Errors[0].Extensions["field"])
			assert.Equal(t, queries, h.store.QueryCount(), "refused before any Cypher ran")
		})
	}

	atTheLimits := map[string]map[string]any{
		"EightNestedNots":          nestedNots(8),
		"HundredTerms":             alternatives(50),
		"InListOf1000Values":       {"id_in": ids[:1000]},
		"EightRelationshipFilters": relationshipAlternatives(8),
	}
	for name, where := range atTheLimits {
		t.Run(name, func(t *testing.T) {
			resp := h.do("a", query, map[string]any{"w": where})
			require.Empty(t, resp.Errors)
			assert.NotNil(t, dig(resp.Data, "businesses", "totalCount"))
		})
	}
}
