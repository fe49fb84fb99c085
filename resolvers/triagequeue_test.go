package resolvers_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/traffikgraph/traffikgraph/auth"
	"github.com/traffikgraph/traffikgraph/internal/testkit"
	"github.com/traffikgraph/traffikgraph/store"
	"github.com/traffikgraph/traffikgraph/store/storetest"
)

// triageDesk is a harness whose partner A is the triage partner, with the desk's callers:
// "a-triage" (A, reports:triage, personal data), "a-triage-no-pii", and "b-triage" (B, which
// shares a group with A, reports:triage).
type triageDesk struct {
	*harness
	submit *store.Store
}

func newTriageDesk(t *testing.T) *triageDesk {
	h := newHarness(t)
	triage := []auth.Scope{auth.ScopeGraphRead, auth.ScopeGraphWrite, auth.ScopeReportsTriage}
	h.callers["a-triage"] = auth.Caller{Issuer: "test", Subject: "tess", PartnerID: h.A, Scopes: append(triage, auth.ScopeGraphReadPII)}
	h.callers["a-triage-no-pii"] = auth.Caller{Issuer: "test", Subject: "tom", PartnerID: h.A, Scopes: triage}
	h.callers["b-triage"] = auth.Caller{Issuer: "test", Subject: "bea", PartnerID: h.B, Scopes: append(triage, auth.ScopeGraphReadPII)}
	return &triageDesk{harness: h, submit: storetest.Open(t, func(cfg *store.Config) { cfg.TriagePartner = h.A })}
}

// submitted submits a report to the desk as the public does and returns its id.
func (d *triageDesk) submitted(text, language, channel string, at *store.GeoPoint) string {
	d.t.Helper()
	receipt, err := d.submit.SubmitReport(context.Background(), store.Submission{Text: text, Language: language, Channel: channel, ApproxLocation: at})
	require.NoError(d.t, err)
	return receipt.ReceiptID
}

const queueQuery = `query($where: TriageWhere, $first: Int, $after: String) {
  triageQueue(where: $where, first: $first, after: $after) {
    edges { cursor node { id text channel status } }
    pageInfo { hasNextPage endCursor }
    totalCount
    countsByStatus { status count }
  }
}`

// TestTriageQueue: the desk's queue holds its own partner's reports waiting for a decision,
// oldest first, filtered by status, channel, language, time and distance, paged by keyset
// cursors, with counts by status over the same filter; other partners' desks see none of them.
func TestTriageQueue(t *testing.T) {
	d := newTriageDesk(t)
	lisbon, porto := &store.GeoPoint{Latitude: 38.72, Longitude: -9.14}, &store.GeoPoint{Latitude: 41.15, Longitude: -8.61}
	first := d.submitted("Workers at the quarry cannot leave", "pt", "APP", lisbon)
	second := d.submitted("A van takes girls across the border at night", "en", "WEB", porto)
	third := d.submitted("Passports kept by the farm owner", "en", "HOTLINE", nil)
	dismissed := d.submitted("Spam spam spam", "en", "WEB", lisbon)
	d.cypher(`MATCH (r:Report {id: $id}) SET r.status = 'DISMISSED'`, map[string]any{"id": dismissed})

	queue := func(token string, vars map[string]any) (ids []any, data map[string]any) {
		t.Helper()
		resp := d.do(token, queueQuery, vars)
		require.Empty(t, resp.Errors)
		return idsAt(resp.Data, "triageQueue", "edges", "node"), resp.Data
	}
	t.Run("OldestFirstWithCountsByStatus", func(t *testing.T) {
		ids, data := queue("a-triage", nil)
		assert.Equal(t, []any{first, second, third}, ids, "NEW, TRIAGED and IN_REVIEW by default, oldest first")
		assert.Equal(t, json.Number("3"), testkit.Dig(data, "triageQueue", "totalCount"))
		assert.Equal(t, []any{
			map[string]any{"status": "NEW", "count": json.Number("3")},
			map[string]any{"status": "DISMISSED", "count": json.Number("1")},
		}, testkit.Dig(data, "triageQueue", "countsByStatus"), "counted over the filter without its statuses")
	})
	t.Run("Pages", func(t *testing.T) {
		ids, data := queue("a-triage", map[string]any{"first": 2})
		assert.Equal(t, []any{first, second}, ids)
		assert.Equal(t, true, testkit.Dig(data, "triageQueue", "pageInfo", "hasNextPage"))
		ids, data = queue("a-triage", map[string]any{"first": 2, "after": testkit.Dig(data, "triageQueue", "pageInfo", "endCursor")})
		assert.Equal(t, []any{third}, ids)
		assert.Equal(t, false, testkit.Dig(data, "triageQueue", "pageInfo", "hasNextPage"))
	})
	for _, c := range []struct {
		name  string
		where map[string]any
		want  []any
	}{
		{"Status", map[string]any{"status_in": []string{"DISMISSED"}}, []any{dismissed}},
		{"Channel", map[string]any{"channel_in": []string{"WEB", "HOTLINE"}}, []any{second, third}},
		{"Language", map[string]any{"language_in": []string{"pt"}}, []any{first}},
		{"Near", map[string]any{"near": map[string]any{"point": map[string]any{"latitude": 38.7, "longitude": -9.1}, "radiusKm": 50}}, []any{first}},
		{"NearWide", map[string]any{"near": map[string]any{"point": map[string]any{"latitude": 38.7, "longitude": -9.1}, "radiusKm": 400}}, []any{first, second}},
		{"NothingBefore", map[string]any{"submittedAt_lt": "2000-01-01T00:00:00Z"}, nil},
		{"SinceLongAgo", map[string]any{"submittedAt_gte": "2000-01-01T00:00:00Z", "channel_in": []string{"APP"}}, []any{first}},
	} {
		t.Run("Filter"+c.name, func(t *testing.T) {
			ids, _ := queue("a-triage", map[string]any{"where": c.where})
			assert.Equal(t, c.want, ids)
		})
	}
	t.Run("ErrARadiusOutOfBoundsIsBadInput", func(t *testing.T) {
		for _, radius := range []float64{0, -1, 501} {
			resp := d.do("a-triage", queueQuery, map[string]any{"where": map[string]any{
				"near": map[string]any{"point": map[string]any{"latitude": 38.7, "longitude": -9.1}, "radiusKm": radius}}})
			require.Equal(t, []string{"BAD_USER_INPUT"}, resp.Codes(), "radius %v", radius)
			assert.Equal(t, "where.near", resp.Errors[0].Extensions["field"], "radius %v", radius)
		}
	})
	t.Run("ErrWithoutReportsTriageForbidden", func(t *testing.T) {
		resp := d.do("a", queueQuery, nil)
		assert.Equal(t, []string{"FORBIDDEN"}, resp.Codes())
		assert.Nil(t, testkit.Dig(resp.Data, "triageQueue"))
	})
	t.Run("ErrAnotherPartnersDeskSeesNoneOfThem", func(t *testing.T) {
		ids, data := queue("b-triage", map[string]any{"where": map[string]any{"status_in": []string{"NEW", "DISMISSED"}}})
		assert.Empty(t, ids)
		assert.Equal(t, json.Number("0"), testkit.Dig(data, "triageQueue", "totalCount"))
		assert.Equal(t, []any{}, testkit.Dig(data, "triageQueue", "countsByStatus"))
	})
	t.Run("ErrTextRedactedWithoutPersonalData", func(t *testing.T) {
		resp := d.do("a-triage-no-pii", queueQuery, nil)
		require.Empty(t, resp.Errors)
		for i, edge := range testkit.Dig(resp.Data, "triageQueue", "edges").([]any) {
			assert.Nil(t, testkit.Dig(edge, "node", "text"), "edge %d", i)
		}
		assert.Contains(t, resp.Redacted(), "triageQueue.edges[0].node.text")
	})
	t.Run("ReadsAreAudited", func(t *testing.T) {
		queue("a-triage", map[string]any{"first": 1})
		events := d.auditEvents(d.A)
		require.NotEmpty(t, events)
		assert.Equal(t, []any{"triageQueue"}, events[0]["rootFields"])
		assert.ElementsMatch(t, []any{first}, events[0]["entityIds"], "the report returned")
		assert.Contains(t, events[0]["piiFields"], "Report.text")
		assert.Contains(t, events[0]["markings"], "AMBER_STRICT")
		assert.Contains(t, events[0]["aggregates"], "Query.triageQueue.countsByStatus(first)")
	})
}
