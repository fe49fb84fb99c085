package seed_test

import (
	"context"
	"testing"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	tg "github.com/traffikgraph/traffikgraph"
	"github.com/traffikgraph/traffikgraph/auth"
	"github.com/traffikgraph/traffikgraph/seed"
	"github.com/traffikgraph/traffikgraph/store"
	"github.com/traffikgraph/traffikgraph/store/storetest"
)

// TestDemoSubmissions: the demo's triage desk has a queue out of the box: public submissions over
// the three channels, several languages and places, NEW, in the queue of the triage persona's
// partner, and seen by its callers holding reports:triage only.
func TestDemoSubmissions(t *testing.T) {
	driver, database := mustConnect(t)
	_, err := seed.EnsureDemoPartners(t.Context(), driver, database)
	require.NoError(t, err)
	s := storetest.Open(t)
	ids, err := seed.DemoSubmissions(t.Context(), s)
	require.NoError(t, err)
	t.Cleanup(func() {
		// t.Context() is over by now.
		for _, cypher := range []string{`MATCH (r:Report) WHERE r.id IN $ids DETACH DELETE r`, `MATCH (v:Version) WHERE v.entityId IN $ids DELETE v`} {
			_, err := neo4j.ExecuteQuery(context.Background(), driver, cypher, map[string]any{"ids": ids}, neo4j.EagerResultTransformer,
				neo4j.ExecuteQueryWithDatabase(database))
			assert.NoError(t, err)
		}
	})
	require.Len(t, ids, seed.DemoSubmissionCount)

	desk := func(scopes ...auth.Scope) *store.TriagePage {
		t.Helper()
		analyst := auth.WithCaller(t.Context(), auth.Caller{Issuer: "test", Subject: "analyst", PartnerID: seed.PartnerSTT, Scopes: scopes})
		first := seed.DemoSubmissionCount
		page, err := s.TriageQueue(analyst, store.TriageParams{First: &first, WithTotal: true, WithCounts: true,
			Filter: &store.Filter{Terms: []store.Term{&store.Condition{Property: "id", Op: tg.OpIn, Value: ids}}}})
		require.NoError(t, err)
		return page
	}
	page := desk(auth.ScopeGraphRead, auth.ScopeReportsTriage)
	assert.Equal(t, seed.DemoSubmissionCount, page.TotalCount, "every submission waits in the queue")
	assert.Equal(t, []store.StatusCount{{Status: "NEW", Count: seed.DemoSubmissionCount}}, page.CountsByStatus)
	channels, languages, places := map[string]bool{}, map[string]bool{}, map[store.GeoPoint]bool{}
	for _, n := range page.Nodes {
		r := n.(*store.Report)
		channels[r.Channel], languages[*r.Language], places[*r.ApproxLocation] = true, true, true
	}
	assert.Len(t, channels, 3, "APP, WEB and HOTLINE")
	assert.GreaterOrEqual(t, len(languages), 5)
	assert.GreaterOrEqual(t, len(places), 10)

	assert.Zero(t, desk(auth.ScopeGraphRead).TotalCount, "the partner's callers without reports:triage see none of them")
}
