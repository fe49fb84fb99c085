package resolvers_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/traffikgraph/traffikgraph/internal/testkit"
)

// TestBadInputIsRefusedWithAStableCodeAndTheField: every refusal names its code and field, and
// carries no Cypher or stack text.
func TestBadInputIsRefusedWithAStableCodeAndTheField(t *testing.T) {
	h := newHarness(t)
	business := h.do("a", `mutation { createBusiness(input: {name: "Acme (fictional)"}, marking: {tlp: GREEN}) { id } }`, nil)
	require.Empty(t, business.Errors)
	businessID := testkit.Dig(business.Data, "createBusiness", "id")

	cases := []struct {
		name, query string
		vars        map[string]any
		code, field string
	}{
		{"UnknownCountryCode", `mutation { createPerson(input: {nationality: "XX"}, marking: {tlp: GREEN}) { id } }`, nil, "BAD_USER_INPUT", "input.nationality"},
		{"LatitudeOutOfRange", `mutation { createLocation(input: {name: "Nowhere", kind: CITY, point: {latitude: 91, longitude: 0}}, marking: {tlp: GREEN}) { id } }`, nil, "BAD_USER_INPUT", "input.point.latitude"},
		{"LongitudeOutOfRange", `mutation { createLocation(input: {name: "Nowhere", kind: CITY, point: {latitude: 0, longitude: -181}}, marking: {tlp: GREEN}) { id } }`, nil, "BAD_USER_INPUT", "input.point.longitude"},
		{"DatesOutOfOrder", `mutation { createIncident(input: {title: "T", occurredFrom: "2025-05-02", occurredTo: "2025-05-01"}, marking: {tlp: GREEN}) { id } }`, nil, "BAD_USER_INPUT", "input.occurredTo"},
		{"MalformedDate", `mutation { createIncident(input: {title: "T", occurredFrom: "2025-13-40"}, marking: {tlp: GREEN}) { id } }`, nil, "BAD_USER_INPUT", "input.occurredFrom"},
		{"NameTooLong", `mutation($name: String) { createBusiness(input: {name: $name}, marking: {tlp: GREEN}) { id } }`, map[string]any{"name": strings.Repeat("x", 301)}, "BAD_USER_INPUT", "input.name"},
		{"RequiredFieldMissing", `mutation { createBusiness(input: {website: "https://example.org"}, marking: {tlp: GREEN}) { id } }`, nil, "BAD_USER_INPUT", "input.name"},
		{"BadGrading", `mutation { createBusiness(input: {name: "G"}, marking: {tlp: GREEN, grading: "9ZZ"}) { id } }`, nil, "BAD_USER_INPUT", "marking.grading"},
		{"SharedWithOnNonRedData", `mutation { createBusiness(input: {name: "G"}, marking: {tlp: AMBER, sharedWith: ["x"]}) { id } }`, nil, "BAD_USER_INPUT", "marking.sharedWith"},
		{"SharedWithUnknownPartner", `mutation { createBusiness(input: {name: "G"}, marking: {tlp: RED, sharedWith: ["no-such-partner"]}) { id } }`, nil, "BAD_USER_INPUT", "marking.sharedWith"},
		{"PageTooLarge", `{ businesses(first: 100000) { totalCount } }`, nil, "BAD_USER_INPUT", "first"},
		{"NegativePage", `{ businesses(first: -1) { totalCount } }`, nil, "BAD_USER_INPUT", "first"},
		{"ForeignCursor", `{ businesses(after: "bm90LWEtY3Vyc29y") { totalCount } }`, nil, "BAD_USER_INPUT", "after"},
		{"UnknownIDOnUpdate", `mutation { updateBusiness(id: "00000000-0000-0000-0000-000000000000", input: {name: "N"}) { id } }`, nil, "NOT_FOUND", "id"},
		{"UnknownIDOnDelete", `mutation { deletePerson(id: "00000000-0000-0000-0000-000000000000") { id } }`, nil, "NOT_FOUND", "id"},
		{"LinkToUnknownNode", `mutation($from: ID!) { link(input: {type: SUPPLIES, from: $from, to: "00000000-0000-0000-0000-000000000000"}, marking: {tlp: GREEN}) { type } }`, map[string]any{"from": businessID}, "NOT_FOUND", "input.to"},
		{"LinkJoiningWrongLabels", `mutation($id: ID!) { link(input: {type: OCCURRED_AT, from: $id, to: $id}, marking: {tlp: GREEN}) { type } }`, map[string]any{"id": businessID}, "BAD_USER_INPUT", "input.from"},
		{"LinkPropertyOfAnotherType", `mutation($id: ID!) { link(input: {type: SUPPLIES, from: $id, to: $id, properties: {role: VICTIM}}, marking: {tlp: GREEN}) { type } }`, map[string]any{"id": businessID}, "BAD_USER_INPUT", "input.properties.role"},
		{"LinkMissingRequiredProperty", `mutation { link(input: {type: INVOLVED_IN, from: "a", to: "b"}, marking: {tlp: GREEN}) { type } }`, nil, "BAD_USER_INPUT", "input.properties.role"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp := h.do("a", c.query, c.vars)
			require.Len(t, resp.Errors, 1, "%+v", resp.Errors)
			e := resp.Errors[0]
			assert.Equal(t, c.code, e.Extensions["code"])
			assert.Equal(t, c.field, e.Extensions["field"])
			assert.NotContains(t, strings.ToUpper(e.Message), "MATCH")
			assert.NotContains(t, e.Message, "goroutine")
		})
	}
	t.Run("UnknownEnumValueFailsValidation", func(t *testing.T) {
		resp := h.do("a", `mutation { createPerson(input: {gender: ROBOT}, marking: {tlp: GREEN}) { id } }`, nil)
		require.Len(t, resp.Errors, 1)
		assert.Equal(t, "GRAPHQL_VALIDATION_FAILED", resp.Errors[0].Extensions["code"])
	})
}

// TestMutationsAreOneTransaction: a refused write changes nothing, and upserts are idempotent.
func TestMutationsAreOneTransaction(t *testing.T) {
	h := newHarness(t)
	count := func() int {
		res := h.cypher(`MATCH (n:Entity) WHERE n.sourcePartner = $a AND NOT n:Partner RETURN count(n) AS n`, map[string]any{"a": h.A})
		n, _ := res.Records[0].Get("n")
		return int(n.(int64))
	}
	before := count()
	resp := h.do("a", `mutation { createBusiness(input: {name: "Half"}, marking: {tlp: RED, sharedWith: ["no-such-partner"]}) { id } }`, nil)
	require.NotEmpty(t, resp.Errors)
	assert.Equal(t, before, count(), "a refused create leaves nothing behind")

	upsert := `mutation($ref: String!, $name: String) { upsertBusiness(externalRef: $ref, input: {name: $name}, marking: {tlp: GREEN}) { id name provenance { externalRefs } } }`
	first := h.do("a", upsert, map[string]any{"ref": "crm-42", "name": "First name"})
	require.Empty(t, first.Errors)
	second := h.do("a", upsert, map[string]any{"ref": "crm-42", "name": "Second name"})
	require.Empty(t, second.Errors)
	assert.Equal(t, testkit.Dig(first.Data, "upsertBusiness", "id"), testkit.Dig(second.Data, "upsertBusiness", "id"), "the same ref gives the same node")
	assert.Equal(t, "Second name", testkit.Dig(second.Data, "upsertBusiness", "name"))
	other := h.do("b", upsert, map[string]any{"ref": "crm-42", "name": "B's own"})
	require.Empty(t, other.Errors)
	assert.NotEqual(t, testkit.Dig(first.Data, "upsertBusiness", "id"), testkit.Dig(other.Data, "upsertBusiness", "id"), "refs are per partner")
}

// TestCRUDAndLinksThroughGraphQL walks the life of a small network.
func TestCRUDAndLinksThroughGraphQL(t *testing.T) {
	h := newHarness(t)
	create := func(query string) string {
		resp := h.do("a", query, nil)
		require.Empty(t, resp.Errors, query)
		for _, v := range resp.Data {
			return testkit.Dig(v, "id").(string)
		}
		return ""
	}
	person := create(`mutation { createPerson(input: {name: "Test Person", nationality: "GB", birthYear: 1990}, marking: {tlp: GREEN, grading: "1AP"}) { id } }`)
	incident := create(`mutation { createIncident(input: {title: "Test incident", occurredFrom: "2025-01-01", exploitationTypes: [FORCED_LABOUR]}, marking: {tlp: AMBER}) { id } }`)
	route := create(`mutation { createRoute(input: {name: "Test route", modes: [ROAD]}, marking: {tlp: GREEN}) { id } }`)
	var stops []string
	for i := range 3 {
		stops = append(stops, create(fmt.Sprintf(`mutation { createLocation(input: {name: "Stop %d", kind: CITY, countryCode: "FR"}, marking: {tlp: GREEN}) { id } }`, i)))
	}
	link := func(typ, from, to, props string) {
		resp := h.do("a", fmt.Sprintf(`mutation { link(input: {type: %s, from: %q, to: %q, properties: {%s}}, marking: {tlp: GREEN}) { type from { id } to { id } } }`, typ, from, to, props), nil)
		require.Empty(t, resp.Errors)
		assert.Equal(t, from, testkit.Dig(resp.Data, "link", "from", "id"))
	}
	link("INVOLVED_IN", person, incident, "role: VICTIM")
	link("USED_ROUTE", incident, route, "")
	// Stops linked out of order come back in seq order.
	link("STOP", route, stops[2], "seq: 2, stopRole: DESTINATION")
	link("STOP", route, stops[0], "seq: 0, stopRole: ORIGIN")
	link("STOP", route, stops[1], "seq: 1, stopRole: TRANSIT")

	resp := h.do("a", `query($id: ID!) { node(id: $id) { ... on Person { name provenance { grading tlp sourcePartner }
	  incidents(roles: [VICTIM]) { role incident { title route { stops { seq role location { name } } } } } } } }`, map[string]any{"id": person})
	require.Empty(t, resp.Errors)
	assert.Equal(t, "Test Person", testkit.Dig(resp.Data, "node", "name"))
	assert.Equal(t, "1AP", testkit.Dig(resp.Data, "node", "provenance", "grading"))
	assert.Equal(t, h.A, testkit.Dig(resp.Data, "node", "provenance", "sourcePartner"))
	assert.Equal(t, "VICTIM", testkit.Dig(resp.Data, "node", "incidents", 0, "role"))
	for i, role := range []string{"ORIGIN", "TRANSIT", "DESTINATION"} {
		assert.Equal(t, role, testkit.Dig(resp.Data, "node", "incidents", 0, "incident", "route", "stops", i, "role"))
		assert.Equal(t, fmt.Sprintf("Stop %d", i), testkit.Dig(resp.Data, "node", "incidents", 0, "incident", "route", "stops", i, "location", "name"))
	}

	t.Run("AnotherPartnerMayNotChangeIt", func(t *testing.T) {
		resp := h.do("b", fmt.Sprintf(`mutation { updatePerson(id: %q, input: {name: "Hijacked"}) { id } }`, person), nil)
		require.Len(t, resp.Errors, 1)
		assert.Equal(t, "FORBIDDEN", resp.Errors[0].Extensions["code"])
	})
	t.Run("UpdateRemovesAFieldGivenAsNull", func(t *testing.T) {
		resp := h.do("a", fmt.Sprintf(`mutation { updatePerson(id: %q, input: {birthYear: null, aliases: ["T.P."]}) { birthYear aliases } }`, person), nil)
		require.Empty(t, resp.Errors)
		assert.Nil(t, testkit.Dig(resp.Data, "updatePerson", "birthYear"))
		assert.Equal(t, []any{"T.P."}, testkit.Dig(resp.Data, "updatePerson", "aliases"))
	})
	t.Run("UnlinkRemovesOnlyTheCallersRelationship", func(t *testing.T) {
		resp := h.do("a", fmt.Sprintf(`mutation { unlink(type: INVOLVED_IN, from: %q, to: %q) { removed } }`, person, incident), nil)
		require.Empty(t, resp.Errors)
		assert.Equal(t, "1", fmt.Sprint(testkit.Dig(resp.Data, "unlink", "removed")))
	})
	t.Run("DeleteRemovesTheNode", func(t *testing.T) {
		resp := h.do("a", fmt.Sprintf(`mutation { deletePerson(id: %q) { deleted } }`, person), nil)
		require.Empty(t, resp.Errors)
		resp = h.do("a", `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": person})
		require.Empty(t, resp.Errors)
		assert.Nil(t, resp.Data["node"])
	})
}

// TestEveryWriteStampsItsTimes: a created node answers createdAt and updatedAt (the same
// instant), whether created directly or by an upsert, and an update moves updatedAt alone.
func TestEveryWriteStampsItsTimes(t *testing.T) {
	h := newHarness(t)
	const times = `provenance { createdAt updatedAt }`
	for _, create := range []string{
		`mutation { createBusiness(input: {name: "Stamped Ltd (fictional)"}, marking: {tlp: GREEN}) { id ` + times + ` } }`,
		`mutation { upsertBusiness(externalRef: "stamped-1", input: {name: "Stamped Upsert Ltd (fictional)"}, marking: {tlp: GREEN}) { id ` + times + ` } }`,
	} {
		resp := h.do("a", create, nil)
		require.Empty(t, resp.Errors, "%+v", resp.Errors)
		var created map[string]any
		for _, v := range resp.Data {
			created = v.(map[string]any)
		}
		createdAt, updatedAt := testkit.Dig(created, "provenance", "createdAt"), testkit.Dig(created, "provenance", "updatedAt")
		require.NotEmpty(t, createdAt)
		assert.Equal(t, createdAt, updatedAt, "a new node was updated when it was created")

		updated := h.do("a", `mutation($id: ID!) { updateBusiness(id: $id, input: {website: "https://stamped.example"}) { `+times+` } }`, map[string]any{"id": created["id"]})
		require.Empty(t, updated.Errors, "%+v", updated.Errors)
		assert.Equal(t, createdAt, testkit.Dig(updated.Data, "updateBusiness", "provenance", "createdAt"))
		assert.NotEqual(t, createdAt, testkit.Dig(updated.Data, "updateBusiness", "provenance", "updatedAt"))
	}
}
