package bench_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/traffikgraph/traffikgraph/bench"
)

// TestRandomFiltersReachButKeepWithinTheBounds: the shapes bench attack times are the worst the
// store allows, so the random filters must stay within its bounds (counted as it counts them),
// and most must come close to them.
func TestRandomFiltersReachButKeepWithinTheBounds(t *testing.T) {
	bounds := bench.CurrentBounds().Filter
	near := 0
	for seed := range uint64(200) {
		for _, typeName := range []string{"PersonWhere", "IncidentWhere", "BusinessWhere"} {
			terms, relationships := bench.CountFilter(bench.RandomFilter(seed, typeName, bounds), bounds.RelationshipTermWeight)
			assert.LessOrEqual(t, terms, bounds.Terms, "seed %d %s", seed, typeName)
			assert.LessOrEqual(t, relationships, bounds.Relationships, "seed %d %s", seed, typeName)
			if terms >= bounds.Terms-bounds.RelationshipTermWeight {
				near++
			}
		}
	}
	assert.Greater(t, near, 500, "most filters use the whole budget")
}
