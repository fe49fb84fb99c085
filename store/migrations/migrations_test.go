package migrations_test

import (
	"context"
	"testing"

	"github.com/google/uuid"
	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/traffikgraph/traffikgraph/store/migrations"
	"github.com/traffikgraph/traffikgraph/store/storetest"
)

// mustConnect connects to the test Neo4j.
func mustConnect(tb testing.TB) (neo4j.DriverWithContext, string) {
	tb.Helper()
	s := storetest.Open(tb)
	return s.Driver(), s.Database()
}

func names(tb testing.TB, driver neo4j.DriverWithContext, database, show string) map[string]string {
	tb.Helper()
	res, err := neo4j.ExecuteQuery(tb.Context(), driver, show, nil, neo4j.EagerResultTransformer,
		neo4j.ExecuteQueryWithDatabase(database))
	require.NoError(tb, err)
	out := map[string]string{}
	for _, rec := range res.Records {
		name, _, err := neo4j.GetRecordValue[string](rec, "name")
		require.NoError(tb, err)
		state, _, err := neo4j.GetRecordValue[string](rec, "state")
		require.NoError(tb, err)
		out[name] = state
	}
	return out
}

func TestApply(t *testing.T) {
	driver, database := mustConnect(t)
	ctx := t.Context()

	require.NoError(t, migrations.Apply(ctx, driver, database), "first apply")
	require.NoError(t, migrations.Apply(ctx, driver, database), "second apply is a no-op")

	t.Run("CreatesUniqueIDConstraints", func(t *testing.T) {
		constraints := names(t, driver, database, "SHOW CONSTRAINTS YIELD name, type WHERE type = 'UNIQUENESS' RETURN name, 'ONLINE' AS state")
		for _, want := range []string{
			"entity_id", "person_id", "location_id", "route_id", "business_id", "incident_id",
			"identifier_id", "report_id", "partner_id", "sharing_group_id", "audit_event_id",
		} {
			assert.Contains(t, constraints, want)
		}
	})

	t.Run("CreatesIndexesAndAllAreOnline", func(t *testing.T) {
		indexes := names(t, driver, database, "SHOW INDEXES YIELD name, state RETURN name, state")
		for _, want := range []string{
			"person_name", "person_nationality", "location_name", "location_country_code", "location_kind",
			"business_name", "business_registration_number", "business_jurisdiction",
			"identifier_value", "identifier_kind", "incident_occurred_from", "incident_occurred_to",
			"report_submitted_at", "report_status", "route_name", "entity_source_partner",
			"entity_tlp_source_partner", "person_created_at", "report_created_at", "audit_event_id",
			"involved_in_role", "supplies_since", "location_point", "report_approx_location",
			migrations.SearchPublicIndex, migrations.SearchPIIIndex, migrations.ErasureNamesIndex,
		} {
			if assert.Contains(t, indexes, want) {
				assert.Equal(t, "ONLINE", indexes[want], want)
			}
		}
	})

	t.Run("FlagsTheReportsThePublicSubmittedBeforeTheFlag", func(t *testing.T) {
		submitted, partners := uuid.NewString(), uuid.NewString()
		_, err := neo4j.ExecuteQuery(ctx, driver, `
WITH datetime() AS at
CREATE (:Entity:Report {id: $submitted, text: 'x', channel: 'APP', status: 'NEW', tlp: 'AMBER_STRICT',
  sourcePartner: 'migrations-test', sharedWith: [], externalRefs: [], submittedAt: at, createdAt: at, updatedAt: at})
CREATE (:Entity:Report {id: $partners, text: 'y', channel: 'APP', status: 'NEW', tlp: 'AMBER_STRICT',
  sourcePartner: 'migrations-test', sharedWith: [], externalRefs: [], submittedAt: at - duration('PT1H'), createdAt: at, updatedAt: at})`,
			map[string]any{"submitted": submitted, "partners": partners}, neo4j.EagerResultTransformer, neo4j.ExecuteQueryWithDatabase(database))
		require.NoError(t, err)
		t.Cleanup(func() {
			_, err := neo4j.ExecuteQuery(context.Background(), driver, "MATCH (r:Report) WHERE r.id IN $ids DETACH DELETE r",
				map[string]any{"ids": []string{submitted, partners}}, neo4j.EagerResultTransformer, neo4j.ExecuteQueryWithDatabase(database))
			assert.NoError(t, err)
		})
		require.NoError(t, migrations.Apply(ctx, driver, database))

		res, err := neo4j.ExecuteQuery(ctx, driver, "MATCH (r:Report) WHERE r.id IN $ids RETURN r.id AS id, r.publicSubmission AS flag",
			map[string]any{"ids": []string{submitted, partners}}, neo4j.EagerResultTransformer, neo4j.ExecuteQueryWithDatabase(database))
		require.NoError(t, err)
		flags := map[string]any{}
		for _, rec := range res.Records {
			id, _ := rec.Get("id")
			flags[id.(string)], _ = rec.Get("flag")
		}
		assert.Equal(t, map[string]any{submitted: true, partners: nil}, flags,
			"a submission is flagged; a partner's report with its own submission time is not")
	})

	t.Run("StampsUpdatedAtOnTheNodesCreatedWithoutIt", func(t *testing.T) {
		id := uuid.NewString()
		_, err := neo4j.ExecuteQuery(ctx, driver, `
CREATE (:Entity:Business {id: $id, name: 'Unstamped Ltd', tlp: 'GREEN', sourcePartner: 'migrations-test',
  sharedWith: [], externalRefs: [], createdAt: datetime() - duration('P1D')})`,
			map[string]any{"id": id}, neo4j.EagerResultTransformer, neo4j.ExecuteQueryWithDatabase(database))
		require.NoError(t, err)
		t.Cleanup(func() {
			_, err := neo4j.ExecuteQuery(context.Background(), driver, "MATCH (b:Business {id: $id}) DETACH DELETE b",
				map[string]any{"id": id}, neo4j.EagerResultTransformer, neo4j.ExecuteQueryWithDatabase(database))
			assert.NoError(t, err)
		})
		require.NoError(t, migrations.Apply(ctx, driver, database))

		res, err := neo4j.ExecuteQuery(ctx, driver, "MATCH (b:Business {id: $id}) RETURN b.updatedAt = b.createdAt AS stamped",
			map[string]any{"id": id}, neo4j.EagerResultTransformer, neo4j.ExecuteQueryWithDatabase(database))
		require.NoError(t, err)
		require.Len(t, res.Records, 1)
		stamped, _ := res.Records[0].Get("stamped")
		assert.Equal(t, true, stamped, "a node written without updatedAt was last updated when it was created")
	})

	t.Run("KeepsPersonalDataOutOfThePublicSearchIndex", func(t *testing.T) {
		marker := "zq" + uuid.NewString()[:8]
		id := uuid.NewString()
		_, err := neo4j.ExecuteQuery(ctx, driver, `
CREATE (p:Entity:Person {id: $id, name: 'Test Person', aliases: ['Alias ' + $marker], tlp: 'RED',
  sourcePartner: 'migrations-test', createdAt: datetime(), updatedAt: datetime()})`,
			map[string]any{"id": id, "marker": marker}, neo4j.EagerResultTransformer, neo4j.ExecuteQueryWithDatabase(database))
		require.NoError(t, err)
		t.Cleanup(func() {
			_, err := neo4j.ExecuteQuery(context.Background(), driver, "MATCH (p:Person {id: $id}) DETACH DELETE p",
				map[string]any{"id": id}, neo4j.EagerResultTransformer, neo4j.ExecuteQueryWithDatabase(database))
			assert.NoError(t, err)
		})

		hits := func(index string) int64 {
			res, err := neo4j.ExecuteQuery(ctx, driver,
				"CALL db.index.fulltext.queryNodes($index, $marker) YIELD node RETURN count(node) AS hits",
				map[string]any{"index": index, "marker": marker}, neo4j.EagerResultTransformer, neo4j.ExecuteQueryWithDatabase(database))
			require.NoError(t, err)
			n, _, err := neo4j.GetRecordValue[int64](res.Records[0], "hits")
			require.NoError(t, err)
			return n
		}
		assert.EqualValues(t, 1, hits(migrations.SearchPIIIndex), "aliases (a list) are searchable in the PII index")
		assert.EqualValues(t, 0, hits(migrations.SearchPublicIndex), "the public index never holds person aliases")
	})
}
