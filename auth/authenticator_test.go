package auth_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/traffikgraph/traffikgraph"
	"github.com/traffikgraph/traffikgraph/auth"
)

const apiAudience = "traffikgraph-api"

var partners = registeredPartners{
	"stt": true, "police-northshire": true, "ngo-safehaven": true, "bank-meridian": true, "biz-harbour-hotels": true,
}

// nonAdminScopes are every scope but admin: what an issuer that is not the hub's may grant.
var nonAdminScopes = []auth.Scope{
	auth.ScopeGraphRead, auth.ScopeGraphReadPII, auth.ScopeGraphWrite, auth.ScopeSupplyChainRead,
	auth.ScopeReportsSubmit, auth.ScopeReportsTriage, auth.ScopeAuditRead,
}

// partnerClaimIssuer is an issuer shared by several partners, naming the partner in a claim,
// and (like most issuers today) not typing its access tokens. It may grant every scope but
// admin, for the partners listed (none: any registered partner, when it is the only issuer).
func partnerClaimIssuer(url string, partners ...string) auth.IssuerConfig {
	return auth.IssuerConfig{
		URL:       url,
		Audience:  apiAudience,
		Scopes:    auth.ScopeSource{Claims: []string{"scope"}},
		Partner:   auth.PartnerSource{Claim: "partner"},
		ClockSkew: time.Minute,
		Grants:    nonAdminScopes,
		Partners:  partners,
	}
}

// with returns base's claims with changes applied; a nil value deletes the claim.
func with(base map[string]any, changes map[string]any) map[string]any {
	claims := maps.Clone(base)
	for name, value := range changes {
		if value == nil {
			delete(claims, name)
			continue
		}
		claims[name] = value
	}
	return claims
}

// clientMessages are all a refused client is ever told.
var clientMessages = []string{"invalid or expired token", `malformed Authorization header: expected "Bearer <access token>"`}

func TestAuthenticateRefuses(t *testing.T) {
	shared := startTestIssuer(t)
	strict := startTestIssuer(t)
	stranger := startTestIssuer(t)

	strictConfig := partnerClaimIssuer(strict.url, "police-northshire")
	strictConfig.RequireAccessTokenType = true
	// made-up-partner is listed but not registered: the graph refuses it.
	authenticator, logs := newAuthenticator(t, partners, partnerClaimIssuer(shared.url, "stt", "ngo-safehaven", "made-up-partner"), strictConfig)

	now := time.Now()
	valid := with(shared.accessClaims(apiAudience), map[string]any{"partner": "stt"})
	validStrict := with(strict.accessClaims(apiAudience), map[string]any{"partner": "police-northshire"})

	tests := []struct {
		name   string
		header func(t *testing.T) string
		reason string // the logged reason, which the client never sees
	}{
		{"ErrNotBearerScheme", func(*testing.T) string { return "Basic dXNlcjpwYXNz" }, "malformed Authorization header"},
		{"ErrBearerWithoutToken", func(*testing.T) string { return "Bearer " }, "malformed Authorization header"},
		{"ErrTokenWithSpaces", func(t *testing.T) string { return "Bearer " + shared.sign(t, "", valid) + " extra" }, "malformed Authorization header"},
		{"ErrNotAJWT", func(*testing.T) string { return "Bearer not-a-jwt" }, "not a compact JWS"},
		{"ErrPayloadNotJSON", func(*testing.T) string { return "Bearer eyJhbGciOiJSUzI1NiJ9.bm90LWpzb24.c2ln" }, "unreadable payload"},
		{"ErrUnknownIssuer", func(t *testing.T) string {
			return "Bearer " + stranger.sign(t, "at+jwt", with(stranger.accessClaims(apiAudience), map[string]any{"partner": "stt"}))
		}, "issuer is not trusted"},
		{"ErrSignedByAnotherKey", func(t *testing.T) string { return "Bearer " + stranger.sign(t, "", valid) }, "failed to verify signature"},
		{"ErrAlgNone", func(t *testing.T) string { return "Bearer " + unsignedToken(t, valid) }, `signature algorithm "none"`},
		{"ErrHS256WithIssuerPublicKey", func(t *testing.T) string {
			return "Bearer " + signWith(t, jose.SigningKey{Algorithm: jose.HS256, Key: shared.publicKeyPEM(t)}, "", valid)
		}, `signature algorithm "HS256"`},
		{"ErrWrongAudience", func(t *testing.T) string {
			return "Bearer " + shared.sign(t, "", with(valid, map[string]any{"aud": "some-other-api"}))
		}, "expected audience"},
		{"ErrExpired", func(t *testing.T) string {
			return "Bearer " + shared.sign(t, "", with(valid, map[string]any{"exp": now.Add(-2 * time.Minute).Unix()}))
		}, "expired at"},
		{"ErrNoExpiry", func(t *testing.T) string {
			return "Bearer " + shared.sign(t, "", with(valid, map[string]any{"exp": nil}))
		}, "expired at"},
		{"ErrNotYetValid", func(t *testing.T) string {
			return "Bearer " + shared.sign(t, "", with(valid, map[string]any{"nbf": now.Add(2 * time.Minute).Unix()}))
		}, "nbf"},
		{"ErrIssuedInTheFuture", func(t *testing.T) string {
			return "Bearer " + shared.sign(t, "", with(valid, map[string]any{"iat": now.Add(2 * time.Minute).Unix()}))
		}, "iat"},
		{"ErrIDTokenWithNonce", func(t *testing.T) string {
			return "Bearer " + shared.sign(t, "JWT", with(valid, map[string]any{"nonce": "n-0S6_WzA2Mj"}))
		}, `an ID token (it carries "nonce")`},
		{"ErrIDTokenWithAtHash", func(t *testing.T) string {
			return "Bearer " + shared.sign(t, "", with(valid, map[string]any{"at_hash": "77QmUPtjPfzWtF2AnpK9RQ"}))
		}, `an ID token (it carries "at_hash")`},
		{"ErrKeycloakIDToken", func(t *testing.T) string {
			return "Bearer " + shared.sign(t, "JWT", with(valid, map[string]any{"typ": "ID"}))
		}, `an ID token (it carries "typ")`},
		{"ErrOtherExplicitType", func(t *testing.T) string {
			return "Bearer " + shared.sign(t, "logout+jwt", valid)
		}, `typ header "logout+jwt"`},
		{"ErrUntypedWhereAccessTokenTypeRequired", func(t *testing.T) string {
			return "Bearer " + strict.sign(t, "JWT", validStrict)
		}, "is not at+jwt"},
		{"ErrNoTypWhereAccessTokenTypeRequired", func(t *testing.T) string {
			return "Bearer " + strict.sign(t, "", validStrict)
		}, "is not at+jwt"},
		{"ErrJWE", func(*testing.T) string { return "Bearer a.b.c.d.e" }, "not a compact JWS (5 parts)"},
		{"ErrNoSubject", func(t *testing.T) string {
			return "Bearer " + shared.sign(t, "", with(valid, map[string]any{"sub": nil}))
		}, "no subject"},
		{"ErrNoPartnerClaim", func(t *testing.T) string {
			return "Bearer " + shared.sign(t, "", with(valid, map[string]any{"partner": nil}))
		}, `no partner in claim "partner"`},
		{"ErrUnregisteredPartner", func(t *testing.T) string {
			return "Bearer " + shared.sign(t, "", with(valid, map[string]any{"partner": "made-up-partner"}))
		}, `partner "made-up-partner" is not registered`},
		{"ErrPartnerOfAnotherIssuer", func(t *testing.T) string {
			return "Bearer " + shared.sign(t, "", with(valid, map[string]any{"partner": "police-northshire"}))
		}, `partner "police-northshire" is not among the partners this issuer may speak for`},
		{"ErrRegisteredPartnerNoIssuerSpeaksFor", func(t *testing.T) string {
			return "Bearer " + strict.sign(t, "at+jwt", with(validStrict, map[string]any{"partner": "bank-meridian"}))
		}, `partner "bank-meridian" is not among the partners this issuer may speak for`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logs.Reset()
			header := tt.header(t)

			caller, err := authenticator.Authenticate(t.Context(), header)

			require.Error(t, err)
			appErr, ok := errors.AsType[*traffikgraph.Error](err)
			require.True(t, ok, "error %v is not a *traffikgraph.Error", err)
			assert.Equal(t, traffikgraph.Unauthenticated, appErr.Code)
			assert.True(t, caller.Anonymous())
			assert.Contains(t, clientMessages, appErr.Message, "the client must not learn why")
			refusal := onlyLogRecord(t, logs)
			assert.Equal(t, "access token refused", refusal["msg"])
			assert.Contains(t, refusal["reason"], tt.reason)
			assert.Contains(t, refusal, "issuer")
			assert.Contains(t, refusal, "subject")
			assertNoTokenIn(t, logs.String(), header)
		})
	}
}

func TestAuthenticateAccepts(t *testing.T) {
	shared := startTestIssuer(t)
	strict := startTestIssuer(t)
	keycloak := startTestIssuer(t)
	entra := startTestIssuer(t)

	strictConfig := partnerClaimIssuer(strict.url, "bank-meridian")
	strictConfig.RequireAccessTokenType = true
	keycloakConfig := auth.IssuerConfig{
		URL:      keycloak.url,
		Audience: apiAudience,
		Scopes: auth.ScopeSource{
			Claims:     []string{"scope"},
			RoleClaims: []string{"realm_access.roles", "resource_access.traffikgraph-api.roles"},
			RoleScopes: map[string][]auth.Scope{
				"investigator": {auth.ScopeGraphRead, auth.ScopeGraphReadPII},
				"editor":       {auth.ScopeGraphWrite},
				"auditor":      {auth.ScopeAuditRead},
			},
		},
		Partner:   auth.PartnerSource{Fixed: "police-northshire"},
		ClockSkew: time.Minute,
		Grants:    nonAdminScopes,
	}
	entraConfig := auth.IssuerConfig{
		URL:      entra.url,
		Audience: apiAudience,
		Scopes: auth.ScopeSource{
			Claims:     []string{"scp"},
			RoleClaims: []string{"roles"},
			RoleScopes: map[string][]auth.Scope{"Traffikgraph.Admin": {auth.ScopeAdmin, auth.ScopeAuditRead}},
		},
		Partner:   auth.PartnerSource{Claim: "https://traffikgraph.example/partner"},
		ClockSkew: time.Minute,
		Hub:       true,
		Grants:    auth.AllScopes,
		Partners:  []string{"biz-harbour-hotels"},
	}
	authenticator, logs := newAuthenticator(t, partners, partnerClaimIssuer(shared.url, "stt", "ngo-safehaven"), strictConfig, keycloakConfig, entraConfig)

	now := time.Now()
	tests := []struct {
		name   string
		token  func(t *testing.T) string
		caller auth.Caller
	}{
		{"OKScopeString", func(t *testing.T) string {
			return shared.sign(t, "", with(shared.accessClaims(apiAudience), map[string]any{
				"partner": "stt",
				"scope":   "openid graph:write email graph:read graph:read supplychain:read",
			}))
		}, auth.Caller{Issuer: shared.url, Subject: "user-1234", PartnerID: "stt", Scopes: []auth.Scope{auth.ScopeGraphRead, auth.ScopeGraphWrite, auth.ScopeSupplyChainRead}}},
		{"OKAudienceArray", func(t *testing.T) string {
			return shared.sign(t, "JWT", with(shared.accessClaims(apiAudience), map[string]any{
				"partner": "stt",
				"aud":     []string{"account", apiAudience},
			}))
		}, auth.Caller{Issuer: shared.url, Subject: "user-1234", PartnerID: "stt", Scopes: []auth.Scope{auth.ScopeGraphRead}}},
		{"OKExpiredWithinClockSkew", func(t *testing.T) string {
			return shared.sign(t, "", with(shared.accessClaims(apiAudience), map[string]any{
				"partner": "ngo-safehaven",
				"exp":     now.Add(-20 * time.Second).Unix(),
				"nbf":     now.Add(30 * time.Second).Unix(),
			}))
		}, auth.Caller{Issuer: shared.url, Subject: "user-1234", PartnerID: "ngo-safehaven", Scopes: []auth.Scope{auth.ScopeGraphRead}}},
		{"OKAccessTokenType", func(t *testing.T) string {
			return strict.sign(t, "at+jwt", with(strict.accessClaims(apiAudience), map[string]any{"partner": "bank-meridian", "scope": "reports:triage"}))
		}, auth.Caller{Issuer: strict.url, Subject: "user-1234", PartnerID: "bank-meridian", Scopes: []auth.Scope{auth.ScopeReportsTriage}}},
		{"OKAccessTokenMediaType", func(t *testing.T) string {
			return strict.sign(t, "application/AT+JWT", with(strict.accessClaims(apiAudience), map[string]any{"partner": "bank-meridian"}))
		}, auth.Caller{Issuer: strict.url, Subject: "user-1234", PartnerID: "bank-meridian", Scopes: []auth.Scope{auth.ScopeGraphRead}}},
		{"OKKeycloakRolesAndFixedPartner", func(t *testing.T) string {
			return keycloak.sign(t, "JWT", with(keycloak.accessClaims(apiAudience), map[string]any{
				"typ":          "Bearer",
				"scope":        "profile email",
				"partner":      "stt", // ignored: the issuer's partner is fixed
				"realm_access": map[string]any{"roles": []string{"offline_access", "investigator"}},
				"resource_access": map[string]any{
					"traffikgraph-api": map[string]any{"roles": []string{"editor"}},
					"account":          map[string]any{"roles": []string{"auditor"}},
				},
			}))
		}, auth.Caller{Issuer: keycloak.url, Subject: "user-1234", PartnerID: "police-northshire", Scopes: []auth.Scope{auth.ScopeGraphRead, auth.ScopeGraphReadPII, auth.ScopeGraphWrite}}},
		{"OKScpArray", func(t *testing.T) string {
			return entra.sign(t, "JWT", with(entra.accessClaims(apiAudience), map[string]any{
				"scope":                                nil,
				"scp":                                  []string{"supplychain:read", "graph:read", "User.Read"},
				"https://traffikgraph.example/partner": "biz-harbour-hotels",
			}))
		}, auth.Caller{Issuer: entra.url, Subject: "user-1234", PartnerID: "biz-harbour-hotels", Scopes: []auth.Scope{auth.ScopeGraphRead, auth.ScopeSupplyChainRead}}},
		{"OKScpStringAndAppRoles", func(t *testing.T) string {
			return entra.sign(t, "JWT", with(entra.accessClaims(apiAudience), map[string]any{
				"scope":                                nil,
				"scp":                                  "graph:read",
				"roles":                                []string{"Traffikgraph.Admin", "Unmapped.Role"},
				"https://traffikgraph.example/partner": "biz-harbour-hotels",
			}))
		}, auth.Caller{Issuer: entra.url, Subject: "user-1234", PartnerID: "biz-harbour-hotels", Scopes: []auth.Scope{auth.ScopeGraphRead, auth.ScopeAuditRead, auth.ScopeAdmin}}},
		{"OKNoScopes", func(t *testing.T) string {
			return shared.sign(t, "", with(shared.accessClaims(apiAudience), map[string]any{"partner": "stt", "scope": nil}))
		}, auth.Caller{Issuer: shared.url, Subject: "user-1234", PartnerID: "stt"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logs.Reset()
			token := tt.token(t)

			caller, err := authenticator.Authenticate(t.Context(), "Bearer "+token)

			require.NoError(t, err, "logs: %s", logs.String())
			assert.Equal(t, tt.caller, caller)
			assertNoTokenIn(t, logs.String(), token)
		})
	}

	t.Run("OKLowercaseBearerScheme", func(t *testing.T) {
		token := shared.sign(t, "", with(shared.accessClaims(apiAudience), map[string]any{"partner": "stt"}))

		caller, err := authenticator.Authenticate(t.Context(), "bearer "+token)

		require.NoError(t, err)
		assert.Equal(t, "stt", caller.PartnerID)
	})

	t.Run("AnonymousWithoutHeader", func(t *testing.T) {
		caller, err := authenticator.Authenticate(t.Context(), "")

		require.NoError(t, err)
		assert.Equal(t, auth.Caller{}, caller)
		assert.True(t, caller.Anonymous())
	})
}

type unavailableRegistry struct{ err error }

func (r unavailableRegistry) PartnerRegistered(context.Context, string, string) (bool, error) {
	return false, r.err
}

func TestAuthenticateRegistryFailureIsNotTheCallersFault(t *testing.T) {
	issuer := startTestIssuer(t)
	registryDown := errors.New("neo4j unreachable")
	authenticator, _ := newAuthenticator(t, unavailableRegistry{err: registryDown}, partnerClaimIssuer(issuer.url))
	token := issuer.sign(t, "", with(issuer.accessClaims(apiAudience), map[string]any{"partner": "stt"}))

	_, err := authenticator.Authenticate(t.Context(), "Bearer "+token)

	require.ErrorIs(t, err, registryDown)
	assert.Equal(t, traffikgraph.Internal, traffikgraph.ErrorCode(err))
}

func TestNewAuthenticator(t *testing.T) {
	t.Run("ErrInvalidIssuerConfig", func(t *testing.T) {
		_, err := auth.NewAuthenticator(t.Context(), []auth.IssuerConfig{{URL: "https://idp.example"}}, partners, slog.Default())

		require.ErrorContains(t, err, "audience is required")
	})

	t.Run("ErrUnreachableIssuer", func(t *testing.T) {
		issuer := startTestIssuer(t)
		config := partnerClaimIssuer(issuer.url + "/realms/missing")

		_, err := auth.NewAuthenticator(t.Context(), []auth.IssuerConfig{config}, partners, slog.Default())

		require.ErrorContains(t, err, "discovering issuer "+config.URL)
	})

	t.Run("ErrNoPartnerRegistry", func(t *testing.T) {
		_, err := auth.NewAuthenticator(t.Context(), nil, nil, slog.Default())

		require.ErrorContains(t, err, "partner registry is required")
	})
}

// assertNoTokenIn checks that no part of a token that could replay it (the whole token, or its
// signature) reached the logs.
func assertNoTokenIn(t *testing.T, logs, token string) {
	t.Helper()
	assert.NotContains(t, logs, token)
	if parts := strings.Split(token, "."); len(parts) == 3 && len(parts[2]) > 8 {
		assert.NotContains(t, logs, parts[2], "the token's signature reached the logs")
	}
}

// onlyLogRecord decodes the one JSON log record in logs.
func onlyLogRecord(t *testing.T, logs *bytes.Buffer) map[string]any {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	require.Len(t, lines, 1, "expected one log record: %s", logs)
	var record map[string]any
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &record))
	return record
}

// TestIssuerCeilings: an issuer grants at most its `grants`, and admin only when it is the
// hub's; it acts only for the partners it may speak for.
func TestIssuerCeilings(t *testing.T) {
	hub := startTestIssuer(t)
	police := startTestIssuer(t)
	hubConfig := partnerClaimIssuer(hub.url, "stt")
	hubConfig.Hub, hubConfig.Grants = true, auth.AllScopes
	policeConfig := auth.IssuerConfig{
		URL:       police.url,
		Audience:  apiAudience,
		Scopes:    auth.ScopeSource{Claims: []string{"scope"}},
		Partner:   auth.PartnerSource{Fixed: "police-northshire"},
		ClockSkew: time.Minute,
		Grants:    []auth.Scope{auth.ScopeGraphRead, auth.ScopeGraphReadPII, auth.ScopeAuditRead},
	}
	authenticator, logs := newAuthenticator(t, partners, hubConfig, policeConfig)

	t.Run("APartnersIdPAskingForAdminGetsNoAdmin", func(t *testing.T) {
		logs.Reset()
		token := police.sign(t, "", with(police.accessClaims(apiAudience), map[string]any{"scope": "graph:read admin audit:read reports:triage"}))

		caller, err := authenticator.Authenticate(t.Context(), "Bearer "+token)

		require.NoError(t, err)
		assert.Equal(t, auth.Caller{Issuer: police.url, Subject: "user-1234", PartnerID: "police-northshire",
			Scopes: []auth.Scope{auth.ScopeGraphRead, auth.ScopeAuditRead}}, caller)
		assert.False(t, caller.Has(auth.ScopeAdmin))
		warning := onlyLogRecord(t, logs)
		assert.Equal(t, "WARN", warning["level"])
		assert.Contains(t, warning["msg"], "beyond its issuer's grants")
		assert.Equal(t, police.url, warning["issuer"])
		assert.Equal(t, "user-1234", warning["subject"])
		assert.Equal(t, "reports:triage admin", warning["scopes"])
		assertNoTokenIn(t, logs.String(), token)
	})

	t.Run("ScopesWithinTheGrantsAreGrantedSilently", func(t *testing.T) {
		logs.Reset()
		token := police.sign(t, "", with(police.accessClaims(apiAudience), map[string]any{"scope": "graph:read graph:read:pii openid"}))

		caller, err := authenticator.Authenticate(t.Context(), "Bearer "+token)

		require.NoError(t, err)
		assert.Equal(t, []auth.Scope{auth.ScopeGraphRead, auth.ScopeGraphReadPII}, caller.Scopes)
		assert.Empty(t, logs.String())
	})

	t.Run("TheHubsIssuerGrantsAdmin", func(t *testing.T) {
		token := hub.sign(t, "", with(hub.accessClaims(apiAudience), map[string]any{"partner": "stt", "scope": "admin audit:read"}))

		caller, err := authenticator.Authenticate(t.Context(), "Bearer "+token)

		require.NoError(t, err)
		assert.Equal(t, []auth.Scope{auth.ScopeAuditRead, auth.ScopeAdmin}, caller.Scopes)
	})

	t.Run("ErrTheHubsIssuerCannotSpeakForAPartnersOwnIssuer", func(t *testing.T) {
		logs.Reset()
		token := hub.sign(t, "", with(hub.accessClaims(apiAudience), map[string]any{"partner": "police-northshire"}))

		_, err := authenticator.Authenticate(t.Context(), "Bearer "+token)

		assert.Equal(t, traffikgraph.Unauthenticated, traffikgraph.ErrorCode(err))
		assert.Contains(t, onlyLogRecord(t, logs)["reason"], `partner "police-northshire" is not among the partners this issuer may speak for`)
	})

	t.Run("ASingleIssuerWithoutPartnersSpeaksForEveryRegisteredPartner", func(t *testing.T) {
		only, _ := newAuthenticator(t, partners, partnerClaimIssuer(hub.url))
		for partner, registered := range map[string]bool{"police-northshire": true, "ngo-safehaven": true, "made-up-partner": false} {
			_, err := only.Authenticate(t.Context(), "Bearer "+hub.sign(t, "", with(hub.accessClaims(apiAudience), map[string]any{"partner": partner})))
			assert.Equal(t, registered, err == nil, partner)
		}
	})
}

// TestNewAuthenticatorWarnsOfPartnersTheGraphRefuses: a partner the issuers file binds to an
// issuer, but whose Partner node is missing or names another issuer, is reported at start.
func TestNewAuthenticatorWarnsOfPartnersTheGraphRefuses(t *testing.T) {
	issuer := startTestIssuer(t)

	_, logs := newAuthenticator(t, partners, partnerClaimIssuer(issuer.url, "stt", "not-registered-yet"))

	warning := onlyLogRecord(t, logs)
	assert.Equal(t, "WARN", warning["level"])
	assert.Equal(t, issuer.url, warning["issuer"])
	assert.Equal(t, "not-registered-yet", warning["partner"])
}
