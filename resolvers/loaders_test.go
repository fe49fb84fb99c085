package resolvers_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/traffikgraph/traffikgraph/internal/testkit"
)

// TestNestedFieldsRunAFixedNumberOfQueries: a page of incidents with their location (and its
// parent) and people, at every depth, is one query whatever the page size (plus the audit
// record, the names being personal data).
func TestNestedFieldsRunAFixedNumberOfQueries(t *testing.T) {
	h := newHarness(t)
	h.cypher(`
MATCH (p:Partner {id: $a})
UNWIND range(1, 100) AS i
CREATE (inc:Entity:Incident {id: $a + '-inc-' + i, title: 'Incident ' + i, exploitationTypes: ['FORCED_LABOUR'], meansOfControl: [],
        tlp: 'GREEN', sourcePartner: $a, sharedWith: [], externalRefs: [], createdAt: datetime(), updatedAt: datetime()})
CREATE (loc:Entity:Location {id: $a + '-loc-' + i, name: 'Town ' + i, kind: 'CITY', countryCode: 'GB',
        tlp: 'GREEN', sourcePartner: $a, sharedWith: [], externalRefs: [], createdAt: datetime(), updatedAt: datetime()})
CREATE (inc)-[:OCCURRED_AT {tlp: 'GREEN', sourcePartner: $a, sharedWith: []}]->(loc)
WITH inc, i
UNWIND range(1, 2) AS j
CREATE (per:Entity:Person {id: $a + '-per-' + i + '-' + j, name: 'Person ' + i + '/' + j, nationality: 'GB',
        tlp: 'GREEN', sourcePartner: $a, sharedWith: [], externalRefs: [], createdAt: datetime(), updatedAt: datetime()})
CREATE (per)-[:INVOLVED_IN {role: 'VICTIM', tlp: 'GREEN', sourcePartner: $a, sharedWith: []}]->(inc)`,
		map[string]any{"a": h.A})

	const query = `query($first: Int, $partner: ID!) {
  incidents(first: $first, where: {provenance: {sourcePartner_in: [$partner]}}) {
    edges { node { title location { name parent { name } } people { role person { name identifiers { kind } } } } }
  }
}`
	for _, first := range []int{10, 100} {
		t.Run(fmt.Sprintf("%d incidents", first), func(t *testing.T) {
			before := h.store.QueryCount()
			resp := h.do("a", query, map[string]any{"first": first, "partner": h.A})
			require.Empty(t, resp.Errors)
			queries := h.store.QueryCount() - before

			edges := testkit.Dig(resp.Data, "incidents", "edges").([]any)
			require.Len(t, edges, first)
			for _, e := range edges {
				assert.NotNil(t, testkit.Dig(e, "node", "location", "name"))
				assert.Len(t, testkit.Dig(e, "node", "people"), 2)
			}
			assert.Equal(t, int64(2), queries, "one query for the page and its nested fields at every depth, one audit record")
		})
	}
}
