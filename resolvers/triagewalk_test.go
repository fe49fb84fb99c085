package resolvers_test

import (
	"encoding/json"
	"os"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/traffikgraph/traffikgraph/auth"
	"github.com/traffikgraph/traffikgraph/internal/testkit"
	"github.com/traffikgraph/traffikgraph/store"
)

// TestTheTriageWalk performs docs/triage.md's walk with the page's own GraphQL, in its order: a
// public submission, the queue, an incident created from the report, a link to the place, an
// escalation to a sharing group, the incident seen by a partner of the group (and not the
// report), the decisions in the history and the submitter's coarse status.
func TestTheTriageWalk(t *testing.T) {
	walk, _ := triagePage(t)
	steps := graphqlBlocks(walk)
	require.Len(t, steps, 8, "the walk's steps")

	h := newHarness(t, func(h *harness, cfg *store.Config) { cfg.TriagePartner = h.A })
	h.callers["analyst"] = auth.Caller{Issuer: "test", Subject: "tess", PartnerID: h.A,
		Scopes: []auth.Scope{auth.ScopeGraphRead, auth.ScopeGraphReadPII, auth.ScopeGraphWrite, auth.ScopeReportsTriage}}
	run := func(step int, token string, vars map[string]any) map[string]any {
		t.Helper()
		resp := h.do(token, steps[step], vars)
		require.Empty(t, resp.Errors, "step %d", step+1)
		return resp.Data
	}

	text := "Workers at the car wash on Dock Road sleep there and never leave"
	receipt := testkit.Dig(run(0, "", map[string]any{"input": map[string]any{"text": text, "language": "en", "channel": "APP",
		"approxLocation": map[string]any{"latitude": 51.5072, "longitude": -0.1276}}}), "submitReport", "receiptId").(string)

	queue := run(1, "analyst", map[string]any{"near": map[string]any{"latitude": 51.5, "longitude": -0.12}})
	assert.Equal(t, json.Number("1"), testkit.Dig(queue, "triageQueue", "totalCount"))
	node := testkit.Dig(queue, "triageQueue", "edges").([]any)[0]
	assert.Equal(t, receipt, testkit.Dig(node, "node", "id"))
	assert.Equal(t, text, testkit.Dig(node, "node", "text"))
	assert.Equal(t, map[string]any{"latitude": json.Number("51.51"), "longitude": json.Number("-0.13")}, testkit.Dig(node, "node", "approxLocation"))

	created := run(2, "analyst", map[string]any{"report": receipt})
	incident := testkit.Dig(created, "createIncidentFromReport", "id").(string)
	assert.Equal(t, map[string]any{"id": receipt, "status": "LINKED"}, testkit.Dig(created, "createIncidentFromReport", "derivedFromReport"))

	place := testkit.Dig(h.mutate("a", `mutation { createLocation(input: {name: "Dock Road car wash (test)", kind: SITE, countryCode: "GB"}, marking: {tlp: GREEN}) { id } }`, nil),
		"createLocation", "id").(string)
	linked := run(3, "analyst", map[string]any{"report": receipt, "place": place})
	assert.Equal(t, place, testkit.Dig(linked, "linkReport", "about", "id"))

	group, _ := h.cypher(`MATCH (:Partner {id: $a})-[:MEMBER_OF]->(g:SharingGroup) RETURN g.id AS id`, map[string]any{"a": h.A}).Records[0].Get("id")
	escalated := run(4, "analyst", map[string]any{"report": receipt, "group": group})
	assert.Equal(t, "ESCALATED", testkit.Dig(escalated, "escalateReport", "status"))

	seen := run(5, "b", map[string]any{"incident": incident, "report": receipt})
	assert.Equal(t, "Car wash workers kept on site", testkit.Dig(seen, "incident", "title"))
	assert.Equal(t, map[string]any{"tlp": "RED", "sourcePartner": h.A, "sharedWith": []any{h.B}}, testkit.Dig(seen, "incident", "provenance"))
	assert.Nil(t, testkit.Dig(seen, "incident", "derivedFromReport"))
	assert.Equal(t, []any{}, testkit.Dig(seen, "incident", "reports"))
	assert.Nil(t, seen["report"])
	outside := run(5, "c", map[string]any{"incident": incident, "report": receipt})
	assert.Nil(t, outside["incident"])
	assert.Nil(t, outside["report"])

	var changes []any
	for _, e := range testkit.Dig(run(6, "analyst", map[string]any{"report": receipt}), "history", "edges").([]any) {
		changes = append(changes, testkit.Dig(e, "node", "change"))
	}
	// The submission; the incident's creation (its EVIDENCES and DERIVED_FROM, the status); the
	// link to the place and the status; the escalation (those three relationships re-marked, the
	// status).
	assert.ElementsMatch(t, []any{"CREATED", "LINKED", "LINKED", "TRIAGED", "LINKED", "TRIAGED", "MARKED", "MARKED", "MARKED", "TRIAGED"}, changes)
	assert.Equal(t, "IN_REVIEW", testkit.Dig(run(7, "", map[string]any{"receipt": receipt}), "reportStatus", "status"))
}

// triagePage returns docs/triage.md's walk (the text up to its first section that is not a
// numbered step) and its other sections' text by heading.
func triagePage(t *testing.T) (walk string, sections map[string]string) {
	t.Helper()
	page, err := os.ReadFile("../docs/triage.md")
	require.NoError(t, err)
	parts := regexp.MustCompile(`(?m)^## ([^0-9].*)$`).Split(string(page), -1)
	headings := regexp.MustCompile(`(?m)^## ([^0-9].*)$`).FindAllStringSubmatch(string(page), -1)
	sections = map[string]string{}
	for i, h := range headings {
		sections[h[1]] = parts[i+1]
	}
	return parts[0], sections
}

// graphqlBlocks are the text's GraphQL code blocks, in order.
func graphqlBlocks(text string) []string {
	var out []string
	for _, m := range regexp.MustCompile("(?s)```graphql\n(.*?)```").FindAllStringSubmatch(text, -1) {
		out = append(out, m[1])
	}
	return out
}
