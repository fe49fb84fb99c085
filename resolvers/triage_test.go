package resolvers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/traffikgraph/traffikgraph/auth"
	"github.com/traffikgraph/traffikgraph/internal/testkit"
	"github.com/traffikgraph/traffikgraph/store"
	"github.com/traffikgraph/traffikgraph/store/storetest"
)

// TestTheTriagePartnersReportsNeedReportsTriage: the reports the public submits are the triage
// partner's (AMBER_STRICT), and within it they are the work of the staff holding reports:triage.
// A caller of the triage partner without the scope reaches them nowhere: not by id, in a list, a
// count, a search, a traversal or a nested field; the triage analyst reaches them everywhere. The
// triage partner's own reports (written with createReport) need no such scope.
func TestTheTriagePartnersReportsNeedReportsTriage(t *testing.T) {
	h := newHarness(t)
	h.callers["a-triage"] = auth.Caller{Issuer: "test", Subject: "tess", PartnerID: h.A,
		Scopes: []auth.Scope{auth.ScopeGraphRead, auth.ScopeGraphReadPII, auth.ScopeGraphWrite, auth.ScopeReportsTriage}}
	triageStore := storetest.Open(t, func(cfg *store.Config) { cfg.TriagePartner = h.A })
	word := fmt.Sprintf("triagetest%d", time.Now().UnixNano())
	receipt, err := triageStore.SubmitReport(context.Background(), store.Submission{
		Text: "They keep the passports of the pickers, " + word, Language: "en", Channel: "APP"})
	require.NoError(t, err)
	submitted := receipt.ReceiptID

	create := func(mutation, input string) string {
		resp := h.do("a", fmt.Sprintf(`mutation { %s(input: %s, marking: {tlp: GREEN}) { id } }`, mutation, input), nil)
		require.Empty(t, resp.Errors, mutation)
		return testkit.Dig(resp.Data, mutation, "id").(string)
	}
	place := create("createLocation", `{name: "Pickers' farm (test)", kind: SITE, countryCode: "PW"}`)
	incident := create("createIncident", fmt.Sprintf(`{title: "Passports withheld (test)", summary: %q}`, word))
	for typ, to := range map[string]string{"ABOUT": place, "EVIDENCES": incident} {
		resp := h.do("a-triage", fmt.Sprintf(`mutation { link(input: {type: %s, from: %q, to: %q}, marking: {tlp: AMBER_STRICT}) { type } }`,
			typ, submitted, to), nil)
		require.Empty(t, resp.Errors, "the triage analyst works on the report: %s", typ)
	}
	resp := h.do("a", fmt.Sprintf(`mutation { createReport(input: {text: %q, channel: PARTNER}, marking: {tlp: AMBER_STRICT}) { id } }`, "own "+word), nil)
	require.Empty(t, resp.Errors)
	own := testkit.Dig(resp.Data, "createReport", "id").(string)

	entryPoints := []struct {
		name, query string
		vars        map[string]any
		// reached lists the ids of the submitted report found in the answer.
		reached func(data map[string]any) []any
	}{
		{"node(id:)", `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": submitted},
			func(d map[string]any) []any { return idsAt(d, "node") }},
		{"a list", `query($ids: [ID!]) { reports(where: {id_in: $ids}) { edges { node { id } } } }`, map[string]any{"ids": []string{submitted, own}},
			func(d map[string]any) []any { return idsAt(d, "reports", "edges", "node") }},
		{"a count", `query($id: ID!) { reports(where: {id_in: [$id]}) { totalCount } }`, map[string]any{"id": submitted},
			func(d map[string]any) []any { return countOf(d, submitted, "reports", "totalCount") }},
		{"a list filtered over its neighbours", `query($place: ID!) { reports(where: {about_some: {id_in: [$place]}}) { edges { node { id } } } }`,
			map[string]any{"place": place}, func(d map[string]any) []any { return idsAt(d, "reports", "edges", "node") }},
		{"search", fmt.Sprintf(`{ search(query: %q, types: [REPORT]) { node { id } } }`, word), nil,
			func(d map[string]any) []any { return idsAt(d, "search", "node") }},
		{"a network", `query($id: ID!) { network(id: $id, depth: 1) { nodes { id } } }`, map[string]any{"id": place},
			func(d map[string]any) []any { return idsAt(d, "network", "nodes") }},
		{"a path", `query($from: ID!, $to: ID!) { shortestPath(from: $from, to: $to) { nodes { id } } }`,
			map[string]any{"from": place, "to": incident}, func(d map[string]any) []any { return idsAt(d, "shortestPath", "nodes") }},
		{"a nested field", `query($id: ID!) { node(id: $id) { ... on Incident { reports { id } } } }`, map[string]any{"id": incident},
			func(d map[string]any) []any { return idsAt(d, "node", "reports") }},
	}
	for _, e := range entryPoints {
		t.Run(e.name, func(t *testing.T) {
			resp := h.do("a", e.query, e.vars)
			require.Empty(t, resp.Errors)
			assert.NotContains(t, e.reached(resp.Data), submitted, "without reports:triage the triage partner's caller does not reach the report")

			resp = h.do("a-triage", e.query, e.vars)
			require.Empty(t, resp.Errors)
			assert.Contains(t, e.reached(resp.Data), submitted, "the triage analyst reaches the report")
		})
	}
	t.Run("writes", func(t *testing.T) {
		for name, mutation := range map[string]string{
			"an update": fmt.Sprintf(`mutation { updateReport(id: %q, input: {status: TRIAGED}) { id } }`, submitted),
			"a link":    fmt.Sprintf(`mutation { link(input: {type: MENTIONS, from: %q, to: %q}, marking: {tlp: AMBER_STRICT}) { type } }`, submitted, incident),
		} {
			resp := h.do("a", mutation, nil)
			assert.Equal(t, []string{"NOT_FOUND"}, resp.Codes(), "%s without reports:triage: NOT_FOUND, as for a missing report", name)
			resp = h.do("a-triage", mutation, nil)
			assert.Empty(t, resp.Errors, "%s by the triage analyst", name)
		}
	})
	t.Run("the triage partner's own reports need no reports:triage", func(t *testing.T) {
		resp := h.do("a", `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": own})
		require.Empty(t, resp.Errors)
		assert.Equal(t, own, testkit.Dig(resp.Data, "node", "id"))
	})
}

// idsAt collects the ids found at path in data, through lists at any step.
func idsAt(data any, path ...string) []any {
	if len(path) == 0 {
		if id := testkit.Dig(data, "id"); id != nil {
			return []any{id}
		}
		return nil
	}
	v := testkit.Dig(data, path[0])
	if list, ok := v.([]any); ok {
		var out []any
		for _, item := range list {
			out = append(out, idsAt(item, path[1:]...)...)
		}
		return out
	}
	return idsAt(v, path[1:]...)
}

// countOf stands for a count of the report at path: [id] when it counted it.
func countOf(data map[string]any, id string, path ...string) []any {
	args := make([]any, len(path))
	for i, p := range path {
		args[i] = p
	}
	if testkit.Dig(data, args...) == json.Number("1") {
		return []any{id}
	}
	return nil
}
