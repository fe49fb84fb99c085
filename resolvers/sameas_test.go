package resolvers_test

import (
	"encoding/json"
	"maps"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/traffikgraph/traffikgraph/internal/testkit"
)

const linkSameAsMutation = `mutation Op($a: ID!, $b: ID!, $tlp: Tlp!, $reason: String!) {
  linkSameAs(a: $a, b: $b, marking: {tlp: $tlp}, reason: $reason) { type from { id } to { id } provenance { sourcePartner tlp } } }`

// TestSameAsThroughGraphQL: partner B says that its person p2 is A's person p1 (AMBER: A and B
// share a sharing group). The path from A's incident to B's q through the two records exists
// only with followSameAs, and not for C, who may not see the link; the write is scoped, checked,
// audited and in both records' histories, and so is its removal.
func TestSameAsThroughGraphQL(t *testing.T) {
	h := newHarness(t)
	create := func(token, mutation, input string) string {
		return testkit.Dig(h.mutate(token, `mutation { `+mutation+`(input: `+input+`, marking: {tlp: GREEN}) { id } }`, nil), mutation, "id").(string)
	}
	link := func(token, typ, from, to, props string) {
		h.mutate(token, `mutation($f: ID!, $t: ID!) { link(input: {type: `+typ+`, from: $f, to: $t`+props+`}, marking: {tlp: GREEN}) { type } }`,
			map[string]any{"f": from, "t": to})
	}
	p1 := create("a", "createPerson", `{nationality: "PW"}`)
	incident := create("a", "createIncident", `{title: "Case"}`)
	link("a", "INVOLVED_IN", p1, incident, `, properties: {role: VICTIM}`)
	p2 := create("b", "createPerson", `{nationality: "PW"}`)
	q := create("b", "createPerson", `{nationality: "FM"}`)
	link("b", "ASSOCIATE_OF", p2, q, "")
	business := create("b", "createBusiness", `{name: "Lima Ltd"}`)
	strict := testkit.Dig(h.mutate("a", `mutation { createPerson(input: {}, marking: {tlp: AMBER_STRICT}) { id } }`, nil), "createPerson", "id").(string)

	sameAs := sameAsVars(map[string]any{"a": p2, "b": p1, "tlp": "AMBER", "reason": "same passport number"})
	linked := h.mutate("b", linkSameAsMutation, sameAs)
	low, high := min(p1, p2), max(p1, p2)
	assert.Equal(t, map[string]any{"type": "SAME_AS", "from": map[string]any{"id": low}, "to": map[string]any{"id": high},
		"provenance": map[string]any{"sourcePartner": h.B, "tlp": "AMBER"}}, linked["linkSameAs"])

	t.Run("the mutation is audited with both records", func(t *testing.T) {
		events := eventsOf(h.auditEvents(h.B), "Op")
		require.NotEmpty(t, events)
		assert.Equal(t, []any{"linkSameAs"}, events[0]["rootFields"])
		assert.Subset(t, events[0]["entityIds"], []any{p1, p2})
	})

	const path = `query Op($from: ID!, $to: ID!, $follow: Boolean) {
  shortestPath(from: $from, to: $to, followSameAs: $follow) { nodes { id } relationships { type provenance { tlp } } } }`
	for _, tc := range []struct {
		token  string
		follow any
		found  bool
	}{
		{"a", nil, false},
		{"a", false, false},
		{"a", true, true},
		{"c", true, false},
	} {
		t.Run("shortestPath as "+tc.token, func(t *testing.T) {
			resp := h.do(tc.token, path, map[string]any{"from": incident, "to": q, "follow": tc.follow})
			require.Empty(t, resp.Errors)
			if !tc.found {
				assert.Nil(t, testkit.Dig(resp.Data, "shortestPath"))
				return
			}
			var nodes, types []any
			for _, n := range testkit.Dig(resp.Data, "shortestPath", "nodes").([]any) {
				nodes = append(nodes, testkit.Dig(n, "id"))
			}
			for _, r := range testkit.Dig(resp.Data, "shortestPath", "relationships").([]any) {
				types = append(types, testkit.Dig(r, "type"))
			}
			assert.Equal(t, []any{incident, p1, p2, q}, nodes)
			assert.Equal(t, []any{"INVOLVED_IN", "SAME_AS", "ASSOCIATE_OF"}, types)
			events := eventsOf(h.auditEvents(h.A), "Op")
			require.NotEmpty(t, events, "a path across an AMBER SAME_AS is an AMBER answer")
			assert.Contains(t, events[0]["markings"], "AMBER")
		})
	}
	t.Run("network, allShortestPaths and linkedByIdentifiers take followSameAs", func(t *testing.T) {
		resp := h.do("a", `query($p1: ID!, $i: ID!, $q: ID!) {
  network(id: $p1, followSameAs: true) { edges { type } }
  allShortestPaths(from: $i, to: $q, followSameAs: true) { length }
  linkedByIdentifiers(id: $p1, followSameAs: true) { sharedValues } }`, map[string]any{"p1": p1, "i": incident, "q": q})
		require.Empty(t, resp.Errors)
		var types []any
		for _, e := range testkit.Dig(resp.Data, "network", "edges").([]any) {
			types = append(types, testkit.Dig(e, "type"))
		}
		assert.ElementsMatch(t, []any{"INVOLVED_IN", "SAME_AS", "ASSOCIATE_OF"}, types)
		assert.Equal(t, json.Number("3"), testkit.Dig(resp.Data, "allShortestPaths", 0, "length"))
		assert.Equal(t, []any{}, testkit.Dig(resp.Data, "linkedByIdentifiers"))
	})

	for _, tc := range []struct {
		name, token, query string
		vars               map[string]any
		code, field        string
	}{
		{"without graph:write it is FORBIDDEN", "a-read", linkSameAsMutation, sameAsVars(map[string]any{"a": p1, "b": p2}), "FORBIDDEN", ""},
		{"a record the writer cannot see is NOT_FOUND", "c", linkSameAsMutation, sameAsVars(map[string]any{"a": strict, "b": p2}), "NOT_FOUND", "a"},
		{"a person and a business are BAD_USER_INPUT", "b", linkSameAsMutation, sameAsVars(map[string]any{"a": p2, "b": business}), "BAD_USER_INPUT", "b"},
		{"a record and itself are BAD_USER_INPUT", "b", linkSameAsMutation, sameAsVars(map[string]any{"a": p2, "b": p2}), "BAD_USER_INPUT", "b"},
		{"the generic link refuses SAME_AS", "b", `mutation($a: ID!, $b: ID!) { link(input: {type: SAME_AS, from: $a, to: $b}, marking: {tlp: GREEN}) { type } }`,
			map[string]any{"a": low, "b": high}, "BAD_USER_INPUT", "input.type"},
		{"the generic unlink refuses SAME_AS", "b", `mutation($a: ID!, $b: ID!) { unlink(type: SAME_AS, from: $a, to: $b) { removed } }`,
			map[string]any{"a": low, "b": high}, "BAD_USER_INPUT", "type"},
		{"SAME_AS is no relationship type to list", "a", `query($a: ID!) { network(id: $a, relationshipTypes: [SAME_AS]) { truncated } }`,
			map[string]any{"a": p1}, "BAD_USER_INPUT", "relationshipTypes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := h.do(tc.token, tc.query, tc.vars)
			require.Len(t, resp.Errors, 1)
			assert.Equal(t, tc.code, resp.Errors[0].Extensions["code"])
			if tc.field != "" {
				assert.Equal(t, tc.field, resp.Errors[0].Extensions["field"])
			}
		})
	}
	t.Run("a refused linkSameAs is audited with both records", func(t *testing.T) {
		events := eventsOf(h.auditEvents(h.A), "Op")
		require.NotEmpty(t, events)
		assert.Equal(t, []any{"linkSameAs"}, events[0]["rootFields"])
		assert.ElementsMatch(t, []any{p1, p2}, events[0]["entityIds"])
	})

	removed := h.mutate("b", `mutation($a: ID!, $b: ID!) { unlinkSameAs(a: $a, b: $b, reason: "two people after all") { removed } }`,
		map[string]any{"a": p1, "b": p2})
	assert.Equal(t, json.Number("1"), testkit.Dig(removed, "unlinkSameAs", "removed"))
	t.Run("both histories show the LINKED and the UNLINKED versions", func(t *testing.T) {
		for _, id := range []string{p1, p2} {
			got := versions(t, h.historyOf("b", id, nil))
			require.GreaterOrEqual(t, len(got), 2, id)
			assert.Equal(t, []any{"UNLINKED", "LINKED"}, []any{got[0]["change"], got[1]["change"]}, id)
			assert.Equal(t, []any{"two people after all", "same passport number"}, []any{got[0]["reason"], got[1]["reason"]}, id)
			for _, v := range got[:2] {
				assert.Equal(t, map[string]any{"id": nil, "label": "SAME_AS", "from": low, "to": high}, v["subject"], id)
				assert.Equal(t, "AMBER", testkit.Dig(v, "marking", "tlp"), id)
			}
		}
	})
	t.Run("once removed the path is gone", func(t *testing.T) {
		resp := h.do("a", path, map[string]any{"from": incident, "to": q, "follow": true})
		require.Empty(t, resp.Errors)
		assert.Nil(t, testkit.Dig(resp.Data, "shortestPath"))
	})
}

// sameAsVars are the variables of linkSameAsMutation: the given ones over a GREEN marking and a
// reason.
func sameAsVars(given map[string]any) map[string]any {
	out := map[string]any{"tlp": "GREEN", "reason": "same record"}
	maps.Copy(out, given)
	return out
}
