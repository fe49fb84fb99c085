package resolvers_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/traffikgraph/traffikgraph/auth"
	"github.com/traffikgraph/traffikgraph/internal/testkit"
)

const eraseMutation = `mutation($id: ID!, $reason: String!) { eraseSubject(personId: $id, reason: $reason) {
  personId alreadyErased erasedAt erasedFields erasedIdentifiers sharedIdentifiers redactedReports reviewReports erasedVersions } }`

// personas' reads of a person: the node, the people list, search, its network and its history.
const erasedPersonReads = `query($id: ID!, $name: String!) {
  node(id: $id) { ... on Person { id name aliases birthYear gender erasedAt erasureReason identifiers { id value erasedAt } } }
  people(where: {id_in: [$id]}) { totalCount edges { node { id name aliases birthYear erasedAt } } }
  search(query: $name) { node { id ... on Person { name aliases } ... on Report { text } } }
  network(id: $id) { nodes { id ... on Person { name aliases birthYear } ... on Identifier { value } ... on Report { text } } }
  history(id: $id) { edges { node { change reason changes { field before after redacted erased } } } }
}`

// TestEraseSubjectOverGraphQL: the source partner erases its person; then no persona (the
// source with and without the PII scope, a peer, a partner of no group, an admin) reads any
// erased value by the node, the people list, search, the network or the history, and all of
// them see the person as erased. A peer that is not the source is refused and changes nothing;
// a second erasure says alreadyErased.
func TestEraseSubjectOverGraphQL(t *testing.T) {
	h := newHarness(t)
	h.callers["admin"] = auth.Caller{Issuer: "test", Subject: "root", PartnerID: h.C,
		Scopes: []auth.Scope{auth.ScopeAdmin, auth.ScopeGraphRead, auth.ScopeGraphReadPII}}
	old, name, alias, phone := "Quillon Ashdeneva", "Quillon Ashdenova", "Quilla", "+447700900731"
	person := testkit.Dig(h.mutate("a", `mutation { createPerson(input: {name: "Quillon Ashdeneva", aliases: ["Quilla"], birthYear: 1991},
		marking: {tlp: GREEN}) { id } }`, nil), "createPerson", "id").(string)
	h.mutate("a", `mutation($id: ID!) { updatePerson(id: $id, input: {name: "Quillon Ashdenova"}, reason: "spelling") { id } }`,
		map[string]any{"id": person})
	identifier := testkit.Dig(h.mutate("a", `mutation { createIdentifier(input: {kind: PHONE, value: "+447700900731"}, marking: {tlp: GREEN}) { id } }`, nil),
		"createIdentifier", "id").(string)
	report := testkit.Dig(h.mutate("a", `mutation { createReport(input: {channel: PARTNER, text: "quillon ashdenova worked the night shift"}, marking: {tlp: GREEN}) { id } }`, nil),
		"createReport", "id").(string)
	for _, link := range [][3]string{{"HAS_IDENTIFIER", person, identifier}, {"MENTIONS", report, person}} {
		h.mutate("a", `mutation($t: RelationshipType!, $f: ID!, $to: ID!) { link(input: {type: $t, from: $f, to: $to}, marking: {tlp: GREEN}) { type } }`,
			map[string]any{"t": link[0], "f": link[1], "to": link[2]})
	}
	values := []string{old, name, alias, phone, "1991"}
	vars := map[string]any{"id": person, "reason": "subject's request"}

	t.Run("APeerThatIsNotTheSourceIsRefusedAndNothingChanges", func(t *testing.T) {
		resp := h.do("b", eraseMutation, vars)
		require.Len(t, resp.Errors, 1)
		assert.Equal(t, "FORBIDDEN", resp.Errors[0].Extensions["code"])
		assert.Equal(t, name, testkit.Dig(h.do("a", erasedPersonReads, map[string]any{"id": person, "name": name}).Data, "node", "name"))
	})
	t.Run("AReaderWithoutWriteIsRefused", func(t *testing.T) {
		resp := h.do("a-read", eraseMutation, vars)
		require.Len(t, resp.Errors, 1)
		assert.Equal(t, "FORBIDDEN", resp.Errors[0].Extensions["code"])
	})

	got := testkit.Dig(h.mutate("a", eraseMutation, vars), "eraseSubject").(map[string]any)
	assert.Equal(t, false, got["alreadyErased"])
	assert.ElementsMatch(t, []any{"name", "aliases", "birthYear"}, got["erasedFields"])
	assert.Equal(t, []any{identifier}, got["erasedIdentifiers"])
	assert.Equal(t, []any{report}, got["redactedReports"])
	assert.Equal(t, []any{}, got["reviewReports"])
	encoded, err := json.Marshal(got)
	require.NoError(t, err)
	for _, v := range values {
		assert.NotContains(t, string(encoded), v, "the payload holds ids only")
	}

	for _, persona := range []string{"a", "a-no-pii", "b", "c", "admin"} {
		t.Run("NoErasedValueFor_"+persona, func(t *testing.T) {
			for _, q := range []string{name, old, alias} {
				resp := h.do(persona, erasedPersonReads, map[string]any{"id": person, "name": q})
				require.Empty(t, resp.Errors, "every read is answered")
				assert.NotEmpty(t, testkit.Dig(resp.Data, "history", "edges"))
				raw, err := json.Marshal(resp)
				require.NoError(t, err)
				for _, v := range values {
					assert.NotContains(t, string(raw), v)
				}
				assert.NotNil(t, testkit.Dig(resp.Data, "node", "erasedAt"), "the person shows as erased")
			}
		})
	}
	reads := h.do("c", erasedPersonReads, map[string]any{"id": person, "name": name})
	assert.Equal(t, "subject's request", testkit.Dig(reads.Data, "node", "erasureReason"))
	assert.Nil(t, testkit.Dig(reads.Data, "node", "name"))

	t.Run("TheAuditEventNamesThePersonWithoutValues", func(t *testing.T) {
		res := h.cypher(`MATCH (e:AuditEvent) WHERE 'eraseSubject' IN e.rootFields AND $id IN e.entityIds AND e.complete
			RETURN e {.*} AS e`, map[string]any{"id": person})
		require.Len(t, res.Records, 1)
		raw, _ := res.Records[0].Get("e")
		encoded, err := json.Marshal(raw)
		require.NoError(t, err)
		for _, v := range values {
			assert.NotContains(t, string(encoded), v)
		}
	})

	t.Run("ASecondErasureChangesNothingAndSaysSo", func(t *testing.T) {
		again := testkit.Dig(h.mutate("a", eraseMutation, vars), "eraseSubject").(map[string]any)
		assert.Equal(t, true, again["alreadyErased"])
		assert.Equal(t, got["erasedAt"], again["erasedAt"])
	})
	t.Run("UnknownIDIsNotFound", func(t *testing.T) {
		resp := h.do("admin", eraseMutation, map[string]any{"id": "no-such-person", "reason": "r"})
		require.Len(t, resp.Errors, 1)
		assert.Equal(t, "NOT_FOUND", resp.Errors[0].Extensions["code"])
	})
}

// TestSubjectAccessExportOverGraphQL: admins only (graph:read:pii is not enough), and the export
// leaves an audit event naming the person.
func TestSubjectAccessExportOverGraphQL(t *testing.T) {
	h := newHarness(t)
	h.callers["admin"] = auth.Caller{Issuer: "test", Subject: "root", PartnerID: h.C, Scopes: []auth.Scope{auth.ScopeAdmin}}
	person := testkit.Dig(h.mutate("a", `mutation { createPerson(input: {name: "Ysolde Brannagh"}, marking: {tlp: RED}) { id } }`, nil),
		"createPerson", "id").(string)
	const query = `query($id: ID!) { subjectAccessExport(personId: $id) { personId document summary } }`

	resp := h.do("a", query, map[string]any{"id": person})
	require.NotEmpty(t, resp.Errors)
	assert.Equal(t, "FORBIDDEN", resp.Errors[0].Extensions["code"])
	assert.Nil(t, resp.Data["subjectAccessExport"])

	resp = h.do("admin", query, map[string]any{"id": person})
	require.Empty(t, resp.Errors)
	assert.Equal(t, "Ysolde Brannagh", testkit.Dig(resp.Data, "subjectAccessExport", "document", "person", "name"))
	assert.Contains(t, testkit.Dig(resp.Data, "subjectAccessExport", "summary"), h.A)
	res := h.cypher(`MATCH (e:AuditEvent) WHERE 'subjectAccessExport' IN e.rootFields AND $id IN e.entityIds RETURN e.partner AS partner`,
		map[string]any{"id": person})
	require.Len(t, res.Records, 1)
}
