package server_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/traffikgraph/traffikgraph"
	"github.com/traffikgraph/traffikgraph/auth"
	"github.com/traffikgraph/traffikgraph/server"
)

// The credentials the test Authenticator knows.
const (
	analystToken = "Bearer analyst-token"
	// colleagueToken is another caller of the analyst's partner.
	colleagueToken = "Bearer colleague-token"
	// bankToken is a caller of another partner than the analyst's.
	bankToken    = "Bearer bank-token"
	brokenIssuer = "Bearer token-of-an-unreachable-issuer"
	// panicToken makes the Authenticator panic: a panic outside GraphQL execution.
	panicToken = "Bearer token-that-panics"
)

var analyst = auth.Caller{
	Issuer:    "https://issuer.example",
	Subject:   "analyst-1",
	PartnerID: "partner-ngo",
	Scopes:    []auth.Scope{auth.ScopeGraphRead},
}

// tokenAuthenticator stands in for auth.Authenticator (tested in auth) with its contract: no
// header is anonymous, a known header is its caller, an unknown one is UNAUTHENTICATED, and a
// failing issuer is an error of another kind.
type tokenAuthenticator struct{}

func (tokenAuthenticator) Authenticate(_ context.Context, header string) (auth.Caller, error) {
	switch header {
	case "":
		return auth.Caller{}, nil
	case analystToken:
		return analyst, nil
	case colleagueToken:
		return auth.Caller{Issuer: analyst.Issuer, Subject: "analyst-2", PartnerID: analyst.PartnerID, Scopes: analyst.Scopes}, nil
	case bankToken:
		return auth.Caller{Issuer: "https://issuer.example", Subject: "banker-1", PartnerID: "partner-bank", Scopes: []auth.Scope{auth.ScopeGraphRead}}, nil
	case brokenIssuer:
		return auth.Caller{}, errors.New("fetching issuer keys: connection refused")
	case panicToken:
		panic("authenticator bug: " + leakedDetail)
	default:
		return auth.Caller{}, traffikgraph.Errorf(traffikgraph.Unauthenticated, "invalid or expired token")
	}
}

// syncBuffer collects log output written by concurrent requests.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// harness is a real HTTP server over server.New with the test schema.
type harness struct {
	url    string
	schema *testSchema
	logs   *syncBuffer
}

type option func(cfg *server.Config, deps *server.Deps)

func withConfig(change func(cfg *server.Config)) option {
	return func(cfg *server.Config, _ *server.Deps) { change(cfg) }
}

func newLogger(logs io.Writer) *slog.Logger {
	return slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func testConfig() server.Config {
	cfg := server.DefaultConfig()
	cfg.Addr = "127.0.0.1:0"
	// Every test request comes from 127.0.0.1, most without a token; the anonymous limit is
	// exercised on its own in ratelimit_test.go.
	cfg.AnonymousPerMinute, cfg.AnonymousBurst = 1_000_000, 1_000_000
	return cfg
}

func startServer(t *testing.T, opts ...option) *harness {
	t.Helper()
	h := &harness{schema: newTestSchema(), logs: &syncBuffer{}}
	cfg := testConfig()
	deps := server.Deps{
		Schema: h.schema,
		Auth:   tokenAuthenticator{},
		Ready:  func(context.Context) error { return nil },
		Logger: newLogger(h.logs),
	}
	for _, opt := range opts {
		opt(&cfg, &deps)
	}
	ts := httptest.NewServer(server.New(cfg, deps))
	t.Cleanup(ts.Close)
	h.url = ts.URL
	return h
}

type httpResponse struct {
	status int
	header http.Header
	body   []byte
}

// do sends one request; header values are set as given (several values for a repeated header).
func (h *harness) do(t *testing.T, method, path string, header http.Header, body string) httpResponse {
	t.Helper()
	var reader io.Reader
	if body != "" {
		reader = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, h.url+path, reader)
	require.NoError(t, err)
	for name, values := range header {
		req.Header[http.CanonicalHeaderKey(name)] = values
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	got, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return httpResponse{status: res.StatusCode, header: res.Header, body: got}
}

// graphQLResponse is a response body, with "data" kept raw to tell absent from null.
type graphQLResponse struct {
	Data   json.RawMessage `json:"data"`
	Errors []struct {
		Message    string         `json:"message"`
		Path       []any          `json:"path"`
		Extensions map[string]any `json:"extensions"`
	} `json:"errors"`
	hasData bool
}

func decodeGraphQL(t *testing.T, body []byte) graphQLResponse {
	t.Helper()
	var got graphQLResponse
	require.NoError(t, json.Unmarshal(body, &got), "body: %s", body)
	var members map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(body, &members))
	_, got.hasData = members["data"]
	return got
}

// codes lists the extensions.code of each error.
func (r graphQLResponse) codes() []string {
	codes := make([]string, 0, len(r.Errors))
	for _, e := range r.Errors {
		code, _ := e.Extensions["code"].(string)
		codes = append(codes, code)
	}
	return codes
}

// post sends a GraphQL POST as application/json and decodes the answer.
func (h *harness) post(t *testing.T, query string, variables map[string]any, header http.Header) (httpResponse, graphQLResponse) {
	t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": variables})
	require.NoError(t, err)
	if header == nil {
		header = http.Header{}
	}
	header.Set("Content-Type", "application/json")
	res := h.do(t, http.MethodPost, "/graphql", header, string(body))
	return res, decodeGraphQL(t, res.body)
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
