package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
	"github.com/stretchr/testify/require"

	tg "github.com/traffikgraph/traffikgraph"
	"github.com/traffikgraph/traffikgraph/seed"
	"github.com/traffikgraph/traffikgraph/store"
)

// BenchmarkVersionCost measures what keeping a version adds to a write. Each write path runs once
// through the store with its statements logged (store.WithStatementLog); the benchmark then
// replays those statements in one write transaction each, without the version's statement (base)
// and with it (variant), alternately in the same loop so that both meet the same load, over a
// seeded world of benchScale entities beside whatever the database holds. It reports both
// latencies and their ratio (docs/history.md has the figures and the command).
func BenchmarkVersionCost(b *testing.B) {
	const benchScale = 10000
	s := mustOpen(b)
	ctx := context.Background()
	_, err := seed.EnsureDemoPartners(ctx, s.Driver(), s.Database())
	require.NoError(b, err)
	opts := seed.Options{Scale: benchScale, Seed: 7, Namespace: "bench-" + uuid.NewString(), Force: true}
	_, err = seed.Generate(ctx, s.Driver(), s.Database(), opts)
	b.Cleanup(func() {
		_, err := seed.Remove(context.Background(), s.Driver(), s.Database(), opts)
		require.NoError(b, err)
	})
	require.NoError(b, err)
	w := newWorld(b, s)
	writer := as(w.A, readerScopes...)
	business := func(name string) string {
		n, err := s.Create(writer, tg.LabelBusiness, store.CreateParams{Properties: store.Patch{Set: map[string]any{"name": name}}, Marking: store.Marking{Tlp: "GREEN"}})
		require.NoError(b, err)
		return n.NodeID()
	}
	from, to := business("Bench Supplier Ltd"), business("Bench Customer Ltd")

	for _, c := range []struct {
		name  string
		write func(ctx context.Context) error
		// fresh gives a replayed statement's parameters a new node id, for a write that creates one.
		fresh bool
	}{
		{"create", func(ctx context.Context) error {
			_, err := s.Create(ctx, tg.LabelBusiness, store.CreateParams{Properties: store.Patch{Set: map[string]any{"name": "Bench Ltd"}}, Marking: store.Marking{Tlp: "GREEN"}})
			return err
		}, true},
		{"update", func(ctx context.Context) error {
			_, err := s.Update(ctx, tg.LabelBusiness, from, store.Patch{Set: map[string]any{"name": "Bench Supplier Holdings Ltd", "website": "https://bench.example"}}, nil, nil)
			return err
		}, false},
		{"link", func(ctx context.Context) error {
			_, err := s.Link(ctx, store.LinkParams{Type: tg.RelSupplies, From: from, To: to, Properties: store.Patch{Set: map[string]any{"product": "cotton"}}, Marking: store.Marking{Tlp: "GREEN"}})
			return err
		}, false},
	} {
		var log []store.Statement
		require.NoError(b, c.write(store.WithStatementLog(writer, &log)))
		var base []store.Statement
		for _, st := range log {
			if !strings.Contains(st.Cypher, ":"+tg.LabelVersion+")") {
				base = append(base, st)
			}
		}
		require.Len(b, base, len(log)-1, "%s writes one version statement", c.name)
		replay := func(statements []store.Statement) time.Duration {
			session := s.Driver().NewSession(ctx, neo4j.SessionConfig{DatabaseName: s.Database()})
			defer session.Close(ctx)
			id := uuid.NewString()
			start := time.Now()
			_, err := neo4j.ExecuteWrite(ctx, session, func(tx neo4j.ManagedTransaction) (struct{}, error) {
				for _, st := range statements {
					params := st.Params
					if _, ok := params["id"]; ok && c.fresh {
						params = map[string]any{}
						for k, v := range st.Params {
							params[k] = v
						}
						params["id"] = id
					}
					result, err := tx.Run(ctx, st.Cypher, params)
					if err != nil {
						return struct{}{}, err
					}
					if _, err := result.Consume(ctx); err != nil {
						return struct{}{}, err
					}
				}
				return struct{}{}, nil
			})
			require.NoError(b, err)
			return time.Since(start)
		}
		b.Run(c.name, func(b *testing.B) {
			replay(base) // warm the page cache and the query cache for both
			replay(log)
			var baseTotal, variantTotal time.Duration
			n := 0
			for b.Loop() {
				baseTotal += replay(base)
				variantTotal += replay(log)
				n++
			}
			b.ReportMetric(float64(baseTotal.Microseconds())/1000/float64(n), "base-ms/op")
			b.ReportMetric(float64(variantTotal.Microseconds())/1000/float64(n), "variant-ms/op")
			b.ReportMetric(float64(variantTotal)/float64(baseTotal), "variant/base")
		})
	}
}
