package resolvers_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	tg "github.com/traffikgraph/traffikgraph"
	"github.com/traffikgraph/traffikgraph/auth"
	"github.com/traffikgraph/traffikgraph/internal/testkit"
	"github.com/traffikgraph/traffikgraph/store"
)

// TestTraversalsThroughGraphQL: the traversal fields' scopes, their typed results, and the
// redaction of people on supply-chain risk paths.
func TestTraversalsThroughGraphQL(t *testing.T) {
	h := newHarness(t)
	h.callers["supply"] = auth.Caller{Issuer: "test", Subject: "sue", PartnerID: h.A, Scopes: []auth.Scope{auth.ScopeSupplyChainRead}}
	h.callers["reporter"] = auth.Caller{Issuer: "test", Subject: "rex", PartnerID: h.A, Scopes: []auth.Scope{auth.ScopeReportsSubmit}}
	ctxA := auth.WithCaller(context.Background(), auth.Caller{Issuer: "test", Subject: "setup", PartnerID: h.A, Scopes: []auth.Scope{auth.ScopeGraphWrite}})
	create := func(label string, input map[string]any) string {
		n, err := h.store.Create(ctxA, label, store.CreateParams{Properties: store.Patch{Set: input}, Marking: store.Marking{Tlp: "GREEN"}})
		require.NoError(t, err)
		return n.NodeID()
	}
	link := func(typ, from, to string, props map[string]any) {
		_, err := h.store.Link(ctxA, store.LinkParams{Type: typ, From: from, To: to, Properties: store.Patch{Set: props}, Marking: store.Marking{Tlp: "GREEN"}})
		require.NoError(t, err)
	}
	buyer := create(tg.LabelBusiness, map[string]any{"name": "Buyer"})
	supplier := create(tg.LabelBusiness, map[string]any{"name": "Supplier"})
	director := create(tg.LabelPerson, map[string]any{"name": "Dana Director"})
	incident := create(tg.LabelIncident, map[string]any{"title": "Case", "occurredFrom": "2025-01-01"})
	link(tg.RelSupplies, supplier, buyer, map[string]any{"product": "yarn"})
	link(tg.RelDirectorOf, director, supplier, nil)
	link(tg.RelInvolvedIn, director, incident, map[string]any{"role": "EXPLOITER"})

	const risk = `query($id: ID!) { supplyChainRisk(businessId: $id) {
  suppliers { supplier { name } score reasons { kind path { length nodes { __typename ... on Person { name } } } } } } }`
	t.Run("supplychain:read suffices for supply-chain risk and people stay redacted", func(t *testing.T) {
		resp := h.do("supply", risk, map[string]any{"id": buyer})
		require.Empty(t, resp.Errors)
		assert.Equal(t, "Supplier", testkit.Dig(resp.Data, "supplyChainRisk", "suppliers", 0, "supplier", "name"))
		assert.Equal(t, "CONTROLLED_BY_INVOLVED_PERSON", testkit.Dig(resp.Data, "supplyChainRisk", "suppliers", 0, "reasons", 0, "kind"))
		assert.Equal(t, "Person", testkit.Dig(resp.Data, "supplyChainRisk", "suppliers", 0, "reasons", 0, "path", "nodes", 1, "__typename"))
		assert.Nil(t, testkit.Dig(resp.Data, "supplyChainRisk", "suppliers", 0, "reasons", 0, "path", "nodes", 1, "name"))
		assert.NotEmpty(t, resp.Extensions["redacted"])
	})
	t.Run("graph:read suffices for supply chains too", func(t *testing.T) {
		resp := h.do("a-read", `query($id: ID!) { supplyChain(businessId: $id) { tiers { tier businesses { id } } edges { type product } } }`, map[string]any{"id": buyer})
		require.Empty(t, resp.Errors)
		assert.Equal(t, supplier, testkit.Dig(resp.Data, "supplyChain", "tiers", 0, "businesses", 0, "id"))
		assert.Equal(t, "yarn", testkit.Dig(resp.Data, "supplyChain", "edges", 0, "product"))
	})
	for _, token := range []string{"", "reporter"} {
		t.Run("supply chains are FORBIDDEN without either scope ("+token+")", func(t *testing.T) {
			resp := h.do(token, risk, map[string]any{"id": buyer})
			assert.Equal(t, []string{"FORBIDDEN"}, resp.Codes())
		})
	}
	t.Run("graph traversals need graph:read", func(t *testing.T) {
		resp := h.do("supply", `query($id: ID!) { network(id: $id) { truncated } }`, map[string]any{"id": buyer})
		assert.Equal(t, []string{"FORBIDDEN"}, resp.Codes())
	})
	t.Run("network returns typed nodes and edges", func(t *testing.T) {
		resp := h.do("a", `query($id: ID!) { network(id: $id, relationshipTypes: [SUPPLIES]) {
  nodes { __typename id } edges { type from { id } to { id } provenance { tlp } } truncated } }`, map[string]any{"id": buyer})
		require.Empty(t, resp.Errors)
		assert.Equal(t, "Business", testkit.Dig(resp.Data, "network", "nodes", 0, "__typename"))
		assert.Equal(t, supplier, testkit.Dig(resp.Data, "network", "edges", 0, "from", "id"))
		assert.Equal(t, "GREEN", testkit.Dig(resp.Data, "network", "edges", 0, "provenance", "tlp"))
	})
	t.Run("anonymous callers get country hotspots but not city ones", func(t *testing.T) {
		resp := h.do("", `{ hotspots { incidents } }`, nil)
		assert.Empty(t, resp.Errors)
		resp = h.do("", `{ hotspots(granularity: CITY) { incidents } }`, nil)
		assert.Equal(t, []string{"FORBIDDEN"}, resp.Codes())
	})
	t.Run("search hits are typed", func(t *testing.T) {
		resp := h.do("a", `{ search(query: "Suplier", types: [BUSINESS], first: 50) { type score node { id } } }`, nil)
		require.Empty(t, resp.Errors)
		hits, _ := testkit.Dig(resp.Data, "search").([]any)
		var found bool
		for _, hit := range hits {
			if testkit.Dig(hit, "node", "id") == supplier {
				found = true
				assert.Equal(t, "BUSINESS", testkit.Dig(hit, "type"))
			}
		}
		assert.True(t, found, "a typo still finds the supplier")
	})
	t.Run("a limit beyond the maximum is LIMIT_EXCEEDED", func(t *testing.T) {
		resp := h.do("a", `query($id: ID!) { network(id: $id, depth: 9) { truncated } }`, map[string]any{"id": buyer})
		assert.Equal(t, []string{"LIMIT_EXCEEDED"}, resp.Codes())
	})
}
