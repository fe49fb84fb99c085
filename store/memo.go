package store

import "sync"

// Cypher fragments built from the model alone (a node variable's projection, its personal-data
// conditions) are the same for every request: built once per variable name and kept, instead of
// walking the model for each query (a tenth of the service's CPU on node reads, by the profile in
// docs/benchmarks.md). The variable names are the store's own, so the memo stays small.
var (
	projections     memo[string]
	piiConditionsOf memo[map[string]string]
)

// memo keeps build(key) per key; the values are never modified once built.
type memo[V any] struct{ values sync.Map }

func (m *memo[V]) get(key string, build func(string) V) V {
	if v, ok := m.values.Load(key); ok {
		return v.(V)
	}
	v, _ := m.values.LoadOrStore(key, build(key))
	return v.(V)
}
