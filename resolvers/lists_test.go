package resolvers_test

import (
	"fmt"
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/traffikgraph/traffikgraph/internal/testkit"
)

// TestCursorPagination pages through a list in a chosen order and sees every node once, in
// order, with the same totalCount on every page.
func TestCursorPagination(t *testing.T) {
	h := newHarness(t)
	h.cypher(`
UNWIND range(1, 25) AS i
CREATE (:Entity:Business {id: $a + '-b-' + i, name: 'Business ' + right('0' + toString(i % 9), 2),
        jurisdiction: CASE WHEN i % 2 = 0 THEN 'GB' ELSE 'FR' END,
        tlp: 'GREEN', sourcePartner: $a, sharedWith: [], externalRefs: [], createdAt: datetime(), updatedAt: datetime()})`,
		map[string]any{"a": h.A})
	const query = `query($after: String, $partner: ID!) {
  businesses(first: 7, after: $after, where: {provenance: {sourcePartner_in: [$partner]}},
             orderBy: [{field: NAME, direction: DESC}]) {
    totalCount pageInfo { hasNextPage hasPreviousPage endCursor } edges { cursor node { id name } }
  }
}`
	var names []string
	seen := map[string]bool{}
	var after any
	for page := 0; ; page++ {
		require.Less(t, page, 10, "paging must end")
		resp := h.do("a-read", query, map[string]any{"after": after, "partner": h.A})
		require.Empty(t, resp.Errors)
		conn := testkit.Dig(resp.Data, "businesses")
		assert.Equal(t, "25", fmt.Sprint(testkit.Dig(conn, "totalCount")))
		assert.Equal(t, page > 0, testkit.Dig(conn, "pageInfo", "hasPreviousPage"))
		for _, e := range testkit.Dig(conn, "edges").([]any) {
			id := testkit.Dig(e, "node", "id").(string)
			assert.False(t, seen[id], "node %s seen twice", id)
			seen[id] = true
			names = append(names, testkit.Dig(e, "node", "name").(string))
		}
		if testkit.Dig(conn, "pageInfo", "hasNextPage") != true {
			break
		}
		after = testkit.Dig(conn, "pageInfo", "endCursor")
	}
	assert.Len(t, seen, 25)
	assert.True(t, sort.SliceIsSorted(names, func(i, j int) bool { return names[i] > names[j] }), "%v", names)
}

// TestFilters covers the operators and combinators of where inputs.
func TestFilters(t *testing.T) {
	h := newHarness(t)
	h.cypher(`
UNWIND [['Alpha Textiles', 'GB', 'C'], ['Beta Farms', 'FR', 'A'], ['Gamma Textiles', 'FR', 'C'], ['Delta Mining', 'BD', 'B']] AS b
CREATE (:Entity:Business {id: $a + '-' + b[0], name: b[0], jurisdiction: b[1], sector: b[2],
        tlp: 'GREEN', sourcePartner: $a, sharedWith: [], externalRefs: [], createdAt: datetime(), updatedAt: datetime()})`,
		map[string]any{"a": h.A})
	cases := []struct {
		name, where string
		want        []string
	}{
		{"Contains", `{name_contains: "textiles"}`, []string{"Alpha Textiles", "Gamma Textiles"}},
		{"StartsWith", `{name_startsWith: "be"}`, []string{"Beta Farms"}},
		{"In", `{jurisdiction_in: ["BD", "GB"]}`, []string{"Alpha Textiles", "Delta Mining"}},
		{"And", `{name_contains: "textiles", jurisdiction_in: ["FR"]}`, []string{"Gamma Textiles"}},
		{"Or", `{OR: [{sector_in: ["A"]}, {sector_in: ["B"]}]}`, []string{"Beta Farms", "Delta Mining"}},
		{"Not", `{NOT: {name_contains: "textiles"}}`, []string{"Beta Farms", "Delta Mining"}},
		{"Equals", `{name: "Delta Mining"}`, []string{"Delta Mining"}},
		{"NothingMatchesAndIsCountedAsNothing", `{name: "No Such Business"}`, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			query := fmt.Sprintf(`query($p: ID!) { businesses(first: 50, orderBy: [{field: NAME}], where: {AND: [{provenance: {sourcePartner_in: [$p]}}, %s]}) {
			  totalCount edges { node { name } } } }`, c.where)
			resp := h.do("a-read", query, map[string]any{"p": h.A})
			require.Empty(t, resp.Errors)
			var got []string
			for _, e := range testkit.Dig(resp.Data, "businesses", "edges").([]any) {
				got = append(got, testkit.Dig(e, "node", "name").(string))
			}
			assert.Equal(t, c.want, got)
			assert.Equal(t, fmt.Sprint(len(c.want)), fmt.Sprint(testkit.Dig(resp.Data, "businesses", "totalCount")))
		})
	}
}

// TestPersonalData: without graph:read:pii personal data is null and listed as redacted, and it
// cannot be filtered or ordered on.
func TestPersonalData(t *testing.T) {
	h := newHarness(t)
	resp := h.do("a", `mutation { createPerson(input: {name: "Jane Synthetic", birthYear: 1990, nationality: "GB"}, marking: {tlp: GREEN}) { id name } }`, nil)
	require.Empty(t, resp.Errors)
	id := testkit.Dig(resp.Data, "createPerson", "id")
	assert.Equal(t, "Jane Synthetic", testkit.Dig(resp.Data, "createPerson", "name"), "the PII scope reads it")

	t.Run("RedactedWithoutThePIIScope", func(t *testing.T) {
		resp := h.do("a-no-pii", `query($id: ID!) { node(id: $id) { ... on Person { name birthYear nationality } } }`, map[string]any{"id": id})
		require.Empty(t, resp.Errors)
		assert.Nil(t, testkit.Dig(resp.Data, "node", "name"))
		assert.Nil(t, testkit.Dig(resp.Data, "node", "birthYear"))
		assert.Equal(t, "GB", testkit.Dig(resp.Data, "node", "nationality"))
		assert.ElementsMatch(t, []any{"node.birthYear", "node.name"}, resp.Extensions["redacted"])
	})
	t.Run("NoFilterOnPIIWithoutTheScope", func(t *testing.T) {
		resp := h.do("a-no-pii", `{ people(where: {name_contains: "Jane"}) { totalCount } }`, nil)
		require.Len(t, resp.Errors, 1)
		assert.Equal(t, "FORBIDDEN", resp.Errors[0].Extensions["code"])
		assert.Equal(t, "where.name_contains", resp.Errors[0].Extensions["field"])
	})
	t.Run("NoOrderingOnPIIWithoutTheScope", func(t *testing.T) {
		resp := h.do("a-no-pii", `{ people(orderBy: [{field: NAME}]) { totalCount } }`, nil)
		require.Len(t, resp.Errors, 1)
		assert.Equal(t, "FORBIDDEN", resp.Errors[0].Extensions["code"])
	})
	t.Run("FilterOnPIIWithTheScope", func(t *testing.T) {
		resp := h.do("a", `query($p: ID!) { people(where: {name_contains: "jane synth", provenance: {sourcePartner_in: [$p]}}) { totalCount } }`, map[string]any{"p": h.A})
		require.Empty(t, resp.Errors)
		assert.Equal(t, "1", fmt.Sprint(testkit.Dig(resp.Data, "people", "totalCount")))
	})
}

// TestRelationshipFilters: _some and _none select by neighbours, and only by neighbours over
// relationships the caller may see.
func TestRelationshipFilters(t *testing.T) {
	h := newHarness(t)
	h.cypher(`
CREATE (gb:Entity:Location {id: $a + '-gb', name: 'London (test)', kind: 'CITY', countryCode: 'GB',
        tlp: 'GREEN', sourcePartner: $a, sharedWith: [], externalRefs: [], createdAt: datetime(), updatedAt: datetime()})
CREATE (fr:Entity:Location {id: $a + '-fr', name: 'Lyon (test)', kind: 'CITY', countryCode: 'FR',
        tlp: 'GREEN', sourcePartner: $a, sharedWith: [], externalRefs: [], createdAt: datetime(), updatedAt: datetime()})
WITH gb, fr
UNWIND [['in-gb', 'GREEN', 'GREEN', 'gb'], ['in-fr', 'GREEN', 'GREEN', 'fr'],
        ['strict-in-gb', 'AMBER_STRICT', 'GREEN', 'gb'], ['hidden-link-to-gb', 'GREEN', 'AMBER_STRICT', 'gb']] AS row
CREATE (i:Entity:Incident {id: $a + '-' + row[0], title: row[0], exploitationTypes: [], meansOfControl: [],
        tlp: row[1], sourcePartner: $a, sharedWith: [], externalRefs: [], createdAt: datetime(), updatedAt: datetime()})
WITH i, row, CASE row[3] WHEN 'gb' THEN gb ELSE fr END AS place
CREATE (i)-[:OCCURRED_AT {tlp: row[2], sourcePartner: $a, sharedWith: []}]->(place)`, map[string]any{"a": h.A})

	titles := func(token, where string) ([]string, testkit.Response) {
		resp := h.do(token, `query($p: ID!) { incidents(orderBy: [{field: TITLE}], where: {AND: [{provenance: {sourcePartner_in: [$p]}}, `+where+`]}) { edges { node { title } } } }`,
			map[string]any{"p": h.A})
		var out []string
		if edges, ok := testkit.Dig(resp.Data, "incidents", "edges").([]any); ok {
			for _, e := range edges {
				out = append(out, testkit.Dig(e, "node", "title").(string))
			}
		}
		return out, resp
	}
	cases := []struct {
		name, token, where string
		want               []string
	}{
		{"SomeMatchesThroughVisibleRelationships", "a", `{location_some: {countryCode_in: ["GB"]}}`, []string{"hidden-link-to-gb", "in-gb", "strict-in-gb"}},
		{"AnotherPartnerMatchesOnlyWhatItSees", "b", `{location_some: {countryCode_in: ["GB"]}}`, []string{"in-gb"}},
		{"NoneKeepsTheOthers", "a", `{location_none: {countryCode_in: ["GB"]}}`, []string{"in-fr"}},
		{"AHiddenRelationshipIsNoNeighbour", "b", `{location_none: {countryCode_in: ["GB"]}}`, []string{"hidden-link-to-gb", "in-fr"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, resp := titles(c.token, c.where)
			require.Empty(t, resp.Errors)
			assert.Equal(t, c.want, got)
		})
	}
	t.Run("PersonalDataInANestedFilterNeedsTheScope", func(t *testing.T) {
		_, resp := titles("a-no-pii", `{people_some: {name_contains: "x"}}`)
		require.Len(t, resp.Errors, 1)
		assert.Equal(t, "FORBIDDEN", resp.Errors[0].Extensions["code"])
	})
	t.Run("NestingIsBounded", func(t *testing.T) {
		_, resp := titles("a", `{location_some: {incidents_some: {location_some: {incidents_some: {title_contains: "x"}}}}}`)
		require.Len(t, resp.Errors, 1)
		assert.Equal(t, "BAD_USER_INPUT", resp.Errors[0].Extensions["code"])
	})
}
