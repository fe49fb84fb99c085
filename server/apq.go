package server

import (
	"context"
	"fmt"

	"github.com/99designs/gqlgen/graphql"

	"github.com/traffikgraph/traffikgraph/auth"
)

// callerPersistedQueries is the cache of automatic persisted queries, keyed by caller: a hash is
// known only to the caller who sent its query. Shared, it was an oracle: a partner sending the
// hash of a guessed query learned from PersistedQueryNotFound whether anyone else had asked it,
// and query texts hold ids and search words. Anonymous callers share one namespace of their own.
// One LRU bounds the entries of all callers together.
type callerPersistedQueries struct {
	cache graphql.Cache[string]
}

var _ graphql.Cache[string] = callerPersistedQueries{}

func (c callerPersistedQueries) Get(ctx context.Context, hash string) (string, bool) {
	return c.cache.Get(ctx, persistedQueryKey(auth.CallerFrom(ctx), hash))
}

func (c callerPersistedQueries) Add(ctx context.Context, hash, query string) {
	c.cache.Add(ctx, persistedQueryKey(auth.CallerFrom(ctx), hash), query)
}

// persistedQueryKey names the caller (issuer, subject and partner, quoted so that no choice of
// claims can spell another caller's key) in front of the hash.
func persistedQueryKey(caller auth.Caller, hash string) string {
	if caller.Anonymous() {
		return "anonymous " + hash
	}
	return fmt.Sprintf("%q %q %q %s", caller.Issuer, caller.Subject, caller.PartnerID, hash)
}
