package resolvers_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	tg "github.com/traffikgraph/traffikgraph"
	"github.com/traffikgraph/traffikgraph/auth"
	"github.com/traffikgraph/traffikgraph/internal/testkit"
	"github.com/traffikgraph/traffikgraph/store"
)

// TestViewerBusinessesAreTheCallersPartnersOwn: viewer.businesses lists, to a caller holding
// only supplychain:read, the businesses its own partner contributed (whatever their marking),
// never another partner's, even one the caller may see.
func TestViewerBusinessesAreTheCallersPartnersOwn(t *testing.T) {
	h := newHarness(t)
	h.callers["supply-a"] = auth.Caller{Issuer: "test", Subject: "sue", PartnerID: h.A, Scopes: []auth.Scope{auth.ScopeSupplyChainRead}}
	h.callers["supply-c"] = auth.Caller{Issuer: "test", Subject: "cy", PartnerID: h.C, Scopes: []auth.Scope{auth.ScopeSupplyChainRead}}
	h.callers["reporter"] = auth.Caller{Issuer: "test", Subject: "rex", PartnerID: h.A, Scopes: []auth.Scope{auth.ScopeReportsSubmit}}
	create := func(partner, name, tlp string) string {
		ctx := auth.WithCaller(context.Background(), auth.Caller{Issuer: "test", Subject: "setup", PartnerID: partner, Scopes: []auth.Scope{auth.ScopeGraphWrite}})
		n, err := h.store.Create(ctx, tg.LabelBusiness, store.CreateParams{Properties: store.Patch{Set: map[string]any{"name": name}}, Marking: store.Marking{Tlp: tlp}})
		require.NoError(t, err)
		return n.NodeID()
	}
	ownStrict := create(h.A, "A Strict Ltd", "AMBER_STRICT")
	ownGreen := create(h.A, "A Green Ltd", "GREEN")
	create(h.B, "B Green Ltd (visible to A, not A's)", "GREEN")
	create(h.B, "B Amber Ltd (visible to A, not A's)", "AMBER")
	cOwn := create(h.C, "C Clear Ltd", "CLEAR")

	const query = `query($after: String) { viewer { partnerId businesses(first: 1, after: $after) {
  totalCount pageInfo { hasNextPage endCursor } edges { node { id name provenance { tlp sourcePartner } } } } } }`

	t.Run("the caller's partner's businesses by name, page by page", func(t *testing.T) {
		resp := h.do("supply-a", query, nil)
		require.Empty(t, resp.Errors)
		assert.Equal(t, h.A, testkit.Dig(resp.Data, "viewer", "partnerId"))
		assert.Equal(t, json.Number("2"), testkit.Dig(resp.Data, "viewer", "businesses", "totalCount"))
		assert.Equal(t, ownGreen, testkit.Dig(resp.Data, "viewer", "businesses", "edges", 0, "node", "id"))
		assert.Equal(t, true, testkit.Dig(resp.Data, "viewer", "businesses", "pageInfo", "hasNextPage"))

		resp = h.do("supply-a", query, map[string]any{"after": testkit.Dig(resp.Data, "viewer", "businesses", "pageInfo", "endCursor")})
		require.Empty(t, resp.Errors)
		assert.Equal(t, ownStrict, testkit.Dig(resp.Data, "viewer", "businesses", "edges", 0, "node", "id"))
		assert.Equal(t, "AMBER_STRICT", testkit.Dig(resp.Data, "viewer", "businesses", "edges", 0, "node", "provenance", "tlp"))
		assert.Equal(t, false, testkit.Dig(resp.Data, "viewer", "businesses", "pageInfo", "hasNextPage"))
	})

	t.Run("another partner's businesses are not listed", func(t *testing.T) {
		for token, want := range map[string][]any{"a": {ownGreen, ownStrict}, "b": nil, "supply-c": {cOwn}} {
			resp := h.do(token, `{ viewer { businesses(first: 50) { edges { node { id provenance { sourcePartner } } } } } }`, nil)
			require.Empty(t, resp.Errors, token)
			var ids []any
			for _, e := range testkit.Dig(resp.Data, "viewer", "businesses", "edges").([]any) {
				ids = append(ids, testkit.Dig(e, "node", "id"))
			}
			if want == nil {
				// B's own two, and none of A's or C's.
				assert.Len(t, ids, 2, token)
				assert.NotContains(t, ids, ownGreen, token)
				assert.NotContains(t, ids, cOwn, token)
				continue
			}
			assert.Equal(t, want, ids, token)
		}
	})

	t.Run("anonymous callers have no viewer", func(t *testing.T) {
		resp := h.do("", `{ viewer { partnerId businesses { totalCount } } }`, nil)
		require.Empty(t, resp.Errors)
		assert.Nil(t, testkit.Dig(resp.Data, "viewer"))
	})

	t.Run("listing needs supplychain:read or graph:read", func(t *testing.T) {
		resp := h.do("reporter", `{ viewer { partnerId businesses { totalCount } } }`, nil)
		assert.Equal(t, []string{"FORBIDDEN"}, resp.Codes())
		assert.Equal(t, h.A, testkit.Dig(resp.Data, "viewer", "partnerId"))
		assert.Nil(t, testkit.Dig(resp.Data, "viewer", "businesses"))
	})
}

// TestViewerScopesAreTheTokensOwn: viewer.scopes names exactly what the caller's token grants,
// in the schema's order, so that a client offers only those views.
func TestViewerScopesAreTheTokensOwn(t *testing.T) {
	h := newHarness(t)
	for name, tc := range map[string]struct {
		scopes []auth.Scope
		want   []any
	}{
		"supply chains only": {[]auth.Scope{auth.ScopeSupplyChainRead}, []any{"SUPPLYCHAIN_READ"}},
		"an analyst, in the schema's order": {[]auth.Scope{auth.ScopeAuditRead, auth.ScopeGraphReadPII, auth.ScopeGraphRead},
			[]any{"GRAPH_READ", "GRAPH_READ_PII", "AUDIT_READ"}},
		"no scope at all": {nil, []any{}},
	} {
		t.Run(name, func(t *testing.T) {
			h.callers["scoped"] = auth.Caller{Issuer: "test", Subject: "sam", PartnerID: h.A, Scopes: tc.scopes}
			resp := h.do("scoped", `{ viewer { scopes } }`, nil)
			require.Empty(t, resp.Errors)
			assert.Equal(t, tc.want, testkit.Dig(resp.Data, "viewer", "scopes"))
		})
	}
}
