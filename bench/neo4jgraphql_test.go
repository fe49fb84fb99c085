package bench

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLeaves(t *testing.T) {
	t.Run("the same answer in both APIs' shapes has the same leaves", func(t *testing.T) {
		ours, err := leaves(json.RawMessage(`{"incidents": {"totalCount": 2, "edges": [
			{"node": {"id": "a", "location": {"name": "Lagos"}, "people": [{"role": "VICTIM", "person": {"name": "X"}}]}},
			{"node": {"id": "b", "location": null, "people": []}}]}}`))
		require.NoError(t, err)
		theirs, err := leaves(json.RawMessage(`{"incidentsConnection": {"totalCount": 2, "edges": [
			{"node": {"id": "b", "locationConnection": {"edges": []}, "peopleConnection": {"edges": []}}},
			{"node": {"id": "a", "locationConnection": {"edges": [{"node": {"name": "Lagos"}}]},
			  "peopleConnection": {"edges": [{"properties": {"role": "VICTIM"}, "node": {"name": "X"}}]}}}]}}`))
		require.NoError(t, err)
		assert.Equal(t, ours, theirs)
		assert.Equal(t, []string{"Lagos", "X"}, ours["name"])
	})
	t.Run("a hidden person changes the leaves", func(t *testing.T) {
		all, err := leaves(json.RawMessage(`{"people": [{"role": "VICTIM"}, {"role": "SUSPECT"}]}`))
		require.NoError(t, err)
		fewer, err := leaves(json.RawMessage(`{"people": [{"role": "VICTIM"}]}`))
		require.NoError(t, err)
		assert.NotEqual(t, all, fewer)
	})
}

func TestMarkdown(t *testing.T) {
	stats := Stats{Requests: 10, P50: 2 * time.Millisecond, P95: 4 * time.Millisecond, PerSec: 100}
	t.Run("without @neo4j/graphql the table has the GraphQL and Cypher columns only", func(t *testing.T) {
		table := Markdown([]Result{{Case: "a", Concurrency: 1, GraphQL: stats, Cypher: stats}})
		assert.Equal(t, "| case | clients | GraphQL p50 | GraphQL p95 | GraphQL req/s | Cypher p50 | Cypher p95 | Cypher req/s | ratio p50 | ratio p95 |\n"+
			"|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n"+
			"| a | 1 | 2.00 ms | 4.00 ms | 100 | 2.00 ms | 4.00 ms | 100 | 1.00 | 1.00 |\n", table)
	})
	t.Run("with @neo4j/graphql its columns are added, dashed where it was not asked", func(t *testing.T) {
		theirs := Stats{Requests: 10, P50: 4 * time.Millisecond, P95: 8 * time.Millisecond, PerSec: 50}
		table := Markdown([]Result{
			{Case: "a", Concurrency: 1, GraphQL: stats, Cypher: stats, Neo4jGraphQL: &theirs},
			{Case: "b", Concurrency: 1, GraphQL: stats, Cypher: stats},
		})
		lines := strings.Split(strings.TrimSpace(table), "\n")
		require.Len(t, lines, 4)
		assert.True(t, strings.HasSuffix(lines[0], "| @neo4j/graphql p50 | @neo4j/graphql p95 | @neo4j/graphql req/s | ours / @neo4j/graphql p50 |"))
		assert.Equal(t, strings.Count(lines[0], "|"), strings.Count(lines[1], "|"))
		assert.True(t, strings.HasSuffix(lines[2], "| 4.00 ms | 8.00 ms | 50 | 0.50 |"), lines[2])
		assert.True(t, strings.HasSuffix(lines[3], "| – | – | – | – |"), lines[3])
	})
}
