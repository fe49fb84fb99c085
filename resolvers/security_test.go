package resolvers_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/traffikgraph/traffikgraph/auth"
	"github.com/traffikgraph/traffikgraph/internal/testkit"
)

// TestAnonymousCallersCannotWalkTheGraphFromHotspots: hotspots answer anonymous callers with
// CLEAR country totals; nothing leads from them to the places and businesses around.
func TestAnonymousCallersCannotWalkTheGraphFromHotspots(t *testing.T) {
	h := newHarness(t)
	h.cypher(`
CREATE (country:Entity:Location {id: $a + '-country', name: 'Nauru (test)', kind: 'COUNTRY', countryCode: 'NR',
        tlp: 'CLEAR', sourcePartner: $a, sharedWith: [], externalRefs: [], createdAt: datetime(), updatedAt: datetime()})
CREATE (city:Entity:Location {id: $a + '-city', name: 'Yaren (test)', kind: 'CITY', countryCode: 'NR',
        tlp: 'CLEAR', sourcePartner: $a, sharedWith: [], externalRefs: [], createdAt: datetime(), updatedAt: datetime()})
CREATE (city)-[:WITHIN {tlp: 'CLEAR', sourcePartner: $a, sharedWith: []}]->(country)
CREATE (inc:Entity:Incident {id: $a + '-inc', title: 'Test', exploitationTypes: ['FORCED_LABOUR'], meansOfControl: [], victimCount: 2,
        occurredFrom: date() - duration('P10D'), tlp: 'CLEAR', sourcePartner: $a, sharedWith: [], externalRefs: [],
        createdAt: datetime(), updatedAt: datetime()})
CREATE (inc)-[:OCCURRED_AT {tlp: 'CLEAR', sourcePartner: $a, sharedWith: []}]->(city)`, map[string]any{"a": h.A})

	resp := h.do("", `{ hotspots(first: 500) { incidents location { id name children { id } } } }`, nil)
	var ours any
	for _, hs := range testkit.Dig(resp.Data, "hotspots").([]any) {
		if testkit.Dig(hs, "location", "id") == h.A+"-country" {
			ours = hs
		}
	}
	require.NotNil(t, ours, "the CLEAR country total is answered")
	assert.Nil(t, testkit.Dig(ours, "location", "children"))
	assert.Contains(t, resp.Codes(), "FORBIDDEN", "children of a hotspot are not for anonymous callers")
}

// TestAnAddressIsPersonalDataWhereverItLies: without graph:read:pii neither the name nor the
// point of an ADDRESS location is returned.
func TestAnAddressIsPersonalDataWhereverItLies(t *testing.T) {
	h := newHarness(t)
	resp := h.do("a", `mutation { createLocation(input: {name: "1 Test Street", kind: ADDRESS, countryCode: "GB",
	  point: {latitude: 51.5, longitude: -0.12}}, marking: {tlp: GREEN}) { id } }`, nil)
	require.Empty(t, resp.Errors)
	id := testkit.Dig(resp.Data, "createLocation", "id")

	resp = h.do("a-no-pii", `query($id: ID!) { node(id: $id) { ... on Location { name kind point { latitude } } } }`, map[string]any{"id": id})
	require.Empty(t, resp.Errors)
	assert.Nil(t, testkit.Dig(resp.Data, "node", "name"))
	assert.Nil(t, testkit.Dig(resp.Data, "node", "point"))
	assert.ElementsMatch(t, []any{"node.name", "node.point"}, resp.Extensions["redacted"])

	resp = h.do("a", `query($id: ID!) { node(id: $id) { ... on Location { point { latitude } } } }`, map[string]any{"id": id})
	require.Empty(t, resp.Errors)
	assert.NotNil(t, testkit.Dig(resp.Data, "node", "point", "latitude"), "with the scope it is returned")
}

// TestCursorsCarryNoPropertyValues: a cursor names the last node, never its sort values (which
// may be names), so passing one on discloses nothing.
func TestCursorsCarryNoPropertyValues(t *testing.T) {
	h := newHarness(t)
	resp := h.do("a", `mutation { createPerson(input: {name: "Secret Name"}, marking: {tlp: GREEN}) { id } }`, nil)
	require.Empty(t, resp.Errors)
	resp = h.do("a", `query($p: ID!) { people(orderBy: [{field: NAME}], where: {provenance: {sourcePartner_in: [$p]}}) { edges { cursor } } }`,
		map[string]any{"p": h.A})
	require.Empty(t, resp.Errors)
	raw, err := base64.RawURLEncoding.DecodeString(testkit.Dig(resp.Data, "people", "edges", 0, "cursor").(string))
	require.NoError(t, err)
	var fields map[string]any
	require.NoError(t, json.Unmarshal(raw, &fields))
	assert.NotContains(t, string(raw), "Secret")
	assert.ElementsMatch(t, []string{"o", "id"}, keys(fields))
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestAnonymousRequestsAskOneQuestion: aliases cannot multiply what one rate-limited request
// may do.
func TestAnonymousRequestsAskOneQuestion(t *testing.T) {
	h := newHarness(t)
	for name, query := range map[string]string{
		"Aliases":           `mutation { a: submitReport(input: {text: "x", language: "en", channel: APP}) { receiptId } b: submitReport(input: {text: "y", language: "en", channel: APP}) { receiptId } }`,
		"FragmentOnTheRoot": `mutation { ... on Mutation { a: submitReport(input: {text: "x", language: "en", channel: APP}) { receiptId } b: submitReport(input: {text: "y", language: "en", channel: APP}) { receiptId } } }`,
	} {
		t.Run(name, func(t *testing.T) {
			resp := h.do("", query, nil)
			require.Len(t, resp.Errors, 1)
			assert.Equal(t, "LIMIT_EXCEEDED", resp.Errors[0].Extensions["code"])
			assert.Nil(t, resp.Data)
		})
	}
}

// TestWritersWithoutReadScopeReadNothingThroughLinks: the link mutation answers with the
// relationship, not with the nodes, to a caller who may not read the graph.
func TestWritersWithoutReadScopeReadNothingThroughLinks(t *testing.T) {
	h := newHarness(t)
	create := `mutation { createBusiness(input: {name: "B"}, marking: {tlp: GREEN}) { id } }`
	from := testkit.Dig(h.do("a", create, nil).Data, "createBusiness", "id")
	to := testkit.Dig(h.do("a", create, nil).Data, "createBusiness", "id")
	h.callers["a-write"] = auth.Caller{Issuer: "test", Subject: "wes", PartnerID: h.A, Scopes: []auth.Scope{auth.ScopeGraphWrite}}
	resp := h.do("a-write", fmt.Sprintf(`mutation { link(input: {type: SUPPLIES, from: %q, to: %q}, marking: {tlp: GREEN}) { type from { id } } }`, from, to), nil)
	assert.Equal(t, "SUPPLIES", testkit.Dig(resp.Data, "link", "type"))
	assert.Nil(t, testkit.Dig(resp.Data, "link", "from"))
	assert.Contains(t, resp.Codes(), "FORBIDDEN")
}

// TestOtherPartnersExternalRefsAreTheirOwn: a reader sees its own external refs only.
func TestOtherPartnersExternalRefsAreTheirOwn(t *testing.T) {
	h := newHarness(t)
	resp := h.do("a", `mutation { upsertBusiness(externalRef: "CASE-123", input: {name: "Ref Ltd"}, marking: {tlp: GREEN}) { id provenance { externalRefs } } }`, nil)
	require.Empty(t, resp.Errors)
	id := testkit.Dig(resp.Data, "upsertBusiness", "id")
	assert.Equal(t, []any{h.A + ":CASE-123"}, testkit.Dig(resp.Data, "upsertBusiness", "provenance", "externalRefs"))
	resp = h.do("b", `query($id: ID!) { node(id: $id) { ... on Business { provenance { externalRefs } } } }`, map[string]any{"id": id})
	require.Empty(t, resp.Errors)
	assert.Equal(t, []any{}, testkit.Dig(resp.Data, "node", "provenance", "externalRefs"))
}

// auditEvents returns the partner's audit events, newest first.
func (h *harness) auditEvents(partner string) []map[string]any {
	res := h.cypher(`MATCH (e:AuditEvent {partner: $p}) RETURN e {.*} AS e ORDER BY e.at DESC`, map[string]any{"p": partner})
	var out []map[string]any
	for _, r := range res.Records {
		e, _ := r.Get("e")
		out = append(out, e.(map[string]any))
	}
	return out
}

// TestSelectingByPersonalDataIsAudited: a count of people whose name starts with "Ma" is an
// answer about names, so the filter is recorded even when no personal field is returned.
func TestSelectingByPersonalDataIsAudited(t *testing.T) {
	h := newHarness(t)
	resp := h.do("a", `{ people(where: {name_startsWith: "Ma"}) { totalCount } }`, nil)
	require.Empty(t, resp.Errors)
	events := h.auditEvents(h.A)
	require.NotEmpty(t, events)
	assert.Contains(t, events[0]["piiFields"], "Query.people(where.name_startsWith)")
}

// TestUnlinkIsAuditedWithItsEnds: a write that names its targets in arguments records them,
// refused or not.
func TestUnlinkIsAuditedWithItsEnds(t *testing.T) {
	h := newHarness(t)
	resp := h.do("a", `mutation { unlink(type: SUPPLIES, from: "no-such-a", to: "no-such-b") { removed } }`, nil)
	require.NotEmpty(t, resp.Errors, "unknown ends are NOT_FOUND")
	events := h.auditEvents(h.A)
	require.NotEmpty(t, events)
	assert.ElementsMatch(t, []any{"no-such-a", "no-such-b"}, events[0]["entityIds"])
}
