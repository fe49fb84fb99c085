package seed_test

import (
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	tg "github.com/traffikgraph/traffikgraph"
	"github.com/traffikgraph/traffikgraph/auth"
	"github.com/traffikgraph/traffikgraph/seed"
	"github.com/traffikgraph/traffikgraph/store"
	"github.com/traffikgraph/traffikgraph/store/storetest"
)

// TestDemoHistory: the demo world has a history out of the box, written through the store as
// its partners' analysts, and read under the same rules as any history.
func TestDemoHistory(t *testing.T) {
	driver, database := mustConnect(t)
	_, err := seed.EnsureDemoPartners(t.Context(), driver, database)
	require.NoError(t, err)
	opts := seed.Options{Scale: 1500, Seed: 42, Namespace: "test-" + uuid.NewString(), BatchSize: 700, Force: true}
	mustGenerate(t, driver, database, opts)
	s := storetest.Open(t)

	changed, err := seed.DemoHistory(t.Context(), s, opts)
	require.NoError(t, err)
	assert.Equal(t, 6, changed)

	records := query(t, driver, database, `
MATCH (n:Entity) WHERE `+inWorld+`
MATCH (v:Version {entityId: n.id})
WITH n, collect(v.change) AS changes
RETURN n.id AS id, labels(n) AS labels, changes ORDER BY size(changes) DESC, id`, marker(opts.Namespace))
	require.Len(t, records, 5, "five entities, one of them changed twice")
	changes, _ := records[0].Get("changes")
	assert.ElementsMatch(t, []any{tg.ChangeUpdated, tg.ChangeMarked}, changes)

	t.Run("APersonsAliasIsRedactedForTheBank", func(t *testing.T) {
		person := single[string](t, query(t, driver, database, `
MATCH (n:Person) WHERE `+inWorld+`
MATCH (v:Version {entityId: n.id}) WHERE 'aliases' IN v.fields
RETURN n.id AS id`, marker(opts.Namespace)), "id")
		bank := auth.WithCaller(t.Context(), auth.Caller{Issuer: "test", Subject: "s", PartnerID: seed.PartnerMeridianBank,
			Scopes: []auth.Scope{auth.ScopeGraphRead}})
		page, err := s.History(bank, store.HistoryParams{ID: person})
		require.NoError(t, err)
		require.Len(t, page.Entries, 1)
		assert.Equal(t, []string{"aliases"}, page.Entries[0].RedactedFields)
		assert.Equal(t, store.VersionActor{PartnerID: seed.PartnerSTT}, page.Entries[0].Actor, "STT's analyst, whose subject the bank does not learn")
	})
}
