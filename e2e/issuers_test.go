package e2e_test

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/traffikgraph/traffikgraph/internal/testkit"
)

// TestIssuerTrust: with two issuers trusted, each speaks only for its own partners and grants
// only what the issuers file lets it grant. Partner D's own provider plays a compromised partner
// IdP: it issues whatever its clients ask for, admin included, for any partner they name.
func TestIssuerTrust(t *testing.T) {
	w := env

	t.Run("APartnerIdPCannotGrantAdmin:NoJoiningAnotherPartnersSharingGroup", func(t *testing.T) {
		token := w.token(t, "d", "graph:read", "graph:read:pii", "audit:read", "admin")
		require.Contains(t, strings.Fields(tokenClaims(t, token)["scope"].(string)), "admin", "the partner's IdP did issue admin")

		got := query(t, w.api, "Bearer "+token, `mutation Join($group: ID!, $partner: ID!) {
  addGroupMember(groupId: $group, partnerId: $partner) { id members { id } }
}`, map[string]any{"group": w.group, "partner": w.D})

		assert.Equal(t, "FORBIDDEN", got.CodeAt("addGroupMember"))
		members := w.as(t, "a", "graph:read")(`{ sharingGroups { id members { id } } }`, nil)
		require.Empty(t, members.Errors)
		for _, g := range testkit.Dig(members.Data, "sharingGroups").([]any) {
			if testkit.Dig(g, "id") == w.group {
				assert.Len(t, testkit.Dig(g, "members"), 2, "the group still holds A and B only")
			}
		}
	})

	t.Run("APartnerIdPCannotGrantAdmin:NoReadingAnotherPartnersAuditTrail", func(t *testing.T) {
		got := w.as(t, "d", "audit:read", "admin")(`query($a: ID!) {
  other: auditEvents(where: {partner: $a}) { totalCount }
  own: auditEvents(first: 100) { edges { node { partner } } }
}`, map[string]any{"a": w.A})

		assert.Equal(t, "FORBIDDEN", got.CodeAt("other"))
		assert.Nil(t, got.Data["other"])
		for _, e := range testkit.Dig(got.Data, "own", "edges").([]any) {
			assert.Equal(t, w.D, testkit.Dig(e, "node", "partner"), "audit:read without admin: its own partner's events only")
		}
	})

	t.Run("APartnerIdPCannotGrantAdmin:NoReadingAnotherGroupsAmberPeople", func(t *testing.T) {
		read := w.as(t, "d", "graph:read", "graph:read:pii", "admin")
		listed := read(`query($a: [ID!]) { people(first: 50, where: {provenance: {sourcePartner_in: $a}}) { edges { node { id name } } } }`,
			map[string]any{"a": []any{w.A}})
		byID := read(`query($id: ID!) { node(id: $id) { ... on Person { id name } } }`, map[string]any{"id": w.nodes["amberPerson"]})

		require.Empty(t, listed.Errors)
		assert.NotContains(t, edgeIDs(testkit.Dig(listed.Data, "people")), w.nodes["amberPerson"])
		assert.NotContains(t, fmt.Sprint(listed.Data), "Amber Person")
		require.Empty(t, byID.Errors)
		assert.Nil(t, byID.Data["node"])
	})

	t.Run("APartnerIdPIsServedWithinItsGrants", func(t *testing.T) {
		got := w.as(t, "d", "graph:read", "audit:read")(`{ people(first: 1) { totalCount } auditEvents(first: 1) { totalCount } }`, nil)

		assert.Empty(t, got.Errors)
		assert.NotNil(t, got.Data["people"])
		assert.NotNil(t, got.Data["auditEvents"])
	})

	t.Run("APartnerIsSpokenForByItsOwnIssuerOnly:401", func(t *testing.T) {
		for name, token := range map[string]string{
			"the partner IdP's token for the hub's partner A":                       w.fetchToken(t, "d-as-hub", audience, "graph:read", "admin"),
			"the hub's token for partner D":                                         w.fetchToken(t, "hub-as-d", audience, "graph:read"),
			"the partner IdP's token for E, bound to the hub's issuer in the graph": w.fetchToken(t, "e", audience, "graph:read"),
		} {
			got := query(t, w.api, "Bearer "+token, `{ people(first: 1) { totalCount } }`, nil)

			assert.Equal(t, http.StatusUnauthorized, got.Status, name)
			assert.Equal(t, []string{"UNAUTHENTICATED"}, got.Codes(), name)
			assert.Nil(t, got.Data, name)
		}
	})
}

// TestRefusedTokensLockNoOneOut: a flood of forged tokens from one address (every test request
// comes from 127.0.0.1) is refused token by token, and a valid token sent from the same address
// right after is verified and served.
func TestRefusedTokensLockNoOneOut(t *testing.T) {
	w := env
	valid := w.token(t, "a", "graph:read")
	forger, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	claims := tokenClaims(t, valid)
	junk := []string{"Bearer junk", "Bearer " + tamper(t, valid)}
	for i := range 98 {
		kid := "e2e-rs256" // the provider's own key id, with a signature of another key
		if i%2 == 1 {
			kid = fmt.Sprintf("unknown-%d", i)
		}
		junk = append(junk, "Bearer "+forge(t, forger, kid, claims))
	}

	for _, header := range junk {
		got := query(t, w.api, header, `{ people(first: 1) { totalCount } }`, nil)
		require.Equal(t, http.StatusUnauthorized, got.Status)
		require.Equal(t, []string{"UNAUTHENTICATED"}, got.Codes())
	}
	got := query(t, w.api, "Bearer "+valid, `{ people(first: 1) { totalCount } }`, nil)

	require.Equal(t, http.StatusOK, got.Status)
	require.Empty(t, got.Errors)
	assert.NotNil(t, testkit.Dig(got.Data, "people", "totalCount"))
}

// tokenClaims decodes a JWT's payload, unverified: the test reads what the provider issued.
func tokenClaims(t *testing.T, token string) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	require.Len(t, parts, 3)
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	require.NoError(t, err)
	var claims map[string]any
	require.NoError(t, json.Unmarshal(raw, &claims))
	return claims
}

// forge signs claims (a fresh jti each time) with a key that is not the issuer's, naming kid.
func forge(t *testing.T, key *rsa.PrivateKey, kid string, claims map[string]any) string {
	t.Helper()
	options := (&jose.SignerOptions{}).WithType("at+jwt").WithHeader(jose.HeaderKey("kid"), kid)
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, options)
	require.NoError(t, err)
	forged := maps.Clone(claims)
	forged["jti"] = fmt.Sprintf("forged-%d", time.Now().UnixNano())
	payload, err := json.Marshal(forged)
	require.NoError(t, err)
	signed, err := signer.Sign(payload)
	require.NoError(t, err)
	compact, err := signed.CompactSerialize()
	require.NoError(t, err)
	return compact
}
