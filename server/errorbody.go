package server

import (
	"encoding/json"
	"net/http"

	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/traffikgraph/traffikgraph"
)

// errorBody is a GraphQL response that carries only errors: a request that failed before any
// execution has no data entry at all (GraphQL-over-HTTP), not "data": null.
type errorBody struct {
	Errors     gqlerror.List  `json:"errors"`
	Extensions map[string]any `json:"extensions,omitempty"`
}

// newCodedError builds a client-facing error with a stable extensions.code.
func newCodedError(code traffikgraph.Code, message string) *gqlerror.Error {
	return &gqlerror.Error{Message: message, Extensions: map[string]any{"code": string(code)}}
}

// writeErrorBody answers with status and a GraphQL-shaped error body in the given media type.
// Every layer (authentication, body limit, recoverer, transports) answers in this one shape, so a
// client of /graphql parses one format whatever went wrong.
func writeErrorBody(w http.ResponseWriter, status int, mediaType string, body errorBody) {
	w.Header().Set("Content-Type", mediaType+"; charset=utf-8")
	w.WriteHeader(status)
	// The body holds only strings and codes we built; it always marshals.
	b, _ := json.Marshal(body)
	_, _ = w.Write(b)
}

// writeError answers with status and one coded error as application/json, for the layers in front
// of GraphQL content negotiation.
func writeError(w http.ResponseWriter, status int, code traffikgraph.Code, message string) {
	writeErrorBody(w, status, mediaTypeJSON, errorBody{Errors: gqlerror.List{newCodedError(code, message)}})
}
