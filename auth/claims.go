package auth

import (
	"slices"
	"strings"
)

// claims is a verified token's payload, decoded as JSON objects are.
type claims map[string]any

// lookup finds a claim by its top-level name, or else by a dotted path into nested objects.
// The top-level name wins so that namespaced claims such as "https://example.org/partner" work.
func (c claims) lookup(name string) (any, bool) {
	if value, ok := c[name]; ok {
		return value, true
	}
	var current any = map[string]any(c)
	for part := range strings.SplitSeq(name, ".") {
		object, ok := current.(map[string]any)
		if !ok {
			return nil, false
		}
		if current, ok = object[part]; !ok {
			return nil, false
		}
	}
	return current, true
}

// strings reads a claim holding words: a space-separated string or an array of strings.
// Anything else (numbers, objects) holds no words.
func (c claims) strings(name string) []string {
	value, _ := c.lookup(name)
	switch v := value.(type) {
	case string:
		return strings.Fields(v)
	case []any:
		words := make([]string, 0, len(v))
		for _, item := range v {
			if word, ok := item.(string); ok {
				words = append(words, word)
			}
		}
		return words
	default:
		return nil
	}
}

// string reads a claim holding one string.
func (c claims) string(name string) string {
	value, _ := c.lookup(name)
	s, _ := value.(string)
	return s
}

// scopes collects the scopes the token grants through source, keeping only those the service
// knows, in AllScopes order and without duplicates.
func (c claims) scopes(source ScopeSource) []Scope {
	granted := make(map[Scope]bool)
	for _, name := range source.Claims {
		for _, word := range c.strings(name) {
			granted[Scope(word)] = true
		}
	}
	for _, name := range source.RoleClaims {
		for _, role := range c.strings(name) {
			for _, scope := range source.RoleScopes[role] {
				granted[scope] = true
			}
		}
	}
	var scopes []Scope
	for _, scope := range AllScopes {
		if granted[scope] {
			scopes = append(scopes, scope)
		}
	}
	return scopes
}

// idTokenMarker names the claim that shows the token is an OpenID Connect ID token, or "".
// An ID token tells a client who logged in; it is not a grant to call an API, and accepting one
// would let any client that receives ID tokens for our audience call the API with them.
// `nonce`, `at_hash` and `c_hash` belong to ID tokens only (OIDC Core 2 and 3.3.2.11; RFC 9068
// access tokens carry none of them; Keycloak stopped putting `nonce` in access tokens in 26),
// and Keycloak marks its ID tokens with the claim `typ: ID` (its access tokens say `Bearer`).
func (c claims) idTokenMarker() string {
	for _, name := range []string{"nonce", "at_hash", "c_hash"} {
		if _, ok := c[name]; ok {
			return name
		}
	}
	if typ, _ := c["typ"].(string); strings.EqualFold(typ, "ID") {
		return "typ"
	}
	return ""
}

// isAccessTokenType reports whether a JOSE `typ` header names an RFC 9068 JWT access token;
// media types are compared case-insensitively and may carry the "application/" prefix.
func isAccessTokenType(typ string) bool {
	return strings.TrimPrefix(strings.ToLower(typ), "application/") == "at+jwt"
}

// isUntypedJWT reports whether a `typ` header says only "this is a JWT" (or nothing), which is
// how most issuers still label access tokens. Any other explicit type (logout+jwt,
// secevent+jwt, ...) marks a token meant for something else.
func isUntypedJWT(typ string) bool {
	return typ == "" || slices.Contains([]string{"jwt", "application/jwt"}, strings.ToLower(typ))
}
