package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/google/uuid"
)

// DevTokenLifetime is how long a development access token is valid.
const DevTokenLifetime = time.Hour

// devPartnerClaim names the claim in which the development issuer puts the partner id.
const devPartnerClaim = "partner"

// Persona is a development identity: the client the development issuer issues tokens to.
type Persona struct {
	// Name is the persona's client_id, and the subject of its tokens.
	Name      string
	PartnerID string
	Scopes    []Scope
}

// DemoPersonas are the personas of the demo data: each acts for one of the seed's fixed partners.
func DemoPersonas() []Persona {
	return []Persona{
		{Name: "analyst", PartnerID: "stt", Scopes: []Scope{ScopeGraphRead, ScopeGraphReadPII, ScopeGraphWrite, ScopeReportsTriage, ScopeSupplyChainRead}},
		{Name: "police", PartnerID: "police-northshire", Scopes: []Scope{ScopeGraphRead, ScopeGraphReadPII, ScopeGraphWrite}},
		{Name: "bank", PartnerID: "bank-meridian", Scopes: []Scope{ScopeGraphRead, ScopeSupplyChainRead}},
		{Name: "business", PartnerID: "biz-harbour-hotels", Scopes: []Scope{ScopeSupplyChainRead}},
		{Name: "shelter", PartnerID: "ngo-safehaven", Scopes: []Scope{ScopeGraphRead, ScopeGraphWrite, ScopeReportsSubmit}},
		{Name: "admin", PartnerID: "stt", Scopes: []Scope{ScopeAdmin, ScopeAuditRead, ScopeGraphRead}},
	}
}

// DevIssuer is an in-process OIDC issuer for development and tests. It listens on loopback only
// and hands a token to anyone who names a persona, without a secret: whoever can reach it can
// already run code on this machine. Its signing key is made fresh at every start, so its tokens
// die with it. Its tokens are verified by the Authenticator exactly as a real issuer's are: add
// IssuerConfig() to the trusted issuers.
//
// Endpoints:
//
//	GET  /.well-known/openid-configuration   discovery
//	GET  /jwks                               the public key
//	POST /token                              OAuth 2.0 client_credentials: client_id is the persona
//	                                         (form field or HTTP Basic user; any secret is ignored);
//	                                         an optional `scope` narrows the persona's scopes
//	POST /token                              authorization_code with PKCE, the explorer's grant
//	GET  /token/{persona}                    the same token response, for curl and GraphiQL users
//	GET  /authorize                          with WithExplorer: the persona chooser of the
//	POST /authorize                          explorer's authorization code flow (PKCE S256)
type DevIssuer struct {
	url      string
	audience string
	personas map[string]Persona
	// signer signs access tokens (typed at+jwt), idSigner ID tokens (typed JWT), with one key.
	signer   jose.Signer
	idSigner jose.Signer
	jwks     jose.JSONWebKeySet
	explorer devExplorer
	server   *http.Server
	// serveErr is what server.Serve returned, readable once served is closed.
	serveErr error
	served   chan struct{}
}

var validPersonaName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)

// StartDevIssuer starts the development issuer on addr, which must be a loopback address
// ("127.0.0.1:0" picks a free port), issuing tokens for audience to the personas.
func StartDevIssuer(ctx context.Context, addr, audience string, personas []Persona, options ...DevIssuerOption) (*DevIssuer, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("dev issuer: address %q: %w", addr, err)
	}
	if !isLoopbackHost(host) {
		return nil, fmt.Errorf("dev issuer: address %q is not loopback; the development issuer signs tokens for anyone who asks and must never be reachable from another machine", addr)
	}
	if strings.TrimSpace(audience) == "" {
		return nil, errors.New("dev issuer: audience is required")
	}
	byName, err := indexPersonas(personas)
	if err != nil {
		return nil, fmt.Errorf("dev issuer: %w", err)
	}

	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("dev issuer: generating signing key: %w", err)
	}
	keyID := uuid.NewString()
	signingKey := jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: key, KeyID: keyID}}
	signer, err := jose.NewSigner(signingKey, (&jose.SignerOptions{}).WithType("at+jwt"))
	if err != nil {
		return nil, fmt.Errorf("dev issuer: creating signer: %w", err)
	}
	idSigner, err := jose.NewSigner(signingKey, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return nil, fmt.Errorf("dev issuer: creating signer: %w", err)
	}

	listener, err := (&net.ListenConfig{}).Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("dev issuer: listening on %s: %w", addr, err)
	}
	// "localhost" is a name: make sure it did resolve to loopback.
	if bound, ok := listener.Addr().(*net.TCPAddr); !ok || !bound.IP.IsLoopback() {
		return nil, errors.Join(
			fmt.Errorf("dev issuer: %s resolved to %s, which is not loopback", addr, listener.Addr()),
			listener.Close())
	}
	d := &DevIssuer{
		url:      "http://" + listener.Addr().String(),
		audience: audience,
		personas: byName,
		signer:   signer,
		idSigner: idSigner,
		jwks: jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
			{Key: &key.PublicKey, KeyID: keyID, Algorithm: string(jose.ES256), Use: "sig"},
		}},
	}
	for _, option := range options {
		option(d)
	}
	if err := d.checkRedirectURIs(); err != nil {
		return nil, errors.Join(err, listener.Close())
	}
	d.server = &http.Server{Handler: d.routes(), ReadHeaderTimeout: 5 * time.Second}
	d.served = make(chan struct{})
	go func() {
		defer close(d.served)
		d.serveErr = d.server.Serve(listener)
	}()
	return d, nil
}

func indexPersonas(personas []Persona) (map[string]Persona, error) {
	if len(personas) == 0 {
		return nil, errors.New("at least one persona is required")
	}
	byName := make(map[string]Persona, len(personas))
	for _, p := range personas {
		switch {
		case !validPersonaName.MatchString(p.Name):
			return nil, fmt.Errorf("persona name %q must be lowercase letters, digits, '-' or '_'", p.Name)
		case p.PartnerID == "":
			return nil, fmt.Errorf("persona %q has no partner", p.Name)
		}
		if _, dup := byName[p.Name]; dup {
			return nil, fmt.Errorf("persona %q is listed twice", p.Name)
		}
		for _, s := range p.Scopes {
			if !slices.Contains(AllScopes, s) {
				return nil, fmt.Errorf("persona %q has unknown scope %q", p.Name, s)
			}
		}
		byName[p.Name] = p
	}
	return byName, nil
}

// URL is the issuer identifier, such as http://127.0.0.1:41234.
func (d *DevIssuer) URL() string { return d.url }

// IssuerConfig is the trusted-issuer entry for this issuer's tokens: the hub's own issuer of
// the embedded default, which may grant every scope, speaking for the personas' partners.
func (d *DevIssuer) IssuerConfig() IssuerConfig {
	var partners []string
	for _, persona := range d.personas {
		if !slices.Contains(partners, persona.PartnerID) {
			partners = append(partners, persona.PartnerID)
		}
	}
	slices.Sort(partners)
	var explorer ExplorerClient
	if len(d.explorer.redirectURIs) > 0 {
		explorer = ExplorerClient{ClientID: DevExplorerClientID, Scope: DefaultExplorerScope}
	}
	return IssuerConfig{
		URL:                    d.url,
		Audience:               d.audience,
		Scopes:                 ScopeSource{Claims: []string{"scope"}},
		Partner:                PartnerSource{Claim: devPartnerClaim},
		RequireAccessTokenType: true,
		ClockSkew:              DefaultClockSkew,
		Grants:                 slices.Clone(AllScopes),
		Hub:                    true,
		Partners:               partners,
		Explorer:               explorer,
	}
}

// Close stops the issuer, waiting for requests in flight until ctx ends. It also reports a
// failure of the server while it ran.
func (d *DevIssuer) Close(ctx context.Context) error {
	if err := d.server.Shutdown(ctx); err != nil {
		return fmt.Errorf("dev issuer: shutting down: %w", err)
	}
	<-d.served
	if !errors.Is(d.serveErr, http.ErrServerClosed) {
		return fmt.Errorf("dev issuer: serving: %w", d.serveErr)
	}
	return nil
}

// Token issues an access token for the named persona with all its scopes, for in-process use
// (tests, a CLI printing a token) without an HTTP round trip.
func (d *DevIssuer) Token(personaName string) (string, error) {
	persona, ok := d.personas[personaName]
	if !ok {
		return "", fmt.Errorf("dev issuer: no persona %q", personaName)
	}
	return d.sign(persona, persona.Scopes)
}

func (d *DevIssuer) sign(persona Persona, scopes []Scope) (string, error) {
	return d.signAccess(persona, scopes, persona.Name)
}

// signAccess signs an access token of the persona for the client (the persona itself for
// client_credentials, the explorer for the authorization code flow).
func (d *DevIssuer) signAccess(persona Persona, scopes []Scope, clientID string) (string, error) {
	now := time.Now()
	payload, err := json.Marshal(map[string]any{
		"iss":           d.url,
		"sub":           persona.Name,
		"aud":           d.audience,
		"exp":           now.Add(DevTokenLifetime).Unix(),
		"iat":           now.Unix(),
		"nbf":           now.Unix(),
		"jti":           uuid.NewString(),
		"client_id":     clientID,
		"scope":         scopeList(scopes),
		devPartnerClaim: persona.PartnerID,
	})
	if err != nil {
		return "", fmt.Errorf("dev issuer: encoding claims: %w", err)
	}
	return d.signWith(d.signer, payload)
}

func (d *DevIssuer) signWith(signer jose.Signer, payload []byte) (string, error) {
	signed, err := signer.Sign(payload)
	if err != nil {
		return "", fmt.Errorf("dev issuer: signing: %w", err)
	}
	token, err := signed.CompactSerialize()
	if err != nil {
		return "", fmt.Errorf("dev issuer: serializing: %w", err)
	}
	return token, nil
}

func (d *DevIssuer) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", d.serveDiscovery)
	mux.HandleFunc("GET /jwks", d.serveJWKS)
	mux.HandleFunc("POST /token", d.serveToken)
	mux.HandleFunc("GET /token/{persona}", d.servePersonaToken)
	mux.HandleFunc("GET /authorize", d.serveAuthorize)
	mux.HandleFunc("POST /authorize", d.serveAuthorizeChoice)
	mux.HandleFunc("OPTIONS /", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	return d.withCORS(mux)
}

// checkRedirectURIs accepts the explorer's redirect URIs only on loopback, like the issuer.
func (d *DevIssuer) checkRedirectURIs() error {
	for _, redirect := range d.explorer.redirectURIs {
		u, err := url.Parse(redirect)
		if err != nil || u.Scheme != "http" || !isLoopbackHost(u.Hostname()) || u.RawQuery != "" || u.Fragment != "" {
			return fmt.Errorf("dev issuer: explorer redirect URI %q must be an http URL on loopback without query or fragment", redirect)
		}
	}
	return nil
}

func (d *DevIssuer) serveDiscovery(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                         d.url,
		"jwks_uri":                                       d.url + "/jwks",
		"token_endpoint":                                 d.url + "/token",
		"authorization_endpoint":                         d.url + "/authorize",
		"code_challenge_methods_supported":               []string{"S256"},
		"grant_types_supported":                          []string{"client_credentials", "authorization_code"},
		"token_endpoint_auth_methods_supported":          []string{"none", "client_secret_basic", "client_secret_post"},
		"scopes_supported":                               append([]Scope{"openid"}, AllScopes...),
		"response_types_supported":                       []string{"code"},
		"authorization_response_iss_parameter_supported": true,
		"subject_types_supported":                        []string{"public"},
		"id_token_signing_alg_values_supported":          []string{string(jose.ES256)},
	})
}

func (d *DevIssuer) serveJWKS(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, d.jwks)
}

// serveToken is the token endpoint, errors as in RFC 6749 section 5.2.
func (d *DevIssuer) serveToken(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "the body is not a form")
		return
	}
	switch r.PostForm.Get("grant_type") {
	case "client_credentials":
		d.serveClientCredentials(w, r)
	case "authorization_code":
		d.serveAuthorizationCode(w, r)
	default:
		writeOAuthError(w, http.StatusBadRequest, "unsupported_grant_type", "only client_credentials and authorization_code are supported")
	}
}

// serveClientCredentials is the RFC 6749 section 4.4 grant: client_id names the persona.
func (d *DevIssuer) serveClientCredentials(w http.ResponseWriter, r *http.Request) {
	clientID := r.PostForm.Get("client_id")
	if user, _, ok := r.BasicAuth(); ok {
		clientID = user
	}
	persona, ok := d.personas[clientID]
	if !ok {
		writeOAuthError(w, http.StatusUnauthorized, "invalid_client", fmt.Sprintf("client_id must name a persona: %s", d.personaNames()))
		return
	}
	scopes := persona.Scopes
	if requested := r.PostForm.Get("scope"); requested != "" {
		scopes = nil
		for word := range strings.FieldsSeq(requested) {
			if !slices.Contains(persona.Scopes, Scope(word)) {
				writeOAuthError(w, http.StatusBadRequest, "invalid_scope", fmt.Sprintf("persona %s does not hold scope %q", persona.Name, word))
				return
			}
			scopes = append(scopes, Scope(word))
		}
	}
	d.writeToken(w, persona, scopes)
}

func (d *DevIssuer) servePersonaToken(w http.ResponseWriter, r *http.Request) {
	persona, ok := d.personas[r.PathValue("persona")]
	if !ok {
		writeOAuthError(w, http.StatusNotFound, "invalid_client", fmt.Sprintf("no such persona; try one of: %s", d.personaNames()))
		return
	}
	d.writeToken(w, persona, persona.Scopes)
}

func (d *DevIssuer) writeToken(w http.ResponseWriter, persona Persona, scopes []Scope) {
	token, err := d.sign(persona, scopes)
	if err != nil {
		writeOAuthError(w, http.StatusInternalServerError, "server_error", "could not sign the token")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": token,
		"token_type":   "Bearer",
		"expires_in":   int(DevTokenLifetime.Seconds()),
		"scope":        scopeList(scopes),
	})
}

func (d *DevIssuer) personaNames() string {
	return strings.Join(d.sortedPersonaNames(), ", ")
}

func (d *DevIssuer) sortedPersonaNames() []string {
	names := make([]string, 0, len(d.personas))
	for name := range d.personas {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

func writeOAuthError(w http.ResponseWriter, status int, code, description string) {
	writeJSON(w, status, map[string]string{"error": code, "error_description": description})
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	// Token responses must not be cached (RFC 6749 section 5.1); nothing here needs caching.
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	// A write error means the client went away; there is no one left to tell.
	_ = json.NewEncoder(w).Encode(body)
}
