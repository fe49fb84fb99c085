package auth

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// DefaultClockSkew is the clock skew allowed when an issuer's configuration does not name one:
// enough for servers kept in time by NTP, small enough not to stretch a token's life.
const DefaultClockSkew = time.Minute

// MaxClockSkew bounds the configurable skew: beyond a few minutes "skew" is a broken clock.
const MaxClockSkew = 5 * time.Minute

// IssuerConfig is one trusted OIDC issuer: where it is, what its access tokens must say to be
// meant for this API, and where in them the scopes and the partner are found.
type IssuerConfig struct {
	// URL is the issuer identifier, exactly as the issuer writes it in `iss` and in its
	// discovery document (a trailing slash matters).
	URL string
	// Audience is the value this API's access tokens carry in `aud`.
	Audience string
	// Scopes says which claims carry scopes.
	Scopes ScopeSource
	// Partner says which partner a token acts for.
	Partner PartnerSource
	// RequireAccessTokenType refuses any token whose JOSE header `typ` is not `at+jwt`
	// (RFC 9068). Turn it on for every issuer that types its access tokens.
	RequireAccessTokenType bool
	// ClockSkew is how far in the future `nbf` and `iat`, and how far in the past `exp`, may be.
	ClockSkew time.Duration
	// Grants is the ceiling of what the issuer's tokens may grant: a scope beyond it is not
	// granted, whatever the token says. Required: an identity provider is trusted for the scopes
	// it is meant to hand out, not for every scope it can be made to write.
	Grants []Scope
	// Hub marks the hub's own issuer, the only one whose Grants may hold admin (partners, sharing
	// groups and, with audit:read, every partner's audit trail). At most one issuer is the hub's.
	Hub bool
	// Partners are the partners the issuer may speak for. With Partner.Fixed it is that partner
	// alone (left empty, it means so). With Partner.Claim it is required when more than one issuer
	// is trusted, so that every partner is bound to exactly one issuer; left empty with a single
	// issuer, that issuer speaks for every registered partner.
	Partners []string
	// Explorer is the partner explorer as this issuer's public client; a zero ClientID offers no
	// explorer sign-in through the issuer.
	Explorer ExplorerClient
}

// ExplorerClient is how the partner explorer (a browser app, a public client without a secret)
// signs its users in at an issuer: authorization code with PKCE S256, the endpoints from the
// issuer's discovery document.
type ExplorerClient struct {
	// ClientID is the explorer's client id registered at the issuer, with the explorer's
	// /signed-in page as its redirect URI.
	ClientID string
	// Scope is the scope parameter of the authorization request (DefaultExplorerScope when empty):
	// what the issuer needs to be asked for to put this API's scopes into the access token.
	Scope string
	// AuthorizeParams are further parameters of the authorization request that some issuers need,
	// such as Auth0's `audience`.
	AuthorizeParams map[string]string
}

// DefaultExplorerScope is the explorer's scope parameter when the issuers file names none.
const DefaultExplorerScope = "openid"

// reservedAuthorizeParams are set by the explorer itself; the issuers file may not override them.
var reservedAuthorizeParams = []string{"client_id", "redirect_uri", "response_type", "scope", "state", "nonce", "code_challenge", "code_challenge_method"}

// partners are the partners the issuer may speak for; none means any registered partner.
func (c IssuerConfig) partners() []string {
	if len(c.Partners) == 0 && c.Partner.Fixed != "" {
		return []string{c.Partner.Fixed}
	}
	return c.Partners
}

// speaksFor reports whether the issuer's tokens may act for the partner.
func (c IssuerConfig) speaksFor(partnerID string) bool {
	partners := c.partners()
	return len(partners) == 0 || slices.Contains(partners, partnerID)
}

// ceiling splits the scopes a token asks for into those the issuer may grant and those beyond.
func (c IssuerConfig) ceiling(asked []Scope) (granted, beyond []Scope) {
	for _, scope := range asked {
		if slices.Contains(c.Grants, scope) {
			granted = append(granted, scope)
		} else {
			beyond = append(beyond, scope)
		}
	}
	return granted, beyond
}

// ScopeSource says where an issuer puts scopes. A claim is named by its top-level name or, when
// no top-level claim has that name, by a dotted path into nested objects
// (`resource_access.traffikgraph-api.roles`). A top-level name may itself hold dots, as Auth0's
// namespaced claims (`https://traffikgraph.example/partner`) do.
type ScopeSource struct {
	// Claims hold scope names verbatim, as a space-separated string (`scope`, Entra's `scp`) or
	// an array of strings (Auth0's `permissions`).
	Claims []string
	// RoleClaims hold role names (a string or an array of strings, as Keycloak's
	// `realm_access.roles` or Entra's `roles`), turned into scopes through RoleScopes.
	RoleClaims []string
	// RoleScopes maps a role name to the scopes it grants. Roles not listed grant nothing.
	RoleScopes map[string][]Scope
}

// PartnerSource says which partner an issuer's tokens act for: exactly one of Claim or Fixed.
type PartnerSource struct {
	// Claim names the claim holding the partner id (for an issuer shared by several partners).
	Claim string
	// Fixed is the one partner every token of the issuer acts for (a partner's own IdP).
	Fixed string
}

// issuersFile is the YAML shape of the issuers configuration file; see auth/examples/.
type issuersFile struct {
	Issuers []issuerYAML `yaml:"issuers"`
}

type issuerYAML struct {
	URL                    string         `yaml:"url"`
	Audience               string         `yaml:"audience"`
	Scopes                 *scopesYAML    `yaml:"scopes"`
	Partner                partnerYAML    `yaml:"partner"`
	RequireAccessTokenType bool           `yaml:"requireAccessTokenType"`
	ClockSkew              *time.Duration `yaml:"clockSkew"`
	Grants                 []Scope        `yaml:"grants"`
	Hub                    bool           `yaml:"hub"`
	Partners               []string       `yaml:"partners"`
	Explorer               *explorerYAML  `yaml:"explorer"`
}

type explorerYAML struct {
	ClientID        string            `yaml:"clientId"`
	Scope           string            `yaml:"scope"`
	AuthorizeParams map[string]string `yaml:"authorizeParams"`
}

type scopesYAML struct {
	Claims     []string           `yaml:"claims"`
	RoleClaims []string           `yaml:"roleClaims"`
	RoleScopes map[string][]Scope `yaml:"roleScopes"`
}

type partnerYAML struct {
	Claim string `yaml:"claim"`
	Fixed string `yaml:"fixed"`
}

// LoadIssuers reads and validates the trusted issuers from a YAML file (see auth/examples/).
// A missing `scopes` section means the standard `scope` claim; a missing `clockSkew` means
// DefaultClockSkew; a missing `partners` with `partner.fixed` means that partner. Unknown keys
// are errors, so a misspelt setting is never silently ignored, and so is an ambiguous trust
// (see ValidateIssuers): the service does not start on a configuration it would have to guess.
func LoadIssuers(path string) ([]IssuerConfig, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading issuers file: %w", err)
	}
	decoder := yaml.NewDecoder(bytes.NewReader(raw))
	decoder.KnownFields(true)
	var file issuersFile
	if err := decoder.Decode(&file); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("issuers file %s: %w", path, err)
	}
	if len(file.Issuers) == 0 {
		return nil, fmt.Errorf("issuers file %s: lists no issuers (expected a top-level `issuers:` list)", path)
	}
	issuers := make([]IssuerConfig, 0, len(file.Issuers))
	// An `explorer:` section without a clientId is a mistake, not a way of turning sign-in off.
	var explorerWithoutClient []int
	for _, in := range file.Issuers {
		issuer := IssuerConfig{
			URL:                    in.URL,
			Audience:               in.Audience,
			Scopes:                 ScopeSource{Claims: []string{"scope"}},
			Partner:                PartnerSource(in.Partner),
			RequireAccessTokenType: in.RequireAccessTokenType,
			ClockSkew:              DefaultClockSkew,
			Grants:                 in.Grants,
			Hub:                    in.Hub,
			Partners:               in.Partners,
		}
		if len(issuer.Partners) == 0 && issuer.Partner.Fixed != "" {
			issuer.Partners = []string{issuer.Partner.Fixed}
		}
		if in.Scopes != nil {
			issuer.Scopes = ScopeSource(*in.Scopes)
		}
		if in.ClockSkew != nil {
			issuer.ClockSkew = *in.ClockSkew
		}
		if in.Explorer != nil {
			issuer.Explorer = ExplorerClient(*in.Explorer)
			if in.Explorer.ClientID == "" {
				explorerWithoutClient = append(explorerWithoutClient, len(issuers))
			}
			if issuer.Explorer.Scope == "" {
				issuer.Explorer.Scope = DefaultExplorerScope
			}
		}
		issuers = append(issuers, issuer)
	}
	err = ValidateIssuers(issuers)
	for _, i := range explorerWithoutClient {
		err = errors.Join(err, fmt.Errorf("%s: explorer.clientId is required (the explorer's public client id at this issuer)", issuerName(issuers, i)))
	}
	if err != nil {
		return nil, fmt.Errorf("issuers file %s: %w", path, err)
	}
	return issuers, nil
}

// ValidateIssuers checks every issuer, and that together they say unambiguously who speaks for
// whom: at most one hub issuer; when more than one issuer is trusted, each lists the partners it
// speaks for, and no partner is listed by two. It reports all problems at once, each prefixed by
// the issuer's position and URL (and naming the other issuer, for a conflict).
func ValidateIssuers(issuers []IssuerConfig) error {
	var problems []error
	seen := make(map[string]int)
	hub := -1
	spokenFor := make(map[string]int)
	for i, issuer := range issuers {
		prefix := issuerName(issuers, i)
		if first, dup := seen[issuer.URL]; dup && issuer.URL != "" {
			problems = append(problems, fmt.Errorf("%s: same url as issuers[%d]; tokens are routed by `iss`, so each issuer may appear once", prefix, first))
		}
		seen[issuer.URL] = i
		for _, problem := range issuer.problems() {
			problems = append(problems, fmt.Errorf("%s: %s", prefix, problem))
		}
		if issuer.Hub {
			if hub >= 0 {
				problems = append(problems, fmt.Errorf("%s: hub: true here and at %s; at most one issuer is the hub's own", prefix, issuerName(issuers, hub)))
			} else {
				hub = i
			}
		}
		partners := issuer.partners()
		if len(partners) == 0 && len(issuers) > 1 {
			other := issuerName(issuers, (i+1)%len(issuers))
			problems = append(problems, fmt.Errorf("%s: partners is required when more than one issuer is trusted (%s is too), so that each partner is bound to one issuer", prefix, other))
		}
		for _, partner := range partners {
			if first, taken := spokenFor[partner]; taken && first != i {
				problems = append(problems, fmt.Errorf("%s: partner %q is also listed by %s; each partner may be spoken for by one issuer", prefix, partner, issuerName(issuers, first)))
				continue
			}
			spokenFor[partner] = i
		}
	}
	return errors.Join(problems...)
}

func issuerName(issuers []IssuerConfig, i int) string {
	return fmt.Sprintf("issuers[%d] (%s)", i, issuers[i].URL)
}

func (c IssuerConfig) problems() []string {
	var problems []string
	if problem := checkIssuerURL(c.URL); problem != "" {
		problems = append(problems, problem)
	}
	if strings.TrimSpace(c.Audience) == "" {
		problems = append(problems, "audience is required (the `aud` value of this API's access tokens)")
	}
	if c.ClockSkew < 0 || c.ClockSkew > MaxClockSkew {
		problems = append(problems, fmt.Sprintf("clockSkew %s is outside 0s..%s", c.ClockSkew, MaxClockSkew))
	}
	problems = append(problems, c.Scopes.problems()...)
	problems = append(problems, c.grantProblems()...)
	switch {
	case c.Partner.Claim == "" && c.Partner.Fixed == "":
		problems = append(problems, "partner needs either `claim` (the claim naming the partner) or `fixed` (one partner for the whole issuer)")
	case c.Partner.Claim != "" && c.Partner.Fixed != "":
		problems = append(problems, "partner takes either `claim` or `fixed`, not both")
	}
	problems = append(problems, c.partnersProblems()...)
	problems = append(problems, c.Explorer.problems()...)
	return problems
}

func (e ExplorerClient) problems() []string {
	var problems []string
	if e.ClientID != "" && strings.TrimSpace(e.ClientID) != e.ClientID {
		problems = append(problems, "explorer.clientId has leading or trailing spaces")
	}
	for _, name := range slices.Sorted(maps.Keys(e.AuthorizeParams)) {
		if slices.Contains(reservedAuthorizeParams, name) {
			problems = append(problems, fmt.Sprintf("explorer.authorizeParams may not set %s (the explorer sets it)", name))
		}
	}
	return problems
}

func (c IssuerConfig) grantProblems() []string {
	if len(c.Grants) == 0 {
		return []string{fmt.Sprintf("grants is required: the scopes this issuer may grant (known: %s)", scopeList(AllScopes))}
	}
	var problems []string
	for _, scope := range c.Grants {
		if !slices.Contains(AllScopes, scope) {
			problems = append(problems, fmt.Sprintf("grants: unknown scope %q (known: %s)", scope, scopeList(AllScopes)))
		}
	}
	if slices.Contains(c.Grants, ScopeAdmin) && !c.Hub {
		problems = append(problems, "grants lists admin, which only the hub's own issuer (hub: true) may grant")
	}
	roles := slices.Sorted(maps.Keys(c.Scopes.RoleScopes))
	for _, role := range roles {
		for _, scope := range c.Scopes.RoleScopes[role] {
			if slices.Contains(AllScopes, scope) && !slices.Contains(c.Grants, scope) {
				problems = append(problems, fmt.Sprintf("scopes.roleScopes[%s]: %q is not in grants, so the role could never grant it", role, scope))
			}
		}
	}
	return problems
}

func (c IssuerConfig) partnersProblems() []string {
	var problems []string
	if c.Partner.Fixed != "" && len(c.Partners) > 0 && !slices.Equal(c.Partners, []string{c.Partner.Fixed}) {
		problems = append(problems, fmt.Sprintf("partners must be [%s], the fixed partner, or be left out", c.Partner.Fixed))
	}
	listed := make(map[string]bool)
	for _, partner := range c.Partners {
		switch {
		case strings.TrimSpace(partner) == "":
			problems = append(problems, "partners lists an empty partner id")
		case listed[partner]:
			problems = append(problems, fmt.Sprintf("partners lists %q twice", partner))
		}
		listed[partner] = true
	}
	return problems
}

// checkIssuerURL accepts https URLs, and plain http only on loopback, where the development
// issuer and tests live: a remote issuer over http would let anyone on the path swap its keys.
func checkIssuerURL(raw string) string {
	if raw == "" {
		return "url is required"
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Sprintf("url is not a URL: %v", err)
	}
	if u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return "url must be an absolute URL without query or fragment"
	}
	switch u.Scheme {
	case "https":
		return ""
	case "http":
		if isLoopbackHost(u.Hostname()) {
			return ""
		}
		return "url must use https (plain http is allowed only on loopback)"
	default:
		return fmt.Sprintf("url scheme %q is not https", u.Scheme)
	}
}

func (s ScopeSource) problems() []string {
	var problems []string
	if len(s.Claims) == 0 && len(s.RoleClaims) == 0 {
		problems = append(problems, "scopes needs `claims` or `roleClaims`, or no `scopes` section at all for the standard `scope` claim")
	}
	if slices.Contains(s.Claims, "") || slices.Contains(s.RoleClaims, "") {
		problems = append(problems, "scopes lists an empty claim name")
	}
	if len(s.RoleClaims) > 0 && len(s.RoleScopes) == 0 {
		problems = append(problems, "scopes.roleClaims needs scopes.roleScopes (which role grants which scopes)")
	}
	if len(s.RoleScopes) > 0 && len(s.RoleClaims) == 0 {
		problems = append(problems, "scopes.roleScopes needs scopes.roleClaims (where the roles are)")
	}
	for _, role := range slices.Sorted(maps.Keys(s.RoleScopes)) {
		for _, scope := range s.RoleScopes[role] {
			if !slices.Contains(AllScopes, scope) {
				problems = append(problems, fmt.Sprintf("scopes.roleScopes[%s]: unknown scope %q (known: %s)", role, scope, scopeList(AllScopes)))
			}
		}
	}
	return problems
}

func scopeList(scopes []Scope) string {
	names := make([]string, len(scopes))
	for i, s := range scopes {
		names[i] = string(s)
	}
	return strings.Join(names, " ")
}

func isLoopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
