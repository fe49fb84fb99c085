package resolvers_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/traffikgraph/traffikgraph/auth"
	"github.com/traffikgraph/traffikgraph/internal/testkit"
)

// TestSharingGroupsAreListed: sharing groups are directory data, marked CLEAR (docs/access.md:
// graph:read grants partners and sharing groups), so every caller with graph:read lists every
// group with its members, members and non-members alike, and so does an admin; without
// graph:read the field is FORBIDDEN.
func TestSharingGroupsAreListed(t *testing.T) {
	h := newHarness(t)
	h.callers["admin"] = auth.Caller{Issuer: "test", Subject: "root", PartnerID: h.A,
		Scopes: []auth.Scope{auth.ScopeAdmin, auth.ScopeAuditRead, auth.ScopeGraphRead}}
	h.callers["c-no-read"] = auth.Caller{Issuer: "test", Subject: "cid", PartnerID: h.C,
		Scopes: []auth.Scope{auth.ScopeGraphWrite}}
	group := "rt-g-" + h.A[len("rt-a-"):]
	const query = `{ sharingGroups { id name members { id } } }`

	for _, token := range []string{"a", "b", "c", "admin"} {
		t.Run(token, func(t *testing.T) {
			resp := h.do(token, query, nil)
			require.Empty(t, resp.Errors)
			var members []any
			for _, g := range testkit.Dig(resp.Data, "sharingGroups").([]any) {
				if testkit.Dig(g, "id") == group {
					assert.Equal(t, group, testkit.Dig(g, "name"))
					for _, m := range testkit.Dig(g, "members").([]any) {
						members = append(members, testkit.Dig(m, "id"))
					}
				}
			}
			assert.ElementsMatch(t, []any{h.A, h.B}, members, "the test's group with its two members")
		})
	}
	t.Run("without graph:read", func(t *testing.T) {
		resp := h.do("c-no-read", query, nil)
		assert.Equal(t, []string{"FORBIDDEN"}, resp.Codes())
		assert.Nil(t, resp.Data["sharingGroups"])
	})
}
