package store_test

import (
	"context"
	"testing"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
	"github.com/stretchr/testify/require"

	tg "github.com/traffikgraph/traffikgraph"
	"github.com/traffikgraph/traffikgraph/bench"
	"github.com/traffikgraph/traffikgraph/store"
)

// BenchmarkPointRead is one GREEN node read by id, in the same loop: through the store (Get:
// the visibility prelude, the whole node's projection, an auto-commit read in a session of the
// store's bookmark manager), the store's own statement through the driver's ExecuteQuery, the
// way the bench's baseline runs, and the bench's hand-written statement for the case
// (bench.BaseCases: the same prelude, only n.id returned) the same way. The first difference is
// the store's way of running a statement, the second the whole node's projection.
// docs/benchmarks.md has the figures.
// scripts/test.sh -run '^$' -bench PointRead -benchtime 3000x ./store
func BenchmarkPointRead(b *testing.B) {
	s := mustOpen(b)
	w := newWorld(b, s)
	id := w.A + "-point"
	run(b, s, `CREATE (:`+tg.LabelEntity+`:`+tg.LabelPerson+` {id: $id, name: 'Point Read', tlp: 'GREEN', sourcePartner: $a,
        sharedWith: [], externalRefs: [], createdAt: datetime(), updatedAt: datetime()})`, map[string]any{"id": id, "a": w.A})
	ctx := as(w.A, readerScopes...)
	var statements []store.Statement
	node, err := s.Get(store.WithStatementLog(ctx, &statements), id)
	require.NoError(b, err)
	require.NotNil(b, node)
	require.Len(b, statements, 1)
	st := statements[0]
	cases, err := bench.Select(bench.BaseCases(), "node by id alone (not audited)")
	require.NoError(b, err)
	hand := cases[0].Cypher
	executeQuery := func(cypher string) func() error {
		return func() error {
			_, err := neo4j.ExecuteQuery(context.Background(), s.Driver(), cypher, st.Params, neo4j.EagerResultTransformer,
				neo4j.ExecuteQueryWithDatabase(s.Database()), neo4j.ExecuteQueryWithReadersRouting())
			return err
		}
	}

	variants := []struct {
		name string
		read func() error
	}{
		{"store Get", func() error { _, err := s.Get(ctx, id); return err }},
		{"its statement by ExecuteQuery", executeQuery(st.Cypher)},
		{"hand-written by ExecuteQuery", executeQuery(hand)},
	}
	for _, v := range variants {
		b.Run(v.name, func(b *testing.B) {
			for b.Loop() {
				if err := v.read(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
