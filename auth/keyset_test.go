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

// newClockedAuthenticator trusts issuer with key-set timing driven by the returned clock.
func newClockedAuthenticator(t *testing.T, issuer *testIssuer) (*auth.Authenticator, *testClock) {
	t.Helper()
	clock := &testClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	authenticator, err := auth.NewAuthenticatorWithKeyClock(t.Context(), []auth.IssuerConfig{partnerClaimIssuer(issuer.url)}, partners,
		slog.New(slog.DiscardHandler), testCooldown, testMaxAge, clock.Now)
	require.NoError(t, err)
	return authenticator, clock
}

func newRSAKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	return key
}

func TestKeySet(t *testing.T) {
	t.Run("UnknownKeyIDsCostAtMostOneFetchPerCooldown", func(t *testing.T) {
		issuer := startTestIssuer(t)
		authenticator, clock := newClockedAuthenticator(t, issuer)
		valid := with(issuer.accessClaims(apiAudience), map[string]any{"partner": "stt"})
		forger := jose.SigningKey{Algorithm: jose.RS256, Key: newRSAKey(t)}
		_, err := authenticator.Authenticate(t.Context(), "Bearer "+issuer.sign(t, "", valid))
		require.NoError(t, err)

		for round := range 3 {
			clock.advance(testCooldown)
			var wg sync.WaitGroup
			for i := range 50 {
				wg.Go(func() {
					junk := signWithKeyID(t, forger, fmt.Sprintf("junk-%d-%d", round, i), "", valid)
					_, err := authenticator.Authenticate(t.Context(), "Bearer "+junk)
					assert.Error(t, err)
				})
			}
			wg.Wait()

			assert.EqualValues(t, 2+round, issuer.jwksFetches.Load(), "round %d: 50 concurrent unknown key ids, one fetch", round)
		}
	})

	t.Run("AForgedSignatureUnderAKnownKeyIDNeverFetches", func(t *testing.T) {
		issuer := startTestIssuer(t)
		authenticator, clock := newClockedAuthenticator(t, issuer)
		valid := with(issuer.accessClaims(apiAudience), map[string]any{"partner": "stt"})
		forger := jose.SigningKey{Algorithm: jose.RS256, Key: newRSAKey(t)}
		_, err := authenticator.Authenticate(t.Context(), "Bearer "+issuer.sign(t, "", valid))
		require.NoError(t, err)

		for range 10 {
			clock.advance(testCooldown)
			_, err := authenticator.Authenticate(t.Context(), "Bearer "+signWith(t, forger, "", valid))
			require.Error(t, err)
		}

		assert.EqualValues(t, 1, issuer.jwksFetches.Load())
	})

	t.Run("ARotatedKeyIsFetchedOnceTheCooldownHasPassed", func(t *testing.T) {
		issuer := startTestIssuer(t)
		authenticator, clock := newClockedAuthenticator(t, issuer)
		valid := with(issuer.accessClaims(apiAudience), map[string]any{"partner": "stt"})
		_, err := authenticator.Authenticate(t.Context(), "Bearer "+issuer.sign(t, "", valid))
		require.NoError(t, err)
		next := newRSAKey(t)
		issuer.publish(issuer.publicKey(), jose.JSONWebKey{Key: &next.PublicKey, KeyID: "test-key-2", Algorithm: "RS256", Use: "sig"})
		rotated := "Bearer " + signWithKeyID(t, jose.SigningKey{Algorithm: jose.RS256, Key: next}, "test-key-2", "", valid)

		_, err = authenticator.Authenticate(t.Context(), rotated)
		require.Error(t, err, "within the cooldown of the first fetch a new key id is not fetched")
		clock.advance(testCooldown)
		caller, err := authenticator.Authenticate(t.Context(), rotated)

		require.NoError(t, err)
		assert.Equal(t, "stt", caller.PartnerID)
		assert.EqualValues(t, 2, issuer.jwksFetches.Load())
	})

	t.Run("AWithdrawnKeyStopsVerifyingOnceTheKeysAreOld", func(t *testing.T) {
		issuer := startTestIssuer(t)
		authenticator, clock := newClockedAuthenticator(t, issuer)
		token := "Bearer " + issuer.sign(t, "", with(issuer.accessClaims(apiAudience), map[string]any{"partner": "stt"}))
		_, err := authenticator.Authenticate(t.Context(), token)
		require.NoError(t, err)
		next := newRSAKey(t)
		issuer.publish(jose.JSONWebKey{Key: &next.PublicKey, KeyID: "test-key-2", Algorithm: "RS256", Use: "sig"})

		clock.advance(testMaxAge - time.Second)
		_, err = authenticator.Authenticate(t.Context(), token)
		require.NoError(t, err, "keys younger than their maximum age are used as fetched")
		clock.advance(time.Second)
		_, err = authenticator.Authenticate(t.Context(), token)

		require.Error(t, err)
		assert.EqualValues(t, 2, issuer.jwksFetches.Load())
	})

	t.Run("ATokenWithoutKeyIDVerifiesOnlyAgainstTheOneKeyOfItsAlgorithm", func(t *testing.T) {
		issuer := startTestIssuer(t)
		authenticator, clock := newClockedAuthenticator(t, issuer)
		valid := with(issuer.accessClaims(apiAudience), map[string]any{"partner": "stt"})
		withoutKeyID := "Bearer " + signWithKeyID(t, jose.SigningKey{Algorithm: jose.RS256, Key: issuer.key}, "", "", valid)

		_, err := authenticator.Authenticate(t.Context(), withoutKeyID)
		require.NoError(t, err, "one RSA key: it is the one")

		other := newRSAKey(t)
		issuer.publish(issuer.publicKey(), jose.JSONWebKey{Key: &other.PublicKey, KeyID: "test-key-2", Algorithm: "RS256", Use: "sig"})
		clock.advance(testMaxAge)
		_, err = authenticator.Authenticate(t.Context(), withoutKeyID)
		require.Error(t, err, "two RSA keys: a token must say which")
		assert.EqualValues(t, 2, issuer.jwksFetches.Load())
	})
}
