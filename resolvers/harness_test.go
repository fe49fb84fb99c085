package resolvers_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
	"github.com/stretchr/testify/require"
	tg "github.com/traffikgraph/traffikgraph"
	"github.com/traffikgraph/traffikgraph/auth"
	"github.com/traffikgraph/traffikgraph/internal/testkit"
	"github.com/traffikgraph/traffikgraph/resolvers"
	"github.com/traffikgraph/traffikgraph/server"
	"github.com/traffikgraph/traffikgraph/store"
	"github.com/traffikgraph/traffikgraph/store/storetest"
)

// callers maps test bearer tokens to Callers built in-process; the real token verification is
// tested in auth and end to end in e2e.
type callers map[string]auth.Caller

func (c callers) Authenticate(_ context.Context, header string) (auth.Caller, error) {
	if header == "" {
		return auth.Caller{}, nil
	}
	caller, ok := c[strings.TrimPrefix(header, "Bearer ")]
	if !ok {
		return auth.Caller{}, tg.Errorf(tg.Unauthenticated, "unknown test token")
	}
	return caller, nil
}

type harness struct {
	t     *testing.T
	store *store.Store
	url   string
	// handler is the API the url serves, for tests that wrap it.
	handler http.Handler
	callers callers
	// partners of this test: A and B share a sharing group; C shares none with them.
	A, B, C string
}

var harnessSeq atomic.Int64

// newHarness starts the API over the test database; options may change the store's
// configuration, knowing the harness's partners (the triage partner, say).
func newHarness(t *testing.T, options ...func(h *harness, cfg *store.Config)) *harness {
	t.Helper()
	suffix := fmt.Sprintf("%d-%d", time.Now().UnixNano(), harnessSeq.Add(1))
	h := &harness{t: t, A: "rt-a-" + suffix, B: "rt-b-" + suffix, C: "rt-c-" + suffix}
	s := storetest.Open(t, func(cfg *store.Config) {
		for _, option := range options {
			option(h, cfg)
		}
	})
	h.store = s
	h.cypher(`
UNWIND $partners AS pid
CREATE (:Entity:Partner {id: pid, name: pid, kind: 'NGO', tlp: 'CLEAR', sourcePartner: pid, sharedWith: [], externalRefs: [], createdAt: datetime(), updatedAt: datetime()})
WITH count(*) AS created
CREATE (g:Entity:SharingGroup {id: $group, name: $group, tlp: 'CLEAR', sourcePartner: $a, sharedWith: [], externalRefs: [], createdAt: datetime(), updatedAt: datetime()})
WITH g
MATCH (p:Partner) WHERE p.id IN [$a, $b]
CREATE (p)-[:MEMBER_OF {tlp: 'CLEAR', sourcePartner: $a, sharedWith: []}]->(g)`,
		map[string]any{"partners": []string{h.A, h.B, h.C}, "group": "rt-g-" + suffix, "a": h.A, "b": h.B})
	t.Cleanup(func() {
		h.cypher(`MATCH (n:Entity) WHERE n.sourcePartner IN $ids OR n.id IN $ids OR n.id = $group DETACH DELETE n`,
			map[string]any{"ids": []string{h.A, h.B, h.C}, "group": "rt-g-" + suffix})
		h.cypher(`MATCH (e:AuditEvent) WHERE e.partner IN $ids DELETE e`, map[string]any{"ids": []string{h.A, h.B, h.C}})
		h.cypher(`MATCH (v:Version) WHERE v.actorPartner IN $ids OR v.sourcePartner IN $ids DELETE v`, map[string]any{"ids": []string{h.A, h.B, h.C}})
	})

	all := []auth.Scope{auth.ScopeGraphRead, auth.ScopeGraphReadPII, auth.ScopeGraphWrite}
	h.callers = callers{
		"a":        {Issuer: "test", Subject: "alice", PartnerID: h.A, Scopes: all},
		"a-no-pii": {Issuer: "test", Subject: "alex", PartnerID: h.A, Scopes: []auth.Scope{auth.ScopeGraphRead, auth.ScopeGraphWrite}},
		"b":        {Issuer: "test", Subject: "bob", PartnerID: h.B, Scopes: all},
		"c":        {Issuer: "test", Subject: "carol", PartnerID: h.C, Scopes: all},
		"a-read":   {Issuer: "test", Subject: "ann", PartnerID: h.A, Scopes: []auth.Scope{auth.ScopeGraphRead}},
	}
	cfg := server.DefaultConfig()
	cfg.Introspection = true
	handler := server.New(cfg, server.Deps{
		Schema: resolvers.NewExecutableSchema(s), Auth: h.callers, Ready: s.Ping,
		PerOperation: resolvers.PerOperation(s), Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Extensions: []graphql.HandlerExtension{resolvers.Audit(s, slog.New(slog.NewTextHandler(io.Discard, nil)))},
	})
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	h.url, h.handler = srv.URL+"/graphql", handler
	return h
}

func (h *harness) cypher(query string, params map[string]any) *neo4j.EagerResult {
	h.t.Helper()
	res, err := neo4j.ExecuteQuery(context.Background(), h.store.Driver(), query, params, neo4j.EagerResultTransformer,
		neo4j.ExecuteQueryWithDatabase(h.store.Database()))
	require.NoError(h.t, err)
	return res
}

// do posts a GraphQL request as the caller behind token ("" is anonymous).
func (h *harness) do(token, query string, variables map[string]any) testkit.Response {
	h.t.Helper()
	return testkit.Client{URL: h.url, ExactNumbers: true}.Post(h.t, testkit.Bearer(token), query, variables)
}
