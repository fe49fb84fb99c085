package store_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	tg "github.com/traffikgraph/traffikgraph"
	"github.com/traffikgraph/traffikgraph/store"
)

// TestVisibility proves the sharing rule of docs/design.md ("Who sees what") for each marking and each kind of
// caller, on nodes read by id, in lists and their totalCount, and on relationships.
func TestVisibility(t *testing.T) {
	s := mustOpen(t)
	w := newWorld(t, s)
	ctxA := as(w.A, readerScopes...)

	markings := []struct {
		name    string
		marking store.Marking
		seenBy  map[string]bool
	}{
		{"CLEAR is seen by everyone, anonymous included", store.Marking{Tlp: "CLEAR"},
			map[string]bool{"anonymous": true, "A": true, "B": true, "C": true, "D": true}},
		{"GREEN is seen by every authenticated partner", store.Marking{Tlp: "GREEN"},
			map[string]bool{"anonymous": false, "A": true, "B": true, "C": true, "D": true}},
		{"AMBER is seen by partners sharing a group with the source", store.Marking{Tlp: "AMBER"},
			map[string]bool{"anonymous": false, "A": true, "B": true, "C": false, "D": false}},
		{"AMBER_STRICT is seen by the source only", store.Marking{Tlp: "AMBER_STRICT"},
			map[string]bool{"anonymous": false, "A": true, "B": false, "C": false, "D": false}},
		{"RED is seen by the source and the partners it is shared with", store.Marking{Tlp: "RED", SharedWith: []string{w.C}},
			map[string]bool{"anonymous": false, "A": true, "B": false, "C": true, "D": false}},
	}
	callers := map[string]context.Context{
		"anonymous": anonymous,
		"A":         ctxA,
		"B":         as(w.B, readerScopes...),
		"C":         as(w.C, readerScopes...),
		"D":         as(w.D, readerScopes...),
	}
	for _, m := range markings {
		t.Run(m.name, func(t *testing.T) {
			created, err := s.Create(ctxA, tg.LabelBusiness, store.CreateParams{
				Properties: store.Patch{Set: map[string]any{"name": "Visible Ltd " + m.marking.Tlp}}, Marking: m.marking,
			})
			require.NoError(t, err)
			id := created.(*store.Business).ID
			// A CLEAR anchor every caller sees, linked to the marked business by a relationship
			// carrying the same marking.
			anchor, err := s.Create(ctxA, tg.LabelBusiness, store.CreateParams{
				Properties: store.Patch{Set: map[string]any{"name": "Anchor " + m.marking.Tlp}}, Marking: store.Marking{Tlp: "CLEAR"},
			})
			require.NoError(t, err)
			anchorID := anchor.(*store.Business).ID
			_, err = s.Link(ctxA, store.LinkParams{Type: tg.RelSupplies, From: anchorID, To: id, Marking: m.marking})
			require.NoError(t, err)

			for who, ctx := range callers {
				want := m.seenBy[who]
				got, err := s.Get(ctx, id)
				require.NoError(t, err)
				assert.Equal(t, want, got != nil, "%s reading by id", who)

				first := 10
				page, err := s.List(ctx, tg.LabelBusiness, store.ListParams{
					First: &first, WithTotal: true, Filter: filterOf(cond("id", tg.OpIn, []any{id, anchorID})),
				})
				require.NoError(t, err)
				wantCount := 1
				if want {
					wantCount = 2
				}
				assert.Equal(t, wantCount, page.TotalCount, "%s totalCount", who)
				assert.Len(t, page.Nodes, wantCount, "%s list", who)

				neighbors, err := s.Neighbors(ctx, store.NeighborQuery{Type: tg.RelSupplies, Direction: tg.Outgoing, Limit: 10}, []string{anchorID})
				require.NoError(t, err)
				assert.Equal(t, want, len(neighbors[anchorID]) == 1, "%s following the relationship", who)
			}
		})
	}
}

// TestHiddenRelationshipToVisibleNode: a node everyone may see, reached over a relationship
// only its source may see, is not reached by others.
func TestHiddenRelationshipToVisibleNode(t *testing.T) {
	s := mustOpen(t)
	w := newWorld(t, s)
	ctxA := as(w.A, readerScopes...)
	a, err := s.Create(ctxA, tg.LabelBusiness, store.CreateParams{Properties: store.Patch{Set: map[string]any{"name": "Buyer"}}, Marking: store.Marking{Tlp: "GREEN"}})
	require.NoError(t, err)
	b, err := s.Create(ctxA, tg.LabelBusiness, store.CreateParams{Properties: store.Patch{Set: map[string]any{"name": "Supplier"}}, Marking: store.Marking{Tlp: "GREEN"}})
	require.NoError(t, err)
	buyer, supplier := a.(*store.Business).ID, b.(*store.Business).ID
	_, err = s.Link(ctxA, store.LinkParams{Type: tg.RelSupplies, From: supplier, To: buyer, Marking: store.Marking{Tlp: "AMBER_STRICT"}})
	require.NoError(t, err)

	q := store.NeighborQuery{Type: tg.RelSupplies, Direction: tg.Incoming, Limit: 10}
	seenByA, err := s.Neighbors(ctxA, q, []string{buyer})
	require.NoError(t, err)
	assert.Len(t, seenByA[buyer], 1)
	seenByB, err := s.Neighbors(as(w.B, readerScopes...), q, []string{buyer})
	require.NoError(t, err)
	assert.Empty(t, seenByB[buyer])
}
