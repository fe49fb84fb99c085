package auth_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/require"

	"github.com/traffikgraph/traffikgraph/auth"
)

// testIssuer is a real OIDC issuer on loopback serving discovery and JWKS for one RSA key, so
// that NewAuthenticator discovers it and fetches its keys exactly as it would a real one's.
type testIssuer struct {
	url string
	key *rsa.PrivateKey
	// jwksFetches counts the requests for the key set.
	jwksFetches atomic.Int64
	// published is the key set it serves: its own key unless a test publishes others.
	published atomic.Pointer[jose.JSONWebKeySet]
	// keysUnavailable makes its key set answer 503.
	keysUnavailable atomic.Bool
}

const testKeyID = "test-key-1"

func startTestIssuer(t *testing.T) *testIssuer {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	issuer := &testIssuer{key: key}
	issuer.publish(issuer.publicKey())
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
		writeTestJSON(t, w, map[string]any{
			"issuer":                                issuer.url,
			"jwks_uri":                              issuer.url + "/jwks",
			"id_token_signing_alg_values_supported": []string{"RS256"},
		})
	})
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, _ *http.Request) {
		issuer.jwksFetches.Add(1)
		if issuer.keysUnavailable.Load() {
			http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
			return
		}
		writeTestJSON(t, w, issuer.published.Load())
	})
	server := httptest.NewServer(mux)
	t.Cleanup(server.Close)
	issuer.url = server.URL
	return issuer
}

// publicKey is the issuer's own key as its key set lists it.
func (ti *testIssuer) publicKey() jose.JSONWebKey {
	return jose.JSONWebKey{Key: &ti.key.PublicKey, KeyID: testKeyID, Algorithm: "RS256", Use: "sig"}
}

// publish replaces the key set the issuer serves, as an issuer rotating its keys does.
func (ti *testIssuer) publish(keys ...jose.JSONWebKey) {
	ti.published.Store(&jose.JSONWebKeySet{Keys: keys})
}

func writeTestJSON(t *testing.T, w http.ResponseWriter, body any) {
	w.Header().Set("Content-Type", "application/json")
	if err := json.NewEncoder(w).Encode(body); err != nil {
		t.Errorf("writing test issuer response: %v", err)
	}
}

// accessClaims are the claims of a valid access token from the issuer for audience.
func (ti *testIssuer) accessClaims(audience string) map[string]any {
	now := time.Now()
	return map[string]any{
		"iss":   ti.url,
		"sub":   "user-1234",
		"aud":   audience,
		"exp":   now.Add(10 * time.Minute).Unix(),
		"iat":   now.Unix(),
		"nbf":   now.Unix(),
		"jti":   "jti-1",
		"scope": "graph:read",
	}
}

// sign signs claims with the issuer's key (RS256) and the given JOSE typ header ("" for none).
func (ti *testIssuer) sign(t *testing.T, typ string, claims map[string]any) string {
	t.Helper()
	return signWith(t, jose.SigningKey{Algorithm: jose.RS256, Key: ti.key}, typ, claims)
}

// publicKeyPEM is the issuer's public key as a verifier might store it: the bytes an HS256
// forgery uses as its HMAC secret.
func (ti *testIssuer) publicKeyPEM(t *testing.T) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(&ti.key.PublicKey)
	require.NoError(t, err)
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

func signWith(t *testing.T, key jose.SigningKey, typ string, claims map[string]any) string {
	t.Helper()
	return signWithKeyID(t, key, testKeyID, typ, claims)
}

// signWithKeyID signs claims naming keyID in the kid header ("" for no kid).
func signWithKeyID(t *testing.T, key jose.SigningKey, keyID, typ string, claims map[string]any) string {
	t.Helper()
	options := &jose.SignerOptions{}
	if keyID != "" {
		options = options.WithHeader(jose.HeaderKey("kid"), keyID)
	}
	if typ != "" {
		options = options.WithType(jose.ContentType(typ))
	}
	signer, err := jose.NewSigner(key, options)
	require.NoError(t, err)
	payload, err := json.Marshal(claims)
	require.NoError(t, err)
	signed, err := signer.Sign(payload)
	require.NoError(t, err)
	token, err := signed.CompactSerialize()
	require.NoError(t, err)
	return token
}

// unsignedToken builds an `alg: none` JWT, which go-jose refuses to produce.
func unsignedToken(t *testing.T, claims map[string]any) string {
	t.Helper()
	header, err := json.Marshal(map[string]string{"alg": "none", "typ": "at+jwt"})
	require.NoError(t, err)
	payload, err := json.Marshal(claims)
	require.NoError(t, err)
	return base64.RawURLEncoding.EncodeToString(header) + "." + base64.RawURLEncoding.EncodeToString(payload) + "."
}

// registeredPartners is the partner registry as a set: the store's implementation is tested
// with the store; here only its answer matters.
type registeredPartners map[string]bool

func (r registeredPartners) PartnerRegistered(_ context.Context, partnerID, _ string) (bool, error) {
	return r[partnerID], nil
}

// newAuthenticator builds an Authenticator over the issuers, logging into the returned buffer.
func newAuthenticator(t *testing.T, partners auth.PartnerRegistry, issuers ...auth.IssuerConfig) (*auth.Authenticator, *bytes.Buffer) {
	t.Helper()
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	authenticator, err := auth.NewAuthenticator(t.Context(), issuers, partners, logger)
	require.NoError(t, err)
	return authenticator, &logs
}
