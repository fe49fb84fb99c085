package main

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDevelopmentIssuerOnlyOnLoopback: the issuer that mints any persona's token never runs
// against a Neo4j elsewhere.
func TestDevelopmentIssuerOnlyOnLoopback(t *testing.T) {
	for uri, want := range map[string]bool{
		"bolt://127.0.0.1:7687":           true,
		"neo4j://localhost:7687":          true,
		"bolt://[::1]:7687":               true,
		"neo4j+s://db.example.org:7687":   false,
		"bolt://10.0.0.5:7687":            false,
		"neo4j://127.0.0.1.example.org:1": false,
		"::not a uri":                     false,
	} {
		assert.Equal(t, want, onLoopback(uri), uri)
	}
}

// TestServeRefusesAnAmbiguousIssuersFile: serve stops before it opens Neo4j or a port when the
// issuers file leaves open which issuer speaks for a partner or grants the hub's powers.
func TestServeRefusesAnAmbiguousIssuersFile(t *testing.T) {
	const hub = `
  - url: https://sso.hub.example
    audience: api
    hub: true
    grants: [graph:read, admin]
    partner: {claim: partner}
    partners: [stt]`
	for name, tc := range map[string]struct{ issuers, message string }{
		"two hub issuers": {hub + `
  - url: https://idp.police.example
    audience: api
    hub: true
    grants: [graph:read]
    partner: {fixed: police-northshire}`, "hub: true here and at issuers[0] (https://sso.hub.example)"},
		"a partner listed by two issuers": {hub + `
  - url: https://idp.stt.example
    audience: api
    grants: [graph:read]
    partner: {fixed: stt}`, `issuers[1] (https://idp.stt.example): partner "stt" is also listed by issuers[0] (https://sso.hub.example)`},
		"an issuer without partners next to another": {hub + `
  - url: https://idp.shared.example
    audience: api
    grants: [graph:read]
    partner: {claim: partner}`, "issuers[1] (https://idp.shared.example): partners is required when more than one issuer is trusted (issuers[0] (https://sso.hub.example) is too)"},
		"admin from a partner's own issuer": {`
  - url: https://idp.police.example
    audience: api
    grants: [graph:read, admin]
    partner: {fixed: police-northshire}`, "grants lists admin, which only the hub's own issuer (hub: true) may grant"},
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "issuers.yaml")
			require.NoError(t, os.WriteFile(path, []byte("issuers:"+tc.issuers+"\n"), 0o600))
			// A Neo4j that cannot be reached: serve must refuse before it tries.
			env := map[string]string{"NEO4J_URI": "bolt://127.0.0.1:1"}

			err := serve(t.Context(), []string{"--issuers", path, "--addr", "127.0.0.1:0"},
				func(key string) string { return env[key] }, io.Discard, io.Discard, slog.New(slog.DiscardHandler))

			require.ErrorContains(t, err, tc.message)
			assert.ErrorContains(t, err, path)
		})
	}
}

// TestExplorerRedirectURIs: the development issuer redirects only to the explorer's own
// /signed-in pages, and only on loopback.
func TestExplorerRedirectURIs(t *testing.T) {
	for addr, want := range map[string][]string{
		"127.0.0.1:8080": {"http://127.0.0.1:8080/signed-in", "http://localhost:8080/signed-in"},
		"localhost:8080": {"http://127.0.0.1:8080/signed-in", "http://localhost:8080/signed-in"},
		":8080":          {"http://127.0.0.1:8080/signed-in", "http://localhost:8080/signed-in"},
		"[::1]:8080":     {"http://[::1]:8080/signed-in", "http://localhost:8080/signed-in"},
		"10.0.0.5:8080":  nil,
		"no port":        nil,
	} {
		assert.Equal(t, want, explorerRedirectURIs(addr), addr)
	}
}
