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
	"github.com/traffikgraph/traffikgraph/store/storetest"
)

// TestDerivations: every answer the store computes from more than it returns names the sensitive
// markings of what it was computed from (never ids or values), for the audit; what is computed
// from CLEAR and GREEN data only names none.
func TestDerivations(t *testing.T) {
	s := storetest.Open(t, func(cfg *store.Config) { cfg.Traversal.MaxSubgraphEdges = 1 })
	w := newWorld(t, s)
	b := builder{t, s, w}
	nodeShared := func(label, tlp string, input map[string]any, sharedWith ...string) string {
		t.Helper()
		n, err := s.Create(as(w.A, readerScopes...), label, store.CreateParams{Properties: store.Patch{Set: input}, Marking: marking(tlp, sharedWith...)})
		require.NoError(t, err)
		return n.NodeID()
	}
	green := b.node(tg.LabelIncident, "GREEN", map[string]any{"title": "Aaa", "occurredFrom": "2025-06-01"})
	red := nodeShared(tg.LabelIncident, "RED", map[string]any{"title": "Zzz", "occurredFrom": "2025-06-01"}, w.B)
	amber := b.node(tg.LabelIncident, "AMBER", map[string]any{"title": "Mmm", "occurredFrom": "2025-06-01"})
	ctxB, ctxC := as(w.B, readerScopes...), as(w.C, readerScopes...)
	list := func(ctx context.Context, p store.ListParams) *store.Page {
		t.Helper()
		page, err := s.List(ctx, tg.LabelIncident, p)
		require.NoError(t, err)
		return page
	}
	idIn := func(ids ...string) *store.Filter { return filterOf(cond("id", tg.OpIn, ids)) }

	t.Run("a count names the markings of the nodes it counts", func(t *testing.T) {
		page := list(ctxB, store.ListParams{Filter: idIn(green, red, amber), WithTotal: true, CountOnly: true})
		assert.Equal(t, 3, page.TotalCount)
		assert.Empty(t, page.Nodes, "only the count was asked")
		assert.Equal(t, []string{"AMBER", "RED"}, page.FieldMarkings["totalCount"])
		assert.Empty(t, page.Markings, "the count alone is derived")

		page = list(ctxC, store.ListParams{Filter: idIn(green, red, amber), WithTotal: true})
		assert.Equal(t, 1, page.TotalCount)
		assert.Empty(t, page.FieldMarkings, "C counts GREEN data only")
	})
	t.Run("hasNextPage names the node beyond the page", func(t *testing.T) {
		page := list(ctxB, store.ListParams{First: intp(0), Filter: idIn(red)})
		assert.True(t, page.HasNextPage)
		assert.Equal(t, map[string][]string{"pageInfo.hasNextPage": {"RED"}}, page.FieldMarkings)
		page = list(ctxB, store.ListParams{First: intp(0), Filter: idIn(green)})
		assert.True(t, page.HasNextPage)
		assert.Empty(t, page.FieldMarkings)
	})
	t.Run("a page cut from an ordering names every match", func(t *testing.T) {
		byTitle := []store.Sort{{Property: "title"}}
		page := list(ctxB, store.ListParams{First: intp(1), Filter: idIn(green, red), Order: byTitle})
		assert.Equal(t, []string{green}, ids(page.Nodes))
		assert.Equal(t, []string{"RED"}, page.Markings, "the page tells that the RED incident's title sorts after")
		page = list(ctxB, store.ListParams{First: intp(2), Filter: idIn(green, red), Order: byTitle})
		assert.Equal(t, sorted(green, red), ids(page.Nodes))
		assert.Empty(t, page.Markings, "nothing was ranked out: the RED incident is returned (and recorded as such)")
		page = list(ctxB, store.ListParams{First: intp(1), Filter: idIn(green, red)})
		assert.Empty(t, page.Markings, "an order by id alone tells nothing about the others")
	})
	t.Run("a cursor names its node", func(t *testing.T) {
		first := list(ctxB, store.ListParams{Filter: idIn(red)})
		require.Len(t, first.Cursors, 1)
		page := list(ctxB, store.ListParams{Filter: idIn(green), After: &first.Cursors[0], WithTotal: true})
		assert.Equal(t, []string{"RED"}, page.Markings, "where the page starts is learnt from the RED incident")
		assert.Empty(t, page.FieldMarkings["totalCount"])
	})
	t.Run("a relationship filter is derived from every sensitive marking", func(t *testing.T) {
		page := list(ctxB, store.ListParams{Filter: filterOf(cond("id", tg.OpIn, []string{green}), &store.Relation{Field: "location", None: true, Filter: filterOf(cond("name", tg.OpEq, "x"))})})
		assert.Equal(t, []string{green}, ids(page.Nodes))
		assert.Equal(t, store.SensitiveMarkings, page.Markings)
	})

	city := b.node(tg.LabelLocation, "GREEN", map[string]any{"name": "Derive City", "kind": "CITY", "countryCode": "TV"})
	b.link(tg.RelOccurredAt, amber, city, "GREEN", nil)
	b.link(tg.RelOccurredAt, green, city, "GREEN", nil)
	t.Run("hotspots name the markings of every incident counted", func(t *testing.T) {
		from, to := store.Date(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)), store.Date(time.Date(2025, 12, 31, 0, 0, 0, 0, time.UTC))
		p := store.HotspotsParams{Within: &city, From: &from, To: &to, Granularity: "CITY"}
		spots, err := s.Hotspots(ctxB, p)
		require.NoError(t, err)
		require.Len(t, spots, 1)
		assert.Equal(t, 2, spots[0].Incidents)
		assert.Equal(t, []string{"AMBER"}, spots[0].Markings)
		spots, err = s.Hotspots(ctxC, p)
		require.NoError(t, err)
		require.Len(t, spots, 1)
		assert.Equal(t, 1, spots[0].Incidents)
		assert.Empty(t, spots[0].Markings)
	})

	port := b.node(tg.LabelLocation, "GREEN", map[string]any{"name": "Derive Port", "kind": "PORT", "countryCode": "TV"})
	openRoute := b.node(tg.LabelRoute, "GREEN", map[string]any{"name": "open"})
	strictStop := b.node(tg.LabelRoute, "GREEN", map[string]any{"name": "strict stop"})
	b.link(tg.RelStop, openRoute, port, "GREEN", map[string]any{"seq": 0, "stopRole": "ORIGIN"})
	b.link(tg.RelStop, strictStop, port, "AMBER_STRICT", map[string]any{"seq": 0, "stopRole": "ORIGIN"})
	t.Run("routesThrough names what ties its routes to the place", func(t *testing.T) {
		page, err := s.RoutesThrough(as(w.A, readerScopes...), store.RoutesThroughParams{LocationID: port})
		require.NoError(t, err)
		assert.Equal(t, sorted(openRoute, strictStop), ids(page.Nodes))
		assert.Equal(t, []string{"AMBER_STRICT"}, page.Markings, "the routes are GREEN, one of their stops is not")
		assert.Equal(t, []string{"AMBER_STRICT"}, page.FieldMarkings["totalCount"])

		page, err = s.RoutesThrough(as(w.A, readerScopes...), store.RoutesThroughParams{LocationID: port, First: intp(1)})
		require.NoError(t, err)
		require.True(t, page.HasNextPage)
		if page.Nodes[0].NodeID() == openRoute {
			assert.Equal(t, []string{"AMBER_STRICT"}, page.FieldMarkings["pageInfo.hasNextPage"])
			assert.Empty(t, page.Markings)
		} else {
			assert.Empty(t, page.FieldMarkings["pageInfo.hasNextPage"])
			assert.Equal(t, []string{"AMBER_STRICT"}, page.Markings)
		}

		page, err = s.RoutesThrough(ctxB, store.RoutesThroughParams{LocationID: port})
		require.NoError(t, err)
		assert.Equal(t, []string{openRoute}, ids(page.Nodes))
		assert.Empty(t, page.Markings)
		assert.Empty(t, page.FieldMarkings)
	})

	holder, other := b.node(tg.LabelPerson, "GREEN", nil), b.node(tg.LabelPerson, "GREEN", nil)
	phone := b.node(tg.LabelIdentifier, "GREEN", map[string]any{"kind": "PHONE", "value": "+15550001234"})
	b.link(tg.RelHasIdentifier, holder, phone, "GREEN", nil)
	b.linkAs(w.B, tg.RelHasIdentifier, other, phone, "AMBER", nil)
	t.Run("identifier ties name the relationships that tie", func(t *testing.T) {
		linked, err := s.LinkedByIdentifiers(as(w.A, readerScopes...), store.LinkedByIdentifiersParams{ID: holder})
		require.NoError(t, err)
		require.Len(t, linked.Ties, 1)
		assert.Equal(t, other, linked.Ties[0].Party.NodeID())
		assert.Equal(t, []string{"AMBER"}, linked.Ties[0].Markings, "B's AMBER HAS_IDENTIFIER ties them")
		linked, err = s.LinkedByIdentifiers(ctxC, store.LinkedByIdentifiersParams{ID: holder})
		require.NoError(t, err)
		assert.Empty(t, linked.Ties)
	})

	hub := b.node(tg.LabelPerson, "GREEN", nil)
	b.link(tg.RelAssociateOf, hub, b.node(tg.LabelPerson, "AMBER", nil), "GREEN", nil)
	t.Run("truncated names what lay beyond the limit", func(t *testing.T) {
		g, err := s.Network(ctxB, store.NetworkParams{ID: hub, Depth: intp(1), Limit: intp(1)})
		require.NoError(t, err)
		assert.True(t, g.Truncated)
		assert.Equal(t, map[string][]string{"truncated": {"AMBER"}}, g.FieldMarkings)
		assert.Empty(t, g.Markings)
		g, err = s.Network(ctxC, store.NetworkParams{ID: hub, Depth: intp(1), Limit: intp(1)})
		require.NoError(t, err)
		assert.False(t, g.Truncated)
		assert.Empty(t, g.FieldMarkings)
	})
	t.Run("a subgraph whose relationships were cut is derived from every sensitive marking", func(t *testing.T) {
		// MaxSubgraphEdges is 1: the two relationships C sees are one too many.
		for range 2 {
			b.link(tg.RelAssociateOf, hub, b.node(tg.LabelPerson, "GREEN", nil), "GREEN", nil)
		}
		g, err := s.Network(ctxC, store.NetworkParams{ID: hub, Depth: intp(1)})
		require.NoError(t, err)
		assert.Len(t, g.Nodes, 3)
		assert.Len(t, g.Edges, 1)
		assert.True(t, g.Truncated)
		assert.Equal(t, store.SensitiveMarkings, g.Markings, "its nodes were reached over a relationship it does not return")
	})
}

// TestDerivationsNameThePersonalDataUsed: an answer selected, ordered, matched or scored on
// personal data names the personal-data properties it read, as Label.property (never values),
// at any depth of a filter; a caller who may not read personal data reads none, and an answer
// that uses none names none.
func TestDerivationsNameThePersonalDataUsed(t *testing.T) {
	s := mustOpen(t)
	w := newWorld(t, s)
	b := builder{t, s, w}
	person := b.node(tg.LabelPerson, "GREEN", map[string]any{"name": "Orla Pimm"})
	address := b.node(tg.LabelLocation, "GREEN", map[string]any{"name": "3 Pimm Row", "kind": "ADDRESS"})
	b.link(tg.RelLivesAt, person, address, "GREEN", nil)
	phone := b.node(tg.LabelIdentifier, "GREEN", map[string]any{"kind": "PHONE", "value": "+15550009876"})
	b.link(tg.RelHasIdentifier, person, phone, "GREEN", nil)
	pii, plain := as(w.B, append(readerScopes, auth.ScopeGraphReadPII)...), as(w.B, readerScopes...)
	first := 10

	list := func(label string, p store.ListParams) func(ctx context.Context) ([]string, error) {
		return func(ctx context.Context) ([]string, error) {
			p.First = &first
			page, err := s.List(ctx, label, p)
			if err != nil {
				return nil, err
			}
			return page.PersonalData, nil
		}
	}
	idIn := func(ids ...string) *store.Filter { return filterOf(cond("id", tg.OpIn, ids)) }
	for _, c := range []struct {
		name   string
		answer func(ctx context.Context) ([]string, error)
		// withPII is what the answer names for a caller with graph:read:pii; a caller without it
		// reads none (or, ordering by an always personal property, is refused).
		withPII []string
	}{
		{"people ordered by name and birth year",
			list(tg.LabelPerson, store.ListParams{Filter: idIn(person), Order: []store.Sort{{Property: "name"}, {Property: "birthYear"}}}),
			[]string{"Person.birthYear", "Person.name"}},
		{"people ordered by nationality",
			list(tg.LabelPerson, store.ListParams{Filter: idIn(person), Order: []store.Sort{{Property: "nationality"}}}), nil},
		{"places ordered by name",
			list(tg.LabelLocation, store.ListParams{Filter: idIn(address), Order: []store.Sort{{Property: "name"}}}),
			[]string{"Location.name"}},
		{"places filtered by name inside OR and NOT",
			list(tg.LabelLocation, store.ListParams{Filter: filterOf(&store.AnyOf{Filters: []*store.Filter{filterOf(&store.Not{Filter: filterOf(cond("name", tg.OpContains, "pimm"))})}})}),
			[]string{"Location.name"}},
		{"people filtered through where they live",
			list(tg.LabelPerson, store.ListParams{Filter: filterOf(cond("id", tg.OpIn, []string{person}), &store.Relation{Field: "livesAt", Filter: filterOf(cond("name", tg.OpEq, "3 Pimm Row"))})}),
			[]string{"Location.name"}},
		{"people filtered on markings and nationality",
			list(tg.LabelPerson, store.ListParams{Filter: filterOf(cond("nationality", tg.OpIn, []string{"PW"}), cond("tlp", tg.OpIn, []string{"GREEN"}))}),
			nil},
		{"a search of people and identifiers", func(ctx context.Context) ([]string, error) {
			result, err := s.Search(ctx, store.SearchParams{Query: "pimm", Labels: []string{tg.LabelPerson, tg.LabelIdentifier}})
			require.NoError(t, err)
			return result.PersonalData, nil
		}, []string{"Identifier.value", "Person.aliases", "Person.name"}},
		{"a search of businesses", func(ctx context.Context) ([]string, error) {
			result, err := s.Search(ctx, store.SearchParams{Query: "pimm", Labels: []string{tg.LabelBusiness}})
			require.NoError(t, err)
			return result.PersonalData, nil
		}, nil},
		{"identifier ties", func(ctx context.Context) ([]string, error) {
			linked, err := s.LinkedByIdentifiers(ctx, store.LinkedByIdentifiersParams{ID: person})
			require.NoError(t, err)
			return linked.PersonalData, nil
		}, []string{"Identifier.value"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			used, err := c.answer(pii)
			require.NoError(t, err)
			assert.Equal(t, c.withPII, used, "with graph:read:pii")
			used, err = c.answer(plain)
			if err != nil {
				assertCode(t, tg.Forbidden, err)
			}
			assert.Empty(t, used, "without graph:read:pii")
		})
	}
}
