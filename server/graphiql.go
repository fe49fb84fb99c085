package server

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strings"
)

// graphiqlFiles is the GraphiQL page and everything it loads, built into the binary so that the
// IDE works on a machine with no internet access: React, ReactDOM and GraphiQL are npm's browser
// builds, vendored by graphiql/update.sh (graphiql/versions.txt names the packages).
//
//go:embed graphiql/index.html graphiql/assets
var graphiqlFiles embed.FS

// graphiqlAssetsPath is where the page's scripts and styles are served; graphiql/index.html
// names it too.
const graphiqlAssetsPath = "/graphiql/assets/"

// graphiqlContentSecurityPolicy lets the page load only its own scripts, styles and API. Styles
// allow 'unsafe-inline' because GraphiQL's dialogs inject <style> elements at run time; fonts and
// icons are data: URLs inside graphiql.min.css. It still may not be framed, change its base URL,
// or post forms.
const graphiqlContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data:; font-src 'self' data:; connect-src 'self'; " +
	"frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

// graphiqlAssetsCacheControl lets browsers keep an asset for a year: the page asks for each one
// with ?v=<digest of every asset>, so a new build is a new URL.
const graphiqlAssetsCacheControl = "public, max-age=31536000, immutable"

// graphiqlAssetsVersion is a digest of the embedded assets, the ?v= that makes their URLs change
// whenever their content does.
var graphiqlAssetsVersion = digestGraphiQLAssets()

// graphiql serves the GraphiQL IDE against /graphql. Its headers editor is where a user pastes
// {"Authorization": "Bearer <access token>"}; without it, queries run as the anonymous caller.
func graphiql() http.Handler {
	page := template.Must(template.ParseFS(graphiqlFiles, "graphiql/index.html"))
	var rendered bytes.Buffer
	if err := page.Execute(&rendered, graphiqlAssetsVersion); err != nil {
		panic(fmt.Sprintf("server: rendering the embedded GraphiQL page: %v", err))
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", graphiqlContentSecurityPolicy)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(rendered.Bytes()) // a write error means the client has gone; there is no one left to tell
	})
}

// graphiqlAssets serves the page's scripts and styles under graphiqlAssetsPath. Only a request
// for the current version may be cached for long; any other (an old page, a hand-typed URL) is
// revalidated, so it never pins stale code in a browser.
func graphiqlAssets() http.Handler {
	assets, err := fs.Sub(graphiqlFiles, "graphiql/assets")
	if err != nil {
		panic(fmt.Sprintf("server: the embedded GraphiQL assets: %v", err))
	}
	files := http.StripPrefix(graphiqlAssetsPath, http.FileServerFS(assets))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/") {
			http.NotFound(w, r) // no directory listings
			return
		}
		if r.URL.Query().Get("v") == graphiqlAssetsVersion {
			w.Header().Set("Cache-Control", graphiqlAssetsCacheControl)
		} else {
			w.Header().Set("Cache-Control", "no-cache")
		}
		files.ServeHTTP(w, r)
	})
}

func digestGraphiQLAssets() string {
	digest := sha256.New()
	err := fs.WalkDir(graphiqlFiles, "graphiql/assets", func(path string, entry fs.DirEntry, err error) error {
		if err != nil || entry.IsDir() {
			return err
		}
		content, err := graphiqlFiles.ReadFile(path)
		if err != nil {
			return err
		}
		fmt.Fprintf(digest, "%s\x00%d\x00", path, len(content))
		digest.Write(content)
		return nil
	})
	if err != nil {
		panic(fmt.Sprintf("server: reading the embedded GraphiQL assets: %v", err))
	}
	return hex.EncodeToString(digest.Sum(nil))[:16]
}
