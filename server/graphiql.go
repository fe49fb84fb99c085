package server

import (
	"embed"
	"net/http"
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

var graphiqlPage = newEmbeddedPage(graphiqlFiles, "graphiql/index.html", "graphiql/assets", graphiqlAssetsPath)

// graphiql serves the GraphiQL IDE against /graphql. Its headers editor is where a user pastes
// {"Authorization": "Bearer <access token>"}; without it, queries run as the anonymous caller.
func graphiql() http.Handler {
	return graphiqlPage.page(graphiqlContentSecurityPolicy)
}

// graphiqlAssets serves the page's scripts and styles under graphiqlAssetsPath.
func graphiqlAssets() http.Handler {
	return graphiqlPage.assetFiles()
}
