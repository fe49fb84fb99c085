package store_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
	"github.com/stretchr/testify/require"
	tg "github.com/traffikgraph/traffikgraph"
	"github.com/traffikgraph/traffikgraph/auth"
	"github.com/traffikgraph/traffikgraph/store"
	"github.com/traffikgraph/traffikgraph/store/storetest"
)

// mustOpen connects to the Neo4j the test command started.
func mustOpen(tb testing.TB) *store.Store { return storetest.Open(tb) }

var worldSeq atomic.Int64

// world is a test's own slice of the graph: partners A and B share a sharing group, C and D
// share nothing with A. Everything it creates is deleted when the test ends.
type world struct {
	s          *store.Store
	A, B, C, D string
	group      string
}

func newWorld(tb testing.TB, s *store.Store) *world {
	tb.Helper()
	suffix := fmt.Sprintf("%d-%d", time.Now().UnixNano(), worldSeq.Add(1))
	w := &world{s: s, A: "test-a-" + suffix, B: "test-b-" + suffix, C: "test-c-" + suffix, D: "test-d-" + suffix, group: "test-g-" + suffix}
	run(tb, s, `
UNWIND $partners AS pid
CREATE (:Entity:Partner {id: pid, name: pid, kind: 'NGO', tlp: 'CLEAR', sourcePartner: pid, sharedWith: [], externalRefs: [],
        createdAt: datetime(), updatedAt: datetime()})
WITH collect(pid) AS ids
CREATE (g:Entity:SharingGroup {id: $group, name: $group, tlp: 'CLEAR', sourcePartner: $a, sharedWith: [], externalRefs: [],
        createdAt: datetime(), updatedAt: datetime()})
WITH g
MATCH (p:Partner) WHERE p.id IN [$a, $b]
CREATE (p)-[:MEMBER_OF {tlp: 'CLEAR', sourcePartner: $a, sharedWith: []}]->(g)`,
		map[string]any{"partners": []string{w.A, w.B, w.C, w.D}, "group": w.group, "a": w.A, "b": w.B})
	tb.Cleanup(func() {
		run(tb, s, `MATCH (n:Entity) WHERE n.sourcePartner IN $ids OR n.id IN $ids OR n.id = $group DETACH DELETE n`,
			map[string]any{"ids": []string{w.A, w.B, w.C, w.D}, "group": w.group})
		run(tb, s, `MATCH (v:Version) WHERE v.actorPartner IN $ids OR v.sourcePartner IN $ids DELETE v`,
			map[string]any{"ids": []string{w.A, w.B, w.C, w.D}})
	})
	return w
}

func run(tb testing.TB, s *store.Store, cypher string, params map[string]any) {
	tb.Helper()
	_, err := neo4j.ExecuteQuery(context.Background(), s.Driver(), cypher, params, neo4j.EagerResultTransformer,
		neo4j.ExecuteQueryWithDatabase(s.Database()))
	require.NoError(tb, err)
}

// as returns a context whose caller is a partner with scopes.
func as(partner string, scopes ...auth.Scope) context.Context {
	return auth.WithCaller(context.Background(), auth.Caller{Issuer: "test", Subject: "s-" + partner, PartnerID: partner, Scopes: scopes})
}

var anonymous = context.Background()

var readerScopes = []auth.Scope{auth.ScopeGraphRead, auth.ScopeGraphWrite}

// filterOf is the filter holding all the terms.
func filterOf(terms ...store.Term) *store.Filter { return &store.Filter{Terms: terms} }

// cond is the condition comparing property with value.
func cond(property string, op tg.FilterOp, value any) *store.Condition {
	return &store.Condition{Property: property, Op: op, Value: value}
}
