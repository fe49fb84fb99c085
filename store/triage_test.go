package store

import (
	"testing"

	"github.com/stretchr/testify/assert"

	tg "github.com/traffikgraph/traffikgraph"
)

// TestEveryReportStatusHasAReceiptStatus: every status the triage desk may set tells a submitter
// RECEIVED, IN_REVIEW or CLOSED; none falls through to UNKNOWN, which is for wrong receipts only.
func TestEveryReportStatusHasAReceiptStatus(t *testing.T) {
	for _, status := range tg.Enums["ReportStatus"] {
		assert.Contains(t, []string{ReceiptReceived, ReceiptInReview, ReceiptClosed}, ReceiptStatusOf(status), status)
	}
	assert.Len(t, receiptStatuses, len(tg.Enums["ReportStatus"]), "no status outside the enum")
	assert.Equal(t, ReceiptUnknown, ReceiptStatusOf(""))
}
