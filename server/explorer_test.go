package server_test

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/traffikgraph/traffikgraph/auth"
	"github.com/traffikgraph/traffikgraph/server"
)

var explorerIssuers = []auth.IssuerConfig{
	{URL: "https://sso.stt.example/realms/partners", Partner: auth.PartnerSource{Claim: "partner"},
		Explorer: auth.ExplorerClient{ClientID: "traffikgraph-explorer", Scope: "openid"}},
	{URL: "https://login.police.example/v2.0", Partner: auth.PartnerSource{Fixed: "police-northshire"},
		Explorer: auth.ExplorerClient{ClientID: "0b7e", Scope: "openid api://tg/Graph.Read", AuthorizeParams: map[string]string{"audience": "api"}}},
	{URL: "https://idp.bank.example", Partner: auth.PartnerSource{Fixed: "bank-meridian"}},
}

func TestExplorer(t *testing.T) {
	h := startServer(t, withConfig(func(cfg *server.Config) { cfg.ExplorerIssuers = explorerIssuers }))

	// Each view's URL can be shared, so each serves the page.
	for _, path := range []string{"/", "/signed-in", "/search", "/entity/abc", "/network/abc", "/supply-chain", "/supply-chain/abc", "/hotspots", "/audit"} {
		t.Run("PageAt"+path, func(t *testing.T) {
			res := h.do(t, http.MethodGet, path+"?q=x", nil, "")
			require.Equal(t, http.StatusOK, res.status)
			assert.Contains(t, res.header.Get("Content-Type"), "text/html")
			assert.Contains(t, string(res.body), `<script type="module" src="/explorer/assets/explorer.js?v=`)
		})
	}

	t.Run("PolicyAllowsNoInlineScriptOrStyleAndOnlyTheIssuersOrigins", func(t *testing.T) {
		res := h.do(t, http.MethodGet, "/", nil, "")
		policy := res.header.Get("Content-Security-Policy")
		assert.Contains(t, policy, "default-src 'none'")
		assert.Contains(t, policy, "script-src 'self';")
		assert.Contains(t, policy, "style-src 'self';")
		assert.NotContains(t, policy, "unsafe-")
		assert.Contains(t, policy, "connect-src 'self' https://sso.stt.example https://login.police.example;",
			"the token endpoints of the issuers that offer explorer sign-in, and no other")
		assert.Contains(t, policy, "frame-ancestors 'none'")
		page := string(res.body)
		assert.NotRegexp(t, `<script(?:\s+type="module")?>`, page, "no inline script")
		assert.NotRegexp(t, `\sstyle=`, page, "no inline style")
		assert.NotRegexp(t, `(?:src|href)="(?:https?:)?//`, page, "nothing loaded from another host")
	})

	t.Run("ConfigListsTheIssuersWithAnExplorerClient", func(t *testing.T) {
		res := h.do(t, http.MethodGet, "/explorer/config.json", nil, "")
		require.Equal(t, http.StatusOK, res.status)
		assert.Contains(t, res.header.Get("Content-Type"), "application/json")
		var config map[string]any
		require.NoError(t, json.Unmarshal(res.body, &config))
		assert.JSONEq(t, `{"graphiql": "/graphiql", "issuers": [
			{"url": "https://sso.stt.example/realms/partners", "clientId": "traffikgraph-explorer", "scope": "openid", "partnerClaim": "partner"},
			{"url": "https://login.police.example/v2.0", "clientId": "0b7e", "scope": "openid api://tg/Graph.Read",
			 "authorizeParams": {"audience": "api"}, "partner": "police-northshire"}]}`, string(res.body))
	})

	t.Run("AssetsAnswerWithTheirTypeAndCacheForAYear", func(t *testing.T) {
		page := h.do(t, http.MethodGet, "/", nil, "")
		assetURLs := regexp.MustCompile(`(?:src|href)="(/explorer/assets/[^"]+)"`).FindAllStringSubmatch(string(page.body), -1)
		require.Len(t, assetURLs, 2, "the bundle and its stylesheet")
		for _, match := range assetURLs {
			res := h.do(t, http.MethodGet, match[1], nil, "")
			require.Equal(t, http.StatusOK, res.status, match[1])
			wantType := "text/css"
			if strings.Contains(match[1], ".js?") {
				wantType = "text/javascript"
			}
			assert.Contains(t, res.header.Get("Content-Type"), wantType, match[1])
			assert.Equal(t, "public, max-age=31536000, immutable", res.header.Get("Cache-Control"), match[1])
		}
		stale := h.do(t, http.MethodGet, "/explorer/assets/explorer.js?v=stale", nil, "")
		assert.Equal(t, "no-cache", stale.header.Get("Cache-Control"))
	})

	for _, path := range []string{"/explorer/assets/", "/explorer/assets/missing.js", "/explorer/assets/../dist/index.html", "/entity/a/b"} {
		t.Run("NotFound"+path, func(t *testing.T) {
			assert.Equal(t, http.StatusNotFound, h.do(t, http.MethodGet, path, nil, "").status)
		})
	}
}

// TestExplorerWithoutIssuers: with no issuer offering explorer sign-in the page calls its own
// origin only, and offers no sign-in.
func TestExplorerWithoutIssuers(t *testing.T) {
	h := startServer(t)
	res := h.do(t, http.MethodGet, "/", nil, "")
	assert.Contains(t, res.header.Get("Content-Security-Policy"), "connect-src 'self';")
	config := h.do(t, http.MethodGet, "/explorer/config.json", nil, "")
	assert.JSONEq(t, `{"graphiql": "/graphiql", "issuers": []}`, string(config.body))
}

// TestExplorerPeriodEnd: the config tells the page the day its default periods end.
func TestExplorerPeriodEnd(t *testing.T) {
	h := startServer(t, withConfig(func(cfg *server.Config) { cfg.ExplorerPeriodEnd = "2025-06-01" }))
	config := h.do(t, http.MethodGet, "/explorer/config.json", nil, "")
	assert.JSONEq(t, `{"graphiql": "/graphiql", "issuers": [], "periodEnd": "2025-06-01"}`, string(config.body))
}
