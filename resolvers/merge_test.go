package resolvers_test

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/traffikgraph/traffikgraph/internal/testkit"
)

// TestMergeEntitiesOverGraphQL: a partner's writer merges two of its people and undoes it, with
// docs/triage.md's GraphQL; the
// merged record is then null to node(id), both histories show MERGED and UNMERGED, and the audit
// records both mutations with the records and the event. Without graph:write both are FORBIDDEN;
// another partner's record (visible or not) and another partner's unmerge are refused.
func TestMergeEntitiesOverGraphQL(t *testing.T) {
	_, sections := triagePage(t)
	operations := graphqlBlocks(sections["Merging two records of one partner"])
	require.Len(t, operations, 2, "the page's merge and unmerge")
	mergeMutation, unmergeMutation := operations[0], operations[1]
	h := newHarness(t)
	person := func(token, input, tlp string) string {
		return testkit.Dig(h.mutate(token, `mutation { createPerson(input: `+input+`, marking: {tlp: `+tlp+`}) { id } }`, nil),
			"createPerson", "id").(string)
	}
	keep := person("a", `{name: "Teodora Vinsk", aliases: ["Teo"]}`, "GREEN")
	merge := person("a", `{name: "Teodora Vinska"}`, "GREEN")
	peers := person("b", `{name: "Teodora V."}`, "GREEN")
	hidden := person("b", `{name: "Teodora W."}`, "AMBER_STRICT")
	incident := testkit.Dig(h.mutate("b", `mutation { createIncident(input: {title: "Harbour"}, marking: {tlp: GREEN}) { id } }`, nil),
		"createIncident", "id").(string)
	h.mutate("b", `mutation($f: ID!, $to: ID!) { link(input: {type: INVOLVED_IN, from: $f, to: $to, properties: {role: WITNESS}},
		marking: {tlp: AMBER}) { type } }`, map[string]any{"f": merge, "to": incident})
	vars := map[string]any{"keep": keep, "merge": merge}

	for _, c := range []struct {
		name, token string
		vars        map[string]any
		code        string
	}{
		{"WithoutGraphWriteIsForbidden", "a-read", vars, "FORBIDDEN"},
		{"AnotherPartnersRecordIsForbiddenEvenVisible", "a", map[string]any{"keep": keep, "merge": peers}, "FORBIDDEN"},
		{"AnotherPartnersKeepIsForbiddenToo", "b", map[string]any{"keep": peers, "merge": merge}, "FORBIDDEN"},
		{"AnInvisibleRecordIsNotFound", "a", map[string]any{"keep": keep, "merge": hidden}, "NOT_FOUND"},
		{"TheSameRecordIsBadInput", "a", map[string]any{"keep": keep, "merge": keep}, "BAD_USER_INPUT"},
		{"AnIncidentIsNotMerged", "b", map[string]any{"keep": incident, "merge": peers}, "BAD_USER_INPUT"},
	} {
		t.Run(c.name, func(t *testing.T) {
			resp := h.do(c.token, mergeMutation, c.vars)
			require.Len(t, resp.Errors, 1)
			assert.Equal(t, c.code, resp.Errors[0].Extensions["code"])
			assert.Nil(t, testkit.Dig(resp.Data, "mergeEntities"))
		})
	}

	merged := testkit.Dig(h.mutate("a", mergeMutation, vars), "mergeEntities").(map[string]any)
	event := testkit.Dig(merged, "mergeEvent").(map[string]any)
	eventID := event["id"].(string)
	assert.Equal(t, keep, testkit.Dig(merged, "kept", "id"))
	assert.Equal(t, []any{"Teo", "Teodora Vinska"}, testkit.Dig(merged, "kept", "aliases"))
	assert.Equal(t, map[string]any{"id": eventID, "at": event["at"], "reason": "one woman, two intakes", "keepId": keep, "mergedId": merge,
		"movedRelationships": json.Number("1")}, event)
	gone := h.do("a", `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": merge})
	assert.Nil(t, testkit.Dig(gone.Data, "node"), "the merged record is gone")
	incidentPeople := h.do("b", `query($id: ID!) { node(id: $id) { ... on Incident { people { person { id } provenance { sourcePartner tlp } } } } }`,
		map[string]any{"id": incident})
	require.Empty(t, incidentPeople.Errors)
	assert.Equal(t, []any{map[string]any{"person": map[string]any{"id": keep}, "provenance": map[string]any{"sourcePartner": h.B, "tlp": "AMBER"}}},
		testkit.Dig(incidentPeople.Data, "node", "people"), "B's relationship is on keep, with B's marking")
	assert.Equal(t, "MERGED", versions(t, h.historyOf("a", keep, nil))[0]["change"])

	t.Run("AnotherPartnersUnmergeIsNotFound", func(t *testing.T) {
		resp := h.do("b", unmergeMutation, map[string]any{"event": eventID})
		require.Len(t, resp.Errors, 1)
		assert.Equal(t, "NOT_FOUND", resp.Errors[0].Extensions["code"])
	})
	t.Run("UnmergeWithoutGraphWriteIsForbidden", func(t *testing.T) {
		resp := h.do("a-read", unmergeMutation, map[string]any{"event": eventID})
		require.Len(t, resp.Errors, 1)
		assert.Equal(t, "FORBIDDEN", resp.Errors[0].Extensions["code"])
	})

	restored := testkit.Dig(h.mutate("a", unmergeMutation, map[string]any{"event": eventID}), "unmergeEntities").(map[string]any)
	assert.Equal(t, map[string]any{"id": keep, "aliases": []any{"Teo"}}, restored["kept"])
	assert.Equal(t, map[string]any{"id": merge, "name": "Teodora Vinska", "aliases": nil}, restored["restored"])
	for _, id := range []string{keep, merge} {
		history := versions(t, h.historyOf("a", id, nil))
		assert.Equal(t, []any{"UNMERGED", "MERGED"}, []any{history[0]["change"], history[1]["change"]}, id)
	}
	t.Run("ASecondUnmergeIsRefused", func(t *testing.T) {
		resp := h.do("a", unmergeMutation, map[string]any{"event": eventID})
		require.Len(t, resp.Errors, 1)
		assert.Equal(t, "BAD_USER_INPUT", resp.Errors[0].Extensions["code"])
		assert.Contains(t, resp.Errors[0].Message, "undone already")
	})

	t.Run("TheAuditRecordsBothWithTheRecordsAndTheEvent", func(t *testing.T) {
		recorded := map[string][]any{}
		for _, e := range h.auditEvents(h.A) {
			if e["complete"] != true {
				continue
			}
			for _, root := range e["rootFields"].([]any) {
				if root == "mergeEntities" || root == "unmergeEntities" {
					recorded[root.(string)] = append(recorded[root.(string)], e["entityIds"])
				}
			}
		}
		assert.Contains(t, recorded["mergeEntities"], sortedIDs(keep, merge, eventID))
		assert.Contains(t, recorded["unmergeEntities"], sortedIDs(keep, merge, eventID))
	})
}

// sortedIDs are the ids as an audit event lists them.
func sortedIDs(ids ...string) []any {
	slices.Sort(ids)
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = id
	}
	return out
}
