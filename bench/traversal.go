package bench

import (
	"context"
	"math/rand/v2"

	"github.com/traffikgraph/traffikgraph/store"
)

func idVar(from func(*Fixture) []string) func(*Fixture, *rand.Rand) map[string]any {
	return func(f *Fixture, r *rand.Rand) map[string]any { return map[string]any{"id": pick(r, from(f))} }
}

func str(v any) string { s, _ := v.(string); return s }

// TraversalCases are the network, path, supply-chain, hotspot and search questions. Their
// baseline replays the statement the store sends, so their ratio is the cost of HTTP, token
// verification, GraphQL, decoding and auditing around Neo4j's own work.
func TraversalCases() []Case {
	return []Case{
		{
			Name: "network depth 2",
			GraphQL: `query($id: ID!) { network(id: $id, depth: 2, limit: 100) { truncated
  nodes { id } edges { type from { id } to { id } } } }`,
			Variables: idVar(func(f *Fixture) []string { return f.Incidents }),
			Store: func(ctx context.Context, s *store.Store, v map[string]any) error {
				depth, limit := 2, 100
				_, err := s.Network(ctx, store.NetworkParams{ID: str(v["id"]), Depth: &depth, Limit: &limit})
				return err
			},
		},
		{
			Name: "shortestPath",
			GraphQL: `query($from: ID!, $to: ID!) { shortestPath(from: $from, to: $to, maxDepth: 4) { length
  nodes { id } relationships { type } } }`,
			Variables: func(f *Fixture, r *rand.Rand) map[string]any {
				pair := f.PathPairs[r.IntN(len(f.PathPairs))]
				return map[string]any{"from": pair[0], "to": pair[1]}
			},
			Store: func(ctx context.Context, s *store.Store, v map[string]any) error {
				depth := 4
				_, err := s.ShortestPath(ctx, store.PathParams{From: str(v["from"]), To: str(v["to"]), MaxDepth: &depth})
				return err
			},
		},
		{
			Name:      "linkedByIdentifiers",
			GraphQL:   `query($id: ID!) { linkedByIdentifiers(id: $id) { sharedValues party { ... on Person { id } ... on Business { id } } identifiers { kind } } }`,
			Variables: idVar(func(f *Fixture) []string { return f.Linked }),
			Store: func(ctx context.Context, s *store.Store, v map[string]any) error {
				_, err := s.LinkedByIdentifiers(ctx, store.LinkedByIdentifiersParams{ID: str(v["id"])})
				return err
			},
		},
		{
			Name:      "routesThrough",
			GraphQL:   `query($id: ID!) { routesThrough(locationId: $id) { edges { node { id name } } } }`,
			Variables: idVar(func(f *Fixture) []string { return f.RouteLocations }),
			Store: func(ctx context.Context, s *store.Store, v map[string]any) error {
				_, err := s.RoutesThrough(ctx, store.RoutesThroughParams{LocationID: str(v["id"])})
				return err
			},
		},
		{
			Name:      "routeFlows",
			GraphQL:   `{ routeFlows { originCountry destinationCountry routes incidents victims } }`,
			Variables: func(*Fixture, *rand.Rand) map[string]any { return nil },
			Store: func(ctx context.Context, s *store.Store, _ map[string]any) error {
				_, err := s.RouteFlows(ctx, store.RouteFlowsParams{})
				return err
			},
		},
		{
			Name:      "hotspots by city",
			GraphQL:   `{ hotspots(granularity: CITY) { location { id } incidents victims incidentChange } }`,
			Variables: func(*Fixture, *rand.Rand) map[string]any { return nil },
			Store: func(ctx context.Context, s *store.Store, _ map[string]any) error {
				_, err := s.Hotspots(ctx, store.HotspotsParams{Granularity: "CITY"})
				return err
			},
		},
		{
			Name:      "supplyChain 3 tiers",
			GraphQL:   `query($id: ID!) { supplyChain(businessId: $id) { truncated tiers { tier businesses { id } } edges { from { id } to { id } } } }`,
			Variables: idVar(func(f *Fixture) []string { return f.SupplyBusinesses }),
			Store: func(ctx context.Context, s *store.Store, v map[string]any) error {
				_, err := s.SupplyChain(ctx, store.SupplyChainParams{BusinessID: str(v["id"]), Direction: store.Upstream})
				return err
			},
		},
		{
			Name: "supplyChainRisk 3 tiers",
			GraphQL: `query($id: ID!) { supplyChainRisk(businessId: $id) { truncated
  suppliers { supplier { id } tier score reasons { kind weight path { length } } } } }`,
			Variables: idVar(func(f *Fixture) []string { return f.SupplyBusinesses }),
			Store: func(ctx context.Context, s *store.Store, v map[string]any) error {
				_, err := s.SupplyChainRisk(ctx, str(v["id"]), nil)
				return err
			},
		},
		{
			Name:      "search",
			GraphQL:   `query($q: String!) { search(query: $q) { score type node { id } } }`,
			Variables: func(f *Fixture, r *rand.Rand) map[string]any { return map[string]any{"q": pick(r, f.SearchTerms)} },
			Store: func(ctx context.Context, s *store.Store, v map[string]any) error {
				_, err := s.Search(ctx, store.SearchParams{Query: str(v["q"])})
				return err
			},
		},
	}
}
