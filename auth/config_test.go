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
					"Traffikgraph.Analyst": {auth.ScopeGraphRead, auth.ScopeGraphReadPII, auth.ScopeGraphWrite, auth.ScopeReportsTriage},
					"Traffikgraph.Auditor": {auth.ScopeAuditRead},
				},
			},
			Partner:   auth.PartnerSource{Fixed: "police-northshire"},
			ClockSkew: time.Minute,
		}},
		{"auth0.yaml", auth.IssuerConfig{
			URL:                    "https://stt-partners.eu.auth0.com/",
			Audience:               "https://api.traffikgraph.example",
			Scopes:                 auth.ScopeSource{Claims: []string{"scope", "permissions"}},
			Partner:                auth.PartnerSource{Claim: "https://traffikgraph.example/partner"},
			RequireAccessTokenType: true,
			ClockSkew:              30 * time.Second,
		}},
		{"oidc-provider.yaml", auth.IssuerConfig{
			URL:                    "https://id.ngo-safehaven.example",
			Audience:               "https://api.traffikgraph.example",
			Scopes:                 auth.ScopeSource{Claims: []string{"scope"}},
			Partner:                auth.PartnerSource{Claim: "partner"},
			RequireAccessTokenType: true,
			ClockSkew:              auth.DefaultClockSkew,
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
		require.NoError(t, os.WriteFile(path, []byte("issuers:\n  - url: http://127.0.0.1:8081\n    audience: api\n    partner: {fixed: stt}\n    clockSkew: 0s\n"), 0o600))

		issuers, err := auth.LoadIssuers(path)

		require.NoError(t, err)
		require.Len(t, issuers, 1)
		assert.Zero(t, issuers[0].ClockSkew, "an explicit 0s is kept, not replaced by the default")
	})
}
