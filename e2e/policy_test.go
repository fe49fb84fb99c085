package e2e_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/traffikgraph/traffikgraph/internal/testkit"
)

// TestPolicy is the access model as a list of rules, each proved through the API with real
// tokens: `go test ./e2e -run TestPolicy -v` prints the policy. Partners A and B share a
// sharing group, C does not; A contributed one person per marking (the RED one shared with C),
// B one AMBER_STRICT person.
func TestPolicy(t *testing.T) {
	w := env
	ourPartners := map[string]any{"where": map[string]any{"provenance": map[string]any{"sourcePartner_in": []any{w.A, w.B}}}}
	const list = `query($where: PersonWhere, $after: String, $first: Int = 50) {
  people(first: $first, after: $after, where: $where) { totalCount edges { cursor node { id } } pageInfo { hasNextPage endCursor } }
}`
	listAs := func(t *testing.T, clientName string, variables map[string]any) ([]string, float64) {
		t.Helper()
		got := w.as(t, clientName, "graph:read")(list, variables)
		require.Empty(t, got.Errors)
		return edgeIDs(testkit.Dig(got.Data, "people")), testkit.Dig(got.Data, "people", "totalCount").(float64)
	}
	sees := func(t *testing.T, clientName, node string) bool {
		t.Helper()
		got := w.as(t, clientName, "graph:read")(`query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": w.nodes[node]})
		require.Empty(t, got.Errors)
		return got.Data["node"] != nil
	}
	ids := func(names ...string) []string {
		out := make([]string, len(names))
		for i, n := range names {
			out[i] = w.nodes[n]
		}
		return out
	}

	// Markings, read by id.
	t.Run("CLEAR node is returned to every authenticated partner", func(t *testing.T) {
		for _, c := range []string{"a", "b", "c"} {
			assert.True(t, sees(t, c, "clearPerson"), c)
		}
	})
	t.Run("GREEN node is returned to every authenticated partner", func(t *testing.T) {
		for _, c := range []string{"a", "b", "c"} {
			assert.True(t, sees(t, c, "greenPerson"), c)
		}
	})
	t.Run("AMBER node is returned to a partner in the source's sharing group", func(t *testing.T) {
		assert.True(t, sees(t, "b", "amberPerson"))
	})
	t.Run("AMBER node is not returned to a partner outside the source's sharing groups", func(t *testing.T) {
		assert.False(t, sees(t, "c", "amberPerson"))
	})
	t.Run("AMBER_STRICT node is not returned to another partner by id, even in the source's group", func(t *testing.T) {
		assert.False(t, sees(t, "b", "strictPerson"))
		assert.False(t, sees(t, "a", "strictPersonOfB"))
	})
	t.Run("RED node is returned to the partners it is shared with", func(t *testing.T) {
		assert.True(t, sees(t, "c", "redPerson"))
	})
	t.Run("RED node is not returned to a partner it is not shared with, even in the source's group", func(t *testing.T) {
		assert.False(t, sees(t, "b", "redPerson"))
	})
	t.Run("The source partner sees its own data under every marking", func(t *testing.T) {
		for _, n := range []string{"clearPerson", "greenPerson", "amberPerson", "strictPerson", "redPerson"} {
			assert.True(t, sees(t, "a", n), n)
		}
	})

	// Markings across the other query kinds.
	t.Run("AMBER_STRICT node is not returned to another partner in lists", func(t *testing.T) {
		got, _ := listAs(t, "b", ourPartners)
		assert.NotContains(t, got, w.nodes["strictPerson"])
		assert.ElementsMatch(t, ids("clearPerson", "greenPerson", "amberPerson", "strictPersonOfB"), got)
	})
	t.Run("AMBER_STRICT node is not counted in totalCount for another partner", func(t *testing.T) {
		_, total := listAs(t, "b", ourPartners)
		assert.EqualValues(t, 4, total)
		_, total = listAs(t, "c", ourPartners)
		assert.EqualValues(t, 3, total, "C counts CLEAR, GREEN and the RED person shared with it")
	})
	t.Run("AMBER_STRICT node is not matched by another partner's filter", func(t *testing.T) {
		got, total := listAs(t, "b", map[string]any{"where": map[string]any{"id_in": []any{w.nodes["strictPerson"], w.nodes["redPerson"]}}})
		assert.Empty(t, got)
		assert.Zero(t, total)
	})
	t.Run("Paging through cursors returns and counts only visible nodes", func(t *testing.T) {
		var seen []string
		variables := map[string]any{"where": ourPartners["where"], "first": 1}
		for range 10 {
			got := w.as(t, "b", "graph:read")(list, variables)
			require.Empty(t, got.Errors)
			seen = append(seen, edgeIDs(testkit.Dig(got.Data, "people"))...)
			if testkit.Dig(got.Data, "people", "pageInfo", "hasNextPage") != true {
				break
			}
			variables["after"] = testkit.Dig(got.Data, "people", "pageInfo", "endCursor")
		}
		assert.ElementsMatch(t, ids("clearPerson", "greenPerson", "amberPerson", "strictPersonOfB"), seen)
	})
	t.Run("A cursor taken from another partner's page reveals nothing hidden", func(t *testing.T) {
		got := w.as(t, "a", "graph:read")(list, ourPartners)
		require.Empty(t, got.Errors)
		edges := testkit.Dig(got.Data, "people", "edges").([]any)
		for _, edge := range edges {
			cursor := testkit.Dig(edge, "cursor")
			seen, _ := listAs(t, "b", map[string]any{"where": ourPartners["where"], "after": cursor})
			assert.NotContains(t, seen, w.nodes["strictPerson"])
			assert.NotContains(t, seen, w.nodes["redPerson"])
		}
	})
	t.Run("AMBER_STRICT node is not reached through a nested field by another partner", func(t *testing.T) {
		got := w.as(t, "b", "graph:read")(`query($id: ID!) { node(id: $id) { ... on Person { associates { person { id } } } } }`,
			map[string]any{"id": w.nodes["clearPerson"]})
		require.Empty(t, got.Errors)
		var reached []string
		for _, a := range testkit.Dig(got.Data, "node", "associates").([]any) {
			reached = append(reached, testkit.Dig(a, "person", "id").(string))
		}
		assert.NotContains(t, reached, w.nodes["strictPerson"], "the node is AMBER_STRICT")
		assert.NotContains(t, reached, w.nodes["greenPerson"], "the relationship is AMBER_STRICT")
		assert.Equal(t, ids("amberPerson"), reached)
	})
	t.Run("A relationship marked AMBER_STRICT is followed by its source partner", func(t *testing.T) {
		got := w.as(t, "a", "graph:read")(`query($id: ID!) { node(id: $id) { ... on Person { associates { person { id } } } } }`,
			map[string]any{"id": w.nodes["clearPerson"]})
		require.Empty(t, got.Errors)
		assert.Len(t, testkit.Dig(got.Data, "node", "associates"), 3)
	})

	// Scopes.
	t.Run("Without graph:read every graph read is FORBIDDEN", func(t *testing.T) {
		got := w.as(t, "a", "graph:write", "supplychain:read")(`query($id: ID!) { node(id: $id) { id } people { totalCount } partners { totalCount } }`,
			map[string]any{"id": w.nodes["clearPerson"]})
		for _, field := range []string{"node", "people", "partners"} {
			assert.Equal(t, "FORBIDDEN", got.CodeAt(field), field)
			assert.Nil(t, got.Data[field], field)
		}
	})
	t.Run("Without graph:write every write is FORBIDDEN", func(t *testing.T) {
		got := w.as(t, "a", "graph:read")(`mutation { createPerson(input: {nationality: "GB"}, marking: {tlp: GREEN}) { id } }`, nil)
		assert.Equal(t, "FORBIDDEN", got.CodeAt("createPerson"))
	})
	t.Run("Without audit:read the audit trail is FORBIDDEN", func(t *testing.T) {
		got := w.as(t, "a", "graph:read", "admin")(`{ auditEvents { totalCount } }`, nil)
		assert.Equal(t, "FORBIDDEN", got.CodeAt("auditEvents"))
	})

	// Personal data.
	t.Run("Without graph:read:pii personal fields in lists are null and listed in extensions.redacted", func(t *testing.T) {
		got := w.as(t, "a", "graph:read")(`query($where: PersonWhere) { people(first: 50, where: $where) { edges { node { name aliases birthYear nationality } } } }`, ourPartners)
		require.Empty(t, got.Errors)
		edges := testkit.Dig(got.Data, "people", "edges").([]any)
		require.NotEmpty(t, edges)
		for _, e := range edges {
			assert.Nil(t, testkit.Dig(e, "node", "name"))
			assert.Nil(t, testkit.Dig(e, "node", "birthYear"))
			assert.Equal(t, "GB", testkit.Dig(e, "node", "nationality"))
		}
		assert.Contains(t, got.Redacted(), "people.edges[0].node.name")
		assert.Contains(t, got.Redacted(), "people.edges[0].node.birthYear")
	})
	t.Run("Filtering on a personal field without graph:read:pii is FORBIDDEN", func(t *testing.T) {
		got := w.as(t, "a", "graph:read")(`{ people(where: {name_contains: "Person"}) { totalCount } }`, nil)
		assert.Equal(t, "FORBIDDEN", got.CodeAt("people"))
		assert.Nil(t, got.Data["people"], "not even a count")
	})
	t.Run("Ordering by a personal field without graph:read:pii is FORBIDDEN", func(t *testing.T) {
		got := w.as(t, "a", "graph:read")(`{ people(orderBy: [{field: BIRTH_YEAR}]) { totalCount } }`, nil)
		assert.Equal(t, "FORBIDDEN", got.CodeAt("people"))
	})
	t.Run("With graph:read:pii a personal field may be filtered on, within the markings", func(t *testing.T) {
		got := w.as(t, "b", "graph:read", "graph:read:pii")(`query($where: PersonWhere) { people(where: $where) { totalCount } }`,
			map[string]any{"where": map[string]any{"name": "Strict Person", "provenance": ourPartners["where"].(map[string]any)["provenance"]}})
		require.Empty(t, got.Errors)
		assert.EqualValues(t, 0, testkit.Dig(got.Data, "people", "totalCount"), "A's AMBER_STRICT person is not found by name either")
	})

	// Writes.
	t.Run("A partner cannot update another partner's node: FORBIDDEN", func(t *testing.T) {
		got := w.as(t, "b", "graph:write")(`mutation($id: ID!) { updatePerson(id: $id, input: {nationality: "FR"}) { id } }`,
			map[string]any{"id": w.nodes["amberPerson"]})
		assert.Equal(t, "FORBIDDEN", got.CodeAt("updatePerson"))
	})
	t.Run("A partner cannot delete another partner's node: FORBIDDEN", func(t *testing.T) {
		got := w.as(t, "b", "graph:write")(`mutation($id: ID!) { deletePerson(id: $id) { deleted } }`,
			map[string]any{"id": w.nodes["greenPerson"]})
		assert.Equal(t, "FORBIDDEN", got.CodeAt("deletePerson"))
		assert.True(t, sees(t, "a", "greenPerson"), "still there")
	})
	t.Run("Updating a node the caller cannot see is NOT_FOUND, exactly as for a missing node", func(t *testing.T) {
		update := w.as(t, "b", "graph:write")
		const mutation = `mutation($id: ID!) { updatePerson(id: $id, input: {nationality: "FR"}) { id } }`
		hidden := update(mutation, map[string]any{"id": w.nodes["strictPerson"]})
		missing := update(mutation, map[string]any{"id": "00000000-0000-4000-8000-000000000000"})
		require.Len(t, hidden.Errors, 1)
		require.Len(t, missing.Errors, 1)
		assert.Equal(t, "NOT_FOUND", hidden.CodeAt("updatePerson"))
		assert.Equal(t, missing.Errors[0].Message, hidden.Errors[0].Message)
		assert.Equal(t, missing.Errors[0].Extensions, hidden.Errors[0].Extensions)
	})
	t.Run("A partner cannot link to a node it cannot see: NOT_FOUND, exactly as for a missing node", func(t *testing.T) {
		link := w.as(t, "b", "graph:write")
		const mutation = `mutation($from: ID!, $to: ID!) {
  link(input: {type: ASSOCIATE_OF, from: $from, to: $to, properties: {kind: OTHER}}, marking: {tlp: AMBER_STRICT}) { type }
}`
		hidden := link(mutation, map[string]any{"from": w.nodes["strictPersonOfB"], "to": w.nodes["strictPerson"]})
		missing := link(mutation, map[string]any{"from": w.nodes["strictPersonOfB"], "to": "00000000-0000-4000-8000-000000000000"})
		require.Len(t, hidden.Errors, 1)
		require.Len(t, missing.Errors, 1)
		assert.Equal(t, "NOT_FOUND", hidden.CodeAt("link"))
		assert.Equal(t, missing.Errors[0].Message, hidden.Errors[0].Message)
		assert.Equal(t, missing.Errors[0].Extensions, hidden.Errors[0].Extensions)
	})
	t.Run("A write cannot create data its writer could not read: the source is always the writer", func(t *testing.T) {
		got := w.as(t, "b", "graph:write", "graph:read")(`mutation($c: ID!) {
  createPerson(input: {nationality: "GB"}, marking: {tlp: RED, sharedWith: [$c]}) { id provenance { sourcePartner tlp sharedWith } }
}`, map[string]any{"c": w.C})
		require.Empty(t, got.Errors)
		assert.Equal(t, w.B, testkit.Dig(got.Data, "createPerson", "provenance", "sourcePartner"))
		id := testkit.Dig(got.Data, "createPerson", "id")
		readBack := w.as(t, "b", "graph:read")(`query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": id})
		assert.Equal(t, id, testkit.Dig(readBack.Data, "node", "id"), "the writer reads what it wrote")
	})
	t.Run("A write cannot be attributed to another partner", func(t *testing.T) {
		got := w.as(t, "b", "graph:write")(`mutation($a: ID!) { createPerson(input: {}, marking: {tlp: GREEN, sourcePartner: $a}) { id } }`,
			map[string]any{"a": w.A})
		assert.Nil(t, got.Data, "the marking has no sourcePartner: the request is invalid")
		assert.NotEmpty(t, got.Errors)
	})
	t.Run("Anonymous callers cannot write", func(t *testing.T) {
		got := w.anonymous(t)(`mutation { createPerson(input: {nationality: "GB"}, marking: {tlp: CLEAR}) { id } }`, nil)
		assert.Equal(t, "FORBIDDEN", got.CodeAt("createPerson"))
	})
	t.Run("A token without reports:submit cannot submit a report", func(t *testing.T) {
		got := w.as(t, "c", "graph:read", "graph:write")(`mutation { submitReport(input: {text: "x", language: "en", channel: WEB}) { receiptId } }`, nil)
		assert.Equal(t, "FORBIDDEN", got.CodeAt("submitReport"))
	})

	// Administration.
	t.Run("Partner management is refused without admin: FORBIDDEN", func(t *testing.T) {
		got := w.as(t, "a", "graph:read", "graph:write")(`mutation { createPartner(id: "e2e-intruder", input: {name: "Intruder", kind: NGO}) { id } }`, nil)
		assert.Equal(t, "FORBIDDEN", got.CodeAt("createPartner"))
	})
	t.Run("Sharing group membership is refused without admin: FORBIDDEN", func(t *testing.T) {
		got := w.as(t, "c", "graph:read", "graph:write")(`mutation($g: ID!, $c: ID!) { addGroupMember(groupId: $g, partnerId: $c) { id } }`,
			map[string]any{"g": w.group, "c": w.C})
		assert.Equal(t, "FORBIDDEN", got.CodeAt("addGroupMember"))
		assert.False(t, sees(t, "c", "amberPerson"), "C did not join A's group")
	})
	t.Run("An admin manages sharing groups", func(t *testing.T) {
		admin := w.as(t, "a", "admin")
		created := admin(`mutation($id: ID!) { createSharingGroup(id: $id, input: {name: "E2E group"}) { id } }`, map[string]any{"id": w.group + "-2"})
		require.Empty(t, created.Errors)
		deleted := admin(`mutation($id: ID!) { deleteSharingGroup(id: $id) { deleted } }`, map[string]any{"id": w.group + "-2"})
		require.Empty(t, deleted.Errors)
		assert.Equal(t, true, testkit.Dig(deleted.Data, "deleteSharingGroup", "deleted"))
	})
}
