package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// keySetPolicy says when an issuer's key set is fetched.
type keySetPolicy struct {
	// cooldown is the least time between two fetches: a token naming an unknown key id is refused
	// without a fetch when the last one was more recent, so forged key ids cost one fetch per
	// cooldown, whatever their number.
	cooldown time.Duration
	// maxAge is how long fetched keys are used before they are fetched again, so that a key the
	// issuer withdrew (rotated out, compromised) stops verifying even if no new key id ever shows.
	maxAge time.Duration
	now    func() time.Time
}

var defaultKeySetPolicy = keySetPolicy{cooldown: 30 * time.Second, maxAge: 15 * time.Minute, now: time.Now}

// keyFetchTimeout bounds one fetch of a key set; maxKeySetBytes bounds what is read of it.
const (
	keyFetchTimeout = 10 * time.Second
	maxKeySetBytes  = 1 << 20
)

// keySet is one issuer's public keys, fetched from its jwks_uri, for go-oidc's verifier
// (oidc.KeySet). Unlike go-oidc's RemoteKeySet, which fetches the keys again on every signature
// that fails, it verifies a token only against the key its kid names and fetches again only
// for a kid it does not know, at most once per cooldown, one fetch at a time however many
// tokens wait for it. A forged signature under a known kid is refused with no fetch at all.
type keySet struct {
	url    string
	client *http.Client
	policy keySetPolicy

	mu        sync.Mutex
	keys      []jose.JSONWebKey
	fetchedAt time.Time // of the keys held; zero before the first successful fetch
	triedAt   time.Time // of the last fetch, successful or not
	inflight  *keyFetch
}

// keyFetch is a fetch in progress; done closes when keys and err are set.
type keyFetch struct {
	done chan struct{}
	keys []jose.JSONWebKey
	err  error
}

func newKeySet(jwksURL string, policy keySetPolicy) *keySet {
	return &keySet{url: jwksURL, client: &http.Client{Timeout: keyFetchTimeout}, policy: policy}
}

// errKeyFetchCooldown says a fetch was due but the last one was too recent.
var errKeyFetchCooldown = errors.New("the key set was fetched less than the cooldown ago")

// VerifySignature verifies a compact JWS against the issuer's keys and returns its payload. The
// verifier has checked the algorithm already (asymmetric ones only); it is checked again here,
// since this method is public.
func (k *keySet) VerifySignature(ctx context.Context, token string) ([]byte, error) {
	jws, err := jose.ParseSigned(token, joseAlgorithms())
	if err != nil {
		return nil, fmt.Errorf("malformed JWS: %w", err)
	}
	if len(jws.Signatures) != 1 {
		return nil, fmt.Errorf("%d signatures, expected one", len(jws.Signatures))
	}
	header := jws.Signatures[0].Header
	keys, err := k.current(ctx)
	if err != nil {
		return nil, err
	}
	if header.KeyID == "" {
		return verifyWithoutKeyID(jws, header.Algorithm, keys)
	}
	if !hasKeyID(keys, header.KeyID) {
		// The issuer may have rotated to a key published after the last fetch.
		if keys, err = k.refresh(ctx); err != nil {
			if errors.Is(err, errKeyFetchCooldown) {
				return nil, fmt.Errorf("key id %q is not in the issuer's key set (fetched again at most every %s)", truncate(header.KeyID), k.policy.cooldown)
			}
			return nil, err
		}
		if !hasKeyID(keys, header.KeyID) {
			return nil, fmt.Errorf("key id %q is not in the issuer's key set", truncate(header.KeyID))
		}
	}
	for _, key := range keys {
		if key.KeyID == header.KeyID && fitsAlgorithm(key, header.Algorithm) {
			if payload, err := jws.Verify(key); err == nil {
				return payload, nil
			}
		}
	}
	return nil, fmt.Errorf("the signature does not verify with key %q", truncate(header.KeyID))
}

// verifyWithoutKeyID accepts a token that names no key only when exactly one of the issuer's
// keys fits its algorithm: trying every key would let one token cost a signature check per key.
func verifyWithoutKeyID(jws *jose.JSONWebSignature, algorithm string, keys []jose.JSONWebKey) ([]byte, error) {
	var fitting []jose.JSONWebKey
	for _, key := range keys {
		if fitsAlgorithm(key, algorithm) {
			fitting = append(fitting, key)
		}
	}
	if len(fitting) != 1 {
		return nil, fmt.Errorf("the token names no key id and %d of the issuer's keys fit %s", len(fitting), algorithm)
	}
	payload, err := jws.Verify(fitting[0])
	if err != nil {
		return nil, errors.New("the signature does not verify with the issuer's key")
	}
	return payload, nil
}

// fetched returns when the keys held were fetched (zero before the first fetch).
func (k *keySet) fetched() time.Time {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.fetchedAt
}

// fresh tells whether keys fetched at fetchedAt are the ones held and not yet old.
func (k *keySet) fresh(fetchedAt time.Time) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	return !fetchedAt.IsZero() && k.fetchedAt.Equal(fetchedAt) && k.policy.now().Sub(fetchedAt) < k.policy.maxAge
}

// current returns the keys to verify with, fetching them first when there are none yet or they
// are older than maxAge. Stale keys are used when that fetch fails or is not yet due: an issuer
// briefly unreachable does not refuse every token.
func (k *keySet) current(ctx context.Context) ([]jose.JSONWebKey, error) {
	k.mu.Lock()
	keys, fetchedAt := k.keys, k.fetchedAt
	k.mu.Unlock()
	if !fetchedAt.IsZero() && k.policy.now().Sub(fetchedAt) < k.policy.maxAge {
		return keys, nil
	}
	fresh, err := k.refresh(ctx)
	switch {
	case err == nil:
		return fresh, nil
	case len(keys) > 0:
		return keys, nil
	case errors.Is(err, errKeyFetchCooldown):
		return nil, errors.New("the issuer's key set could not be fetched; fetched again at most every " + k.policy.cooldown.String())
	default:
		return nil, err
	}
}

// refresh fetches the key set unless the last fetch was less than the cooldown ago
// (errKeyFetchCooldown). Concurrent callers share one fetch.
func (k *keySet) refresh(ctx context.Context) ([]jose.JSONWebKey, error) {
	k.mu.Lock()
	fetch := k.inflight
	if fetch == nil {
		now := k.policy.now()
		if !k.triedAt.IsZero() && now.Sub(k.triedAt) < k.policy.cooldown {
			k.mu.Unlock()
			return nil, errKeyFetchCooldown
		}
		k.triedAt = now
		fetch = &keyFetch{done: make(chan struct{})}
		k.inflight = fetch
		// Detached from the request: callers who give up waiting do not cancel it for the others.
		go k.fetch(fetch)
	}
	k.mu.Unlock()
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-fetch.done:
		return fetch.keys, fetch.err
	}
}

func (k *keySet) fetch(fetch *keyFetch) {
	keys, err := k.download()
	k.mu.Lock()
	if err == nil {
		k.keys, k.fetchedAt = keys, k.policy.now()
	}
	k.inflight = nil
	k.mu.Unlock()
	fetch.keys, fetch.err = keys, err
	close(fetch.done)
}

func (k *keySet) download() ([]jose.JSONWebKey, error) {
	ctx, cancel := context.WithTimeout(context.Background(), keyFetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, k.url, nil)
	if err != nil {
		return nil, fmt.Errorf("fetching the issuer's key set: %w", err)
	}
	req.Header.Set("Accept", "application/json, application/jwk-set+json")
	res, err := k.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetching the issuer's key set: %w", err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, maxKeySetBytes))
	if err != nil {
		return nil, fmt.Errorf("reading the issuer's key set: %w", err)
	}
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetching the issuer's key set: %s", res.Status)
	}
	return parseKeySet(body)
}

// parseKeySet reads a JWK Set, keeping the public signature keys of the types this service
// verifies with. Other keys (encryption keys, symmetric keys, key types go-jose does not know)
// are skipped, as RFC 7517 section 5 asks, rather than failing the whole set.
func parseKeySet(body []byte) ([]jose.JSONWebKey, error) {
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &set); err != nil {
		return nil, fmt.Errorf("the issuer's key set is not a JWK Set: %w", err)
	}
	var keys []jose.JSONWebKey
	for _, raw := range set.Keys {
		var key jose.JSONWebKey
		if err := key.UnmarshalJSON(raw); err != nil || (key.Use != "" && key.Use != "sig") {
			continue
		}
		switch key.Key.(type) {
		case *rsa.PublicKey, *ecdsa.PublicKey, ed25519.PublicKey:
			keys = append(keys, key)
		}
	}
	return keys, nil
}

func hasKeyID(keys []jose.JSONWebKey, keyID string) bool {
	for _, key := range keys {
		if key.KeyID == keyID {
			return true
		}
	}
	return false
}

// fitsAlgorithm reports whether key may verify a signature of algorithm: its type (and curve)
// is the algorithm's, and the key does not name another algorithm.
func fitsAlgorithm(key jose.JSONWebKey, algorithm string) bool {
	if key.Algorithm != "" && key.Algorithm != algorithm {
		return false
	}
	switch public := key.Key.(type) {
	case *rsa.PublicKey:
		switch jose.SignatureAlgorithm(algorithm) {
		case jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512:
			return true
		}
	case *ecdsa.PublicKey:
		switch jose.SignatureAlgorithm(algorithm) {
		case jose.ES256:
			return public.Curve == elliptic.P256()
		case jose.ES384:
			return public.Curve == elliptic.P384()
		case jose.ES512:
			return public.Curve == elliptic.P521()
		}
	case ed25519.PublicKey:
		return jose.SignatureAlgorithm(algorithm) == jose.EdDSA
	}
	return false
}

func joseAlgorithms() []jose.SignatureAlgorithm {
	algorithms := make([]jose.SignatureAlgorithm, len(asymmetricAlgorithms))
	for i, a := range asymmetricAlgorithms {
		algorithms[i] = jose.SignatureAlgorithm(a)
	}
	return algorithms
}

// checkKeySetURL accepts the jwks_uri of a discovery document: https, or plain http on loopback
// only, as for the issuer itself. A query is allowed (Azure AD B2C puts the policy there).
func checkKeySetURL(raw string) error {
	u, err := url.Parse(raw)
	switch {
	case raw == "":
		return errors.New("the discovery document names no jwks_uri")
	case err != nil:
		return fmt.Errorf("jwks_uri is not a URL: %w", err)
	case u.Scheme == "https" && u.Host != "":
		return nil
	case u.Scheme == "http" && isLoopbackHost(u.Hostname()):
		return nil
	default:
		return fmt.Errorf("jwks_uri %s must use https (plain http is allowed only on loopback)", raw)
	}
}
