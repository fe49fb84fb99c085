package store_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	tg "github.com/traffikgraph/traffikgraph"
	"github.com/traffikgraph/traffikgraph/store"
)

// sameAsOf returns the partners whose SAME_AS join a and b, each with the direction it is
// stored in ("a->b" or "b->a"), read directly from the graph.
func sameAsOf(t *testing.T, s *store.Store, a, b string) map[string]string {
	t.Helper()
	res, err := neo4j.ExecuteQuery(context.Background(), s.Driver(), `
MATCH (x:Entity {id: $a})-[r:SAME_AS]-(y:Entity {id: $b})
RETURN r.sourcePartner AS partner, startNode(r) = x AS forward`, map[string]any{"a": a, "b": b},
		neo4j.EagerResultTransformer, neo4j.ExecuteQueryWithDatabase(s.Database()))
	require.NoError(t, err)
	out := map[string]string{}
	for _, r := range res.Records {
		partner, _ := r.Get("partner")
		forward, _ := r.Get("forward")
		out[partner.(string)] = map[bool]string{true: "a->b", false: "b->a"}[forward.(bool)]
	}
	return out
}

// TestLinkSameAs: a partner says that two records of one label it can see are the same thing:
// one SAME_AS of its own, under its own marking, stored from the smaller id to the larger
// whichever order it names them in; neither record changes.
func TestLinkSameAs(t *testing.T) {
	s := mustOpen(t)
	w := newWorld(t, s)
	b := builder{t, s, w}
	p1 := b.node(tg.LabelPerson, "AMBER", map[string]any{"name": "Ana Lima"})
	p2 := b.nodeAs(w.B, tg.LabelPerson, "AMBER", map[string]any{"name": "A. Lima"})
	low, high := min(p1, p2), max(p1, p2)
	ctxA, ctxB := as(w.A, readerScopes...), as(w.B, readerScopes...)
	before, err := s.Get(ctxA, p1)
	require.NoError(t, err)

	t.Run("the link is the writer's, stored from the smaller id to the larger", func(t *testing.T) {
		link, err := s.LinkSameAs(ctxB, store.SameAsParams{A: high, B: low, Marking: marking("AMBER"), Reason: "same passport"})
		require.NoError(t, err)
		assert.Equal(t, tg.RelSameAs, link.Type)
		assert.Equal(t, []string{low, high}, []string{link.From.NodeID(), link.To.NodeID()})
		assert.Equal(t, w.B, link.Provenance.SourcePartner)
		assert.Equal(t, "AMBER", link.Provenance.Tlp)
		assert.Equal(t, map[string]string{w.B: "a->b"}, sameAsOf(t, s, low, high))
	})
	t.Run("neither record changes", func(t *testing.T) {
		after, err := s.Get(ctxA, p1)
		require.NoError(t, err)
		assert.Equal(t, before, after)
	})
	t.Run("the same pair in the other order is the same link, its marking updated", func(t *testing.T) {
		grading := "2BP"
		link, err := s.LinkSameAs(ctxB, store.SameAsParams{A: low, B: high, Marking: store.Marking{Tlp: "GREEN", Grading: &grading}, Reason: "confirmed"})
		require.NoError(t, err)
		assert.Equal(t, "GREEN", link.Provenance.Tlp)
		assert.Equal(t, "2BP", *link.Provenance.Grading)
		assert.Equal(t, map[string]string{w.B: "a->b"}, sameAsOf(t, s, low, high))
	})
	t.Run("another partner's claim is its own link", func(t *testing.T) {
		_, err := s.LinkSameAs(ctxA, store.SameAsParams{A: p1, B: p2, Marking: marking("RED", w.B), Reason: "our analyst agrees"})
		require.NoError(t, err)
		assert.Equal(t, map[string]string{w.A: "a->b", w.B: "a->b"}, sameAsOf(t, s, low, high))
	})

	business := b.node(tg.LabelBusiness, "GREEN", map[string]any{"name": "Lima Ltd"})
	incident := b.node(tg.LabelIncident, "GREEN", map[string]any{"title": "Case"})
	otherIncident := b.node(tg.LabelIncident, "GREEN", map[string]any{"title": "Case again"})
	strict := b.node(tg.LabelPerson, "AMBER_STRICT", nil)
	ctxC := as(w.C, readerScopes...)
	const missing = "00000000-0000-0000-0000-000000000000"
	for _, tc := range []struct {
		name  string
		ctx   context.Context
		p     store.SameAsParams
		code  tg.Code
		field string
	}{
		{"a record is not the same as itself", ctxA, store.SameAsParams{A: p1, B: p1, Reason: "r"}, tg.BadUserInput, "b"},
		{"a person is not the same as a business", ctxA, store.SameAsParams{A: p1, B: business, Reason: "r"}, tg.BadUserInput, "b"},
		{"incidents are not resolved", ctxA, store.SameAsParams{A: incident, B: otherIncident, Reason: "r"}, tg.BadUserInput, "a"},
		{"a record the writer cannot see is NOT_FOUND", ctxC, store.SameAsParams{A: p2, B: strict, Reason: "r"}, tg.NotFound, "a"},
		{"a missing record is NOT_FOUND", ctxC, store.SameAsParams{A: missing, B: p2, Reason: "r"}, tg.NotFound, "a"},
		{"a blank reason is BAD_USER_INPUT", ctxA, store.SameAsParams{A: p1, B: strict, Reason: "  "}, tg.BadUserInput, "reason"},
		{"an unknown marking is BAD_USER_INPUT", ctxA, store.SameAsParams{A: p1, B: strict, Marking: marking("PINK"), Reason: "r"}, tg.BadUserInput, "marking.tlp"},
		{"anonymous callers write nothing", anonymous, store.SameAsParams{A: p1, B: strict, Reason: "r"}, tg.Unauthenticated, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.p.Marking.Tlp == "" {
				tc.p.Marking = marking("GREEN")
			}
			_, err := s.LinkSameAs(tc.ctx, tc.p)
			assertCode(t, tc.code, err)
			var tgErr *tg.Error
			if tc.field != "" && assert.ErrorAs(t, err, &tgErr) {
				assert.Equal(t, tc.field, tgErr.Field)
			}
			assert.Empty(t, sameAsOf(t, s, tc.p.A, tc.p.B), "nothing written")
		})
	}
	t.Run("an invisible record is refused exactly like a missing one", func(t *testing.T) {
		_, hidden := s.LinkSameAs(ctxC, store.SameAsParams{A: strict, B: p2, Marking: marking("GREEN"), Reason: "r"})
		_, absent := s.LinkSameAs(ctxC, store.SameAsParams{A: missing, B: p2, Marking: marking("GREEN"), Reason: "r"})
		require.Error(t, hidden)
		assert.Equal(t, absent, hidden)
	})
	t.Run("the generic link and unlink refuse SAME_AS", func(t *testing.T) {
		_, err := s.Link(ctxA, store.LinkParams{Type: tg.RelSameAs, From: p1, To: strict, Marking: marking("GREEN")})
		assertCode(t, tg.BadUserInput, err)
		assert.Contains(t, err.Error(), "linkSameAs")
		_, err = s.Unlink(ctxA, tg.RelSameAs, low, high, nil)
		assertCode(t, tg.BadUserInput, err)
		assert.Contains(t, err.Error(), "unlinkSameAs")
		assert.Empty(t, sameAsOf(t, s, p1, strict))
		assert.Len(t, sameAsOf(t, s, low, high), 2)
	})
}

// TestUnlinkSameAs: a partner removes its own SAME_AS between two records, named in either
// order; other partners' claims stay.
func TestUnlinkSameAs(t *testing.T) {
	s := mustOpen(t)
	w := newWorld(t, s)
	b := builder{t, s, w}
	p1 := b.node(tg.LabelLocation, "GREEN", map[string]any{"name": "Harbour", "kind": "PORT"})
	p2 := b.nodeAs(w.B, tg.LabelLocation, "GREEN", map[string]any{"name": "The harbour", "kind": "PORT"})
	ctxA, ctxB := as(w.A, readerScopes...), as(w.B, readerScopes...)
	for _, ctx := range []context.Context{ctxA, ctxB} {
		_, err := s.LinkSameAs(ctx, store.SameAsParams{A: p1, B: p2, Marking: marking("GREEN"), Reason: "one port"})
		require.NoError(t, err)
	}

	removed, err := s.UnlinkSameAs(ctxB, p2, p1, "two ports after all")
	require.NoError(t, err)
	assert.Equal(t, 1, removed)
	assert.Equal(t, []string{w.A}, slices.Sorted(maps.Keys(sameAsOf(t, s, p1, p2))), "A's claim stays")
	removed, err = s.UnlinkSameAs(ctxB, p1, p2, "again")
	require.NoError(t, err)
	assert.Zero(t, removed, "B has none left")

	for _, tc := range []struct {
		name   string
		a, b   string
		reason string
		code   tg.Code
	}{
		{"a record is not the same as itself", p1, p1, "r", tg.BadUserInput},
		{"a blank reason is BAD_USER_INPUT", p1, p2, "", tg.BadUserInput},
		{"a missing record is NOT_FOUND", p1, "00000000-0000-0000-0000-000000000000", "r", tg.NotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.UnlinkSameAs(ctxA, tc.a, tc.b, tc.reason)
			assertCode(t, tc.code, err)
		})
	}
	assert.Equal(t, []string{w.A}, slices.Sorted(maps.Keys(sameAsOf(t, s, p1, p2))))
}

// TestTraversalsFollowSameAs: partner A holds person p1, involved in A's incident; partner B
// holds p2, the same human, associate of q and holder of a phone that t holds too. B says p2 is
// p1. Only with followSameAs, and only for callers who may see B's SAME_AS, do the traversals
// cross it: the path from the incident to q, the network of p1 reaching p2 and q, and t tied to
// p1 by p2's phone (p2 itself no tie of p1's).
func TestTraversalsFollowSameAs(t *testing.T) {
	s := mustOpen(t)
	w := newWorld(t, s)
	callers := map[string]context.Context{"A": as(w.A, readerScopes...), "B": as(w.B, readerScopes...), "C": as(w.C, readerScopes...)}
	for _, m := range []struct {
		name    string
		marking store.Marking
		seenBy  map[string]bool
		derived []string
	}{
		{"GREEN", marking("GREEN"), map[string]bool{"A": true, "B": true, "C": true}, nil},
		{"AMBER", marking("AMBER"), map[string]bool{"A": true, "B": true}, []string{"AMBER"}},
		{"RED shared with A", marking("RED", w.A), map[string]bool{"A": true, "B": true}, []string{"RED"}},
	} {
		t.Run(m.name, func(t *testing.T) {
			b := builder{t, s, w}
			p1 := b.node(tg.LabelPerson, "GREEN", nil)
			incident := b.node(tg.LabelIncident, "GREEN", map[string]any{"title": "Case"})
			b.link(tg.RelInvolvedIn, p1, incident, "GREEN", map[string]any{"role": "VICTIM"})
			p2 := b.nodeAs(w.B, tg.LabelPerson, "GREEN", nil)
			q := b.nodeAs(w.B, tg.LabelPerson, "GREEN", nil)
			b.linkAs(w.B, tg.RelAssociateOf, p2, q, "GREEN", nil)
			phone := b.nodeAs(w.B, tg.LabelIdentifier, "GREEN", map[string]any{"kind": "PHONE", "value": fmt.Sprintf("+4472%09d", time.Now().UnixNano()%1_000_000_000)})
			b.linkAs(w.B, tg.RelHasIdentifier, p2, phone, "GREEN", nil)
			holder := b.nodeAs(w.C, tg.LabelPerson, "GREEN", nil)
			b.linkAs(w.C, tg.RelHasIdentifier, holder, phone, "GREEN", nil)
			_, err := s.LinkSameAs(callers["B"], store.SameAsParams{A: p2, B: p1, Marking: m.marking, Reason: "same passport"})
			require.NoError(t, err)

			for who, ctx := range callers {
				seen := m.seenBy[who]
				for _, follow := range []bool{false, true} {
					crosses := follow && seen
					t.Run(fmt.Sprintf("%s followSameAs=%v", who, follow), func(t *testing.T) {
						path, err := s.ShortestPath(ctx, store.PathParams{From: incident, To: q, FollowSameAs: follow})
						require.NoError(t, err)
						paths, err := s.AllShortestPaths(ctx, store.PathParams{From: incident, To: q, FollowSameAs: follow})
						require.NoError(t, err)
						if !crosses {
							assert.Nil(t, path)
							assert.Empty(t, paths)
						} else if assert.NotNil(t, path) && assert.Len(t, paths, 1) {
							assert.Equal(t, []string{incident, p1, p2, q}, nodeIDs(path.Nodes))
							assert.Equal(t, []string{tg.RelInvolvedIn, tg.RelSameAs, tg.RelAssociateOf}, linkTypes(path.Relationships))
							assert.Equal(t, m.marking.Tlp, path.Relationships[1].Provenance.Tlp)
							assert.Equal(t, nodeIDs(path.Nodes), nodeIDs(paths[0].Nodes))
						}

						g, err := s.Network(ctx, store.NetworkParams{ID: p1, FollowSameAs: follow})
						require.NoError(t, err)
						if !crosses {
							assert.Equal(t, sorted(p1, incident), ids(g.Nodes))
							assert.Equal(t, []string{tg.RelInvolvedIn}, linkTypes(g.Edges))
						} else {
							assert.Equal(t, sorted(p1, incident, p2, q, phone), ids(g.Nodes))
							assert.ElementsMatch(t, []string{tg.RelInvolvedIn, tg.RelSameAs, tg.RelAssociateOf, tg.RelHasIdentifier}, linkTypes(g.Edges))
						}

						linked, err := s.LinkedByIdentifiers(ctx, store.LinkedByIdentifiersParams{ID: p1, FollowSameAs: follow})
						require.NoError(t, err)
						if !crosses {
							assert.Empty(t, linked.Ties)
						} else if assert.Len(t, linked.Ties, 1, "the holder, not p2 itself") {
							tie := linked.Ties[0]
							assert.Equal(t, holder, tie.Party.NodeID())
							require.Len(t, tie.Identifiers, 1)
							assert.Equal(t, phone, tie.Identifiers[0].ID)
							assert.Equal(t, m.derived, tie.Markings, "the SAME_AS crossed is in the derivation")
						}
					})
				}
			}
		})
	}
	t.Run("followSameAs adds SAME_AS to the types asked for", func(t *testing.T) {
		b := builder{t, s, w}
		p1, p2 := b.node(tg.LabelPerson, "GREEN", nil), b.nodeAs(w.B, tg.LabelPerson, "GREEN", nil)
		q := b.nodeAs(w.B, tg.LabelPerson, "GREEN", nil)
		b.linkAs(w.B, tg.RelAssociateOf, p2, q, "GREEN", nil)
		_, err := s.LinkSameAs(callers["B"], store.SameAsParams{A: p1, B: p2, Marking: marking("GREEN"), Reason: "same"})
		require.NoError(t, err)
		g, err := s.Network(callers["A"], store.NetworkParams{ID: p1, RelationshipTypes: []string{tg.RelAssociateOf}, FollowSameAs: true})
		require.NoError(t, err)
		assert.Equal(t, sorted(p1, p2, q), ids(g.Nodes))
	})
	t.Run("SAME_AS is asked for with followSameAs, not among the types", func(t *testing.T) {
		_, err := s.Network(callers["A"], store.NetworkParams{ID: w.A, RelationshipTypes: []string{tg.RelSameAs}})
		assertCode(t, tg.BadUserInput, err)
		assert.Contains(t, err.Error(), "followSameAs")
		_, err = s.ShortestPath(callers["A"], store.PathParams{From: w.A, To: w.B, RelationshipTypes: []string{tg.RelSameAs}, FollowSameAs: true})
		assertCode(t, tg.BadUserInput, err)
	})
}

// nodeIDs returns the ids of nodes in their order.
func nodeIDs(nodes []store.Node) []string {
	out := make([]string, 0, len(nodes))
	for _, n := range nodes {
		out = append(out, n.NodeID())
	}
	return out
}

// linkTypes returns the types of links in their order.
func linkTypes(links []*store.Link) []string {
	out := make([]string, 0, len(links))
	for _, l := range links {
		out = append(out, l.Type)
	}
	return out
}
