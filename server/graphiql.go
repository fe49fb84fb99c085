package server

import (
	"net/http"

	"github.com/99designs/gqlgen/graphql/playground"
)

// graphiqlContentSecurityPolicy is looser than the API's: GraphiQL is a page that loads React and
// GraphiQL from jsDelivr (pinned with subresource integrity by gqlgen) and runs an inline script.
// It still may not be framed, change its base URL, or post forms.
const graphiqlContentSecurityPolicy = "frame-ancestors 'none'; base-uri 'none'; form-action 'none'; object-src 'none'"

// graphiql serves the GraphiQL IDE against /graphql. Its headers editor is where a user pastes
// {"Authorization": "Bearer <access token>"}; without it, queries run as the anonymous caller.
func graphiql() http.Handler {
	page := playground.Handler("traffikgraph GraphiQL", "/graphql", playground.WithStoragePrefix("traffikgraph:"))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", graphiqlContentSecurityPolicy)
		page(w, r)
	})
}
