package server

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strings"
)

// assetsCacheControl lets browsers keep an asset for a year: pages ask for each one with
// ?v=<digest of every asset>, so a new build is a new URL.
const assetsCacheControl = "public, max-age=31536000, immutable"

// embeddedPage is a page built into the binary (GraphiQL, the explorer) with its scripts and
// styles: the page is an html/template whose one value is the assets' version, rendered once.
type embeddedPage struct {
	html    []byte
	assets  fs.FS
	prefix  string // the URL path the assets are served under, ending in "/"
	version string
}

// newEmbeddedPage reads the page and its assets folder from files; a broken embed is a build
// mistake, so it panics.
func newEmbeddedPage(files fs.FS, page, assetsDir, prefix string) embeddedPage {
	assets, err := fs.Sub(files, assetsDir)
	if err != nil {
		panic(fmt.Sprintf("server: the embedded assets %s: %v", assetsDir, err))
	}
	version := digestFiles(assets)
	tmpl := template.Must(template.ParseFS(files, page))
	var rendered bytes.Buffer
	if err := tmpl.Execute(&rendered, version); err != nil {
		panic(fmt.Sprintf("server: rendering the embedded page %s: %v", page, err))
	}
	return embeddedPage{html: rendered.Bytes(), assets: assets, prefix: prefix, version: version}
}

// page serves the page under its own content security policy.
func (p embeddedPage) page(policy string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Security-Policy", policy)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(p.html) // a write error means the client has gone; there is no one left to tell
	})
}

// assetFiles serves the page's scripts and styles under the prefix. Only a request for the
// current version may be cached for long; any other (an old page, a hand-typed URL) is
// revalidated, so it never pins stale code in a browser.
func (p embeddedPage) assetFiles() http.Handler {
	files := http.StripPrefix(p.prefix, http.FileServerFS(p.assets))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/") {
			http.NotFound(w, r) // no directory listings
			return
		}
		if r.URL.Query().Get("v") == p.version {
			w.Header().Set("Cache-Control", assetsCacheControl)
		} else {
			w.Header().Set("Cache-Control", "no-cache")
		}
		files.ServeHTTP(w, r)
	})
}

func digestFiles(files fs.FS) string {
	digest := sha256.New()
	err := fs.WalkDir(files, ".", func(path string, entry fs.DirEntry, err error) error {
		if err != nil || entry.IsDir() {
			return err
		}
		content, err := fs.ReadFile(files, path)
		if err != nil {
			return err
		}
		fmt.Fprintf(digest, "%s\x00%d\x00", path, len(content))
		digest.Write(content)
		return nil
	})
	if err != nil {
		panic(fmt.Sprintf("server: reading embedded assets: %v", err))
	}
	return hex.EncodeToString(digest.Sum(nil))[:16]
}
