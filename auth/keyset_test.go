package auth_test

import (
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/traffikgraph/traffikgraph"
	"github.com/traffikgraph/traffikgraph/auth"
)

// TestRefusedTokensCostNoKeyFetch: forged tokens naming a trusted issuer do not make the service
// fetch that issuer's keys per token, so a flood of them costs the issuer and us nothing beyond
// a signature check, and the valid token sent right after is served.
func TestRefusedTokensCostNoKeyFetch(t *testing.T) {
	issuer := startTestIssuer(t)
	authenticator, _ := newAuthenticator(t, partners, partnerClaimIssuer(issuer.url))
	valid := with(issuer.accessClaims(apiAudience), map[string]any{"partner": "stt"})
	forger := newRSAKey(t)

	_, err := authenticator.Authenticate(t.Context(), "Bearer "+issuer.sign(t, "", valid))
	require.NoError(t, err)
	require.EqualValues(t, 1, issuer.jwksFetches.Load(), "the first token fetches the key set")

	for i := range 100 {
		knownKid := signWith(t, jose.SigningKey{Algorithm: jose.RS256, Key: forger}, "", valid)
		_, err := authenticator.Authenticate(t.Context(), "Bearer "+knownKid)
		require.Error(t, err, "forgery %d with the issuer's key id", i)
		unknownKid := signWithKeyID(t, jose.SigningKey{Algorithm: jose.RS256, Key: forger}, fmt.Sprintf("junk-%d", i), "", valid)
		_, err = authenticator.Authenticate(t.Context(), "Bearer "+unknownKid)
		require.Error(t, err, "forgery %d with an unknown key id", i)
	}
	caller, err := authenticator.Authenticate(t.Context(), "Bearer "+issuer.sign(t, "", valid))

	require.NoError(t, err)
	assert.Equal(t, "stt", caller.PartnerID)
	assert.EqualValues(t, 1, issuer.jwksFetches.Load(), "200 forgeries within the cooldown fetched no keys")
}

// testClock is a clock a test moves by hand.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

const (
	testCooldown = 30 * time.Second
	testMaxAge   = 15 * time.Minute
)

// keySetCase is a trusted issuer whose key set the authenticator has fetched once, for a valid
// token, with key-set timing driven by clock.
type keySetCase struct {
	issuer        *testIssuer
	authenticator *auth.Authenticator
	clock         *testClock
	valid         map[string]any // claims of a valid token
}

func startKeySetCase(t *testing.T) keySetCase {
	t.Helper()
	c := keySetCase{issuer: startTestIssuer(t), clock: &testClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}}
	var err error
	c.authenticator, err = auth.NewAuthenticatorWithKeyClock(t.Context(), []auth.IssuerConfig{partnerClaimIssuer(c.issuer.url)}, partners,
		slog.New(slog.DiscardHandler), testCooldown, testMaxAge, c.clock.Now)
	require.NoError(t, err)
	c.valid = with(c.issuer.accessClaims(apiAudience), map[string]any{"partner": "stt"})
	_, err = c.authenticator.Authenticate(t.Context(), "Bearer "+c.issuer.sign(t, "", c.valid))
	require.NoError(t, err)
	require.EqualValues(t, 1, c.issuer.jwksFetches.Load())
	return c
}

func newRSAKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	return key
}

// secondKey is a new RSA key of the issuer's, with its entry in a key set as test-key-2.
func secondKey(t *testing.T) (jose.SigningKey, jose.JSONWebKey) {
	t.Helper()
	key := newRSAKey(t)
	return jose.SigningKey{Algorithm: jose.RS256, Key: key}, jose.JSONWebKey{Key: &key.PublicKey, KeyID: "test-key-2", Algorithm: "RS256", Use: "sig"}
}

func TestKeySet(t *testing.T) {
	t.Run("UnknownKeyIDsCostAtMostOneFetchPerCooldown", func(t *testing.T) {
		c := startKeySetCase(t)
		forger := jose.SigningKey{Algorithm: jose.RS256, Key: newRSAKey(t)}

		for round := range 3 {
			c.clock.advance(testCooldown)
			var wg sync.WaitGroup
			for i := range 50 {
				wg.Go(func() {
					junk := signWithKeyID(t, forger, fmt.Sprintf("junk-%d-%d", round, i), "", c.valid)
					_, err := c.authenticator.Authenticate(t.Context(), "Bearer "+junk)
					assert.Error(t, err)
				})
			}
			wg.Wait()

			assert.EqualValues(t, 2+round, c.issuer.jwksFetches.Load(), "round %d: 50 concurrent unknown key ids, one fetch", round)
		}
	})

	t.Run("AForgedSignatureUnderAKnownKeyIDNeverFetches", func(t *testing.T) {
		c := startKeySetCase(t)
		forger := jose.SigningKey{Algorithm: jose.RS256, Key: newRSAKey(t)}

		for range 10 {
			c.clock.advance(testCooldown)
			_, err := c.authenticator.Authenticate(t.Context(), "Bearer "+signWith(t, forger, "", c.valid))
			require.Error(t, err)
		}

		assert.EqualValues(t, 1, c.issuer.jwksFetches.Load())
	})

	t.Run("ARotatedKeyIsFetchedOnceTheCooldownHasPassed", func(t *testing.T) {
		c := startKeySetCase(t)
		next, published := secondKey(t)
		c.issuer.publish(c.issuer.publicKey(), published)
		rotated := "Bearer " + signWithKeyID(t, next, "test-key-2", "", c.valid)

		_, err := c.authenticator.Authenticate(t.Context(), rotated)
		require.Error(t, err, "within the cooldown of the first fetch a new key id is not fetched")
		c.clock.advance(testCooldown)
		caller, err := c.authenticator.Authenticate(t.Context(), rotated)

		require.NoError(t, err)
		assert.Equal(t, "stt", caller.PartnerID)
		assert.EqualValues(t, 2, c.issuer.jwksFetches.Load())
	})

	t.Run("AWithdrawnKeyStopsVerifyingOnceTheKeysAreOld", func(t *testing.T) {
		c := startKeySetCase(t)
		token := "Bearer " + c.issuer.sign(t, "", c.valid)
		_, published := secondKey(t)
		c.issuer.publish(published)

		c.clock.advance(testMaxAge - time.Second)
		_, err := c.authenticator.Authenticate(t.Context(), token)
		require.NoError(t, err, "keys younger than their maximum age are used as fetched")
		c.clock.advance(time.Second)
		_, err = c.authenticator.Authenticate(t.Context(), token)

		require.Error(t, err)
		assert.EqualValues(t, 2, c.issuer.jwksFetches.Load())
	})

	t.Run("ATokenWithoutKeyIDVerifiesOnlyAgainstTheOneKeyOfItsAlgorithm", func(t *testing.T) {
		c := startKeySetCase(t)
		withoutKeyID := "Bearer " + signWithKeyID(t, jose.SigningKey{Algorithm: jose.RS256, Key: c.issuer.key}, "", "", c.valid)

		_, err := c.authenticator.Authenticate(t.Context(), withoutKeyID)
		require.NoError(t, err, "one RSA key: it is the one")

		_, published := secondKey(t)
		c.issuer.publish(c.issuer.publicKey(), published)
		c.clock.advance(testMaxAge)
		_, err = c.authenticator.Authenticate(t.Context(), withoutKeyID)
		require.Error(t, err, "two RSA keys: a token must say which")
		assert.EqualValues(t, 2, c.issuer.jwksFetches.Load())
	})

	t.Run("OldKeysServeWhileTheKeySetIsUnreachable", func(t *testing.T) {
		c := startKeySetCase(t)
		c.issuer.keysUnavailable.Store(true)
		token := "Bearer " + c.issuer.sign(t, "", c.valid)

		c.clock.advance(testMaxAge)
		for range 5 {
			_, err := c.authenticator.Authenticate(t.Context(), token)
			require.NoError(t, err, "the keys are old, the issuer is down: the keys held still verify")
		}

		assert.EqualValues(t, 2, c.issuer.jwksFetches.Load(), "one failed fetch, then none within the cooldown")
	})

	t.Run("WithoutKeysEveryTokenIsRefusedAndTheFetchRetriedOncePerCooldown", func(t *testing.T) {
		issuer := startTestIssuer(t)
		issuer.keysUnavailable.Store(true)
		clock := &testClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
		authenticator, err := auth.NewAuthenticatorWithKeyClock(t.Context(), []auth.IssuerConfig{partnerClaimIssuer(issuer.url)}, partners,
			slog.New(slog.DiscardHandler), testCooldown, testMaxAge, clock.Now)
		require.NoError(t, err)
		token := "Bearer " + issuer.sign(t, "", with(issuer.accessClaims(apiAudience), map[string]any{"partner": "stt"}))

		for range 5 {
			_, err := authenticator.Authenticate(t.Context(), token)
			assert.Equal(t, traffikgraph.Unauthenticated, traffikgraph.ErrorCode(err))
		}
		require.EqualValues(t, 1, issuer.jwksFetches.Load())
		issuer.keysUnavailable.Store(false)
		clock.advance(testCooldown)
		_, err = authenticator.Authenticate(t.Context(), token)

		require.NoError(t, err)
		assert.EqualValues(t, 2, issuer.jwksFetches.Load())
	})
}
