package resolvers_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/traffikgraph/traffikgraph/internal/testkit"
)

// TestReportStatusTellsASubmitterOnlyTheCoarseState: anyone holding a receipt learns RECEIVED,
// IN_REVIEW or CLOSED and nothing else; a wrong, malformed or partner's receipt gets the same
// answer shape with UNKNOWN, never an error.
func TestReportStatusTellsASubmitterOnlyTheCoarseState(t *testing.T) {
	h := newHarness(t)
	resp := h.do("", `mutation { submitReport(input: {text: "They took our phones at the farm", language: "en", channel: APP}) { receiptId } }`, nil)
	require.Empty(t, resp.Errors)
	receipt := testkit.Dig(resp.Data, "submitReport", "receiptId").(string)

	resp = h.do("a", `mutation { createReport(input: {text: "a partner's own report", channel: PARTNER}, marking: {tlp: GREEN}) { id } }`, nil)
	require.Empty(t, resp.Errors)
	own := testkit.Dig(resp.Data, "createReport", "id").(string)

	const query = `query($id: ID!) { reportStatus(receiptId: $id) { status } }`
	ask := func(t *testing.T, id string) map[string]any {
		resp := h.do("", query, map[string]any{"id": id})
		require.Empty(t, resp.Errors, "a receipt never gets an error")
		answer, ok := testkit.Dig(resp.Data, "reportStatus").(map[string]any)
		require.True(t, ok)
		return answer
	}
	for _, c := range []struct{ status, told string }{
		{"NEW", "RECEIVED"}, {"TRIAGED", "IN_REVIEW"}, {"IN_REVIEW", "IN_REVIEW"}, {"LINKED", "IN_REVIEW"},
		{"ESCALATED", "IN_REVIEW"}, {"DISMISSED", "CLOSED"}, {"CLOSED", "CLOSED"},
	} {
		t.Run(c.status, func(t *testing.T) {
			h.cypher(`MATCH (r:Report {id: $id}) SET r.status = $status`, map[string]any{"id": receipt, "status": c.status})
			assert.Equal(t, map[string]any{"status": c.told}, ask(t, receipt))
		})
	}
	for name, id := range map[string]string{
		"a wrong receipt":        uuid.NewString(),
		"a malformed receipt":    "not-a-receipt' OR 1=1",
		"a partner's own report": own,
		"an empty receipt":       "",
		"a very long receipt":    fmt.Sprintf("%0500d", 7),
	} {
		t.Run(name, func(t *testing.T) {
			assert.Equal(t, map[string]any{"status": "UNKNOWN"}, ask(t, id), "the same shape as a right receipt")
		})
	}
}

// TestReportStatusIsRateLimitedLikeEveryAnonymousRequest: receipts cannot be tried in bulk; once
// an address has spent its anonymous burst (server.DefaultConfig: 15, refilled at 30 a minute),
// reportStatus is refused with 429 and LIMIT_EXCEEDED without being answered.
func TestReportStatusIsRateLimitedLikeEveryAnonymousRequest(t *testing.T) {
	h := newHarness(t)
	query := `query($id: ID!) { reportStatus(receiptId: $id) { status } }`
	var limited *testkit.Response
	// The burst plus generous room for the refill (one request every 2 s) while these run.
	for range 60 {
		resp := h.do("", query, map[string]any{"id": uuid.NewString()})
		if resp.Status == http.StatusTooManyRequests {
			limited = &resp
			break
		}
		require.Empty(t, resp.Errors)
	}
	require.NotNil(t, limited, "guessing receipts runs into the anonymous rate limit")
	assert.Equal(t, []string{"LIMIT_EXCEEDED"}, limited.Codes())
	assert.Nil(t, limited.Data, "a limited request is not answered")
	assert.NotEmpty(t, limited.Header.Get("Retry-After"))
}
