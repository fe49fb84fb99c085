package seed_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"testing"

	"github.com/google/uuid"
	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/traffikgraph/traffikgraph/seed"
	"github.com/traffikgraph/traffikgraph/store/migrations"
	"github.com/traffikgraph/traffikgraph/store/storetest"
)

func getenv(key, fallback string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return fallback
}

// mustConnect connects to the test Neo4j and applies the schema the tests rely on.
func mustConnect(tb testing.TB) (neo4j.DriverWithContext, string) {
	tb.Helper()
	s := storetest.Open(tb)
	require.NoError(tb, migrations.Apply(tb.Context(), s.Driver(), s.Database()))
	return s.Driver(), s.Database()
}

// mustGenerate seeds a world in a namespace of its own and removes exactly it afterwards.
func mustGenerate(tb testing.TB, driver neo4j.DriverWithContext, database string, opts seed.Options) seed.Stats {
	tb.Helper()
	stats, err := seed.Generate(tb.Context(), driver, database, opts)
	tb.Cleanup(func() {
		_, err := seed.Remove(context.Background(), driver, database, opts)
		assert.NoError(tb, err)
	})
	require.NoError(tb, err)
	return stats
}

func query(tb testing.TB, driver neo4j.DriverWithContext, database, cypher string, params map[string]any) []*neo4j.Record {
	tb.Helper()
	res, err := neo4j.ExecuteQuery(tb.Context(), driver, cypher, params, neo4j.EagerResultTransformer,
		neo4j.ExecuteQueryWithDatabase(database))
	require.NoError(tb, err)
	return res.Records
}

func single[T neo4j.RecordValue](tb testing.TB, records []*neo4j.Record, key string) T {
	tb.Helper()
	require.Len(tb, records, 1)
	v, _, err := neo4j.GetRecordValue[T](records[0], key)
	require.NoError(tb, err)
	return v
}

// inWorld matches nodes of one namespace by the externalRef every seeded node carries.
const inWorld = "any(ref IN n.externalRefs WHERE ref CONTAINS $marker)"

func marker(namespace string) map[string]any {
	return map[string]any{"marker": ":synthetic/" + namespace + "/"}
}

// fingerprint renders every node and relationship of a world as sorted strings.
func fingerprint(tb testing.TB, driver neo4j.DriverWithContext, database, namespace string) []string {
	tb.Helper()
	var out []string
	for _, rec := range query(tb, driver, database, `
MATCH (n:Entity) WHERE `+inWorld+`
RETURN labels(n) AS labels, properties(n) AS props`, marker(namespace)) {
		out = append(out, fmt.Sprint(rec.Values...))
	}
	for _, rec := range query(tb, driver, database, `
MATCH (n:Entity)-[r]->(b:Entity) WHERE `+inWorld+`
RETURN n.id AS from, type(r) AS type, b.id AS to, properties(r) AS props`, marker(namespace)) {
		out = append(out, fmt.Sprint(rec.Values...))
	}
	slices.Sort(out)
	return out
}

func TestGenerate(t *testing.T) {
	driver, database := mustConnect(t)
	_, err := seed.EnsureDemoPartners(t.Context(), driver, database)
	require.NoError(t, err)

	opts := seed.Options{Scale: 1500, Seed: 42, Namespace: "test-" + uuid.NewString(), BatchSize: 700, Force: true}
	stats := mustGenerate(t, driver, database, opts)
	world := marker(opts.Namespace)

	t.Run("CountsMatchStats", func(t *testing.T) {
		nodes := single[int64](t, query(t, driver, database,
			"MATCH (n:Entity) WHERE "+inWorld+" RETURN count(n) AS n", world), "n")
		rels := single[int64](t, query(t, driver, database,
			"MATCH (n:Entity)-[r]->() WHERE "+inWorld+" RETURN count(r) AS n", world), "n")
		assert.EqualValues(t, stats.Nodes, nodes)
		assert.EqualValues(t, stats.Relationships, rels)
		partners := len(seed.DemoPartners) + len(seed.DemoSharingGroups)
		assert.Equal(t, opts.Scale-partners, stats.Nodes, "the world fills Scale exactly, partners included")
		ratio := float64(stats.Relationships) / float64(stats.Nodes)
		assert.InDelta(t, 3.0, ratio, 0.6, "about three relationships per node")
		assert.Positive(t, stats.NodesPerSecond())
	})

	t.Run("EveryNodeAndRelationshipHasProvenance", func(t *testing.T) {
		const provenance = `x.sourcePartner IS :: STRING NOT NULL
  AND x.tlp IN ['CLEAR', 'GREEN', 'AMBER', 'AMBER_STRICT', 'RED']
  AND x.sharedWith IS :: LIST<STRING> NOT NULL
  AND x.createdAt IS :: ZONED DATETIME NOT NULL
  AND x.updatedAt >= x.createdAt`
		missing := single[int64](t, query(t, driver, database, `
MATCH (n:Entity) WHERE `+inWorld+`
WITH n AS x WHERE NOT (`+provenance+` AND x.id IS :: STRING NOT NULL AND size(x.externalRefs) = 1)
RETURN count(x) AS n`, world), "n")
		assert.Zero(t, missing, "nodes without provenance")
		missing = single[int64](t, query(t, driver, database, `
MATCH (n:Entity)-[x]->() WHERE `+inWorld+` AND NOT (`+provenance+`)
RETURN count(x) AS n`, world), "n")
		assert.Zero(t, missing, "relationships without provenance")
	})

	t.Run("MixesMarkingsOnNodesAndRelationships", func(t *testing.T) {
		all := []any{"AMBER", "AMBER_STRICT", "CLEAR", "GREEN", "RED"}
		nodeTLPs := single[[]any](t, query(t, driver, database, `
MATCH (n:Entity) WHERE `+inWorld+`
WITH DISTINCT n.tlp AS tlp ORDER BY tlp RETURN collect(tlp) AS tlps`, world), "tlps")
		assert.Equal(t, all, nodeTLPs)
		relTLPs := single[[]any](t, query(t, driver, database, `
MATCH (n:Entity)-[r]->() WHERE `+inWorld+`
WITH DISTINCT r.tlp AS tlp ORDER BY tlp RETURN collect(tlp) AS tlps`, world), "tlps")
		assert.Equal(t, all, relTLPs)
		sharedRed := single[int64](t, query(t, driver, database, `
MATCH (n:Entity) WHERE `+inWorld+` AND n.tlp = 'RED' AND size(n.sharedWith) > 0
RETURN count(n) AS n`, world), "n")
		assert.Positive(t, sharedRed, "some RED data is shared with named partners")
	})

	t.Run("SupplyChainsReachTierFive", func(t *testing.T) {
		for depth := 3; depth <= 5; depth++ {
			chains := single[int64](t, query(t, driver, database, `
MATCH (n:Business) WHERE `+inWorld+`
MATCH path = (:Business)-[:SUPPLIES*`+strconv.Itoa(depth)+`]->(n)
RETURN count(path) AS n`, world), "n")
			assert.Positive(t, chains, "supply chains %d tiers deep", depth)
		}
		harbour := single[int64](t, query(t, driver, database, `
MATCH (n:Business) WHERE `+inWorld+` AND n.sourcePartner = $harbour
RETURN count(n) AS n`, map[string]any{"marker": world["marker"], "harbour": seed.PartnerHarbourHotels}), "n")
		assert.Positive(t, harbour, "Harbour Hotels contributes its own supply chain")
	})

	t.Run("PeopleShareIdentifiers", func(t *testing.T) {
		shared := single[int64](t, query(t, driver, database, `
MATCH (n:Identifier) WHERE `+inWorld+`
MATCH (n)<-[:HAS_IDENTIFIER]-(p:Person)
WITH n, count(DISTINCT p) AS people WHERE people >= 2
RETURN count(n) AS n`, world), "n")
		assert.Positive(t, shared)
	})

	t.Run("RouteStopsAreContiguousFromOriginToDestination", func(t *testing.T) {
		routes := query(t, driver, database, `
MATCH (n:Route) WHERE `+inWorld+`
MATCH (n)-[s:STOP]->(:Location)
WITH n, s ORDER BY s.seq
RETURN n.id AS id, collect(s.seq) AS seqs, collect(s.role) AS roles`, world)
		require.NotEmpty(t, routes)
		for _, rec := range routes {
			seqs, _, err := neo4j.GetRecordValue[[]any](rec, "seqs")
			require.NoError(t, err)
			roles, _, err := neo4j.GetRecordValue[[]any](rec, "roles")
			require.NoError(t, err)
			require.GreaterOrEqual(t, len(seqs), 2)
			for i, seq := range seqs {
				assert.EqualValues(t, i, seq)
			}
			assert.Equal(t, "ORIGIN", roles[0])
			assert.Equal(t, "DESTINATION", roles[len(roles)-1])
		}
	})

	t.Run("RefusesADatabaseThatHoldsData", func(t *testing.T) {
		unforced := opts
		unforced.Force = false
		_, err := seed.Generate(t.Context(), driver, database, unforced)
		assert.ErrorIs(t, err, seed.ErrDatabaseNotEmpty)
	})

	t.Run("SameSeedAndScaleGiveTheSameWorld", func(t *testing.T) {
		before := fingerprint(t, driver, database, opts.Namespace)
		require.Len(t, before, stats.Nodes+stats.Relationships)
		removed, err := seed.Remove(t.Context(), driver, database, opts)
		require.NoError(t, err)
		assert.Equal(t, stats.Nodes, removed.Nodes, "Remove deletes exactly the generated nodes")
		assert.Equal(t, stats.Relationships, removed.Relationships)

		again, err := seed.Generate(t.Context(), driver, database, opts)
		require.NoError(t, err)
		assert.Equal(t, stats.Nodes, again.Nodes)
		assert.Equal(t, stats.Relationships, again.Relationships)
		assert.Equal(t, before, fingerprint(t, driver, database, opts.Namespace))
	})
}

func TestEnsureDemoPartners(t *testing.T) {
	driver, database := mustConnect(t)
	_, err := seed.EnsureDemoPartners(t.Context(), driver, database)
	require.NoError(t, err)

	t.Run("IsIdempotent", func(t *testing.T) {
		again, err := seed.EnsureDemoPartners(t.Context(), driver, database)
		require.NoError(t, err)
		assert.Zero(t, again.Nodes)
		assert.Zero(t, again.Relationships)
	})

	t.Run("CreatesTheContractIDsAndMemberships", func(t *testing.T) {
		records := query(t, driver, database, `
MATCH (p:Entity:Partner)-[m:MEMBER_OF]->(g:Entity:SharingGroup)
WHERE g.id IN ['hub-core', 'shelters'] AND p.tlp = 'CLEAR' AND m.tlp = 'CLEAR'
WITH g, p ORDER BY p.id
RETURN g.id AS group, collect(p.id) AS members ORDER BY group`, nil)
		got := map[string][]any{}
		for _, rec := range records {
			group, _ := rec.Get("group")
			members, _ := rec.Get("members")
			got[group.(string)] = members.([]any)
		}
		assert.Equal(t, map[string][]any{
			"hub-core": {"bank-meridian", "police-northshire", "stt"},
			"shelters": {"ngo-safehaven", "stt"},
		}, got)
		harbour := single[string](t, query(t, driver, database,
			"MATCH (p:Partner {id: 'biz-harbour-hotels'}) RETURN p.kind AS kind", nil), "kind")
		assert.Equal(t, "BUSINESS", harbour)
	})
}

func TestOptionsValidation(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts seed.Options
	}{
		{"ErrScaleBelowMinimum", seed.Options{Scale: seed.MinScale - 1}},
		{"ErrNegativeBatchSize", seed.Options{BatchSize: -1}},
		{"ErrNegativeWriters", seed.Options{Writers: -2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// No server is needed: invalid options fail before the first query.
			_, err := seed.Generate(t.Context(), nil, "neo4j", tc.opts)
			assert.Error(t, err)
		})
	}
}

// BenchmarkGenerate seeds one world of SEED_BENCH_SCALE nodes (100000 by default) with
// SEED_BENCH_WRITERS concurrent writers, reports nodes/s and removes it again:
//
//	go test ./seed -run '^$' -bench Generate -benchtime 1x
func BenchmarkGenerate(b *testing.B) {
	driver, database := mustConnect(b)
	scale, err := strconv.Atoi(getenv("SEED_BENCH_SCALE", "100000"))
	require.NoError(b, err)
	writers, err := strconv.Atoi(getenv("SEED_BENCH_WRITERS", strconv.Itoa(seed.DefaultWriters)))
	require.NoError(b, err)
	for b.Loop() {
		opts := seed.Options{Scale: scale, Seed: 1, Namespace: "bench-" + uuid.NewString(),
			Writers: writers, Force: true, Progress: os.Stderr}
		stats, err := seed.Generate(b.Context(), driver, database, opts)
		removed, removeErr := seed.Remove(context.Background(), driver, database, opts)
		require.NoError(b, err)
		require.NoError(b, removeErr)
		b.ReportMetric(stats.NodesPerSecond(), "nodes/s")
		b.ReportMetric(float64(stats.Relationships)/stats.Elapsed.Seconds(), "rels/s")
		b.ReportMetric(float64(stats.Relationships)/float64(stats.Nodes), "rels/node")
		b.Logf("%d nodes, %d relationships in %s; removed %d nodes in %s",
			stats.Nodes, stats.Relationships, stats.Elapsed, removed.Nodes, removed.Elapsed)
	}
}
