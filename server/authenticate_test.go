package server_test

import (
	"net/http"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/traffikgraph/traffikgraph/auth"
	"github.com/traffikgraph/traffikgraph/server"
)

const callerQuery = "{ caller { partnerId subject anonymous } }"

func TestAuthentication(t *testing.T) {
	h := startServer(t)

	t.Run("NoHeaderIsTheAnonymousCaller", func(t *testing.T) {
		res, got := h.post(t, callerQuery, nil, nil)
		require.Equal(t, http.StatusOK, res.status)
		assert.JSONEq(t, `{"caller":{"partnerId":"","subject":"","anonymous":true}}`, string(got.Data))
	})

	t.Run("AVerifiedTokenIsItsCaller", func(t *testing.T) {
		res, got := h.post(t, callerQuery, nil, http.Header{"Authorization": {analystToken}})
		require.Equal(t, http.StatusOK, res.status)
		assert.JSONEq(t, `{"caller":{"partnerId":"partner-ngo","subject":"analyst-1","anonymous":false}}`, string(got.Data))
	})

	t.Run("OtherHeadersMakeNoCaller", func(t *testing.T) {
		_, got := h.post(t, callerQuery, nil, http.Header{
			"X-Partner-Id":      {"partner-ngo"},
			"X-Forwarded-User":  {"analyst-1"},
			"X-Auth-Request-Id": {"analyst-1"},
		})
		assert.JSONEq(t, `{"caller":{"partnerId":"","subject":"","anonymous":true}}`, string(got.Data))
	})

	for name, header := range map[string][]string{
		"EmptyHeader":         {""},
		"WhitespaceHeader":    {"   "},
		"MalformedHeader":     {"Basic dXNlcjpwYXNz"},
		"UnknownToken":        {"Bearer forged"},
		"TwoHeaders":          {analystToken, "Bearer forged"},
		"TwoIdenticalHeaders": {analystToken, analystToken},
	} {
		t.Run("401For"+name, func(t *testing.T) {
			res := h.do(t, http.MethodPost, "/graphql",
				http.Header{"Authorization": header, "Content-Type": {"application/json"}},
				`{"query":"{ hello }"}`)

			assert.Equal(t, http.StatusUnauthorized, res.status)
			assert.Equal(t, `Bearer error="invalid_token"`, res.header.Get("WWW-Authenticate"))
			assert.Contains(t, res.header.Get("Content-Type"), "application/json")
			got := decodeGraphQL(t, res.body)
			assert.False(t, got.hasData, "nothing was executed")
			require.Equal(t, []string{"UNAUTHENTICATED"}, got.codes())
			assert.NotEmpty(t, got.Errors[0].Message)
		})
	}

	t.Run("401AlsoOnGET", func(t *testing.T) {
		res := h.do(t, http.MethodGet, "/graphql?query=%7Bhello%7D", http.Header{"Authorization": {"Bearer forged"}}, "")
		assert.Equal(t, http.StatusUnauthorized, res.status)
		assert.Equal(t, []string{"UNAUTHENTICATED"}, decodeGraphQL(t, res.body).codes())
	})

	t.Run("503WhenCredentialsCannotBeVerified", func(t *testing.T) {
		res := h.do(t, http.MethodPost, "/graphql",
			http.Header{"Authorization": {brokenIssuer}, "Content-Type": {"application/json"}},
			`{"query":"{ hello }"}`)

		assert.Equal(t, http.StatusServiceUnavailable, res.status, "the token may be fine: the client should retry, not log in again")
		assert.Empty(t, res.header.Get("WWW-Authenticate"))
		got := decodeGraphQL(t, res.body)
		assert.Equal(t, []string{"UNAVAILABLE"}, got.codes())
		assert.NotContains(t, string(res.body), "connection refused")
		assert.Contains(t, h.logs.String(), "connection refused")
	})

	t.Run("TokensNeverReachTheLog", func(t *testing.T) {
		assert.NotContains(t, h.logs.String(), "analyst-token")
		assert.NotContains(t, h.logs.String(), "forged")
	})
}

// TestRefusedTokensLockNoOneOut: refused tokens cost their sender a 401 and nothing more; the
// valid token of a partner behind the same address (a proxy, a NAT) is still verified and served.
func TestRefusedTokensLockNoOneOut(t *testing.T) {
	h := startServer(t, withConfig(func(cfg *server.Config) {
		cfg.AnonymousPerMinute, cfg.AnonymousBurst = 1, 2
	}))

	for i := range 100 {
		res, got := h.post(t, callerQuery, nil, http.Header{"Authorization": {"Bearer forged-" + strconv.Itoa(i)}})
		require.Equal(t, http.StatusUnauthorized, res.status, "junk token %d", i)
		require.Equal(t, []string{"UNAUTHENTICATED"}, got.codes())
	}
	res, got := h.post(t, callerQuery, nil, http.Header{"Authorization": {analystToken}})

	require.Equal(t, http.StatusOK, res.status, "body: %s", res.body)
	assert.JSONEq(t, `{"caller":{"partnerId":"partner-ngo","subject":"analyst-1","anonymous":false}}`, string(got.Data))
}

// The Authenticator the service wires in must keep fitting the interface.
var _ server.Authenticator = (*auth.Authenticator)(nil)
