package auth

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/traffikgraph/traffikgraph"
)

// PartnerRegistry tells whether a partner id names a registered partner that tokens of the issuer
// may act for: a partner registered with its own issuer accepts that issuer only, so one trusted
// issuer cannot mint tokens for another's partners. The store implements it; a token acting for
// an unknown partner is refused, so an issuer cannot invent partners.
type PartnerRegistry interface {
	PartnerRegistered(ctx context.Context, partnerID, issuer string) (bool, error)
}

// Authenticator turns Authorization headers into Callers. Build it once at start with
// NewAuthenticator and share it: it holds one go-oidc verifier per trusted issuer, whose key set
// (keySet) is cached and fetched again only when a token names an unknown key, at most once per
// cooldown, or when the keys grow old, and the Callers of recently verified tokens for up to a
// minute (verifiedTokens). It is safe for concurrent use.
type Authenticator struct {
	issuers  map[string]trustedIssuer
	partners PartnerRegistry
	logger   *slog.Logger
	verified *verifiedTokens
	keysNow  func() time.Time // the key sets' clock
}

type trustedIssuer struct {
	config   IssuerConfig
	verifier *oidc.IDTokenVerifier
	keys     *keySet
}

// asymmetricAlgorithms are the only signature algorithms accepted. Symmetric ones (HS256...) are
// refused outright: the verifier holds only the issuer's public keys, and an HMAC "signed" with
// public key bytes is the classic forgery. The issuer's key set, not its discovery document,
// then decides which of these can verify, because discovery lists ID-token algorithms only.
var asymmetricAlgorithms = []string{
	oidc.RS256, oidc.RS384, oidc.RS512,
	oidc.PS256, oidc.PS384, oidc.PS512,
	oidc.ES256, oidc.ES384, oidc.ES512,
	oidc.EdDSA,
}

// maxLoggedLength caps unverified values copied into logs, since anyone can put anything there.
const maxLoggedLength = 200

// NewAuthenticator validates the issuers and discovers each one (fetching its
// /.well-known/openid-configuration), so an unreachable or misconfigured issuer fails the start
// rather than the first request. ctx bounds discovery only. A nil logger means slog.Default().
func NewAuthenticator(ctx context.Context, issuers []IssuerConfig, partners PartnerRegistry, logger *slog.Logger) (*Authenticator, error) {
	return newAuthenticator(ctx, issuers, partners, logger, defaultKeySetPolicy)
}

func newAuthenticator(ctx context.Context, issuers []IssuerConfig, partners PartnerRegistry, logger *slog.Logger, keys keySetPolicy) (*Authenticator, error) {
	if partners == nil {
		return nil, errors.New("auth: a partner registry is required")
	}
	if logger == nil {
		logger = slog.Default()
	}
	if err := ValidateIssuers(issuers); err != nil {
		return nil, fmt.Errorf("auth: %w", err)
	}
	a := &Authenticator{issuers: make(map[string]trustedIssuer, len(issuers)), partners: partners, logger: logger,
		verified: newVerifiedTokens(), keysNow: keys.now}
	for _, issuer := range issuers {
		provider, err := oidc.NewProvider(ctx, issuer.URL)
		if err != nil {
			return nil, fmt.Errorf("auth: discovering issuer %s: %w", issuer.URL, err)
		}
		var discovery struct {
			JWKSURL string `json:"jwks_uri"`
		}
		if err := provider.Claims(&discovery); err != nil {
			return nil, fmt.Errorf("auth: discovering issuer %s: %w", issuer.URL, err)
		}
		if err := checkKeySetURL(discovery.JWKSURL); err != nil {
			return nil, fmt.Errorf("auth: discovering issuer %s: %w", issuer.URL, err)
		}
		skew := issuer.ClockSkew
		keySet := newKeySet(discovery.JWKSURL, keys)
		verifier := oidc.NewVerifier(issuer.URL, keySet, &oidc.Config{
			ClientID:             issuer.Audience,
			SupportedSigningAlgs: asymmetricAlgorithms,
			// go-oidc compares exp with Now; shifting Now back by the skew grants the skew on
			// expiry. nbf and iat are checked with the same skew in Authenticate.
			Now: func() time.Time { return time.Now().Add(-skew) },
		})
		a.issuers[issuer.URL] = trustedIssuer{config: issuer, verifier: verifier, keys: keySet}
	}
	a.warnOfUnboundPartners(ctx, issuers)
	return a, nil
}

// warnOfUnboundPartners logs each partner the issuers file lets an issuer speak for whose tokens
// will nonetheless be refused: not registered yet, or registered with another issuer. The file
// and the graph must agree for a partner to be served; a start is the time to say they do not.
func (a *Authenticator) warnOfUnboundPartners(ctx context.Context, issuers []IssuerConfig) {
	for _, issuer := range issuers {
		for _, partner := range issuer.partners() {
			registered, err := a.partners.PartnerRegistered(ctx, partner, issuer.URL)
			switch {
			case err != nil:
				a.logger.LogAttrs(ctx, slog.LevelWarn, "cannot check the partners of the issuers file against the graph",
					slog.String("issuer", issuer.URL), slog.Any("error", err))
				return
			case !registered:
				a.logger.LogAttrs(ctx, slog.LevelWarn, "the issuers file lets an issuer speak for a partner that is not registered for it: no Partner node, or the node names another issuer; its tokens are refused",
					slog.String("issuer", issuer.URL), slog.String("partner", partner))
			}
		}
	}
}

// Authenticate returns the Caller behind an Authorization header value. An empty header is the
// anonymous Caller. Anything else must be "Bearer <JWT access token>" from a trusted issuer,
// meant for this API, currently valid, acting for a partner that issuer may speak for (by the
// issuers file, and by the partner's node when it names an issuer) and that is registered. The
// Caller's scopes are the token's within its issuer's grants. Otherwise the error is a
// *traffikgraph.Error with code UNAUTHENTICATED and a message that reveals nothing about why (the
// reason is logged, with issuer and subject, never the token). An error of any other kind means
// the partner registry failed, and is not the caller's fault.
func (a *Authenticator) Authenticate(ctx context.Context, authorizationHeader string) (Caller, error) {
	if authorizationHeader == "" {
		return Caller{}, nil
	}
	scheme, token, found := strings.Cut(authorizationHeader, " ")
	token = strings.TrimSpace(token)
	if !found || !strings.EqualFold(scheme, "Bearer") || token == "" || strings.ContainsAny(token, " \t") {
		a.logRefusal(ctx, "", "", "malformed Authorization header")
		return Caller{}, traffikgraph.Errorf(traffikgraph.Unauthenticated, `malformed Authorization header: expected "Bearer <access token>"`)
	}

	now := time.Now()
	if caller, ok := a.verified.lookup(token, a.stillValid(now)); ok {
		if err := a.checkRegistered(ctx, caller.PartnerID, caller.Issuer, caller.Subject); err != nil {
			return Caller{}, err
		}
		return caller, nil
	}

	header, claimedIssuer, err := peek(token)
	if err != nil {
		return Caller{}, a.refuse(ctx, "", "", err.Error())
	}
	if !slices.Contains(asymmetricAlgorithms, header.Alg) {
		return Caller{}, a.refuse(ctx, truncate(claimedIssuer), "", fmt.Sprintf("signature algorithm %q is not an accepted asymmetric algorithm", truncate(header.Alg)))
	}
	issuer, trusted := a.issuers[claimedIssuer]
	if !trusted {
		return Caller{}, a.refuse(ctx, truncate(claimedIssuer), "", "issuer is not trusted")
	}

	keysFetchedAt, verifiedAt := issuer.keys.fetched(), a.keysNow() // before: a fetch meanwhile only shortens the entry's use
	verified, err := issuer.verifier.Verify(ctx, token)
	if err != nil {
		return Caller{}, a.refuse(ctx, issuer.config.URL, "", verificationFailure(err))
	}
	if keysFetchedAt.IsZero() { // the first keys, fetched for this verification
		keysFetchedAt = issuer.keys.fetched()
	}
	var payload claims
	if err := verified.Claims(&payload); err != nil {
		return Caller{}, a.refuse(ctx, issuer.config.URL, "", fmt.Sprintf("claims are not a JSON object: %v", err))
	}
	subject := verified.Subject
	if reason := issuer.config.refusal(header, payload, now); reason != "" {
		return Caller{}, a.refuse(ctx, issuer.config.URL, truncate(subject), reason)
	}

	partnerID := issuer.config.Partner.Fixed
	if partnerID == "" {
		partnerID = payload.string(issuer.config.Partner.Claim)
		if partnerID == "" {
			return Caller{}, a.refuse(ctx, issuer.config.URL, truncate(subject), fmt.Sprintf("no partner in claim %q", issuer.config.Partner.Claim))
		}
	}
	if !issuer.config.speaksFor(partnerID) {
		return Caller{}, a.refuse(ctx, issuer.config.URL, truncate(subject), fmt.Sprintf("partner %q is not among the partners this issuer may speak for", truncate(partnerID)))
	}
	if err := a.checkRegistered(ctx, partnerID, issuer.config.URL, subject); err != nil {
		return Caller{}, err
	}

	scopes, beyond := issuer.config.ceiling(payload.scopes(issuer.config.Scopes))
	if len(beyond) > 0 {
		// Served within the ceiling; the attempt is worth a look (a misconfigured or compromised
		// identity provider), so it is logged, with who asked, never the token.
		a.logger.LogAttrs(ctx, slog.LevelWarn, "access token asks for scopes beyond its issuer's grants; they are not granted",
			slog.String("issuer", issuer.config.URL), slog.String("subject", truncate(subject)),
			slog.String("partner", partnerID), slog.String("scopes", scopeList(beyond)))
	}
	caller := Caller{
		Issuer:    issuer.config.URL,
		Subject:   subject,
		PartnerID: partnerID,
		Scopes:    scopes,
	}
	// go-oidc accepts the token while its Now, shifted back by the skew, is not after exp.
	a.verified.remember(token, verifiedToken{caller: caller, expires: verified.Expiry.Add(issuer.config.ClockSkew),
		verifiedAt: verifiedAt, keysFetchedAt: keysFetchedAt})
	return caller, nil
}

// stillValid tells whether a remembered verification still stands at now (verifiedTokens).
func (a *Authenticator) stillValid(now time.Time) func(verifiedToken) bool {
	return func(entry verifiedToken) bool {
		issuer, trusted := a.issuers[entry.caller.Issuer]
		return trusted && now.Before(entry.expires) && a.keysNow().Sub(entry.verifiedAt) < verifiedTokenTTL &&
			issuer.keys.fresh(entry.keysFetchedAt)
	}
}

// checkRegistered refuses a partner the registry does not know for the issuer; an error of
// another kind is the registry's failure.
func (a *Authenticator) checkRegistered(ctx context.Context, partnerID, issuer, subject string) error {
	registered, err := a.partners.PartnerRegistered(ctx, partnerID, issuer)
	if err != nil {
		return fmt.Errorf("auth: checking partner %q is registered: %w", partnerID, err)
	}
	if !registered {
		return a.refuse(ctx, issuer, truncate(subject), fmt.Sprintf("partner %q is not registered for this issuer", truncate(partnerID)))
	}
	return nil
}

// refusal checks what go-oidc leaves to us (it verifies signature, iss, aud and exp): that the
// token is an access token, has a subject, and is not used before its time. It returns why the
// token is refused, or "".
func (c IssuerConfig) refusal(header joseHeader, payload claims, now time.Time) string {
	switch {
	case c.RequireAccessTokenType && !isAccessTokenType(header.Typ):
		return fmt.Sprintf("typ header %q is not at+jwt, which this issuer requires", truncate(header.Typ))
	case !isAccessTokenType(header.Typ) && !isUntypedJWT(header.Typ):
		return fmt.Sprintf("typ header %q marks a token that is not an access token", truncate(header.Typ))
	}
	if marker := payload.idTokenMarker(); marker != "" {
		return fmt.Sprintf("an ID token (it carries %q), not an access token", marker)
	}
	if payload.string("sub") == "" {
		return "no subject"
	}
	latest := now.Add(c.ClockSkew)
	for _, name := range []string{"nbf", "iat"} {
		value, present := payload[name]
		if !present {
			continue
		}
		seconds, isNumber := value.(float64)
		if !isNumber {
			return fmt.Sprintf("%s is not a NumericDate", name)
		}
		if at := time.Unix(int64(seconds), 0); at.After(latest) {
			return fmt.Sprintf("%s %s is in the future beyond the %s clock skew", name, at.UTC().Format(time.RFC3339), c.ClockSkew)
		}
	}
	return ""
}

type joseHeader struct {
	Alg string `json:"alg"`
	Typ string `json:"typ"`
}

// peek reads a compact JWS's header and unverified issuer, only to pick the verifier: nothing
// read here is trusted until that verifier has checked the signature.
func peek(token string) (joseHeader, string, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return joseHeader{}, "", fmt.Errorf("not a compact JWS (%d parts)", len(parts))
	}
	var header joseHeader
	if err := decodeSegment(parts[0], &header); err != nil {
		return joseHeader{}, "", fmt.Errorf("unreadable header: %w", err)
	}
	var payload struct {
		Issuer string `json:"iss"`
	}
	if err := decodeSegment(parts[1], &payload); err != nil {
		return joseHeader{}, "", fmt.Errorf("unreadable payload: %w", err)
	}
	return header, payload.Issuer, nil
}

func decodeSegment(segment string, into any) error {
	raw, err := base64.RawURLEncoding.DecodeString(segment)
	if err != nil {
		return errors.New("not base64url")
	}
	if err := json.Unmarshal(raw, into); err != nil {
		return errors.New("not a JSON object")
	}
	return nil
}

func verificationFailure(err error) string {
	if expired, ok := errors.AsType[*oidc.TokenExpiredError](err); ok {
		return fmt.Sprintf("expired at %s", expired.Expiry.UTC().Format(time.RFC3339))
	}
	return err.Error()
}

// refuse logs why a token was refused and returns the error the client sees, which says nothing
// of why: telling a forger which check failed helps the forger.
func (a *Authenticator) refuse(ctx context.Context, issuer, subject, reason string) error {
	a.logRefusal(ctx, issuer, subject, reason)
	return traffikgraph.Errorf(traffikgraph.Unauthenticated, "invalid or expired token")
}

func (a *Authenticator) logRefusal(ctx context.Context, issuer, subject, reason string) {
	a.logger.LogAttrs(ctx, slog.LevelWarn, "access token refused",
		slog.String("issuer", issuer), slog.String("subject", subject), slog.String("reason", reason))
}

func truncate(s string) string {
	if len(s) <= maxLoggedLength {
		return s
	}
	return s[:maxLoggedLength] + "..."
}
