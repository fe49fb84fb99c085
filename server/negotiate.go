package server

import (
	"mime"
	"strconv"
	"strings"
)

// The response media types of GraphQL over HTTP.
const (
	mediaTypeJSON            = "application/json"
	mediaTypeGraphQLResponse = "application/graphql-response+json"
)

// negotiateMediaType picks the response media type from an Accept header: the supported type with
// the highest q-value, the earlier one on a tie. Wildcards, a missing header and a header naming
// nothing we support all get application/json, the type every GraphQL client understands
// (the spec lets a server ignore an unsatisfiable Accept rather than answer 406).
func negotiateMediaType(accept string) string {
	best, bestQ := mediaTypeJSON, 0.0
	for part := range strings.SplitSeq(accept, ",") {
		mediaType, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		var offered string
		switch mediaType {
		case mediaTypeGraphQLResponse:
			offered = mediaTypeGraphQLResponse
		case mediaTypeJSON, "application/*", "*/*":
			offered = mediaTypeJSON
		default:
			continue
		}
		if charset, ok := params["charset"]; ok && !strings.EqualFold(charset, "utf-8") {
			continue // we only ever write UTF-8
		}
		q := 1.0
		if raw, ok := params["q"]; ok {
			if q, err = strconv.ParseFloat(raw, 64); err != nil {
				continue
			}
		}
		if q > bestQ {
			best, bestQ = offered, q
		}
	}
	return best
}

// isJSONRequest reports whether a POST's Content-Type is application/json in UTF-8 (the charset
// parameter is optional and UTF-8 is assumed without it).
func isJSONRequest(contentType string) bool {
	mediaType, params, err := mime.ParseMediaType(contentType)
	if err != nil || mediaType != mediaTypeJSON {
		return false
	}
	charset, ok := params["charset"]
	return !ok || strings.EqualFold(charset, "utf-8")
}
