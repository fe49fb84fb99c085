package testkit

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

// GraphQLError is one entry of a response's errors.
type GraphQLError struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

// Response is a GraphQL response with the HTTP status and headers it came with.
type Response struct {
	Status     int            `json:"-"`
	Header     http.Header    `json:"-"`
	Data       map[string]any `json:"data"`
	Errors     []GraphQLError `json:"errors"`
	Extensions map[string]any `json:"extensions"`
}

// Codes lists the errors' extensions.code ("" for an error without one).
func (r Response) Codes() []string {
	codes := []string{}
	for _, e := range r.Errors {
		code, _ := e.Extensions["code"].(string)
		codes = append(codes, code)
	}
	return codes
}

// CodeAt returns the code of the first error under the top-level field, or "".
func (r Response) CodeAt(field string) string {
	for _, e := range r.Errors {
		if len(e.Path) > 0 && e.Path[0] == field {
			code, _ := e.Extensions["code"].(string)
			return code
		}
	}
	return ""
}

// Redacted lists extensions.redacted.
func (r Response) Redacted() []string {
	var paths []string
	items, _ := r.Extensions["redacted"].([]any)
	for _, item := range items {
		paths = append(paths, item.(string))
	}
	return paths
}

// Client is the tests' one GraphQL client: it posts operations to URL (a /graphql endpoint).
type Client struct {
	URL string
	// ExactNumbers decodes JSON numbers as json.Number rather than float64.
	ExactNumbers bool
}

// Bearer is the header carrying token as a bearer token; "" gives no header (anonymous).
func Bearer(token string) http.Header {
	header := http.Header{}
	if token != "" {
		header.Set("Authorization", "Bearer "+token)
	}
	return header
}

// Post sends the operation with exactly the given headers (an empty value is sent as a header
// present but empty) and decodes the response, whatever its status.
func (c Client) Post(t testing.TB, header http.Header, query string, variables map[string]any) Response {
	t.Helper()
	payload, err := json.Marshal(map[string]any{"query": query, "variables": variables})
	require.NoError(t, err)
	// Not t.Context(): cleanups post too (deleting what a test created), after it is cancelled.
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, c.URL, bytes.NewReader(payload))
	require.NoError(t, err)
	for name, values := range header {
		req.Header[name] = values
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	got := Response{Status: res.StatusCode, Header: res.Header}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if c.ExactNumbers {
		dec.UseNumber()
	}
	require.NoError(t, dec.Decode(&got), "body: %s", raw)
	return got
}
