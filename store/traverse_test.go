package store_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	tg "github.com/traffikgraph/traffikgraph"
	"github.com/traffikgraph/traffikgraph/auth"
	"github.com/traffikgraph/traffikgraph/store"
)

// builder creates a test's graph through the store, as partner A unless told otherwise.
type builder struct {
	t *testing.T
	s *store.Store
	w *world
}

func marking(tlp string, sharedWith ...string) store.Marking {
	return store.Marking{Tlp: tlp, SharedWith: sharedWith}
}

func (b builder) nodeAs(partner, label, tlp string, input map[string]any) string {
	b.t.Helper()
	n, err := b.s.Create(as(partner, readerScopes...), label, store.CreateParams{Properties: store.Patch{Set: input}, Marking: marking(tlp)})
	require.NoError(b.t, err)
	return n.NodeID()
}

func (b builder) node(label, tlp string, input map[string]any) string {
	b.t.Helper()
	return b.nodeAs(b.w.A, label, tlp, input)
}

func (b builder) linkAs(partner, typ, from, to, tlp string, props map[string]any) {
	b.t.Helper()
	_, err := b.s.Link(as(partner, readerScopes...), store.LinkParams{Type: typ, From: from, To: to, Properties: store.Patch{Set: props}, Marking: marking(tlp)})
	require.NoError(b.t, err)
}

func (b builder) link(typ, from, to, tlp string, props map[string]any) {
	b.t.Helper()
	b.linkAs(b.w.A, typ, from, to, tlp, props)
}

func ids(nodes []store.Node) []string {
	out := make([]string, 0, len(nodes))
	for _, n := range nodes {
		out = append(out, n.NodeID())
	}
	slices.Sort(out)
	return out
}

func sorted(ids ...string) []string {
	slices.Sort(ids)
	return ids
}

func intp(n int) *int { return &n }

// oneQuery runs call and asserts that it ran exactly one Cypher query.
func oneQuery(t *testing.T, s *store.Store, call func()) {
	t.Helper()
	before := s.QueryCount()
	call()
	assert.Equal(t, before+1, s.QueryCount(), "one Cypher query")
}

func assertCode(t *testing.T, want tg.Code, err error) {
	t.Helper()
	require.Error(t, err)
	assert.Equal(t, want, tg.ErrorCode(err), err.Error())
}

func TestNetwork(t *testing.T) {
	s := mustOpen(t)
	w := newWorld(t, s)
	b := builder{t, s, w}
	// p1 -ASSOCIATE_OF-> p2 -ASSOCIATE_OF (A's AMBER_STRICT)-> p3; p1 holds A's AMBER_STRICT phone.
	p1 := b.node(tg.LabelPerson, "GREEN", map[string]any{"name": "Ada One"})
	p2 := b.node(tg.LabelPerson, "GREEN", map[string]any{"name": "Bo Two"})
	p3 := b.node(tg.LabelPerson, "GREEN", map[string]any{"name": "Cy Three"})
	phone := b.node(tg.LabelIdentifier, "AMBER_STRICT", map[string]any{"kind": "PHONE", "value": "+441234567890"})
	b.link(tg.RelAssociateOf, p1, p2, "GREEN", map[string]any{"kind": "FRIEND"})
	b.link(tg.RelAssociateOf, p2, p3, "AMBER_STRICT", nil)
	b.link(tg.RelHasIdentifier, p1, phone, "GREEN", nil)
	ctxA, ctxB := as(w.A, readerScopes...), as(w.B, readerScopes...)

	t.Run("the source sees every node within the depth", func(t *testing.T) {
		var g *store.Subgraph
		var err error
		oneQuery(t, s, func() { g, err = s.Network(ctxA, store.NetworkParams{ID: p1}) })
		require.NoError(t, err)
		assert.Equal(t, sorted(p1, p2, p3, phone), ids(g.Nodes))
		assert.Equal(t, p1, g.Nodes[0].NodeID(), "the entity asked about comes first")
		assert.Len(t, g.Edges, 3)
		assert.False(t, g.Truncated)
	})
	t.Run("another partner does not reach through hidden nodes or relationships", func(t *testing.T) {
		g, err := s.Network(ctxB, store.NetworkParams{ID: p1})
		require.NoError(t, err)
		assert.Equal(t, sorted(p1, p2), ids(g.Nodes))
		require.Len(t, g.Edges, 1)
		edge := g.Edges[0]
		assert.Equal(t, tg.RelAssociateOf, edge.Type)
		assert.Equal(t, "FRIEND", *edge.Kind)
		assert.Equal(t, "GREEN", edge.Provenance.Tlp)
		assert.Equal(t, p1, edge.From.NodeID())
		assert.Equal(t, p2, edge.To.NodeID())
	})
	t.Run("anonymous callers see nothing of GREEN data", func(t *testing.T) {
		g, err := s.Network(anonymous, store.NetworkParams{ID: p1})
		require.NoError(t, err)
		assert.Empty(t, g.Nodes)
	})
	t.Run("depth bounds the hops", func(t *testing.T) {
		g, err := s.Network(ctxA, store.NetworkParams{ID: p1, Depth: intp(1)})
		require.NoError(t, err)
		assert.Equal(t, sorted(p1, p2, phone), ids(g.Nodes))
	})
	t.Run("relationship types restrict the traversal", func(t *testing.T) {
		g, err := s.Network(ctxA, store.NetworkParams{ID: p1, RelationshipTypes: []string{tg.RelHasIdentifier}})
		require.NoError(t, err)
		assert.Equal(t, sorted(p1, phone), ids(g.Nodes))
	})
	t.Run("the limit truncates", func(t *testing.T) {
		g, err := s.Network(ctxA, store.NetworkParams{ID: p1, Limit: intp(2)})
		require.NoError(t, err)
		assert.Len(t, g.Nodes, 2)
		assert.True(t, g.Truncated)
	})
	t.Run("truncated reveals nothing hidden", func(t *testing.T) {
		g, err := s.Network(ctxB, store.NetworkParams{ID: p1, Limit: intp(2)})
		require.NoError(t, err)
		assert.Len(t, g.Nodes, 2)
		assert.False(t, g.Truncated)
	})
	t.Run("personal data is withheld without graph:read:pii", func(t *testing.T) {
		g, err := s.Network(ctxA, store.NetworkParams{ID: p1, Depth: intp(1)})
		require.NoError(t, err)
		for _, n := range g.Nodes {
			if p, ok := n.(*store.Person); ok {
				assert.Nil(t, p.Name)
			}
		}
		g, err = s.Network(as(w.A, auth.ScopeGraphRead, auth.ScopeGraphReadPII), store.NetworkParams{ID: p1, Depth: intp(1)})
		require.NoError(t, err)
		assert.Equal(t, "Ada One", *g.Nodes[0].(*store.Person).Name)
	})
	for _, tc := range []struct {
		name string
		p    store.NetworkParams
		code tg.Code
	}{
		{"depth beyond the maximum is LIMIT_EXCEEDED", store.NetworkParams{ID: p1, Depth: intp(5)}, tg.LimitExceeded},
		{"limit beyond the maximum is LIMIT_EXCEEDED", store.NetworkParams{ID: p1, Limit: intp(100000)}, tg.LimitExceeded},
		{"depth 0 is BAD_USER_INPUT", store.NetworkParams{ID: p1, Depth: intp(0)}, tg.BadUserInput},
		{"an unknown relationship type is BAD_USER_INPUT", store.NetworkParams{ID: p1, RelationshipTypes: []string{"MEMBER_OF"}}, tg.BadUserInput},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := s.QueryCount()
			_, err := s.Network(ctxA, tc.p)
			assertCode(t, tc.code, err)
			assert.Equal(t, before, s.QueryCount(), "refused before any query")
		})
	}
}

func TestShortestPath(t *testing.T) {
	s := mustOpen(t)
	w := newWorld(t, s)
	b := builder{t, s, w}
	callers := map[string]context.Context{
		"anonymous": anonymous, "A": as(w.A, readerScopes...), "B": as(w.B, readerScopes...),
		"C": as(w.C, readerScopes...), "D": as(w.D, readerScopes...),
	}
	for _, m := range []struct {
		name    string
		marking store.Marking
		seenBy  map[string]bool
	}{
		{"through a CLEAR node", marking("CLEAR"), map[string]bool{"anonymous": true, "A": true, "B": true, "C": true, "D": true}},
		{"through a GREEN node", marking("GREEN"), map[string]bool{"A": true, "B": true, "C": true, "D": true}},
		{"through an AMBER node", marking("AMBER"), map[string]bool{"A": true, "B": true}},
		{"through an AMBER_STRICT node", marking("AMBER_STRICT"), map[string]bool{"A": true}},
		{"through a RED node shared with C", marking("RED", w.C), map[string]bool{"A": true, "C": true}},
	} {
		t.Run(m.name+" the path exists only for those who see it", func(t *testing.T) {
			from := b.node(tg.LabelBusiness, "CLEAR", map[string]any{"name": "From"})
			to := b.node(tg.LabelBusiness, "CLEAR", map[string]any{"name": "To"})
			mid, err := s.Create(callers["A"], tg.LabelBusiness, store.CreateParams{Properties: store.Patch{Set: map[string]any{"name": "Middle"}}, Marking: m.marking})
			require.NoError(t, err)
			b.link(tg.RelSupplies, from, mid.NodeID(), "CLEAR", nil)
			b.link(tg.RelSupplies, mid.NodeID(), to, "CLEAR", nil)
			for who, ctx := range callers {
				var path *store.Path
				oneQuery(t, s, func() { path, err = s.ShortestPath(ctx, store.PathParams{From: from, To: to}) })
				require.NoError(t, err)
				if !m.seenBy[who] {
					assert.Nil(t, path, who)
					continue
				}
				require.NotNil(t, path, who)
				assert.Equal(t, []string{from, mid.NodeID(), to}, []string{path.Nodes[0].NodeID(), path.Nodes[1].NodeID(), path.Nodes[2].NodeID()}, who)
				assert.Equal(t, 2, path.Length())
			}
		})
	}

	from := b.node(tg.LabelPerson, "GREEN", nil)
	to := b.node(tg.LabelPerson, "GREEN", nil)
	open := b.node(tg.LabelPerson, "GREEN", nil)
	strict := b.node(tg.LabelPerson, "GREEN", nil)
	b.link(tg.RelAssociateOf, from, open, "GREEN", nil)
	b.link(tg.RelAssociateOf, open, to, "GREEN", nil)
	b.link(tg.RelAssociateOf, from, strict, "GREEN", nil)
	b.link(tg.RelAssociateOf, to, strict, "AMBER_STRICT", nil) // a hidden relationship, followed against its direction
	t.Run("all shortest paths keep only the visible ones", func(t *testing.T) {
		paths, err := s.AllShortestPaths(callers["A"], store.PathParams{From: from, To: to})
		require.NoError(t, err)
		assert.Len(t, paths, 2)
		paths, err = s.AllShortestPaths(callers["B"], store.PathParams{From: from, To: to})
		require.NoError(t, err)
		require.Len(t, paths, 1)
		assert.Equal(t, open, paths[0].Nodes[1].NodeID())
	})
	t.Run("the limit bounds all shortest paths", func(t *testing.T) {
		paths, err := s.AllShortestPaths(callers["A"], store.PathParams{From: from, To: to, Limit: intp(1)})
		require.NoError(t, err)
		assert.Len(t, paths, 1)
	})
	t.Run("no path within maxDepth is null", func(t *testing.T) {
		path, err := s.ShortestPath(callers["A"], store.PathParams{From: from, To: to, MaxDepth: intp(1)})
		require.NoError(t, err)
		assert.Nil(t, path)
	})
	t.Run("relationship types restrict the path", func(t *testing.T) {
		path, err := s.ShortestPath(callers["A"], store.PathParams{From: from, To: to, RelationshipTypes: []string{tg.RelSupplies}})
		require.NoError(t, err)
		assert.Nil(t, path)
	})
	t.Run("maxDepth beyond the maximum is LIMIT_EXCEEDED", func(t *testing.T) {
		_, err := s.ShortestPath(callers["A"], store.PathParams{From: from, To: to, MaxDepth: intp(11)})
		assertCode(t, tg.LimitExceeded, err)
		_, err = s.AllShortestPaths(callers["A"], store.PathParams{From: from, To: to, Limit: intp(101)})
		assertCode(t, tg.LimitExceeded, err)
	})
}

func TestLinkedByIdentifiers(t *testing.T) {
	s := mustOpen(t)
	w := newWorld(t, s)
	b := builder{t, s, w}
	value := fmt.Sprintf("+4470%09d", time.Now().UnixNano()%1_000_000_000)
	subject := b.node(tg.LabelPerson, "GREEN", nil)
	sameNode := b.node(tg.LabelPerson, "GREEN", nil)
	otherRecord := b.nodeAs(w.B, tg.LabelBusiness, "AMBER", map[string]any{"name": "Holder Ltd"})
	strict := b.node(tg.LabelPerson, "AMBER_STRICT", nil)
	phone := b.node(tg.LabelIdentifier, "GREEN", map[string]any{"kind": "PHONE", "value": value})
	phoneOfB := b.nodeAs(w.B, tg.LabelIdentifier, "AMBER", map[string]any{"kind": "PHONE", "value": value})
	email := b.node(tg.LabelIdentifier, "GREEN", map[string]any{"kind": "EMAIL", "value": "x" + value[1:] + "@example.org"})
	b.link(tg.RelHasIdentifier, subject, phone, "GREEN", nil)
	b.link(tg.RelHasIdentifier, subject, email, "GREEN", nil)
	b.link(tg.RelHasIdentifier, sameNode, phone, "GREEN", nil)
	b.link(tg.RelHasIdentifier, sameNode, email, "GREEN", nil)
	b.linkAs(w.B, tg.RelHasIdentifier, otherRecord, phoneOfB, "AMBER", nil)
	b.link(tg.RelHasIdentifier, strict, phone, "GREEN", nil)

	t.Run("the source with graph:read:pii sees every party tied by the same node or the same value", func(t *testing.T) {
		var linked *store.IdentifierTies
		var err error
		oneQuery(t, s, func() {
			linked, err = s.LinkedByIdentifiers(as(w.A, append(readerScopes, auth.ScopeGraphReadPII)...), store.LinkedByIdentifiersParams{ID: subject})
		})
		require.NoError(t, err)
		ties := linked.Ties
		require.Len(t, ties, 3)
		assert.Equal(t, sameNode, ties[0].Party.NodeID(), "sharing most first")
		assert.Equal(t, 2, ties[0].SharedValues)
		for _, tie := range ties {
			if tie.Party.NodeID() == otherRecord {
				var tying []string
				for _, i := range tie.Identifiers {
					tying = append(tying, i.ID)
				}
				assert.ElementsMatch(t, []string{phone, phoneOfB}, tying)
			}
		}
	})
	t.Run("without graph:read:pii only the same identifier node ties: matching values is a search on personal data", func(t *testing.T) {
		linked, err := s.LinkedByIdentifiers(as(w.A, readerScopes...), store.LinkedByIdentifiersParams{ID: subject})
		require.NoError(t, err)
		ties := linked.Ties
		var parties []string
		for _, tie := range ties {
			parties = append(parties, tie.Party.NodeID())
		}
		assert.ElementsMatch(t, []string{sameNode, strict}, parties)
	})
	t.Run("a partner outside the group sees only what it may", func(t *testing.T) {
		linked, err := s.LinkedByIdentifiers(as(w.C, readerScopes...), store.LinkedByIdentifiersParams{ID: subject})
		require.NoError(t, err)
		ties := linked.Ties
		require.Len(t, ties, 1)
		assert.Equal(t, sameNode, ties[0].Party.NodeID())
	})
	t.Run("kinds restrict the identifiers that count", func(t *testing.T) {
		linked, err := s.LinkedByIdentifiers(as(w.C, readerScopes...), store.LinkedByIdentifiersParams{ID: subject, Kinds: []string{"EMAIL"}})
		require.NoError(t, err)
		ties := linked.Ties
		require.Len(t, ties, 1)
		assert.Equal(t, 1, ties[0].SharedValues)
	})
	t.Run("first beyond the maximum is LIMIT_EXCEEDED", func(t *testing.T) {
		_, err := s.LinkedByIdentifiers(as(w.A, readerScopes...), store.LinkedByIdentifiersParams{ID: subject, First: intp(501)})
		assertCode(t, tg.LimitExceeded, err)
	})
}

// TestIdentifierTiesCompareValuesOnlyWithPII: two identifier nodes recorded with the same value
// are one value shared for a caller who may read values, and two identifiers for one who may
// not: counting values would tell the latter that two values it cannot read are equal.
func TestIdentifierTiesCompareValuesOnlyWithPII(t *testing.T) {
	s := mustOpen(t)
	w := newWorld(t, s)
	b := builder{t, s, w}
	value := fmt.Sprintf("+4471%09d", time.Now().UnixNano()%1_000_000_000)
	holder, other := b.node(tg.LabelPerson, "GREEN", nil), b.node(tg.LabelPerson, "GREEN", nil)
	for range 2 {
		twin := b.node(tg.LabelIdentifier, "GREEN", map[string]any{"kind": "PHONE", "value": value})
		b.link(tg.RelHasIdentifier, holder, twin, "GREEN", nil)
		b.link(tg.RelHasIdentifier, other, twin, "GREEN", nil)
	}
	for _, c := range []struct {
		name   string
		ctx    context.Context
		shared int
	}{
		{"with graph:read:pii: one value", as(w.A, append(readerScopes, auth.ScopeGraphReadPII)...), 1},
		{"without: two identifiers", as(w.A, readerScopes...), 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			linked, err := s.LinkedByIdentifiers(c.ctx, store.LinkedByIdentifiersParams{ID: holder})
			require.NoError(t, err)
			require.Len(t, linked.Ties, 1)
			assert.Equal(t, other, linked.Ties[0].Party.NodeID())
			assert.Equal(t, c.shared, linked.Ties[0].SharedValues)
			assert.Len(t, linked.Ties[0].Identifiers, 2)
		})
	}
}

func TestRoutesThrough(t *testing.T) {
	s := mustOpen(t)
	w := newWorld(t, s)
	b := builder{t, s, w}
	country := b.node(tg.LabelLocation, "CLEAR", map[string]any{"name": "Country", "kind": "COUNTRY"})
	city := b.node(tg.LabelLocation, "GREEN", map[string]any{"name": "City", "kind": "CITY"})
	site := b.node(tg.LabelLocation, "GREEN", map[string]any{"name": "Site", "kind": "SITE"})
	elsewhere := b.node(tg.LabelLocation, "GREEN", map[string]any{"name": "Elsewhere", "kind": "CITY"})
	b.link(tg.RelWithin, city, country, "GREEN", nil)
	b.link(tg.RelWithin, site, city, "AMBER_STRICT", nil)
	atCity := b.node(tg.LabelRoute, "GREEN", map[string]any{"name": "via city"})
	atSite := b.node(tg.LabelRoute, "GREEN", map[string]any{"name": "via site"})
	hiddenStop := b.node(tg.LabelRoute, "GREEN", map[string]any{"name": "hidden stop"})
	away := b.node(tg.LabelRoute, "GREEN", map[string]any{"name": "away"})
	stop := func(seq int, role string) map[string]any { return map[string]any{"seq": seq, "stopRole": role} }
	b.link(tg.RelStop, atCity, city, "GREEN", stop(0, "ORIGIN"))
	b.link(tg.RelStop, atSite, site, "GREEN", stop(1, "TRANSIT"))
	b.link(tg.RelStop, hiddenStop, country, "AMBER_STRICT", stop(0, "DESTINATION"))
	b.link(tg.RelStop, away, elsewhere, "GREEN", stop(0, "ORIGIN"))

	t.Run("the source sees routes stopping anywhere within", func(t *testing.T) {
		var page *store.Page
		var err error
		oneQuery(t, s, func() {
			page, err = s.RoutesThrough(as(w.A, readerScopes...), store.RoutesThroughParams{LocationID: country})
		})
		require.NoError(t, err)
		assert.Equal(t, sorted(atCity, atSite, hiddenStop), ids(page.Nodes))
		assert.Equal(t, 3, page.TotalCount)
	})
	t.Run("another partner sees neither hidden stops nor hidden WITHIN", func(t *testing.T) {
		page, err := s.RoutesThrough(as(w.B, readerScopes...), store.RoutesThroughParams{LocationID: country})
		require.NoError(t, err)
		assert.Equal(t, []string{atCity}, ids(page.Nodes))
		assert.Equal(t, 1, page.TotalCount)
	})
	t.Run("pages follow the cursor", func(t *testing.T) {
		ctx := as(w.A, readerScopes...)
		var seen []store.Node
		var after *string
		for range 3 {
			page, err := s.RoutesThrough(ctx, store.RoutesThroughParams{LocationID: country, First: intp(1), After: after})
			require.NoError(t, err)
			require.Len(t, page.Nodes, 1)
			seen = append(seen, page.Nodes...)
			after = &page.Cursors[0]
			assert.Equal(t, len(seen) < 3, page.HasNextPage)
		}
		assert.Equal(t, sorted(atCity, atSite, hiddenStop), ids(seen))
	})
	t.Run("a foreign cursor is BAD_USER_INPUT", func(t *testing.T) {
		bad := "bm90LWEtY3Vyc29y"
		_, err := s.RoutesThrough(as(w.A, readerScopes...), store.RoutesThroughParams{LocationID: country, After: &bad})
		assertCode(t, tg.BadUserInput, err)
	})
}

func TestRouteFlows(t *testing.T) {
	s := mustOpen(t)
	w := newWorld(t, s)
	b := builder{t, s, w}
	// TV and NR are countries the seed does not use, so the shared database holds no other flows between them.
	origin := b.node(tg.LabelLocation, "GREEN", map[string]any{"name": "Origin", "kind": "CITY", "countryCode": "TV"})
	destination := b.node(tg.LabelLocation, "GREEN", map[string]any{"name": "Destination", "kind": "CITY", "countryCode": "NR"})
	open := b.node(tg.LabelRoute, "GREEN", map[string]any{"lastSeen": "2025-06-01"})
	strict := b.node(tg.LabelRoute, "AMBER_STRICT", map[string]any{"lastSeen": "2025-06-01"})
	for _, r := range []string{open, strict} {
		b.link(tg.RelStop, r, origin, "GREEN", map[string]any{"seq": 0, "stopRole": "ORIGIN"})
		b.link(tg.RelStop, r, destination, "GREEN", map[string]any{"seq": 1, "stopRole": "DESTINATION"})
	}
	seen := b.node(tg.LabelIncident, "GREEN", map[string]any{"title": "seen", "victimCount": 3, "occurredFrom": "2025-05-01"})
	hidden := b.node(tg.LabelIncident, "AMBER_STRICT", map[string]any{"title": "hidden", "victimCount": 4, "occurredFrom": "2025-05-01"})
	b.link(tg.RelUsedRoute, seen, open, "GREEN", nil)
	b.link(tg.RelUsedRoute, hidden, open, "GREEN", nil)
	from := "TV"

	for _, tc := range []struct {
		name                       string
		ctx                        context.Context
		routes, incidents, victims int
		// markings are those of what was counted, for the audit.
		markings []string
	}{
		{"the source counts everything it contributed", as(w.A, readerScopes...), 2, 2, 7, []string{"AMBER_STRICT"}},
		{"another partner's counts exclude hidden routes and incidents", as(w.B, readerScopes...), 1, 1, 3, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var flows []*store.RouteFlow
			var err error
			oneQuery(t, s, func() { flows, err = s.RouteFlows(tc.ctx, store.RouteFlowsParams{From: &from}) })
			require.NoError(t, err)
			require.Len(t, flows, 1)
			assert.Equal(t, store.RouteFlow{OriginCountry: "TV", DestinationCountry: "NR", Routes: tc.routes, Incidents: tc.incidents, Victims: tc.victims,
				Derivation: store.Derivation{Markings: tc.markings}}, *flows[0])
		})
	}
	t.Run("since drops routes not seen since", func(t *testing.T) {
		since := store.Date(time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC))
		flows, err := s.RouteFlows(as(w.A, readerScopes...), store.RouteFlowsParams{From: &from, Since: &since})
		require.NoError(t, err)
		assert.Empty(t, flows)
	})
	t.Run("a country code that is not alpha-2 is BAD_USER_INPUT", func(t *testing.T) {
		bad := "Qz' OR 1=1"
		_, err := s.RouteFlows(as(w.A, readerScopes...), store.RouteFlowsParams{From: &bad})
		assertCode(t, tg.BadUserInput, err)
	})
}

func TestHotspots(t *testing.T) {
	s := mustOpen(t)
	w := newWorld(t, s)
	b := builder{t, s, w}
	country := b.node(tg.LabelLocation, "CLEAR", map[string]any{"name": "Hotland", "kind": "COUNTRY"})
	city := b.node(tg.LabelLocation, "CLEAR", map[string]any{"name": "Hot City", "kind": "CITY"})
	calm := b.node(tg.LabelLocation, "CLEAR", map[string]any{"name": "Calm City", "kind": "CITY"})
	b.link(tg.RelWithin, city, country, "CLEAR", nil)
	b.link(tg.RelWithin, calm, country, "CLEAR", nil)
	incident := func(tlp, from string, victims int, types ...string) {
		id := b.node(tg.LabelIncident, tlp, map[string]any{"title": "i", "occurredFrom": from, "victimCount": victims, "exploitationTypes": types})
		b.link(tg.RelOccurredAt, id, city, tlp, nil)
	}
	incident("CLEAR", "2025-03-01", 2, "FORCED_LABOUR")
	incident("GREEN", "2025-04-01", 1, "SEXUAL_EXPLOITATION")
	incident("AMBER_STRICT", "2025-05-01", 5, "FORCED_LABOUR")
	incident("CLEAR", "2024-06-01", 1, "FORCED_LABOUR") // previous window
	incident("CLEAR", "2023-06-01", 9, "FORCED_LABOUR") // before both windows
	from := store.Date(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	to := store.Date(time.Date(2025, 12, 31, 0, 0, 0, 0, time.UTC))
	window := func(granularity string) store.HotspotsParams {
		return store.HotspotsParams{Within: &country, From: &from, To: &to, Granularity: granularity}
	}

	for _, tc := range []struct {
		name               string
		ctx                context.Context
		granularity        string
		location           string
		incidents, victims int
	}{
		{"the source counts all its incidents", as(w.A, readerScopes...), "CITY", city, 3, 8},
		{"another partner's counts exclude hidden incidents", as(w.B, readerScopes...), "CITY", city, 2, 3},
		{"a partner counts by country too", as(w.B, readerScopes...), "COUNTRY", country, 2, 3},
		{"anonymous callers count CLEAR incidents by country", anonymous, "COUNTRY", country, 1, 2},
		{"callers without graph:read count CLEAR incidents only", as(w.A, auth.ScopeSupplyChainRead), "COUNTRY", country, 1, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var spots []*store.Hotspot
			var err error
			oneQuery(t, s, func() { spots, err = s.Hotspots(tc.ctx, window(tc.granularity)) })
			require.NoError(t, err)
			require.Len(t, spots, 1, "calm places are no hotspots")
			assert.Equal(t, tc.location, spots[0].Location.ID)
			assert.Equal(t, tc.incidents, spots[0].Incidents)
			assert.Equal(t, tc.victims, spots[0].Victims)
			assert.Equal(t, 1, spots[0].PreviousIncidents)
			assert.Equal(t, tc.incidents-1, spots[0].IncidentChange())
		})
	}
	t.Run("exploitation types filter the incidents", func(t *testing.T) {
		p := window("CITY")
		p.ExploitationTypes = []string{"SEXUAL_EXPLOITATION"}
		spots, err := s.Hotspots(as(w.B, readerScopes...), p)
		require.NoError(t, err)
		require.Len(t, spots, 1)
		assert.Equal(t, 1, spots[0].Incidents)
		assert.Equal(t, 0, spots[0].PreviousIncidents)
	})
	t.Run("anonymous callers may not ask for cities", func(t *testing.T) {
		_, err := s.Hotspots(anonymous, window("CITY"))
		assertCode(t, tg.Forbidden, err)
	})
	t.Run("a window beyond the maximum is LIMIT_EXCEEDED", func(t *testing.T) {
		early := store.Date(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC))
		_, err := s.Hotspots(anonymous, store.HotspotsParams{From: &early, To: &to, Granularity: "COUNTRY"})
		assertCode(t, tg.LimitExceeded, err)
	})
	t.Run("from after to is BAD_USER_INPUT", func(t *testing.T) {
		_, err := s.Hotspots(anonymous, store.HotspotsParams{From: &to, To: &from, Granularity: "COUNTRY"})
		assertCode(t, tg.BadUserInput, err)
	})
}

func TestSupplyChain(t *testing.T) {
	s := mustOpen(t)
	w := newWorld(t, s)
	b := builder{t, s, w}
	buyer := b.node(tg.LabelBusiness, "GREEN", map[string]any{"name": "Buyer"})
	tier1 := b.node(tg.LabelBusiness, "GREEN", map[string]any{"name": "Tier 1"})
	tier2 := b.node(tg.LabelBusiness, "GREEN", map[string]any{"name": "Tier 2"})
	hidden := b.node(tg.LabelBusiness, "AMBER_STRICT", map[string]any{"name": "Hidden"})
	b.link(tg.RelSupplies, tier1, buyer, "GREEN", map[string]any{"product": "cotton"})
	b.link(tg.RelSupplies, tier2, tier1, "AMBER_STRICT", nil)
	b.link(tg.RelSupplies, hidden, tier1, "GREEN", nil)
	tierIDs := func(c *store.SupplyChain) [][]string {
		var out [][]string
		for _, tier := range c.Tiers {
			var level []string
			for _, b := range tier.Businesses {
				level = append(level, b.ID)
			}
			slices.Sort(level)
			out = append(out, level)
		}
		return out
	}

	t.Run("the source sees every tier", func(t *testing.T) {
		var chain *store.SupplyChain
		var err error
		oneQuery(t, s, func() {
			chain, err = s.SupplyChain(as(w.A, auth.ScopeSupplyChainRead), store.SupplyChainParams{BusinessID: buyer, Direction: store.Upstream})
		})
		require.NoError(t, err)
		assert.Equal(t, [][]string{{tier1}, sorted(tier2, hidden)}, tierIDs(chain))
		assert.Len(t, chain.Edges, 3)
	})
	t.Run("another partner sees the visible tiers only", func(t *testing.T) {
		chain, err := s.SupplyChain(as(w.B, auth.ScopeSupplyChainRead), store.SupplyChainParams{BusinessID: buyer, Direction: store.Upstream})
		require.NoError(t, err)
		assert.Equal(t, [][]string{{tier1}}, tierIDs(chain))
		require.Len(t, chain.Edges, 1)
		assert.Equal(t, "cotton", *chain.Edges[0].Product)
		assert.False(t, chain.Truncated)
	})
	t.Run("downstream follows customers", func(t *testing.T) {
		chain, err := s.SupplyChain(as(w.A, readerScopes...), store.SupplyChainParams{BusinessID: tier2, Direction: store.Downstream})
		require.NoError(t, err)
		assert.Equal(t, [][]string{{tier1}, {buyer}}, tierIDs(chain))
	})
	t.Run("maxTier bounds the tiers", func(t *testing.T) {
		chain, err := s.SupplyChain(as(w.A, readerScopes...), store.SupplyChainParams{BusinessID: buyer, Direction: store.Upstream, MaxTier: intp(1)})
		require.NoError(t, err)
		assert.Equal(t, [][]string{{tier1}}, tierIDs(chain))
		_, err = s.SupplyChain(as(w.A, readerScopes...), store.SupplyChainParams{BusinessID: buyer, Direction: store.Upstream, MaxTier: intp(7)})
		assertCode(t, tg.LimitExceeded, err)
	})
	t.Run("a business the caller cannot see has no chain", func(t *testing.T) {
		chain, err := s.SupplyChain(as(w.B, readerScopes...), store.SupplyChainParams{BusinessID: hidden, Direction: store.Downstream})
		require.NoError(t, err)
		assert.Nil(t, chain)
	})
}

func TestSupplyChainRisk(t *testing.T) {
	s := mustOpen(t)
	w := newWorld(t, s)
	b := builder{t, s, w}
	recent := time.Now().UTC().AddDate(0, -1, 0).Format(time.DateOnly)
	buyer := b.node(tg.LabelBusiness, "GREEN", map[string]any{"name": "Buyer"})
	mill := b.node(tg.LabelBusiness, "GREEN", map[string]any{"name": "Mill"})
	farm := b.node(tg.LabelBusiness, "GREEN", map[string]any{"name": "Farm"})
	clean := b.node(tg.LabelBusiness, "GREEN", map[string]any{"name": "Clean"})
	b.link(tg.RelSupplies, mill, buyer, "GREEN", nil)
	b.link(tg.RelSupplies, farm, mill, "GREEN", nil)
	b.link(tg.RelSupplies, clean, buyer, "GREEN", nil)

	// The mill exploits in an incident only A may see, and sits in a city with three recent
	// incidents, one of which only A may see.
	strictCase := b.node(tg.LabelIncident, "AMBER_STRICT", map[string]any{"title": "strict case", "occurredFrom": recent})
	b.link(tg.RelInvolvedIn, mill, strictCase, "GREEN", map[string]any{"role": "EXPLOITER"})
	city := b.node(tg.LabelLocation, "GREEN", map[string]any{"name": "Mill Town", "kind": "CITY"})
	b.link(tg.RelLocatedAt, mill, city, "GREEN", nil)
	for i, tlp := range []string{"GREEN", "GREEN", "AMBER_STRICT"} {
		id := b.node(tg.LabelIncident, tlp, map[string]any{"title": fmt.Sprint("town case ", i), "occurredFrom": recent})
		b.link(tg.RelOccurredAt, id, city, "GREEN", nil)
	}
	// The farm is directed by a suspect, and shares a phone with a recruiter; its owner was a
	// victim once, which is no risk.
	openCase := b.node(tg.LabelIncident, "GREEN", map[string]any{"title": "open case", "occurredFrom": recent})
	director := b.node(tg.LabelPerson, "GREEN", map[string]any{"name": "Dee Rector"})
	b.link(tg.RelDirectorOf, director, farm, "GREEN", nil)
	b.link(tg.RelInvolvedIn, director, openCase, "GREEN", map[string]any{"role": "SUSPECT"})
	recruiter := b.node(tg.LabelPerson, "GREEN", map[string]any{"name": "Rec Ruiter"})
	phone := b.node(tg.LabelIdentifier, "GREEN", map[string]any{"kind": "PHONE", "value": "+15550000001"})
	b.link(tg.RelHasIdentifier, farm, phone, "GREEN", nil)
	b.link(tg.RelHasIdentifier, recruiter, phone, "GREEN", nil)
	b.link(tg.RelInvolvedIn, recruiter, openCase, "GREEN", map[string]any{"role": "RECRUITER"})
	owner := b.node(tg.LabelPerson, "GREEN", nil)
	b.link(tg.RelOwns, owner, clean, "GREEN", nil)
	b.link(tg.RelInvolvedIn, owner, openCase, "GREEN", map[string]any{"role": "VICTIM"})

	reasonsOf := func(r *store.SupplyChainRisk) map[string][]string {
		out := map[string][]string{}
		for _, sup := range r.Suppliers {
			for _, reason := range sup.Reasons {
				out[sup.Supplier.ID] = append(out[sup.Supplier.ID], reason.Reason)
			}
			slices.Sort(out[sup.Supplier.ID])
		}
		return out
	}

	t.Run("the source sees every reason with its proof", func(t *testing.T) {
		var risk *store.SupplyChainRisk
		var err error
		oneQuery(t, s, func() { risk, err = s.SupplyChainRisk(as(w.A, auth.ScopeSupplyChainRead), buyer, nil) })
		require.NoError(t, err)
		assert.Equal(t, map[string][]string{
			mill: {store.RiskInvolvedInIncident, store.RiskLocatedInHotspot},
			farm: {store.RiskControlledByInvolvedPerson, store.RiskSharesIdentifierWithInvolved},
		}, reasonsOf(risk))
		require.Len(t, risk.Suppliers, 2)
		top := risk.Suppliers[0]
		assert.Equal(t, mill, top.Supplier.ID, "highest score first")
		assert.InDelta(t, 0.68, top.Score, 1e-9)
		assert.Equal(t, 1, top.Tier)
		assert.Equal(t, []string{"AMBER_STRICT"}, risk.Markings, "the hidden third town case made the hotspot, counted not returned")
		farmRisk := risk.Suppliers[1]
		assert.InDelta(t, 0.65, farmRisk.Score, 1e-9)
		require.NotNil(t, farmRisk.SupplyPath)
		assert.Equal(t, []string{buyer, mill, farm}, []string{farmRisk.SupplyPath.Nodes[0].NodeID(), farmRisk.SupplyPath.Nodes[1].NodeID(), farmRisk.SupplyPath.Nodes[2].NodeID()})
		for _, reason := range farmRisk.Reasons {
			if reason.Reason == store.RiskControlledByInvolvedPerson {
				require.Len(t, reason.Path.Nodes, 3)
				assert.Equal(t, []string{farm, director, openCase}, []string{reason.Path.Nodes[0].NodeID(), reason.Path.Nodes[1].NodeID(), reason.Path.Nodes[2].NodeID()})
				assert.Equal(t, tg.RelDirectorOf, reason.Path.Relationships[0].Type)
				assert.Nil(t, reason.Path.Nodes[1].(*store.Person).Name, "people on the path without personal data")
			}
		}
	})
	t.Run("reasons resting on hidden data do not appear for another partner", func(t *testing.T) {
		risk, err := s.SupplyChainRisk(as(w.B, auth.ScopeSupplyChainRead), buyer, nil)
		require.NoError(t, err)
		assert.Equal(t, map[string][]string{
			farm: {store.RiskControlledByInvolvedPerson, store.RiskSharesIdentifierWithInvolved},
		}, reasonsOf(risk), "the hidden incident and the hidden third town case count for nothing")
		assert.Empty(t, risk.Markings)
	})
	t.Run("maxTier bounds the suppliers examined", func(t *testing.T) {
		risk, err := s.SupplyChainRisk(as(w.A, readerScopes...), buyer, intp(1))
		require.NoError(t, err)
		assert.Contains(t, reasonsOf(risk), mill)
		assert.NotContains(t, reasonsOf(risk), farm)
	})
	t.Run("a caller with graph:read:pii sees the people on the paths", func(t *testing.T) {
		risk, err := s.SupplyChainRisk(as(w.A, auth.ScopeGraphRead, auth.ScopeGraphReadPII), buyer, nil)
		require.NoError(t, err)
		var names []string
		for _, sup := range risk.Suppliers {
			for _, reason := range sup.Reasons {
				for _, n := range reason.Path.Nodes {
					if p, ok := n.(*store.Person); ok && p.Name != nil {
						names = append(names, *p.Name)
					}
				}
			}
		}
		assert.Contains(t, names, "Dee Rector")
	})
}

func TestSearch(t *testing.T) {
	s := mustOpen(t)
	w := newWorld(t, s)
	b := builder{t, s, w}
	// A word no other data holds: letters derived from the clock.
	word := []byte("zq")
	for n := time.Now().UnixNano(); len(word) < 10; n /= 26 {
		word = append(word, byte('a'+n%26))
	}
	name := string(word)
	shared := b.node(tg.LabelBusiness, "GREEN", map[string]any{"name": name + " Holdings"})
	strict := b.node(tg.LabelBusiness, "AMBER_STRICT", map[string]any{"name": name + " Export"})
	person := b.node(tg.LabelPerson, "GREEN", map[string]any{"name": "Sam " + name})
	address := b.node(tg.LabelLocation, "GREEN", map[string]any{"name": "1 " + name + " Street", "kind": "ADDRESS"})
	withPII := as(w.A, auth.ScopeGraphRead, auth.ScopeGraphReadPII)
	hitIDs := func(hits []*store.SearchHit) []string {
		var out []string
		for _, h := range hits {
			out = append(out, h.Node.NodeID())
		}
		slices.Sort(out)
		return out
	}

	for _, tc := range []struct {
		name  string
		ctx   context.Context
		query string
		types []string
		want  []string
	}{
		{"without graph:read:pii personal data never matches", as(w.A, readerScopes...), name, nil, sorted(shared, strict)},
		{"another partner finds only what it may see", as(w.B, readerScopes...), name, nil, []string{shared}},
		{"with graph:read:pii people and addresses match too", withPII, name, nil, sorted(shared, strict, person, address)},
		{"types restrict the hits", withPII, name, []string{tg.LabelPerson}, []string{person}},
		{"a typo still finds", as(w.B, readerScopes...), name[:5] + name[6:], nil, []string{shared}},
		{"Lucene syntax in the text is only text", as(w.B, readerScopes...), name + ` holdings AND (*:* OR "x`, nil, nil},
		{"every word must match", as(w.B, readerScopes...), name + " holdings", nil, []string{shared}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var hits []*store.SearchHit
			var err error
			oneQuery(t, s, func() {
				var result *store.SearchResult
				result, err = s.Search(tc.ctx, store.SearchParams{Query: tc.query, Labels: tc.types})
				if result != nil {
					hits = result.Hits
				}
			})
			require.NoError(t, err)
			assert.Equal(t, tc.want, hitIDs(hits))
			for _, h := range hits {
				assert.Positive(t, h.Score)
				assert.NotEmpty(t, h.Label)
			}
		})
	}
	t.Run("an empty text is BAD_USER_INPUT", func(t *testing.T) {
		_, err := s.Search(as(w.A, readerScopes...), store.SearchParams{Query: "   "})
		assertCode(t, tg.BadUserInput, err)
	})
	t.Run("too many words is LIMIT_EXCEEDED", func(t *testing.T) {
		_, err := s.Search(as(w.A, readerScopes...), store.SearchParams{Query: "a b c d e f g h i"})
		assertCode(t, tg.LimitExceeded, err)
	})
}
