package resolvers_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/traffikgraph/traffikgraph/bench"
	"github.com/traffikgraph/traffikgraph/internal/testkit"
)

// nameAlternatives is an OR of n alternatives on name (people and locations have it).
func nameAlternatives(n int) map[string]any {
	items := make([]any, n)
	for i := range items {
		items[i] = map[string]any{"name": fmt.Sprintf("name %d", i)}
	}
	return map[string]any{"OR": items}
}

func emptyAlternatives(n int) map[string]any {
	items := make([]any, n)
	for i := range items {
		items[i] = map[string]any{}
	}
	return map[string]any{"OR": items}
}

// TestFilterSizeIsBoundedBeforeNeo4j: a filter nested deeper than 8 levels, with more than 50
// weighted terms (a relationship filter and each term inside one count 4), more than 4
// relationship filters or an `_in` list of more than 1,000 values is LIMIT_EXCEEDED naming where
// it went over (the variable, when it is too large for the HTTP layer to coerce it at all), and
// Neo4j never sees it (300 nested NOTs once overflowed its parser's stack; 1,000 OR alternatives
// took it 11 s to plan, 25 relationship filters 5 s, 100 terms with 7 relationship filters up to
// 28 s). Filters at the limits are answered.
func TestFilterSizeIsBoundedBeforeNeo4j(t *testing.T) {
	h := newHarness(t)
	const query = `query($w: PersonWhere) { people(where: $w) { totalCount } }`
	ids := make([]any, 1001)
	for i := range ids {
		ids[i] = fmt.Sprintf("id-%d", i)
	}
	personAlternatives := func(n int) map[string]any {
		w := bench.RelationshipAlternatives(n)
		for _, item := range w["OR"].([]any) {
			m := item.(map[string]any)
			m["livesAt_some"] = m["location_some"]
			delete(m, "location_some")
		}
		return w
	}

	refused := []struct {
		name  string
		where map[string]any
		field any
	}{
		// The largest are refused by the HTTP layer before gqlparser coerces them, the
		// others by the store, naming the filter's field.
		{"300NestedNots", bench.NestedNots(300), "variables.w"},
		{"1000Alternatives", bench.Alternatives(1000), "variables.w"},
		{"5000Alternatives", bench.Alternatives(5000), "variables.w"},
		{"20000Alternatives", bench.Alternatives(20000), nil}, // a body over 256 KiB: 413
		{"NineNestedNots", bench.NestedNots(9), "where" + strings.Repeat(".NOT", 9)},
		{"26Alternatives", bench.Alternatives(26), "where.OR[25]"},
		{"EmptyAlternativesCountToo", emptyAlternatives(51), "where.OR[50]"},
		// 4 + 6 x (item 4 + condition 4) = 52: the same alternatives outside weigh 12.
		{"TermsInsideARelationshipFilterWeighFour", map[string]any{"livesAt_some": nameAlternatives(6)}, "where.livesAt_some.OR[5].name"},
		{"NestingThroughRelationshipFilters", map[string]any{"AND": []any{map[string]any{"OR": []any{map[string]any{"NOT": map[string]any{
			"livesAt_some": map[string]any{"parent_some": map[string]any{"parent_some": map[string]any{"AND": []any{map[string]any{
				"OR": []any{map[string]any{"NOT": map[string]any{"name": "x"}}}}}}}}}}}}}},
			"where.AND[0].OR[0].NOT.livesAt_some.parent_some.parent_some.AND[0].OR[0].NOT"},
		{"FiveRelationshipFilters", personAlternatives(5), "where.OR[4].livesAt_some"},
		{"InListOfMoreThan1000Values", map[string]any{"id_in": ids}, "where.id_in"},
		{"ProvenanceInListOfMoreThan1000Values", map[string]any{"provenance": map[string]any{"sourcePartner_in": ids}}, "where.provenance.sourcePartner_in"},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			queries := h.store.QueryCount()
			resp := h.do("a", query, map[string]any{"w": tc.where})
			require.Equal(t, []string{"LIMIT_EXCEEDED"}, resp.Codes(), "%+v", resp.Errors)
			assert.Equal(t, tc.field, resp.Errors[0].Extensions["field"])
			assert.Equal(t, queries, h.store.QueryCount(), "refused before any Cypher ran")
		})
	}

	atTheLimits := map[string]map[string]any{
		"EightNestedNots":                     bench.NestedNots(8),
		"FiftyTerms":                          bench.Alternatives(25),
		"InListOf1000Values":                  {"id_in": ids[:1000]},
		"FourRelationshipFilters":             personAlternatives(4),
		"FortyFourTermsInARelationshipFilter": {"livesAt_some": nameAlternatives(5)},
		"TheSameAlternativesOutsideOne":       {"AND": []any{nameAlternatives(6), nameAlternatives(6)}},
	}
	for name, where := range atTheLimits {
		t.Run(name, func(t *testing.T) {
			resp := h.do("a", query, map[string]any{"w": where})
			require.Empty(t, resp.Errors)
			assert.NotNil(t, testkit.Dig(resp.Data, "people", "totalCount"))
		})
	}
}
