package auth_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/traffikgraph/traffikgraph/auth"
)

// demoPartners registers every partner the demo personas act for, as the seed does.
func demoPartners() registeredPartners {
	registry := registeredPartners{}
	for _, persona := range auth.DemoPersonas() {
		registry[persona.PartnerID] = true
	}
	return registry
}

func startDevIssuer(t *testing.T) *auth.DevIssuer {
	t.Helper()
	issuer, err := auth.StartDevIssuer(t.Context(), "127.0.0.1:0", apiAudience, auth.DemoPersonas())
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		assert.NoError(t, issuer.Close(ctx))
	})
	return issuer
}

type tokenResponse struct {
	AccessToken      string `json:"access_token"`
	TokenType        string `json:"token_type"`
	ExpiresIn        int    `json:"expires_in"`
	Scope            string `json:"scope"`
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
}

func decodeTokenResponse(t *testing.T, response *http.Response) tokenResponse {
	t.Helper()
	defer response.Body.Close()
	assert.Equal(t, "no-store", response.Header.Get("Cache-Control"))
	var body tokenResponse
	require.NoError(t, json.NewDecoder(response.Body).Decode(&body))
	return body
}

func TestDevIssuerTokensVerify(t *testing.T) {
	issuer := startDevIssuer(t)
	authenticator, logs := newAuthenticator(t, demoPartners(), issuer.IssuerConfig())

	for _, persona := range auth.DemoPersonas() {
		t.Run("ClientCredentials/"+persona.Name, func(t *testing.T) {
			response, err := http.PostForm(issuer.URL()+"/token", url.Values{
				"grant_type": {"client_credentials"},
				"client_id":  {persona.Name},
			})
			require.NoError(t, err)
			body := decodeTokenResponse(t, response)
			require.Equal(t, http.StatusOK, response.StatusCode, "%+v", body)
			assert.Equal(t, "Bearer", body.TokenType)
			assert.Equal(t, 3600, body.ExpiresIn)

			caller, err := authenticator.Authenticate(t.Context(), "Bearer "+body.AccessToken)

			require.NoError(t, err, "logs: %s", logs)
			assert.Equal(t, auth.Caller{
				Issuer:    issuer.URL(),
				Subject:   persona.Name,
				PartnerID: persona.PartnerID,
				Scopes:    inAllScopesOrder(persona.Scopes),
			}, caller)
		})
	}

	t.Run("ConveniencePath", func(t *testing.T) {
		response, err := http.Get(issuer.URL() + "/token/police")
		require.NoError(t, err)
		body := decodeTokenResponse(t, response)
		require.Equal(t, http.StatusOK, response.StatusCode)

		caller, err := authenticator.Authenticate(t.Context(), "Bearer "+body.AccessToken)

		require.NoError(t, err)
		assert.Equal(t, "police-northshire", caller.PartnerID)
		assert.True(t, caller.Has(auth.ScopeGraphReadPII))
	})

	t.Run("InProcessToken", func(t *testing.T) {
		token, err := issuer.Token("business")
		require.NoError(t, err)

		caller, err := authenticator.Authenticate(t.Context(), "Bearer "+token)

		require.NoError(t, err)
		assert.Equal(t, []auth.Scope{auth.ScopeSupplyChainRead}, caller.Scopes)
	})

	t.Run("NarrowedScope", func(t *testing.T) {
		response, err := http.PostForm(issuer.URL()+"/token", url.Values{
			"grant_type": {"client_credentials"},
			"client_id":  {"analyst"},
			"scope":      {"graph:read reports:triage"},
		})
		require.NoError(t, err)
		body := decodeTokenResponse(t, response)
		require.Equal(t, http.StatusOK, response.StatusCode)
		assert.Equal(t, "graph:read reports:triage", body.Scope)

		caller, err := authenticator.Authenticate(t.Context(), "Bearer "+body.AccessToken)

		require.NoError(t, err)
		assert.Equal(t, []auth.Scope{auth.ScopeGraphRead, auth.ScopeReportsTriage}, caller.Scopes)
	})

	t.Run("AccessTokenShape", func(t *testing.T) {
		token, err := issuer.Token("shelter")
		require.NoError(t, err)
		parts := strings.Split(token, ".")
		require.Len(t, parts, 3)
		var header, claims map[string]any
		decodeJSONSegment(t, parts[0], &header)
		decodeJSONSegment(t, parts[1], &claims)

		assert.Equal(t, "at+jwt", header["typ"])
		assert.Equal(t, "ES256", header["alg"])
		assert.NotEmpty(t, header["kid"])
		assert.Equal(t, issuer.URL(), claims["iss"])
		assert.Equal(t, "shelter", claims["sub"])
		assert.Equal(t, "shelter", claims["client_id"])
		assert.Equal(t, apiAudience, claims["aud"])
		assert.Equal(t, "ngo-safehaven", claims["partner"])
		assert.Equal(t, "graph:read graph:write reports:submit", claims["scope"])
		assert.NotEmpty(t, claims["jti"])
		assert.InDelta(t, time.Hour.Seconds(), claims["exp"].(float64)-claims["iat"].(float64), 1)
		assert.Equal(t, claims["iat"], claims["nbf"])
	})
}

func decodeJSONSegment(t *testing.T, segment string, into any) {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(segment)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(raw, into))
}

func inAllScopesOrder(scopes []auth.Scope) []auth.Scope {
	var ordered []auth.Scope
	for _, scope := range auth.AllScopes {
		for _, held := range scopes {
			if held == scope {
				ordered = append(ordered, scope)
			}
		}
	}
	return ordered
}

func TestDevIssuerTokenEndpointRefuses(t *testing.T) {
	issuer := startDevIssuer(t)

	tests := []struct {
		name   string
		form   url.Values
		status int
		error  string
	}{
		{"ErrUnknownPersona", url.Values{"grant_type": {"client_credentials"}, "client_id": {"mallory"}}, http.StatusUnauthorized, "invalid_client"},
		{"ErrNoClientID", url.Values{"grant_type": {"client_credentials"}}, http.StatusUnauthorized, "invalid_client"},
		{"ErrOtherGrant", url.Values{"grant_type": {"password"}, "client_id": {"analyst"}}, http.StatusBadRequest, "unsupported_grant_type"},
		{"ErrScopeThePersonaLacks", url.Values{"grant_type": {"client_credentials"}, "client_id": {"business"}, "scope": {"graph:read"}}, http.StatusBadRequest, "invalid_scope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			response, err := http.PostForm(issuer.URL()+"/token", tt.form)
			require.NoError(t, err)

			body := decodeTokenResponse(t, response)

			assert.Equal(t, tt.status, response.StatusCode)
			assert.Equal(t, tt.error, body.Error)
			assert.Empty(t, body.AccessToken)
		})
	}

	t.Run("OKClientIDInBasicAuth", func(t *testing.T) {
		request, err := http.NewRequestWithContext(t.Context(), http.MethodPost, issuer.URL()+"/token", strings.NewReader("grant_type=client_credentials"))
		require.NoError(t, err)
		request.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		request.SetBasicAuth("bank", "any-secret")
		response, err := http.DefaultClient.Do(request)
		require.NoError(t, err)

		body := decodeTokenResponse(t, response)

		assert.Equal(t, http.StatusOK, response.StatusCode)
		assert.Equal(t, "graph:read supplychain:read", body.Scope)
	})

	t.Run("ErrUnknownPersonaPath", func(t *testing.T) {
		response, err := http.Get(issuer.URL() + "/token/mallory")
		require.NoError(t, err)

		body := decodeTokenResponse(t, response)

		assert.Equal(t, http.StatusNotFound, response.StatusCode)
		assert.Contains(t, body.ErrorDescription, "analyst")
	})
}

func TestStartDevIssuerRefuses(t *testing.T) {
	tests := []struct {
		name     string
		addr     string
		audience string
		personas []auth.Persona
		message  string
	}{
		{"ErrAllInterfaces", ":0", apiAudience, auth.DemoPersonas(), "is not loopback"},
		{"ErrUnspecifiedAddress", "0.0.0.0:0", apiAudience, auth.DemoPersonas(), "is not loopback"},
		{"ErrOtherHost", "192.0.2.10:8081", apiAudience, auth.DemoPersonas(), "is not loopback"},
		{"ErrNoPort", "127.0.0.1", apiAudience, auth.DemoPersonas(), "missing port"},
		{"ErrNoAudience", "127.0.0.1:0", "", auth.DemoPersonas(), "audience is required"},
		{"ErrNoPersonas", "127.0.0.1:0", apiAudience, nil, "at least one persona"},
		{"ErrDuplicatePersona", "127.0.0.1:0", apiAudience, []auth.Persona{{Name: "a", PartnerID: "stt"}, {Name: "a", PartnerID: "stt"}}, `persona "a" is listed twice`},
		{"ErrPersonaWithoutPartner", "127.0.0.1:0", apiAudience, []auth.Persona{{Name: "a"}}, `persona "a" has no partner`},
		{"ErrPersonaWithUnknownScope", "127.0.0.1:0", apiAudience, []auth.Persona{{Name: "a", PartnerID: "stt", Scopes: []auth.Scope{"root"}}}, `unknown scope "root"`},
		{"ErrPersonaNameNotURLSafe", "127.0.0.1:0", apiAudience, []auth.Persona{{Name: "Field Worker", PartnerID: "stt"}}, "must be lowercase"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := auth.StartDevIssuer(t.Context(), tt.addr, tt.audience, tt.personas)

			require.ErrorContains(t, err, tt.message)
		})
	}

	t.Run("OKLocalhost", func(t *testing.T) {
		issuer, err := auth.StartDevIssuer(t.Context(), "localhost:0", apiAudience, auth.DemoPersonas())
		require.NoError(t, err)

		assert.True(t, strings.HasPrefix(issuer.URL(), "http://127.0.0.1:") || strings.HasPrefix(issuer.URL(), "http://[::1]:"), issuer.URL())
		require.NoError(t, issuer.Close(t.Context()))
	})
}

// TestDevIssuerIsTheHubsIssuer: the embedded default's issuer may grant every scope (its admin
// persona needs admin) and speaks for the personas' partners only.
func TestDevIssuerIsTheHubsIssuer(t *testing.T) {
	config := startDevIssuer(t).IssuerConfig()

	assert.True(t, config.Hub)
	assert.Equal(t, auth.AllScopes, config.Grants)
	assert.Equal(t, []string{"bank-meridian", "biz-harbour-hotels", "ngo-safehaven", "police-northshire", "stt"}, config.Partners)
	assert.NoError(t, auth.ValidateIssuers([]auth.IssuerConfig{config}))
}
