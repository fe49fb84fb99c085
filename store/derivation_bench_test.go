package store_test

import (
	"context"
	"strings"
	"testing"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
	"github.com/stretchr/testify/require"

	"github.com/traffikgraph/traffikgraph/store"
	"github.com/traffikgraph/traffikgraph/store/storetest"
)

// BenchmarkDerivationCost measures what naming the markings of a derived answer costs Neo4j,
// each question asked without and with it in the same run (docs/benchmarks.md has the figures
// and the command; run it against a seeded graph, not the test database). The caller is the demo
// hub partner stt.
//
//   - count: a count of the visible incidents, and the same count naming their markings (what
//     totalCount now does);
//   - ordered page: the first 20 visible incidents by date as a top-20 sort, and as the one pass
//     over every match that also names their markings (what an ordered page now does);
//   - relationship filter: a page and a count of the incidents with a visible British person
//     involved, and the markings of every visible (relationship, person) pair such a filter
//     matches, which an exact record of a relationship filter would need. It is the alternative
//     not taken: a relationship filter is recorded as derived from every sensitive marking.
func BenchmarkDerivationCost(b *testing.B) {
	s := storetest.Open(b)
	params := map[string]any{"viewer": "stt", "pii": true}
	vis := func(q string) string {
		for _, v := range []string{"n", "r", "m"} {
			q = strings.ReplaceAll(q, "{{"+v+"}}", store.Visible(v))
		}
		return store.ViewerPrelude + q
	}
	const involvesBritish = "EXISTS { MATCH (n)<-[r:INVOLVED_IN]-(m:Person) WHERE {{r}} AND {{m}} AND m.nationality IN ['GB'] }"
	for _, c := range []struct{ name, cypher string }{
		{"count", `MATCH (n:Incident) WHERE {{n}} RETURN count(n)`},
		{"count naming markings", `MATCH (n:Incident) WHERE {{n}} RETURN count(n), collect(DISTINCT n.tlp)`},
		{"ordered page top 20", `MATCH (n:Incident) WHERE {{n}}
WITH n ORDER BY coalesce(n.occurredFrom, date('0001-01-01')) DESC, n.id DESC LIMIT 21 RETURN collect(n.id)`},
		{"ordered page one pass naming markings", `CALL { WITH peers MATCH (n:Incident) WHERE {{n}} RETURN collect(n) AS matched, collect(DISTINCT n.tlp) AS markings }
UNWIND matched AS n
WITH n, markings ORDER BY coalesce(n.occurredFrom, date('0001-01-01')) DESC, n.id DESC LIMIT 21 RETURN collect(n.id), markings`},
		{"relationship filter page", `MATCH (n:Incident) WHERE {{n}} AND ` + involvesBritish + `
WITH n ORDER BY n.id LIMIT 21 RETURN collect(n.id)`},
		{"relationship filter count", `MATCH (n:Incident) WHERE {{n}} AND ` + involvesBritish + ` RETURN count(n)`},
		{"relationship filter neighbour markings", `MATCH (n:Incident)<-[r:INVOLVED_IN]-(m:Person)
WHERE {{n}} AND {{r}} AND {{m}} AND m.nationality IN ['GB']
RETURN collect(DISTINCT r.tlp) + collect(DISTINCT m.tlp)`},
	} {
		cypher := vis(c.cypher)
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				_, err := neo4j.ExecuteQuery(context.Background(), s.Driver(), cypher, params, neo4j.EagerResultTransformer,
					neo4j.ExecuteQueryWithDatabase(s.Database()))
				require.NoError(b, err)
			}
		})
	}
}
