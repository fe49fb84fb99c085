package workspace_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/traffikgraph/traffikgraph/bloom"
	"github.com/traffikgraph/traffikgraph/workspace"
)

// TestGuideHandler: the guide and the perspective are served, with CORS for the workspace's own
// Browser only; the guide holds the overview and every search phrase of the perspective.
func TestGuideHandler(t *testing.T) {
	const browser = "http://127.0.0.1:7475"
	handler, err := workspace.GuideHandler([]string{browser})
	require.NoError(t, err)
	tests := []struct {
		name, path, origin, allowed string
	}{
		{"the guide to its Browser", "/guide.html", browser, browser},
		{"the perspective to its Browser", "/traffikgraph.perspective.json", browser, browser},
		{"the guide to another page", "/guide.html", "https://elsewhere.example", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, tt.path, nil)
			req.Header.Set("Origin", tt.origin)
			rec := httptest.NewRecorder()
			handler.ServeHTTP(rec, req)
			assert.Equal(t, http.StatusOK, rec.Code)
			assert.Equal(t, tt.allowed, rec.Header().Get("Access-Control-Allow-Origin"))
		})
	}

	rec := httptest.NewRecorder()
	handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/guide.html", nil))
	assert.Contains(t, rec.Body.String(), `<article class="guide">`)
	phrases, err := bloom.SearchPhrases()
	require.NoError(t, err)
	for _, p := range phrases {
		assert.Contains(t, rec.Body.String(), p.Name)
	}
	rec = httptest.NewRecorder()
	handler.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/guide.html", nil))
	assert.Equal(t, http.StatusMethodNotAllowed, rec.Code)
}
