package e2e_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/traffikgraph/traffikgraph/internal/testkit"
	"github.com/traffikgraph/traffikgraph/server/servertest"
)

// TestSlowBodiesHoldNoSlot (issue 7, F1): clients that trickle their request bodies, as many as
// there are slots for anonymous callers (8) and for one partner (4), hold only their own
// connections: meanwhile an anonymous report is submitted and the partner's query is answered.
func TestSlowBodiesHoldNoSlot(t *testing.T) {
	w := env
	// A service of its own: its slots and its anonymous rate limit are this test's alone.
	api, err := w.startService(t.Context(), w.store)
	require.NoError(t, err)
	t.Cleanup(api.Close)
	partner := "Bearer " + w.token(t, "a", "graph:read")
	const body = `{"query":"{ __typename }"}`
	var tricklers []*servertest.Trickler
	for range 8 {
		tricklers = append(tricklers, servertest.StartTrickling(t, api.URL, "", body))
	}
	for range 4 {
		tricklers = append(tricklers, servertest.StartTrickling(t, api.URL, partner, body))
	}

	report := query(t, api.URL, "", `mutation Submit($input: SubmitReportInput!) { submitReport(input: $input) { receiptId } }`,
		map[string]any{"input": map[string]any{"text": "Workers sleep in the back of the nail bar.", "language": "en", "channel": "APP"}})
	require.Empty(t, report.Errors)
	assert.NotEmpty(t, testkit.Dig(report.Data, "submitReport", "receiptId"))
	answer := query(t, api.URL, partner, `{ incidents(first: 1) { totalCount } }`, nil)
	require.Empty(t, answer.Errors)
	assert.NotNil(t, testkit.Dig(answer.Data, "incidents", "totalCount"))

	for _, tr := range tricklers {
		res, body := tr.Finish(t)
		assert.Equal(t, http.StatusOK, res.StatusCode, "%s", body)
	}
}

// TestPersistedQueriesArePerCaller (issue 7, F5): an automatic persisted query's hash is known only
// to the caller who sent its query. Another partner, a colleague at the same partner and an
// anonymous caller sending the hash alone get PersistedQueryNotFound, as for a query never sent,
// so no one learns from a hash what others asked.
func TestPersistedQueriesArePerCaller(t *testing.T) {
	w := env
	document := `query Probe { incidents(where: {title_contains: "` + randomHex(8) + `"}) { totalCount } }`
	sum := sha256.Sum256([]byte(document))
	persisted := `{"persistedQuery":{"version":1,"sha256Hash":"` + hex.EncodeToString(sum[:]) + `"}}`
	send := func(token, document string) testkit.Response {
		t.Helper()
		params := url.Values{"extensions": {persisted}}
		if document != "" {
			params.Set("query", document)
		}
		req, err := http.NewRequestWithContext(context.WithoutCancel(t.Context()), http.MethodGet, w.api+"/graphql?"+params.Encode(), nil)
		require.NoError(t, err)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		got := testkit.Response{Status: res.StatusCode}
		require.NoError(t, json.NewDecoder(res.Body).Decode(&got))
		return got
	}
	a := w.token(t, "a", "graph:read")

	registered := send(a, document)
	require.Empty(t, registered.Errors)
	for name, token := range map[string]string{
		"another partner":  w.token(t, "b", "graph:read"),
		"a colleague":      w.token(t, "a-colleague", "graph:read"),
		"anonymous caller": "",
	} {
		got := send(token, "")
		assert.Equal(t, []string{"PERSISTED_QUERY_NOT_FOUND"}, got.Codes(), name)
		assert.Nil(t, got.Data, name)
	}
	again := send(a, "")
	require.Empty(t, again.Errors)
	assert.Equal(t, float64(0), testkit.Dig(again.Data, "incidents", "totalCount"), "the caller who sent it runs it by its hash")
}
