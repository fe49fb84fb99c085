package auth

import (
	"bytes"
	"errors"
	"fmt"
	"io"
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
// DefaultClockSkew. Unknown keys are errors, so a misspelt setting is never silently ignored.
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
	for _, in := range file.Issuers {
		issuer := IssuerConfig{
			URL:                    in.URL,
			Audience:               in.Audience,
			Scopes:                 ScopeSource{Claims: []string{"scope"}},
			Partner:                PartnerSource(in.Partner),
			RequireAccessTokenType: in.RequireAccessTokenType,
			ClockSkew:              DefaultClockSkew,
		}
		if in.Scopes != nil {
			issuer.Scopes = ScopeSource(*in.Scopes)
		}
		if in.ClockSkew != nil {
			issuer.ClockSkew = *in.ClockSkew
		}
		issuers = append(issuers, issuer)
	}
	if err := ValidateIssuers(issuers); err != nil {
		return nil, fmt.Errorf("issuers file %s: %w", path, err)
	}
	return issuers, nil
}

// ValidateIssuers checks every issuer and reports all problems at once, each prefixed by the
// issuer's position and URL.
func ValidateIssuers(issuers []IssuerConfig) error {
	var problems []error
	seen := make(map[string]int)
	for i, issuer := range issuers {
		prefix := fmt.Sprintf("issuers[%d] (%s)", i, issuer.URL)
		if first, dup := seen[issuer.URL]; dup && issuer.URL != "" {
			problems = append(problems, fmt.Errorf("%s: same url as issuers[%d]; tokens are routed by `iss`, so each issuer may appear once", prefix, first))
		}
		seen[issuer.URL] = i
		for _, problem := range issuer.problems() {
			problems = append(problems, fmt.Errorf("%s: %s", prefix, problem))
		}
	}
	return errors.Join(problems...)
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
	switch {
	case c.Partner.Claim == "" && c.Partner.Fixed == "":
		problems = append(problems, "partner needs either `claim` (the claim naming the partner) or `fixed` (one partner for the whole issuer)")
	case c.Partner.Claim != "" && c.Partner.Fixed != "":
		problems = append(problems, "partner takes either `claim` or `fixed`, not both")
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
	roles := make([]string, 0, len(s.RoleScopes))
	for role := range s.RoleScopes {
		roles = append(roles, role)
	}
	slices.Sort(roles)
	for _, role := range roles {
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
