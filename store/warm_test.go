package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	tg "github.com/traffikgraph/traffikgraph"
	"github.com/traffikgraph/traffikgraph/auth"
	"github.com/traffikgraph/traffikgraph/store"
)

// TestWarmPlansPlansWhatRequestsRun: the warm-up has Neo4j plan (EXPLAIN) the very statements
// requests run, traversals, pages, node reads and the audit write, for partners and anonymous
// callers, without running any of them (no query counted, nothing written).
func TestWarmPlansPlansWhatRequestsRun(t *testing.T) {
	s := mustOpen(t)
	before := s.QueryCount()
	warmup := s.WarmPlans(context.Background())
	t.Logf("planned %d statements in %s", len(warmup.Statements), warmup.Elapsed)
	require.True(t, warmup.Complete)
	require.Empty(t, warmup.Failed)
	assert.Equal(t, before, s.QueryCount(), "nothing ran: every statement was only planned")
	assert.Contains(t, warmup.Statements, store.WriteAuditEventsForTest)

	partner := as("warm-test", auth.ScopeGraphRead, auth.ScopeGraphReadPII, auth.ScopeSupplyChainRead)
	withoutPII := as("warm-test", auth.ScopeGraphRead, auth.ScopeSupplyChainRead)
	first := 10 // a page size is a parameter: the text is the default page's
	for _, tc := range []struct {
		name string
		ctx  context.Context
		call func(ctx context.Context, s *store.Store) error
	}{
		{"supplyChainRisk", partner, func(ctx context.Context, s *store.Store) error {
			_, err := s.SupplyChainRisk(ctx, "b-1", nil)
			return err
		}},
		{"supplyChain", partner, func(ctx context.Context, s *store.Store) error {
			_, err := s.SupplyChain(ctx, store.SupplyChainParams{BusinessID: "b-1", Direction: store.Downstream})
			return err
		}},
		{"network", partner, func(ctx context.Context, s *store.Store) error {
			_, err := s.Network(ctx, store.NetworkParams{ID: "p-1"})
			return err
		}},
		{"shortestPath", partner, func(ctx context.Context, s *store.Store) error {
			_, err := s.ShortestPath(ctx, store.PathParams{From: "p-1", To: "p-2"})
			return err
		}},
		{"linkedByIdentifiers", withoutPII, func(ctx context.Context, s *store.Store) error {
			_, err := s.LinkedByIdentifiers(ctx, store.LinkedByIdentifiersParams{ID: "p-1"})
			return err
		}},
		{"network following SAME_AS", partner, func(ctx context.Context, s *store.Store) error {
			_, err := s.Network(ctx, store.NetworkParams{ID: "p-1", FollowSameAs: true})
			return err
		}},
		{"shortestPath following SAME_AS", partner, func(ctx context.Context, s *store.Store) error {
			_, err := s.ShortestPath(ctx, store.PathParams{From: "p-1", To: "p-2", FollowSameAs: true})
			return err
		}},
		{"linkedByIdentifiers following SAME_AS", partner, func(ctx context.Context, s *store.Store) error {
			_, err := s.LinkedByIdentifiers(ctx, store.LinkedByIdentifiersParams{ID: "p-1", FollowSameAs: true})
			return err
		}},
		{"duplicateCandidates", partner, func(ctx context.Context, s *store.Store) error {
			_, err := s.DuplicateCandidates(ctx, store.DuplicateParams{Label: tg.LabelBusiness})
			return err
		}},
		{"duplicateCandidates without personal data", withoutPII, func(ctx context.Context, s *store.Store) error {
			_, err := s.DuplicateCandidates(ctx, store.DuplicateParams{Label: tg.LabelPerson})
			return err
		}},
		{"routesThrough", partner, func(ctx context.Context, s *store.Store) error {
			_, err := s.RoutesThrough(ctx, store.RoutesThroughParams{LocationID: "l-1", First: &first})
			return err
		}},
		{"routeFlows", partner, func(ctx context.Context, s *store.Store) error {
			_, err := s.RouteFlows(ctx, store.RouteFlowsParams{})
			return err
		}},
		{"hotspots", partner, func(ctx context.Context, s *store.Store) error {
			_, err := s.Hotspots(ctx, store.HotspotsParams{Granularity: "CITY"})
			return err
		}},
		{"search", partner, func(ctx context.Context, s *store.Store) error {
			_, err := s.Search(ctx, store.SearchParams{Query: "harbour hotels"})
			return err
		}},
		{"search without personal data", withoutPII, func(ctx context.Context, s *store.Store) error {
			_, err := s.Search(ctx, store.SearchParams{Query: "London"})
			return err
		}},
		{"node", partner, func(ctx context.Context, s *store.Store) error {
			_, err := s.Get(ctx, "p-1")
			return err
		}},
		{"incidents page", partner, func(ctx context.Context, s *store.Store) error {
			_, err := s.List(ctx, tg.LabelIncident, store.ListParams{First: &first})
			return err
		}},
		{"partners totalCount", anonymous, func(ctx context.Context, s *store.Store) error {
			_, err := s.List(ctx, tg.LabelPartner, store.ListParams{WithTotal: true, CountOnly: true})
			return err
		}},
		{"history", partner, func(ctx context.Context, s *store.Store) error {
			_, err := s.History(ctx, store.HistoryParams{ID: "p-1", WithTotal: true})
			if tg.ErrorCode(err) == tg.NotFound {
				return nil // its statement ran; no such entity in this database
			}
			return err
		}},
		{"anonymous search", anonymous, func(ctx context.Context, s *store.Store) error {
			_, err := s.Search(ctx, store.SearchParams{Query: "London"})
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var log []store.Statement
			require.NoError(t, tc.call(store.WithStatementLog(tc.ctx, &log), s))
			require.NotEmpty(t, log)
			for _, statement := range log {
				assert.Contains(t, warmup.Statements, statement.Cypher, "the request's statement was warmed")
			}
		})
	}
}

// TestWarmPlansStopsWhenItsTimeIsUp: a warm-up whose time ends says it did not complete, and
// returns at once.
func TestWarmPlansStopsWhenItsTimeIsUp(t *testing.T) {
	s := mustOpen(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel()
	started := time.Now()
	warmup := s.WarmPlans(ctx)
	assert.False(t, warmup.Complete)
	assert.Empty(t, warmup.Failed, "running out of time is not a failure of a statement")
	assert.Less(t, time.Since(started), 5*time.Second)
}
