package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
	"github.com/stretchr/testify/require"

	"github.com/traffikgraph/traffikgraph/store"
	"github.com/traffikgraph/traffikgraph/store/storetest"
)

// BenchmarkDerivationCost measures what naming the markings of a derived answer costs Neo4j: each
// question is asked without (base) and with them (variant), alternately in the same loop so that
// both meet the same load, and the benchmark reports both latencies and their ratio
// (docs/benchmarks.md has the figures and the command; run it against a seeded graph, not the
// test database). The caller is the demo hub partner stt.
//
//   - count: a count of the visible incidents, and the same count naming their markings (what
//     totalCount does);
//   - ordered page: the first 20 visible incidents by date as a top-20 sort, and as the one pass
//     over every match that also names their markings (what an ordered page does);
//   - relationship filter: a page of the incidents with a visible British person involved, and
//     the markings of every visible (relationship, person) pair such a filter matches, which an
//     exact record of a relationship filter would need; the same for women, a filter that
//     matches most pairs. It is the alternative not taken: a relationship filter is recorded as
//     derived from every sensitive marking, which costs one audit write.
func BenchmarkDerivationCost(b *testing.B) {
	s := storetest.Open(b)
	params := map[string]any{"viewer": "stt", "pii": true, "triage": true}
	vis := func(q string) string {
		for _, v := range []string{"n", "r", "m"} {
			q = strings.ReplaceAll(q, "{{"+v+"}}", store.Visible(v))
		}
		return store.ViewerPrelude + q
	}
	involves := func(condition string) string {
		return "EXISTS { MATCH (n)<-[r:INVOLVED_IN]-(m:Person) WHERE {{r}} AND {{m}} AND " + condition + " }"
	}
	neighbourMarkings := func(condition string) string {
		return `MATCH (n:Incident)<-[r:INVOLVED_IN]-(m:Person)
WHERE {{n}} AND {{r}} AND {{m}} AND ` + condition + `
RETURN collect(DISTINCT r.tlp) + collect(DISTINCT m.tlp)`
	}
	const (
		british = "m.nationality IN ['GB']"
		women   = "m.gender IN ['FEMALE']"
	)
	for _, c := range []struct{ name, base, variant string }{
		{"count", `MATCH (n:Incident) WHERE {{n}} RETURN count(n)`,
			`MATCH (n:Incident) WHERE {{n}} RETURN count(n), collect(DISTINCT n.tlp)`},
		{"ordered page", `MATCH (n:Incident) WHERE {{n}}
WITH n ORDER BY coalesce(n.occurredFrom, date('0001-01-01')) DESC, n.id DESC LIMIT 21 RETURN collect(n.id)`,
			`CALL { WITH peers MATCH (n:Incident) WHERE {{n}} RETURN collect(n) AS matched, collect(DISTINCT n.tlp) AS markings }
UNWIND matched AS n
WITH n, markings ORDER BY coalesce(n.occurredFrom, date('0001-01-01')) DESC, n.id DESC LIMIT 21 RETURN collect(n.id), markings`},
		{"relationship filter", `MATCH (n:Incident) WHERE {{n}} AND ` + involves(british) + `
WITH n ORDER BY n.id LIMIT 21 RETURN collect(n.id)`, neighbourMarkings(british)},
		{"unselective relationship filter", `MATCH (n:Incident) WHERE {{n}} AND ` + involves(women) + `
WITH n ORDER BY n.id LIMIT 21 RETURN collect(n.id)`, neighbourMarkings(women)},
	} {
		base, variant := vis(c.base), vis(c.variant)
		run := func(cypher string) time.Duration {
			start := time.Now()
			_, err := neo4j.ExecuteQuery(context.Background(), s.Driver(), cypher, params, neo4j.EagerResultTransformer,
				neo4j.ExecuteQueryWithDatabase(s.Database()))
			require.NoError(b, err)
			return time.Since(start)
		}
		b.Run(c.name, func(b *testing.B) {
			run(base) // warm the page cache and the query cache for both
			run(variant)
			var baseTotal, variantTotal time.Duration
			n := 0
			for b.Loop() {
				baseTotal += run(base)
				variantTotal += run(variant)
				n++
			}
			b.ReportMetric(float64(baseTotal.Milliseconds())/float64(n), "base-ms/op")
			b.ReportMetric(float64(variantTotal.Milliseconds())/float64(n), "variant-ms/op")
			b.ReportMetric(float64(variantTotal)/float64(baseTotal), "variant/base")
		})
	}
}
