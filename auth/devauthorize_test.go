package auth_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/traffikgraph/traffikgraph"
	"github.com/traffikgraph/traffikgraph/auth"
)

const (
	explorerOrigin   = "http://127.0.0.1:17799"
	explorerRedirect = explorerOrigin + "/signed-in"
	codeVerifier     = "a-verifier-of-at-least-forty-three-characters-0123456789"
)

func codeChallenge(verifier string) string {
	digest := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(digest[:])
}

func startDevIssuerWithExplorer(t *testing.T) *auth.DevIssuer {
	t.Helper()
	issuer, err := auth.StartDevIssuer(t.Context(), "127.0.0.1:0", apiAudience, auth.DemoPersonas(), auth.WithExplorer(explorerRedirect))
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		assert.NoError(t, issuer.Close(ctx))
	})
	return issuer
}

// noRedirects is a client that shows the redirects instead of following them.
var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func authorizeParams(overrides map[string]string) url.Values {
	params := url.Values{
		"response_type":         {"code"},
		"client_id":             {auth.DevExplorerClientID},
		"redirect_uri":          {explorerRedirect},
		"scope":                 {"openid"},
		"state":                 {"state-42"},
		"nonce":                 {"nonce-7"},
		"code_challenge":        {codeChallenge(codeVerifier)},
		"code_challenge_method": {"S256"},
	}
	for key, value := range overrides {
		if value == "" {
			params.Del(key)
		} else {
			params.Set(key, value)
		}
	}
	return params
}

// choosePersona posts the chooser's form as the browser does and returns the redirect.
func choosePersona(t *testing.T, issuer *auth.DevIssuer, persona string, overrides map[string]string) *url.URL {
	t.Helper()
	form := authorizeParams(overrides)
	form.Set("persona", persona)
	response, err := noRedirects.PostForm(issuer.URL()+"/authorize", form)
	require.NoError(t, err)
	response.Body.Close()
	require.Equal(t, http.StatusSeeOther, response.StatusCode)
	location, err := url.Parse(response.Header.Get("Location"))
	require.NoError(t, err)
	return location
}

type codeTokenResponse struct {
	tokenResponse
	IDToken string `json:"id_token"`
}

func exchangeCode(t *testing.T, issuer *auth.DevIssuer, code, verifier, redirect string) (int, codeTokenResponse) {
	t.Helper()
	response, err := http.PostForm(issuer.URL()+"/token", url.Values{
		"grant_type":    {"authorization_code"},
		"client_id":     {auth.DevExplorerClientID},
		"code":          {code},
		"code_verifier": {verifier},
		"redirect_uri":  {redirect},
	})
	require.NoError(t, err)
	defer response.Body.Close()
	var body codeTokenResponse
	require.NoError(t, json.NewDecoder(response.Body).Decode(&body))
	return response.StatusCode, body
}

func jwtPart(t *testing.T, token string, part int) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	require.Len(t, parts, 3)
	raw, err := base64.RawURLEncoding.DecodeString(parts[part])
	require.NoError(t, err)
	var decoded map[string]any
	require.NoError(t, json.Unmarshal(raw, &decoded))
	return decoded
}

// TestDevIssuerCodeFlow: the explorer's sign-in, as the browser runs it: the chooser page, the
// chosen persona's code at the explorer's redirect URI, and the code exchanged with the PKCE
// verifier for an access token that verifies exactly like every other token.
func TestDevIssuerCodeFlow(t *testing.T) {
	issuer := startDevIssuerWithExplorer(t)
	authenticator, logs := newAuthenticator(t, demoPartners(), issuer.IssuerConfig())

	t.Run("DiscoveryNamesTheAuthorizationEndpointAndS256", func(t *testing.T) {
		response, err := http.Get(issuer.URL() + "/.well-known/openid-configuration")
		require.NoError(t, err)
		defer response.Body.Close()
		var discovery map[string]any
		require.NoError(t, json.NewDecoder(response.Body).Decode(&discovery))
		assert.Equal(t, issuer.URL()+"/authorize", discovery["authorization_endpoint"])
		assert.Equal(t, []any{"S256"}, discovery["code_challenge_methods_supported"])
		assert.Contains(t, discovery["grant_types_supported"], "authorization_code")
	})

	t.Run("ChooserListsEveryPersona", func(t *testing.T) {
		response, err := http.Get(issuer.URL() + "/authorize?" + authorizeParams(nil).Encode())
		require.NoError(t, err)
		defer response.Body.Close()
		page, err := io.ReadAll(response.Body)
		require.NoError(t, err)
		assert.Equal(t, http.StatusOK, response.StatusCode)
		for _, persona := range auth.DemoPersonas() {
			assert.Contains(t, string(page), `value="`+persona.Name+`"`)
		}
		policy := response.Header.Get("Content-Security-Policy")
		assert.Contains(t, policy, "default-src 'none'")
		assert.Contains(t, policy, "form-action 'self' "+explorerOrigin)
		assert.NotContains(t, policy, "unsafe-inline")
	})

	for _, persona := range auth.DemoPersonas() {
		t.Run("SignsIn/"+persona.Name, func(t *testing.T) {
			location := choosePersona(t, issuer, persona.Name, nil)
			assert.Equal(t, explorerRedirect, location.Scheme+"://"+location.Host+location.Path)
			assert.Equal(t, "state-42", location.Query().Get("state"))
			assert.Equal(t, issuer.URL(), location.Query().Get("iss"))

			status, body := exchangeCode(t, issuer, location.Query().Get("code"), codeVerifier, explorerRedirect)

			require.Equal(t, http.StatusOK, status, "%+v", body)
			caller, err := authenticator.Authenticate(t.Context(), "Bearer "+body.AccessToken)
			require.NoError(t, err, "logs: %s", logs)
			assert.Equal(t, persona.Name, caller.Subject)
			assert.Equal(t, persona.PartnerID, caller.PartnerID)
			assert.ElementsMatch(t, persona.Scopes, caller.Scopes)
			idClaims := jwtPart(t, body.IDToken, 1)
			assert.Equal(t, "nonce-7", idClaims["nonce"])
			assert.Equal(t, auth.DevExplorerClientID, idClaims["aud"])
			assert.Equal(t, persona.PartnerID, idClaims["partner"])
		})
	}

	t.Run("ScopeNarrowsThePersonasScopes", func(t *testing.T) {
		location := choosePersona(t, issuer, "analyst", map[string]string{"scope": "openid graph:read"})
		status, body := exchangeCode(t, issuer, location.Query().Get("code"), codeVerifier, explorerRedirect)
		require.Equal(t, http.StatusOK, status)
		caller, err := authenticator.Authenticate(t.Context(), "Bearer "+body.AccessToken)
		require.NoError(t, err)
		assert.Equal(t, []auth.Scope{auth.ScopeGraphRead}, caller.Scopes)
	})

	t.Run("ErrIDTokenIsNoAccessToken", func(t *testing.T) {
		location := choosePersona(t, issuer, "analyst", nil)
		_, body := exchangeCode(t, issuer, location.Query().Get("code"), codeVerifier, explorerRedirect)
		assert.Equal(t, "JWT", jwtPart(t, body.IDToken, 0)["typ"])

		_, err := authenticator.Authenticate(t.Context(), "Bearer "+body.IDToken)

		assert.Equal(t, traffikgraph.Unauthenticated, traffikgraph.ErrorCode(err))
	})

	t.Run("ErrCodeUsedTwice", func(t *testing.T) {
		code := choosePersona(t, issuer, "police", nil).Query().Get("code")
		status, _ := exchangeCode(t, issuer, code, codeVerifier, explorerRedirect)
		require.Equal(t, http.StatusOK, status)

		status, body := exchangeCode(t, issuer, code, codeVerifier, explorerRedirect)

		assert.Equal(t, http.StatusBadRequest, status)
		assert.Equal(t, "invalid_grant", body.Error)
	})

	t.Run("ErrWrongVerifierAlsoSpendsTheCode", func(t *testing.T) {
		code := choosePersona(t, issuer, "police", nil).Query().Get("code")

		status, body := exchangeCode(t, issuer, code, codeVerifier+"x", explorerRedirect)
		assert.Equal(t, http.StatusBadRequest, status)
		assert.Equal(t, "invalid_grant", body.Error)
		assert.Empty(t, body.AccessToken)

		status, _ = exchangeCode(t, issuer, code, codeVerifier, explorerRedirect)
		assert.Equal(t, http.StatusBadRequest, status, "a guessed verifier must not get a second try")
	})

	t.Run("ErrRedirectURIDiffersAtTheExchange", func(t *testing.T) {
		code := choosePersona(t, issuer, "police", nil).Query().Get("code")

		status, body := exchangeCode(t, issuer, code, codeVerifier, explorerOrigin+"/elsewhere")

		assert.Equal(t, http.StatusBadRequest, status)
		assert.Equal(t, "invalid_grant", body.Error)
	})

	// Errors that cannot be trusted to a redirect get a page; the others go back as `error`.
	for name, tc := range map[string]struct {
		overrides map[string]string
		page      string
		redirect  string
	}{
		"ErrForeignRedirectURI":  {map[string]string{"redirect_uri": "http://127.0.0.1:1/signed-in"}, "redirect_uri must be one of", ""},
		"ErrRedirectURIWithPath": {map[string]string{"redirect_uri": explorerRedirect + "/../x"}, "redirect_uri must be one of", ""},
		"ErrUnknownClient":       {map[string]string{"client_id": "analyst"}, "unknown client_id", ""},
		"ErrPlainChallenge":      {map[string]string{"code_challenge_method": "plain"}, "", "invalid_request"},
		"ErrNoChallenge":         {map[string]string{"code_challenge": "", "code_challenge_method": ""}, "", "invalid_request"},
		"ErrImplicitFlow":        {map[string]string{"response_type": "token"}, "", "unsupported_response_type"},
		"ErrUnknownScope":        {map[string]string{"scope": "openid root"}, "", "invalid_scope"},
	} {
		t.Run(name, func(t *testing.T) {
			response, err := noRedirects.Get(issuer.URL() + "/authorize?" + authorizeParams(tc.overrides).Encode())
			require.NoError(t, err)
			defer response.Body.Close()
			page, err := io.ReadAll(response.Body)
			require.NoError(t, err)
			if tc.page != "" {
				assert.Equal(t, http.StatusBadRequest, response.StatusCode)
				assert.Empty(t, response.Header.Get("Location"))
				assert.Contains(t, string(page), tc.page)
				return
			}
			require.Equal(t, http.StatusSeeOther, response.StatusCode)
			location, err := url.Parse(response.Header.Get("Location"))
			require.NoError(t, err)
			assert.Equal(t, tc.redirect, location.Query().Get("error"))
			assert.Equal(t, "state-42", location.Query().Get("state"))
			assert.Empty(t, location.Query().Get("code"))
		})
	}

	t.Run("ErrUnknownPersonaIsDenied", func(t *testing.T) {
		location := choosePersona(t, issuer, "root", nil)
		assert.Equal(t, "access_denied", location.Query().Get("error"))
		assert.Empty(t, location.Query().Get("code"))
	})

	t.Run("CORSOnlyForTheExplorersOrigin", func(t *testing.T) {
		for origin, allowed := range map[string]string{explorerOrigin: explorerOrigin, "http://127.0.0.1:1": ""} {
			req, err := http.NewRequest(http.MethodGet, issuer.URL()+"/.well-known/openid-configuration", nil)
			require.NoError(t, err)
			req.Header.Set("Origin", origin)
			response, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			response.Body.Close()
			assert.Equal(t, allowed, response.Header.Get("Access-Control-Allow-Origin"), origin)
		}
	})
}

// TestDevIssuerWithoutExplorerHasNoCodeFlow: the authorization code flow exists only for an
// explorer the issuer was started with.
func TestDevIssuerWithoutExplorerHasNoCodeFlow(t *testing.T) {
	issuer := startDevIssuer(t)
	assert.Empty(t, issuer.IssuerConfig().Explorer.ClientID)

	response, err := noRedirects.Get(issuer.URL() + "/authorize?" + authorizeParams(nil).Encode())
	require.NoError(t, err)
	response.Body.Close()
	assert.Equal(t, http.StatusBadRequest, response.StatusCode)

	status, body := exchangeCode(t, issuer, "any", codeVerifier, explorerRedirect)
	assert.Equal(t, http.StatusUnauthorized, status)
	assert.Equal(t, "invalid_client", body.Error)
}

func TestDevIssuerRefusesAnExplorerOffLoopback(t *testing.T) {
	for _, redirect := range []string{"https://explorer.example/signed-in", "http://192.0.2.1/signed-in", "http://127.0.0.1:1/signed-in?x=1"} {
		_, err := auth.StartDevIssuer(t.Context(), "127.0.0.1:0", apiAudience, auth.DemoPersonas(), auth.WithExplorer(redirect))
		assert.ErrorContains(t, err, "must be an http URL on loopback", redirect)
	}
}
