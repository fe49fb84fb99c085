package store_test

import (
	"context"
	"testing"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	tg "github.com/traffikgraph/traffikgraph"
	"github.com/traffikgraph/traffikgraph/store"
)

// TestDeleteKeepsOtherPartnersIntelligence: deleting removes the node and the deleter's own
// relationships; a node other partners have linked to is retracted instead (no one sees it, its
// properties are gone), so their relationships are not destroyed by someone who may not see them.
func TestDeleteKeepsOtherPartnersIntelligence(t *testing.T) {
	s := mustOpen(t)
	w := newWorld(t, s)
	ctxA, ctxB := as(w.A, readerScopes...), as(w.B, readerScopes...)
	create := func(ctx context.Context, name string) string {
		n, err := s.Create(ctx, tg.LabelBusiness, store.CreateParams{Properties: store.Patch{Set: map[string]any{"name": name}}, Marking: store.Marking{Tlp: "GREEN"}})
		require.NoError(t, err)
		return n.NodeID()
	}
	count := func(query string, params map[string]any) int64 {
		res, err := neo4j.ExecuteQuery(context.Background(), s.Driver(), query, params, neo4j.EagerResultTransformer,
			neo4j.ExecuteQueryWithDatabase(s.Database()))
		require.NoError(t, err)
		n, _ := res.Records[0].Get("n")
		return n.(int64)
	}

	t.Run("ANodeLinkedByAnotherPartnerIsRetracted", func(t *testing.T) {
		target, ownNeighbour, theirs := create(ctxA, "Target Ltd"), create(ctxA, "Own Ltd"), create(ctxB, "Their Ltd")
		_, err := s.Link(ctxA, store.LinkParams{Type: tg.RelSupplies, From: target, To: ownNeighbour, Marking: store.Marking{Tlp: "GREEN"}})
		require.NoError(t, err)
		_, err = s.Link(ctxB, store.LinkParams{Type: tg.RelSupplies, From: theirs, To: target, Marking: store.Marking{Tlp: "AMBER_STRICT"}})
		require.NoError(t, err)

		require.NoError(t, s.Delete(ctxA, tg.LabelBusiness, target, nil))

		for _, ctx := range []context.Context{ctxA, ctxB} {
			got, err := s.Get(ctx, target)
			require.NoError(t, err)
			assert.Nil(t, got, "no one sees a retracted node")
		}
		assert.Equal(t, int64(1), count(`MATCH (:Business {id: $theirs})-[r:SUPPLIES]->(:Business {id: $target}) RETURN count(r) AS n`,
			map[string]any{"theirs": theirs, "target": target}), "the other partner's relationship is kept")
		assert.Equal(t, int64(0), count(`MATCH (:Business {id: $target})-[r:SUPPLIES]->() RETURN count(r) AS n`,
			map[string]any{"target": target}), "the deleter's own relationship is gone")
		assert.Equal(t, int64(1), count(`MATCH (n:Business {id: $target}) WHERE n.name IS NULL AND n.tlp = 'RETRACTED' RETURN count(n) AS n`,
			map[string]any{"target": target}), "its properties are gone")
	})

	t.Run("ANodeOnlyTheDeleterLinkedIsDeleted", func(t *testing.T) {
		target, ownNeighbour := create(ctxA, "Gone Ltd"), create(ctxA, "Stays Ltd")
		_, err := s.Link(ctxA, store.LinkParams{Type: tg.RelSupplies, From: target, To: ownNeighbour, Marking: store.Marking{Tlp: "GREEN"}})
		require.NoError(t, err)
		require.NoError(t, s.Delete(ctxA, tg.LabelBusiness, target, nil))
		assert.Equal(t, int64(0), count(`MATCH (n:Entity {id: $id}) RETURN count(n) AS n`, map[string]any{"id": target}))
	})
}
