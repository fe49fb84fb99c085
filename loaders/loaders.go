// Package loaders batches the nested fields of one GraphQL operation: every relationship field
// asked of many nodes becomes one store query per field and level, never one per node. Loaders
// live for one operation, so no caller ever reads another operation's cache.
package loaders

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/traffikgraph/traffikgraph/store"
	"github.com/vikstrous/dataloadgen"
)

// batchWait is how long a loader waits for more keys before it queries; resolvers of one level
// run concurrently, so a short wait gathers them all.
const batchWait = 2 * time.Millisecond

// batchCapacity bounds the ids of one query.
const batchCapacity = 1000

// Loaders are the per-operation loaders.
type Loaders struct {
	store *store.Store

	mu        sync.Mutex
	neighbors map[string]*dataloadgen.Loader[string, []store.Neighbor]
}

type loadersKey struct{}

// With returns a context carrying fresh loaders over s; call it once per operation.
func With(ctx context.Context, s *store.Store) context.Context {
	l := &Loaders{store: s, neighbors: map[string]*dataloadgen.Loader[string, []store.Neighbor]{}}
	return context.WithValue(ctx, loadersKey{}, l)
}

func from(ctx context.Context) *Loaders {
	l, ok := ctx.Value(loadersKey{}).(*Loaders)
	if !ok {
		panic("loaders: no loaders in context; the server installs them per operation")
	}
	return l
}

// Neighbors returns the neighbours of id selected by q, batched with every other call for the
// same q in this operation.
func Neighbors(ctx context.Context, q store.NeighborQuery, id string) ([]store.Neighbor, error) {
	result, err := from(ctx).neighborLoader(q).Load(ctx, id)
	if errors.Is(err, dataloadgen.ErrNotFound) {
		return nil, nil
	}
	return result, err
}

// neighborLoader returns the operation's loader for q, creating it on first use.
func (l *Loaders) neighborLoader(q store.NeighborQuery) *dataloadgen.Loader[string, []store.Neighbor] {
	key := q.Key()
	l.mu.Lock()
	defer l.mu.Unlock()
	loader, ok := l.neighbors[key]
	if !ok {
		loader = dataloadgen.NewMappedLoader(func(ctx context.Context, ids []string) (map[string][]store.Neighbor, error) {
			return l.store.Neighbors(ctx, q, ids)
		}, dataloadgen.WithWait(batchWait), dataloadgen.WithBatchCapacity(batchCapacity))
		l.neighbors[key] = loader
	}
	return loader
}

// Prime stores answers the store has already given (with a page or a node) in the operation's
// loaders, so that the field resolvers find them at once.
func Prime(ctx context.Context, tree store.Tree) {
	l := from(ctx)
	for plan, byParent := range tree {
		loader := l.neighborLoader(plan.Query)
		for parentID, neighbors := range byParent {
			loader.Prime(parentID, neighbors)
		}
	}
}
