package server_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGraphiQLWorksOffline(t *testing.T) {
	h := startServer(t)
	page := h.do(t, http.MethodGet, "/graphiql", nil, "")
	require.Equal(t, http.StatusOK, page.status)
	assetURLs := regexp.MustCompile(`(?:src|href)="(/graphiql/assets/[^"]+)"`).FindAllStringSubmatch(string(page.body), -1)
	require.Len(t, assetURLs, 6, "React, ReactDOM, GraphiQL's script and style, our start script and style")

	t.Run("PageLoadsOnlyItsOwnOrigin", func(t *testing.T) {
		policy := page.header.Get("Content-Security-Policy")
		assert.Contains(t, policy, "default-src 'none'")
		assert.Contains(t, policy, "script-src 'self';", "no inline or third-party scripts")
		assert.Contains(t, policy, "connect-src 'self';")
		assert.NotRegexp(t, `https?:`, policy, "no CDN host")
		assert.NotRegexp(t, `(?:src|href)="(?:https?:)?//`, string(page.body), "nothing loaded from another host")
	})

	t.Run("AssetsAnswerWithTheirTypeAndCacheForAYear", func(t *testing.T) {
		for _, match := range assetURLs {
			res := h.do(t, http.MethodGet, match[1], nil, "")
			require.Equal(t, http.StatusOK, res.status, match[1])
			wantType := "text/css"
			if strings.Contains(match[1], ".js?") {
				wantType = "text/javascript"
			}
			assert.Contains(t, res.header.Get("Content-Type"), wantType, match[1])
			assert.Equal(t, "public, max-age=31536000, immutable", res.header.Get("Cache-Control"), match[1])
			assert.NotEmpty(t, res.body, match[1])
		}
	})

	t.Run("StartScriptTargetsOurEndpointWithTheHeadersEditor", func(t *testing.T) {
		res := h.do(t, http.MethodGet, "/graphiql/assets/traffikgraph.js", nil, "")
		require.Equal(t, http.StatusOK, res.status)
		script := string(res.body)
		assert.Contains(t, script, `new URL('/graphql', location.href)`, "GraphiQL must talk to our endpoint")
		assert.Contains(t, script, "isHeadersEditorEnabled: true", "users paste their Authorization header there")
	})

	t.Run("AssetOfAnotherVersionIsRevalidated", func(t *testing.T) {
		res := h.do(t, http.MethodGet, "/graphiql/assets/graphiql.min.js?v=stale", nil, "")
		require.Equal(t, http.StatusOK, res.status)
		assert.Equal(t, "no-cache", res.header.Get("Cache-Control"))
	})

	for _, path := range []string{"/graphiql/assets/", "/graphiql/assets/missing.js", "/graphiql/assets/../index.html"} {
		t.Run("NotFound"+path, func(t *testing.T) {
			res := h.do(t, http.MethodGet, path, nil, "")
			assert.Equal(t, http.StatusNotFound, res.status)
		})
	}
}
