package resolvers_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/traffikgraph/traffikgraph/internal/testkit"
)

const historyQuery = `query Op($id: ID!, $first: Int, $after: String) {
  history(id: $id, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node {
      id at change reason redactedFields
      subject { id label from to }
      actor { partnerId subject }
      changes { field before after redacted }
      marking { tlp sourcePartner sharedWith }
    } }
  }
}`

// historyOf asks for the history of id as the caller behind token.
func (h *harness) historyOf(token, id string, vars map[string]any) testkit.Response {
	h.t.Helper()
	all := map[string]any{"id": id}
	for k, v := range vars {
		all[k] = v
	}
	return h.do(token, historyQuery, all)
}

// versions is the page's versions, newest first.
func versions(t *testing.T, resp testkit.Response) []map[string]any {
	t.Helper()
	require.Empty(t, resp.Errors)
	edges, _ := testkit.Dig(resp.Data, "history", "edges").([]any)
	out := make([]map[string]any, 0, len(edges))
	for _, e := range edges {
		out = append(out, testkit.Dig(e, "node").(map[string]any))
	}
	return out
}

// changeOf is the version's change of field: before and after as JSON text, and redacted.
func changeOf(t *testing.T, v map[string]any, field string) (before, after any, redacted bool) {
	t.Helper()
	for _, c := range v["changes"].([]any) {
		c := c.(map[string]any)
		if c["field"] == field {
			return c["before"], c["after"], c["redacted"].(bool)
		}
	}
	t.Fatalf("no change of %s in %v", field, v["changes"])
	return nil, nil, false
}

func (h *harness) mutate(token, query string, vars map[string]any) map[string]any {
	h.t.Helper()
	resp := h.do(token, query, vars)
	require.Empty(h.t, resp.Errors, "%s", query)
	return resp.Data
}

// TestHistory: history(id) shows every change of an entity to callers who may see it now,
// newest first, personal values redacted without graph:read:pii, versions whose own marking the
// caller may not see left out, and refuses everyone else exactly like an id that does not exist.
func TestHistory(t *testing.T) {
	h := newHarness(t)
	person := testkit.Dig(h.mutate("a", `mutation { createPerson(input: {name: "Ana Lima", gender: FEMALE}, marking: {tlp: RED}) { id } }`, nil),
		"createPerson", "id").(string)
	h.mutate("a", `mutation($id: ID!) { updatePerson(id: $id, input: {name: "Ana Lima Souza"}, reason: "full name from the shelter") { id } }`,
		map[string]any{"id": person})
	h.mutate("a", `mutation($id: ID!) { updatePerson(id: $id, input: {}, marking: {tlp: GREEN, grading: "2BP"}, reason: "shared with the hub") { id } }`,
		map[string]any{"id": person})

	t.Run("TheSourceSeesEveryVersionNewestFirst", func(t *testing.T) {
		resp := h.historyOf("a", person, nil)
		got := versions(t, resp)
		require.Len(t, got, 3)
		assert.EqualValues(t, json.Number("3"), testkit.Dig(resp.Data, "history", "totalCount"))
		assert.Equal(t, []any{"MARKED", "UPDATED", "CREATED"}, []any{got[0]["change"], got[1]["change"], got[2]["change"]})
		assert.Equal(t, "shared with the hub", got[0]["reason"])
		assert.Equal(t, map[string]any{"partnerId": h.A, "subject": "alice"}, got[0]["actor"])
		assert.Equal(t, map[string]any{"id": person, "label": "Person", "from": nil, "to": nil}, got[0]["subject"])
		assert.Equal(t, "GREEN", testkit.Dig(got[0], "marking", "tlp"))
		before, after, redacted := changeOf(t, got[0], "tlp")
		assert.Equal(t, []any{"RED", "GREEN", false}, []any{before, after, redacted})
		before, after, _ = changeOf(t, got[1], "name")
		assert.Equal(t, []any{"Ana Lima", "Ana Lima Souza"}, []any{before, after})
		assert.Equal(t, "full name from the shelter", got[1]["reason"])
		assert.Equal(t, []any{}, got[1]["redactedFields"])
	})

	t.Run("WithoutThePIIScopePersonalValuesAreRedactedAndNamed", func(t *testing.T) {
		got := versions(t, h.historyOf("a-no-pii", person, nil))
		require.Len(t, got, 3)
		before, after, redacted := changeOf(t, got[1], "name")
		assert.Equal(t, []any{nil, nil, true}, []any{before, after, redacted})
		assert.Equal(t, []any{"name"}, got[1]["redactedFields"])
		before, after, redacted = changeOf(t, got[2], "gender")
		assert.Equal(t, []any{nil, "FEMALE", false}, []any{before, after, redacted}, "what is not personal stays")
		encoded, err := json.Marshal(got)
		require.NoError(t, err)
		assert.NotContains(t, string(encoded), "Ana Lima")
	})

	t.Run("VersionsWhoseMarkingTheCallerMayNotSeeAreLeftOut", func(t *testing.T) {
		// B sees the person now (GREEN), but not the versions of when it was A's RED data.
		resp := h.historyOf("b", person, nil)
		got := versions(t, resp)
		require.Len(t, got, 1)
		assert.Equal(t, "MARKED", got[0]["change"])
		assert.EqualValues(t, json.Number("1"), testkit.Dig(resp.Data, "history", "totalCount"), "the count counts what the caller sees")
	})

	t.Run("TheActorsSubjectIsShownToItsOwnPartnerOnly", func(t *testing.T) {
		got := versions(t, h.historyOf("b", person, nil))
		assert.Equal(t, map[string]any{"partnerId": h.A, "subject": nil}, got[0]["actor"])
	})

	t.Run("ACallerWhoCannotSeeTheEntityGetsTheAnswerOfAnIdThatDoesNotExist", func(t *testing.T) {
		hidden := testkit.Dig(h.mutate("a", `mutation { createBusiness(input: {name: "Quiet Ltd"}, marking: {tlp: AMBER_STRICT}) { id } }`, nil),
			"createBusiness", "id").(string)
		refused := h.historyOf("c", hidden, nil)
		missing := h.historyOf("c", "00000000-0000-0000-0000-000000000000", nil)
		require.Len(t, refused.Errors, 1)
		assert.Equal(t, "NOT_FOUND", refused.Errors[0].Extensions["code"])
		assert.Equal(t, missing.Errors[0].Message, refused.Errors[0].Message)
		assert.Equal(t, missing.Errors[0].Extensions, refused.Errors[0].Extensions)
		assert.Nil(t, refused.Data, "nothing else is answered")
	})

	t.Run("ACursorOfAnotherEntityIsRefused", func(t *testing.T) {
		first := h.historyOf("a", person, map[string]any{"first": 1})
		require.Empty(t, first.Errors)
		assert.Equal(t, true, testkit.Dig(first.Data, "history", "pageInfo", "hasNextPage"))
		cursor := testkit.Dig(first.Data, "history", "pageInfo", "endCursor")
		next := versions(t, h.historyOf("a", person, map[string]any{"first": 1, "after": cursor}))
		require.Len(t, next, 1)
		assert.Equal(t, "UPDATED", next[0]["change"], "the cursor pages this entity's history")

		other := testkit.Dig(h.mutate("a", `mutation { createBusiness(input: {name: "Other Ltd"}, marking: {tlp: GREEN}) { id } }`, nil),
			"createBusiness", "id").(string)
		resp := h.historyOf("a", other, map[string]any{"after": cursor})
		require.Len(t, resp.Errors, 1)
		assert.Equal(t, "BAD_USER_INPUT", resp.Errors[0].Extensions["code"])
		assert.Equal(t, "after", resp.Errors[0].Extensions["field"])
	})

	t.Run("ADeletedEntitysHistoryIsItsSourcePartnersAlone", func(t *testing.T) {
		gone := testkit.Dig(h.mutate("a", `mutation { createBusiness(input: {name: "Gone Ltd"}, marking: {tlp: GREEN}) { id } }`, nil),
			"createBusiness", "id").(string)
		require.Len(t, versions(t, h.historyOf("b", gone, nil)), 1, "B saw its history while it lived")
		h.mutate("a", `mutation($id: ID!) { deleteBusiness(id: $id, reason: "duplicate of another record") { deleted } }`, map[string]any{"id": gone})

		got := versions(t, h.historyOf("a", gone, nil))
		require.Len(t, got, 2)
		assert.Equal(t, "DELETED", got[0]["change"])
		assert.Equal(t, "duplicate of another record", got[0]["reason"])
		before, after, _ := changeOf(t, got[0], "name")
		assert.Equal(t, []any{"Gone Ltd", nil}, []any{before, after})

		resp := h.historyOf("b", gone, nil)
		require.Len(t, resp.Errors, 1)
		assert.Equal(t, "NOT_FOUND", resp.Errors[0].Extensions["code"], "no one else sees a deleted entity's history")
	})

	t.Run("ARelationshipsVersionIsInBothEndsHistoriesWithAnEndTheCallerCannotSeeWithheld", func(t *testing.T) {
		theirs := testkit.Dig(h.mutate("b", `mutation { createBusiness(input: {name: "Their Ltd"}, marking: {tlp: AMBER_STRICT}) { id } }`, nil),
			"createBusiness", "id").(string)
		ours := testkit.Dig(h.mutate("a", `mutation { createBusiness(input: {name: "Our Ltd"}, marking: {tlp: GREEN}) { id } }`, nil),
			"createBusiness", "id").(string)
		h.mutate("b", `mutation($from: ID!, $to: ID!) { link(input: {type: SUPPLIES, from: $from, to: $to, properties: {product: "cotton"}}, marking: {tlp: GREEN}, reason: "invoice") { type } }`,
			map[string]any{"from": theirs, "to": ours})

		mine := versions(t, h.historyOf("b", theirs, nil))
		require.Len(t, mine, 2)
		assert.Equal(t, map[string]any{"id": nil, "label": "SUPPLIES", "from": theirs, "to": ours}, mine[0]["subject"])

		seen := versions(t, h.historyOf("a", ours, nil))
		require.Len(t, seen, 2)
		assert.Equal(t, "LINKED", seen[0]["change"])
		assert.Equal(t, map[string]any{"id": nil, "label": "SUPPLIES", "from": nil, "to": ours}, seen[0]["subject"],
			"A may not see B's AMBER_STRICT business, so not its id either")
	})

	t.Run("AVersionOfAnotherPartnersRedRelationshipIsLeftOut", func(t *testing.T) {
		ours := testkit.Dig(h.mutate("a", `mutation { createBusiness(input: {name: "Watched Ltd"}, marking: {tlp: GREEN}) { id } }`, nil),
			"createBusiness", "id").(string)
		theirs := testkit.Dig(h.mutate("b", `mutation { createBusiness(input: {name: "Watcher Ltd"}, marking: {tlp: GREEN}) { id } }`, nil),
			"createBusiness", "id").(string)
		h.mutate("b", `mutation($from: ID!, $to: ID!) { link(input: {type: SUPPLIES, from: $from, to: $to}, marking: {tlp: RED}) { type } }`,
			map[string]any{"from": theirs, "to": ours})
		assert.Len(t, versions(t, h.historyOf("b", ours, nil)), 2, "B sees its own RED link in the history")
		got := versions(t, h.historyOf("a", ours, nil))
		require.Len(t, got, 1, "A sees its business but not B's RED relationship to it")
		assert.Equal(t, "CREATED", got[0]["change"])
	})

	t.Run("AHistoryReadReturningPersonalValuesIsAudited", func(t *testing.T) {
		resp := h.do("a", renamed(historyQuery, "ReadsHistory"), map[string]any{"id": person})
		require.Empty(t, resp.Errors)
		events := eventsOf(h.auditEvents(h.A), "ReadsHistory")
		require.Len(t, events, 1)
		assert.Contains(t, events[0]["piiFields"], "Query.history:Person.name")
		assert.Contains(t, events[0]["entityIds"], person)
		encoded, err := json.Marshal(events[0])
		require.NoError(t, err)
		assert.NotContains(t, string(encoded), "Ana Lima", "an audit event holds no personal data")

		resp = h.do("a-no-pii", renamed(historyQuery, "ReadsRedactedHistory"), map[string]any{"id": person})
		require.Empty(t, resp.Errors)
		for _, e := range eventsOf(h.auditEvents(h.A), "ReadsRedactedHistory") {
			assert.Empty(t, e["piiFields"], "redacted values were not disclosed")
		}
	})
}
