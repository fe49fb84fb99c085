package auth_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/traffikgraph/traffikgraph"
	"github.com/traffikgraph/traffikgraph/auth"
)

// A verified token's Caller is remembered for its next requests, but never past the token's
// expiry, never for a token that failed a check, never for an altered copy, and never when its
// partner is no longer registered.
func TestVerifiedTokensAreRememberedOnlyWhileValid(t *testing.T) {
	issuer := startTestIssuer(t)
	config := partnerClaimIssuer(issuer.url, "stt")
	config.ClockSkew = 0
	registry := registeredPartners{"stt": true}
	authenticator, logs := newAuthenticator(t, registry, config)
	claims := with(issuer.accessClaims(apiAudience), map[string]any{"partner": "stt", "scope": "graph:read graph:read:pii"})
	token := issuer.sign(t, "", claims)

	refused := func(t *testing.T, header, reason string) {
		t.Helper()
		logs.Reset()
		_, err := authenticator.Authenticate(t.Context(), header)
		require.Error(t, err)
		require.Equal(t, traffikgraph.Unauthenticated, traffikgraph.ErrorCode(err))
		require.Contains(t, onlyLogRecord(t, logs)["reason"], reason)
	}

	first, err := authenticator.Authenticate(t.Context(), "Bearer "+token)
	require.NoError(t, err)
	require.Equal(t, 1, auth.RememberedTokens(authenticator))
	first.Scopes[0] = auth.ScopeAdmin // a request changing its Caller changes no other request's
	again, err := authenticator.Authenticate(t.Context(), "Bearer "+token)
	require.NoError(t, err)
	require.Equal(t, auth.Caller{Issuer: issuer.url, Subject: "user-1234", PartnerID: "stt",
		Scopes: []auth.Scope{auth.ScopeGraphRead, auth.ScopeGraphReadPII}}, again)

	t.Run("ErrAlteredCopy", func(t *testing.T) {
		// A character well inside the signature: the last one may carry only unused bits.
		at := len(token) - 10
		altered := token[:at] + string(map[bool]byte{true: 'A', false: 'B'}[token[at] != 'A']) + token[at+1:]
		refused(t, "Bearer "+altered, "failed to verify signature")
		require.Equal(t, 1, auth.RememberedTokens(authenticator), "a refused token is not remembered")
	})
	t.Run("ErrPartnerNoLongerRegistered", func(t *testing.T) {
		registry["stt"] = false
		t.Cleanup(func() { registry["stt"] = true })
		refused(t, "Bearer "+token, `partner "stt" is not registered`)
	})
	t.Run("ErrExpiredSinceVerified", func(t *testing.T) {
		exp := time.Now().Add(2 * time.Second).Truncate(time.Second)
		shortLived := issuer.sign(t, "", with(claims, map[string]any{"exp": exp.Unix()}))
		_, err := authenticator.Authenticate(t.Context(), "Bearer "+shortLived)
		require.NoError(t, err)
		require.Equal(t, 2, auth.RememberedTokens(authenticator))
		time.Sleep(time.Until(exp.Add(100 * time.Millisecond)))
		refused(t, "Bearer "+shortLived, "expired")
	})
}

// A remembered token stands for a verification with its issuer's keys as they were: once the key
// set is fetched again (here for a new key id) without the token's key, the token is refused at
// once, as it would be had it never been remembered.
func TestARememberedTokenFallsWithItsKey(t *testing.T) {
	c := startKeySetCase(t)
	token := "Bearer " + c.issuer.sign(t, "", c.valid)
	_, err := c.authenticator.Authenticate(t.Context(), token)
	require.NoError(t, err)

	signer, published := secondKey(t)
	c.issuer.publish(published)
	c.clock.advance(testCooldown)
	_, err = c.authenticator.Authenticate(t.Context(), "Bearer "+signWithKeyID(t, signer, "test-key-2", "", c.valid))
	require.NoError(t, err, "the new key id makes the key set be fetched again")
	require.EqualValues(t, 2, c.issuer.jwksFetches.Load())

	_, err = c.authenticator.Authenticate(t.Context(), token)
	require.Error(t, err, "the key it was verified with is withdrawn")
}

// A token of huge claims is served, but verified each time rather than remembered: an issuer
// could otherwise pin its claims' size times the set's bound in memory.
func TestAHugeTokenIsNotRemembered(t *testing.T) {
	issuer := startTestIssuer(t)
	authenticator, _ := newAuthenticator(t, partners, partnerClaimIssuer(issuer.url, "stt"))
	huge := issuer.sign(t, "", with(issuer.accessClaims(apiAudience), map[string]any{"partner": "stt", "sub": strings.Repeat("s", 16<<10)}))
	for range 2 {
		caller, err := authenticator.Authenticate(t.Context(), "Bearer "+huge)
		require.NoError(t, err)
		require.Len(t, caller.Subject, 16<<10)
	}
	require.Zero(t, auth.RememberedTokens(authenticator))
}
