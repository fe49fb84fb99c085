package resolvers_test

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/traffikgraph/traffikgraph/auth"
	"github.com/traffikgraph/traffikgraph/internal/testkit"
)

// exportQuery asks one page of a workspace export with every property of every entity type.
const exportQuery = `query Export($scope: WorkspaceScope!, $first: Int, $after: String) {
  workspaceExport(scope: $scope, first: $first, after: $after) {
    exportId totalCount truncated pageInfo { hasNextPage endCursor }
    nodes {
      __typename id
      ... on Person { name aliases gender birthYear ageBand nationality provenance { tlp sourcePartner } }
      ... on Location { name locationKind: kind countryCode point { latitude longitude } provenance { tlp sourcePartner } }
      ... on Incident { title stage victimCount provenance { tlp sourcePartner sharedWith grading } }
      ... on Identifier { identifierKind: kind value provenance { tlp sourcePartner } }
      ... on Report { text channel status provenance { tlp sourcePartner } }
    }
    relationships { type from { id } to { id } role kind provenance { tlp sourcePartner } }
  }
}`

// exportWorld writes, as partners B (in a sharing group with A) and C (in none), a person with
// personal data and the intelligence around it under every marking; it returns the person's id.
func exportWorld(h *harness) string {
	h.cypher(`
WITH {tlp: 'GREEN', sourcePartner: $b, sharedWith: [], externalRefs: [], createdAt: datetime(), updatedAt: datetime()} AS green
CREATE (p:Entity:Person {id: $b + '-p'}) SET p += green, p.name = 'Secret Person', p.aliases = ['Shadow'], p.birthYear = 1990, p.nationality = 'GB'
CREATE (p2:Entity:Person {id: $b + '-p2'}) SET p2 += green, p2.name = 'Other Person'
CREATE (i:Entity:Identifier {id: $b + '-phone'}) SET i += green, i.kind = 'PHONE', i.value = '+447700900123'
CREATE (addr:Entity:Location {id: $b + '-addr'}) SET addr += green, addr.kind = 'ADDRESS', addr.name = '1 Secret Street', addr.point = point({latitude: 51.5, longitude: -0.1})
CREATE (inc:Entity:Incident {id: $b + '-green'}) SET inc += green, inc.title = 'Green case', inc.exploitationTypes = [], inc.meansOfControl = []
CREATE (r:Entity:Report {id: $b + '-report'}) SET r += green, r.text = 'What the witness said', r.channel = 'APP', r.status = 'NEW'
CREATE (strict:Entity:Incident {id: $b + '-strict'}) SET strict += green, strict.tlp = 'AMBER_STRICT', strict.title = 'Strict case', strict.exploitationTypes = [], strict.meansOfControl = []
CREATE (redC:Entity:Incident {id: $b + '-red-c'}) SET redC += green, redC.tlp = 'RED', redC.sharedWith = [$c], redC.title = 'Red for C', redC.exploitationTypes = [], redC.meansOfControl = []
CREATE (redA:Entity:Incident {id: $b + '-red-a'}) SET redA += green, redA.tlp = 'RED', redA.sharedWith = [$a], redA.title = 'Red for A', redA.exploitationTypes = [], redA.meansOfControl = []
CREATE (amberB:Entity:Incident {id: $b + '-amber'}) SET amberB += green, amberB.tlp = 'AMBER', amberB.title = 'Amber of a peer', amberB.exploitationTypes = [], amberB.meansOfControl = []
CREATE (amberC:Entity:Incident {id: $c + '-amber'}) SET amberC += green, amberC.tlp = 'AMBER', amberC.sourcePartner = $c, amberC.title = 'Amber of a stranger', amberC.exploitationTypes = [], amberC.meansOfControl = []
CREATE (p)-[:HAS_IDENTIFIER]->(i)
CREATE (p)-[:LIVES_AT]->(addr)
CREATE (p)-[:INVOLVED_IN {role: 'VICTIM'}]->(inc)
CREATE (p2)-[:INVOLVED_IN {role: 'WITNESS'}]->(inc)
CREATE (r)-[:EVIDENCES]->(inc)
CREATE (p)-[:INVOLVED_IN {role: 'VICTIM'}]->(strict)
CREATE (p)-[:INVOLVED_IN {role: 'VICTIM'}]->(redC)
CREATE (p)-[:INVOLVED_IN {role: 'VICTIM'}]->(redA)
CREATE (p)-[:INVOLVED_IN {role: 'VICTIM'}]->(amberB)
CREATE (p)-[:INVOLVED_IN {role: 'VICTIM'}]->(amberC)
CREATE (p)-[:ASSOCIATE_OF {kind: 'FAMILY'}]->(p2)
WITH green
MATCH (:Entity {id: $b + '-p'})-[rel]-()
SET rel += green
WITH green
MATCH (:Entity {id: $b + '-p2'})-[rel]->()
SET rel += green
WITH green
MATCH (:Entity {id: $b + '-report'})-[rel]->()
SET rel += green
WITH 1 AS done
MATCH (:Entity {id: $b + '-p'})-[rel:ASSOCIATE_OF]->()
SET rel.tlp = 'AMBER_STRICT'`, map[string]any{"a": h.A, "b": h.B, "c": h.C})
	return h.B + "-p"
}

type exported struct {
	ids   []string
	nodes map[string]any
	rels  []string
}

// pull pages through the export of scope as the caller behind token, first entities a page, and
// returns what it answered and the pull's export id.
func (h *harness) pull(token string, scope map[string]any, first int) (exported, string, testkit.Response) {
	h.t.Helper()
	out := exported{nodes: map[string]any{}}
	var exportID string
	var last testkit.Response
	vars := map[string]any{"scope": scope, "first": first}
	for range 50 {
		last = h.do(token, exportQuery, vars)
		require.Empty(h.t, last.Errors)
		page := testkit.Dig(last.Data, "workspaceExport")
		if exportID == "" {
			exportID = testkit.Dig(page, "exportId").(string)
		}
		require.Equal(h.t, exportID, testkit.Dig(page, "exportId"), "every page belongs to the one pull")
		for _, n := range testkit.Dig(page, "nodes").([]any) {
			id := testkit.Dig(n, "id").(string)
			out.ids = append(out.ids, id)
			out.nodes[id] = n
		}
		for _, r := range testkit.Dig(page, "relationships").([]any) {
			out.rels = append(out.rels, testkit.Dig(r, "from", "id").(string)+" "+testkit.Dig(r, "type").(string)+" "+testkit.Dig(r, "to", "id").(string))
		}
		if testkit.Dig(page, "pageInfo", "hasNextPage") != true {
			return out, exportID, last
		}
		vars["after"] = testkit.Dig(page, "pageInfo", "endCursor")
	}
	h.t.Fatal("the export did not end")
	return out, exportID, last
}

// TestWorkspaceExportHoldsOnlyWhatTheCallerMaySee: an export as a caller without graph:read:pii
// (the bank persona's scopes) holds no personal data and nothing another partner marked
// AMBER_STRICT, RED not shared with it, or AMBER outside its sharing groups; with the scope it
// holds the personal data. Its pages give each entity and relationship once.
func TestWorkspaceExportHoldsOnlyWhatTheCallerMaySee(t *testing.T) {
	h := newHarness(t)
	person := exportWorld(h)
	b, c := h.B, h.C
	visibleIDs := []string{person, b + "-p2", b + "-phone", b + "-addr", b + "-green", b + "-report", b + "-red-a", b + "-amber"}
	visibleRels := []string{
		person + " HAS_IDENTIFIER " + b + "-phone", person + " LIVES_AT " + b + "-addr", person + " INVOLVED_IN " + b + "-green",
		b + "-p2 INVOLVED_IN " + b + "-green", b + "-report EVIDENCES " + b + "-green",
		person + " INVOLVED_IN " + b + "-red-a", person + " INVOLVED_IN " + b + "-amber",
	}
	scope := map[string]any{"around": []string{person}, "depth": 2}

	for _, first := range []int{2, 200} {
		got, _, _ := h.pull("a-no-pii", scope, first)
		assert.ElementsMatch(t, visibleIDs, got.ids, "page size %d", first)
		assert.ElementsMatch(t, visibleRels, got.rels, "page size %d: the AMBER_STRICT association is not among them", first)
		for _, hidden := range []string{b + "-strict", b + "-red-c", c + "-amber"} {
			assert.NotContains(t, got.ids, hidden)
		}
		raw, err := json.Marshal(got.nodes)
		require.NoError(t, err)
		for _, secret := range []string{"Secret Person", "Shadow", "1990", "+447700900123", "1 Secret Street", "What the witness said", "51.5"} {
			assert.NotContains(t, string(raw), secret, "no personal data without graph:read:pii")
		}
		p := got.nodes[person]
		for _, field := range []string{"name", "aliases", "birthYear"} {
			v, present := p.(map[string]any)[field]
			assert.True(t, present && v == nil, "%s is null, never an empty value", field)
		}
		assert.Equal(t, "GB", testkit.Dig(p, "nationality"), "what is not personal data is there")
		assert.Nil(t, testkit.Dig(got.nodes[b+"-phone"], "value"))
		assert.Nil(t, testkit.Dig(got.nodes[b+"-addr"], "name"))
		assert.Nil(t, testkit.Dig(got.nodes[b+"-addr"], "point"))
		assert.Nil(t, testkit.Dig(got.nodes[b+"-report"], "text"))
	}

	got, _, _ := h.pull("a", scope, 3)
	assert.ElementsMatch(t, visibleIDs, got.ids)
	assert.Equal(t, "Secret Person", testkit.Dig(got.nodes[person], "name"), "with graph:read:pii the personal data is there")
	assert.Equal(t, []any{"Shadow"}, testkit.Dig(got.nodes[person], "aliases"))
	assert.Equal(t, "+447700900123", testkit.Dig(got.nodes[b+"-phone"], "value"))
	assert.Equal(t, "What the witness said", testkit.Dig(got.nodes[b+"-report"], "text"))

	got, _, _ = h.pull("c", scope, 50)
	assert.Contains(t, got.ids, b+"-red-c", "RED shared with C is C's to see")
	assert.NotContains(t, got.ids, b+"-red-a")
	assert.NotContains(t, got.ids, b+"-amber", "B's AMBER is outside C's groups")
}

// TestWorkspaceExportIsOneAuditedPull: the pages of a pull add to one audit event naming the
// caller, the scope, how many entities it returned and which personal fields.
func TestWorkspaceExportIsOneAuditedPull(t *testing.T) {
	h := newHarness(t)
	person := exportWorld(h)
	got, exportID, _ := h.pull("a", map[string]any{"around": []string{person}, "depth": 2}, 3)
	require.Len(t, got.ids, 8)

	var exports []map[string]any
	for _, e := range h.auditEvents(h.A) {
		if e["id"] == exportID || slices.Contains(e["rootFields"].([]any), any("workspaceExport")) {
			exports = append(exports, e)
		}
	}
	require.Len(t, exports, 1, "three pages, one audit event")
	e := exports[0]
	assert.Equal(t, "alice", e["subject"])
	assert.EqualValues(t, 8, e["exportedEntities"])
	assert.ElementsMatch(t, []any{"limit:1000", "depth:2", "around:" + person}, e["exportScope"])
	assert.Subset(t, e["piiFields"], []any{"Person.name", "Person.aliases", "Person.birthYear", "Identifier.value", "Location.name", "Location.point", "Report.text"})
	assert.Subset(t, e["entityIds"], []any{person, h.B + "-red-a", h.B + "-amber"})
	assert.Subset(t, e["markings"], []any{"AMBER", "RED"})
	assert.Equal(t, true, e["complete"])

	auditor := h.callers["a"]
	auditor.Scopes = append(slices.Clone(auditor.Scopes), auth.ScopeAuditRead)
	h.callers["auditor-a"] = auditor
	resp := h.do("auditor-a", `{ auditEvents(first: 20) { edges { node { id exportScope exportedEntities } } } }`, nil)
	require.Empty(t, resp.Errors)
	var found bool
	for _, edge := range testkit.Dig(resp.Data, "auditEvents", "edges").([]any) {
		if testkit.Dig(edge, "node", "id") == exportID {
			found = true
			assert.EqualValues(t, json.Number("8"), testkit.Dig(edge, "node", "exportedEntities"))
		}
	}
	assert.True(t, found, "auditEvents lists the export")
}

// TestWorkspaceExportCursorsAndBounds: a cursor serves only its caller and its scope, and the
// export's sizes are bounded like any other query's.
func TestWorkspaceExportCursorsAndBounds(t *testing.T) {
	h := newHarness(t)
	person := exportWorld(h)
	scope := map[string]any{"around": []string{person}, "depth": 2}
	resp := h.do("a", exportQuery, map[string]any{"scope": scope, "first": 2})
	require.Empty(t, resp.Errors)
	cursor := testkit.Dig(resp.Data, "workspaceExport", "pageInfo", "endCursor")

	tests := []struct {
		name, token, field, code string
		vars                     map[string]any
	}{
		{"another caller's cursor", "b", "after", "BAD_USER_INPUT", map[string]any{"scope": scope, "after": cursor}},
		{"another scope's cursor", "a", "after", "BAD_USER_INPUT", map[string]any{"scope": map[string]any{"around": []string{person}}, "after": cursor}},
		{"a forged cursor", "a", "after", "BAD_USER_INPUT", map[string]any{"scope": scope, "after": "eyJ4Ijoibm8ifQ"}},
		{"a page too large", "a", "first", "LIMIT_EXCEEDED", map[string]any{"scope": scope, "first": 501}},
		{"a scope too large", "a", "scope.limit", "LIMIT_EXCEEDED", map[string]any{"scope": map[string]any{"limit": 20001}}},
		{"too deep", "a", "scope.depth", "LIMIT_EXCEEDED", map[string]any{"scope": map[string]any{"around": []string{person}, "depth": 5}}},
		{"a negative depth", "a", "scope.depth", "BAD_USER_INPUT", map[string]any{"scope": map[string]any{"around": []string{person}, "depth": -1}}},
		{"a filter on personal data without the scope", "a-no-pii", "", "FORBIDDEN",
			map[string]any{"scope": map[string]any{"incidentsWhere": map[string]any{"people_some": map[string]any{"name_contains": "Secret"}}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := h.do(tt.token, exportQuery, tt.vars)
			require.NotEmpty(t, resp.Errors)
			assert.Equal(t, []string{tt.code}, resp.Codes())
			if tt.field != "" {
				assert.Equal(t, tt.field, resp.Errors[0].Extensions["field"])
			}
			assert.Nil(t, testkit.Dig(resp.Data, "workspaceExport"))
		})
	}

	resp = h.do("", exportQuery, map[string]any{"scope": scope})
	assert.Equal(t, []string{"FORBIDDEN"}, resp.Codes(), "anonymous callers export nothing")
}
