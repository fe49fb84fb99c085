package auth_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/traffikgraph/traffikgraph/auth"
)

// partnerIdPGrants are what the examples let a partner's own identity provider grant.
var partnerIdPGrants = []auth.Scope{
	auth.ScopeGraphRead, auth.ScopeGraphReadPII, auth.ScopeGraphWrite, auth.ScopeSupplyChainRead, auth.ScopeReportsSubmit, auth.ScopeAuditRead,
}

func TestLoadIssuersExamples(t *testing.T) {
	tests := []struct {
		file string
		want auth.IssuerConfig
	}{
		{"keycloak.yaml", auth.IssuerConfig{
			URL:      "https://sso.stt.example/realms/partners",
			Audience: "traffikgraph-api",
			Scopes: auth.ScopeSource{
				Claims:     []string{"scope"},
				RoleClaims: []string{"realm_access.roles", "resource_access.traffikgraph-api.roles"},
				RoleScopes: map[string][]auth.Scope{
					"tg-analyst":      {auth.ScopeGraphRead, auth.ScopeGraphReadPII, auth.ScopeGraphWrite, auth.ScopeReportsTriage, auth.ScopeSupplyChainRead},
					"tg-investigator": {auth.ScopeGraphRead, auth.ScopeGraphReadPII},
					"tg-field-worker": {auth.ScopeGraphRead, auth.ScopeGraphWrite, auth.ScopeReportsSubmit},
					"tg-supply-chain": {auth.ScopeSupplyChainRead},
					"tg-auditor":      {auth.ScopeAuditRead},
					"tg-admin":        {auth.ScopeAdmin, auth.ScopeAuditRead, auth.ScopeGraphRead},
				},
			},
			Partner:   auth.PartnerSource{Claim: "partner"},
			ClockSkew: 30 * time.Second,
			Hub:       true,
			Grants:    auth.AllScopes,
			Partners:  []string{"stt", "bank-meridian", "biz-harbour-hotels"},
			Explorer:  auth.ExplorerClient{ClientID: "traffikgraph-explorer", Scope: "openid"},
		}},
		{"entra-id.yaml", auth.IssuerConfig{
			URL:      "https://login.microsoftonline.com/7c1d3a52-0c4e-4f6a-9b7e-2f5c8d9e1a34/v2.0",
			Audience: "3f9a6c1e-8b2d-4e7f-a0c5-6d4b2e1f9a87",
			Scopes: auth.ScopeSource{
				Claims:     []string{},
				RoleClaims: []string{"scp", "roles"},
				RoleScopes: map[string][]auth.Scope{
					"Graph.Read":           {auth.ScopeGraphRead},
					"Graph.Read.PII":       {auth.ScopeGraphRead, auth.ScopeGraphReadPII},
					"Graph.Write":          {auth.ScopeGraphWrite},
					"SupplyChain.Read":     {auth.ScopeSupplyChainRead},
					"Reports.Submit":       {auth.ScopeReportsSubmit},
					"Traffikgraph.Analyst": {auth.ScopeGraphRead, auth.ScopeGraphReadPII, auth.ScopeGraphWrite},
					"Traffikgraph.Auditor": {auth.ScopeAuditRead},
				},
			},
			Partner:   auth.PartnerSource{Fixed: "police-northshire"},
			ClockSkew: time.Minute,
			Grants:    partnerIdPGrants,
			Partners:  []string{"police-northshire"},
			Explorer: auth.ExplorerClient{ClientID: "0b7e2c4d-5a1f-4e3b-8c9d-2f6a1e7b3c50",
				Scope: "openid api://traffikgraph/Graph.Read api://traffikgraph/Graph.Read.PII"},
		}},
		{"auth0.yaml", auth.IssuerConfig{
			URL:                    "https://stt-partners.eu.auth0.com/",
			Audience:               "https://api.traffikgraph.example",
			Scopes:                 auth.ScopeSource{Claims: []string{"scope", "permissions"}},
			Partner:                auth.PartnerSource{Claim: "https://traffikgraph.example/partner"},
			RequireAccessTokenType: true,
			ClockSkew:              30 * time.Second,
			Grants:                 partnerIdPGrants,
			Partners:               []string{"bank-meridian", "biz-harbour-hotels"},
			Explorer: auth.ExplorerClient{ClientID: "Qm3xT9vLk2Rb7Hc4Wn8Ys1Pd6Fg0Ja5E",
				Scope:           "openid graph:read graph:read:pii supplychain:read",
				AuthorizeParams: map[string]string{"audience": "https://api.traffikgraph.example"}},
		}},
		{"oidc-provider.yaml", auth.IssuerConfig{
			URL:                    "https://id.ngo-safehaven.example",
			Audience:               "https://api.traffikgraph.example",
			Scopes:                 auth.ScopeSource{Claims: []string{"scope"}},
			Partner:                auth.PartnerSource{Claim: "partner"},
			RequireAccessTokenType: true,
			ClockSkew:              auth.DefaultClockSkew,
			Grants:                 []auth.Scope{auth.ScopeGraphRead, auth.ScopeGraphWrite, auth.ScopeReportsSubmit, auth.ScopeAuditRead},
			Partners:               []string{"ngo-safehaven"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			issuers, err := auth.LoadIssuers(filepath.Join("examples", tt.file))

			require.NoError(t, err)
			assert.Equal(t, []auth.IssuerConfig{tt.want}, issuers)
		})
	}
}

func TestLoadIssuersRefuses(t *testing.T) {
	tests := []struct {
		name    string
		yaml    string
		message string
	}{
		{"ErrEmptyFile", ``, "lists no issuers"},
		{"ErrExplorerWithoutClientID", `
issuers:
  - url: https://idp.example
    audience: api
    grants: [graph:read]
    partner: {claim: partner}
    explorer: {scope: openid}
`, "issuers[0] (https://idp.example): explorer.clientId is required"},
		{"ErrExplorerOverridesTheRedirectURI", `
issuers:
  - url: https://idp.example
    audience: api
    grants: [graph:read]
    partner: {claim: partner}
    explorer: {clientId: web, authorizeParams: {redirect_uri: "https://evil.example/"}}
`, "explorer.authorizeParams may not set redirect_uri"},
		{"ErrUnknownKey", `
issuers:
  - url: https://idp.example
    audience: api
    audiance: api
    partner: {claim: partner}
`, "field audiance not found"},
		{"ErrNoURL", `
issuers:
  - audience: api
    partner: {claim: partner}
`, "issuers[0] (): url is required"},
		{"ErrPlainHTTPOffLoopback", `
issuers:
  - url: http://idp.example
    audience: api
    partner: {claim: partner}
`, "url must use https"},
		{"ErrNoAudience", `
issuers:
  - url: https://idp.example
    partner: {claim: partner}
`, "issuers[0] (https://idp.example): audience is required"},
		{"ErrNoPartner", `
issuers:
  - url: https://idp.example
    audience: api
`, "partner needs either `claim`"},
		{"ErrClaimAndFixedPartner", `
issuers:
  - url: https://idp.example
    audience: api
    partner: {claim: partner, fixed: stt}
`, "not both"},
		{"ErrUnknownScopeInRoleMap", `
issuers:
  - url: https://idp.example
    audience: api
    scopes:
      roleClaims: [realm_access.roles]
      roleScopes:
        analyst: [graph:read, graph:delete]
    partner: {claim: partner}
`, `scopes.roleScopes[analyst]: unknown scope "graph:delete"`},
		{"ErrRoleClaimsWithoutMap", `
issuers:
  - url: https://idp.example
    audience: api
    scopes:
      roleClaims: [roles]
    partner: {fixed: stt}
`, "scopes.roleClaims needs scopes.roleScopes"},
		{"ErrNoScopeClaims", `
issuers:
  - url: https://idp.example
    audience: api
    scopes: {claims: []}
    partner: {fixed: stt}
`, "scopes needs `claims` or `roleClaims`"},
		{"ErrClockSkewTooLarge", `
issuers:
  - url: https://idp.example
    audience: api
    clockSkew: 1h
    partner: {fixed: stt}
`, "clockSkew 1h0m0s is outside 0s..5m0s"},
		{"ErrClockSkewNotADuration", `
issuers:
  - url: https://idp.example
    audience: api
    clockSkew: sixty
    partner: {fixed: stt}
`, "sixty"},
		{"ErrSameIssuerTwice", `
issuers:
  - url: https://idp.example
    audience: api
    partner: {fixed: stt}
  - url: https://idp.example
    audience: other-api
    partner: {fixed: bank-meridian}
`, "issuers[1] (https://idp.example): same url as issuers[0]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "issuers.yaml")
			require.NoError(t, os.WriteFile(path, []byte(tt.yaml), 0o600))

			_, err := auth.LoadIssuers(path)

			require.ErrorContains(t, err, tt.message)
			assert.ErrorContains(t, err, path, "the message names the file")
		})
	}

	t.Run("ErrMissingFile", func(t *testing.T) {
		_, err := auth.LoadIssuers(filepath.Join(t.TempDir(), "absent.yaml"))

		require.ErrorIs(t, err, os.ErrNotExist)
	})

	t.Run("AllProblemsAtOnce", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "issuers.yaml")
		require.NoError(t, os.WriteFile(path, []byte("issuers:\n  - url: https://idp.example\n"), 0o600))

		_, err := auth.LoadIssuers(path)

		require.ErrorContains(t, err, "audience is required")
		assert.ErrorContains(t, err, "partner needs either")
	})

	t.Run("OKPlainHTTPOnLoopback", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "issuers.yaml")
		require.NoError(t, os.WriteFile(path, []byte("issuers:\n  - url: http://127.0.0.1:8081\n    audience: api\n    partner: {fixed: stt}\n    grants: [graph:read]\n    clockSkew: 0s\n"), 0o600))

		issuers, err := auth.LoadIssuers(path)

		require.NoError(t, err)
		require.Len(t, issuers, 1)
		assert.Zero(t, issuers[0].ClockSkew, "an explicit 0s is kept, not replaced by the default")
	})
}

// TestLoadIssuersRefusesAmbiguousTrust: the service does not start on an issuers file that
// leaves open which issuer speaks for a partner, or lets a partner's IdP grant the hub's powers.
func TestLoadIssuersRefusesAmbiguousTrust(t *testing.T) {
	const hub = `
  - url: https://sso.hub.example
    audience: api
    hub: true
    grants: [graph:read, audit:read, admin]
    partner: {claim: partner}
    partners: [stt, bank-meridian]
`
	tests := []struct {
		name     string
		yaml     string
		messages []string
	}{
		{"ErrNoGrants", `
  - url: https://idp.example
    audience: api
    partner: {fixed: police-northshire}
`, []string{"issuers[0] (https://idp.example): grants is required"}},
		{"ErrUnknownScopeInGrants", `
  - url: https://idp.example
    audience: api
    grants: [graph:read, graph:delete]
    partner: {fixed: police-northshire}
`, []string{`issuers[0] (https://idp.example): grants: unknown scope "graph:delete"`}},
		{"ErrAdminFromAnIssuerThatIsNotTheHubs", `
  - url: https://idp.police.example
    audience: api
    grants: [graph:read, admin]
    partner: {fixed: police-northshire}
`, []string{"issuers[0] (https://idp.police.example): grants lists admin, which only the hub's own issuer (hub: true) may grant"}},
		{"ErrRoleMappedToAScopeBeyondGrants", `
  - url: https://idp.police.example
    audience: api
    grants: [graph:read]
    scopes:
      roleClaims: [roles]
      roleScopes: {auditor: [audit:read]}
    partner: {fixed: police-northshire}
`, []string{`issuers[0] (https://idp.police.example): scopes.roleScopes[auditor]: "audit:read" is not in grants`}},
		{"ErrTwoHubIssuers", hub + `
  - url: https://sso.other-hub.example
    audience: api
    hub: true
    grants: [graph:read]
    partner: {fixed: police-northshire}
`, []string{"issuers[1] (https://sso.other-hub.example): hub: true here and at issuers[0] (https://sso.hub.example)"}},
		{"ErrAPartnerListedByTwoIssuers", hub + `
  - url: https://idp.bank.example
    audience: api
    grants: [graph:read]
    partner: {claim: partner}
    partners: [bank-meridian, biz-harbour-hotels]
`, []string{`issuers[1] (https://idp.bank.example): partner "bank-meridian" is also listed by issuers[0] (https://sso.hub.example)`}},
		{"ErrAFixedPartnerListedByAnotherIssuer", hub + `
  - url: https://idp.stt.example
    audience: api
    grants: [graph:read]
    partner: {fixed: stt}
`, []string{`issuers[1] (https://idp.stt.example): partner "stt" is also listed by issuers[0] (https://sso.hub.example)`}},
		{"ErrAnIssuerWithoutPartnersNextToAnother", `
  - url: https://sso.hub.example
    audience: api
    hub: true
    grants: [graph:read, admin]
    partner: {claim: partner}
  - url: https://idp.police.example
    audience: api
    grants: [graph:read]
    partner: {fixed: police-northshire}
`, []string{"issuers[0] (https://sso.hub.example): partners is required when more than one issuer is trusted (issuers[1] (https://idp.police.example) is too)"}},
		{"ErrFixedPartnerWithOtherPartners", `
  - url: https://idp.police.example
    audience: api
    grants: [graph:read]
    partner: {fixed: police-northshire}
    partners: [police-northshire, stt]
`, []string{"issuers[0] (https://idp.police.example): partners must be [police-northshire], the fixed partner, or be left out"}},
		{"ErrPartnerListedTwiceByOneIssuer", `
  - url: https://sso.hub.example
    audience: api
    grants: [graph:read]
    partner: {claim: partner}
    partners: [stt, stt, ""]
`, []string{`partners lists "stt" twice`, "partners lists an empty partner id"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "issuers.yaml")
			require.NoError(t, os.WriteFile(path, []byte("issuers:"+tt.yaml), 0o600))

			_, err := auth.LoadIssuers(path)

			require.Error(t, err)
			for _, message := range tt.messages {
				assert.ErrorContains(t, err, message)
			}
		})
	}

	t.Run("OKTheHubAndAPartnersOwnIssuer", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "issuers.yaml")
		require.NoError(t, os.WriteFile(path, []byte("issuers:"+hub+`
  - url: https://idp.police.example
    audience: api
    grants: [graph:read, audit:read]
    partner: {fixed: police-northshire}
`), 0o600))

		issuers, err := auth.LoadIssuers(path)

		require.NoError(t, err)
		require.Len(t, issuers, 2)
		assert.True(t, issuers[0].Hub)
		assert.Equal(t, []string{"stt", "bank-meridian"}, issuers[0].Partners)
		assert.False(t, issuers[1].Hub)
		assert.Equal(t, []string{"police-northshire"}, issuers[1].Partners, "a fixed partner is the issuer's one partner")
	})

	t.Run("OKASingleIssuerWithoutPartners", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "issuers.yaml")
		require.NoError(t, os.WriteFile(path, []byte(`issuers:
  - url: https://sso.hub.example
    audience: api
    hub: true
    grants: [graph:read, admin]
    partner: {claim: partner}
`), 0o600))

		issuers, err := auth.LoadIssuers(path)

		require.NoError(t, err)
		assert.Empty(t, issuers[0].Partners, "a single-IdP deployment: the issuer speaks for every registered partner")
	})
}
