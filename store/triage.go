package store

import (
	"context"

	"github.com/google/uuid"
	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	tg "github.com/traffikgraph/traffikgraph"
)

// What a submitter may learn of its report: one of three coarse states, or UNKNOWN for a receipt
// that names no public submission (wrong, malformed, or a partner's own report). The same answer
// shape either way, so a receipt cannot be used to probe which ids exist.
const (
	ReceiptReceived = "RECEIVED"
	ReceiptInReview = "IN_REVIEW"
	ReceiptClosed   = "CLOSED"
	ReceiptUnknown  = "UNKNOWN"
)

// receiptStatuses maps every ReportStatus (model.go Enums) to what a submitter is told: the one
// place the triage desk's statuses are translated for the public (TestEveryReportStatusHasAReceiptStatus
// holds it to the enum).
var receiptStatuses = map[string]string{
	"NEW":       ReceiptReceived,
	"TRIAGED":   ReceiptInReview,
	"IN_REVIEW": ReceiptInReview,
	"LINKED":    ReceiptInReview,
	"ESCALATED": ReceiptInReview,
	"DISMISSED": ReceiptClosed,
	"CLOSED":    ReceiptClosed,
}

// ReceiptStatusOf returns what a submitter is told of a report in status (UNKNOWN for none).
func ReceiptStatusOf(status string) string {
	if s, ok := receiptStatuses[status]; ok {
		return s
	}
	return ReceiptUnknown
}

// ReportStatusAnswer is all reportStatus answers: the coarse state. Its Derivation tells the audit
// that a known receipt's answer was read from the triage partner's AMBER_STRICT report.
type ReportStatusAnswer struct {
	Status string
	Derivation
}

// ReportStatus answers a submitter's question about its receipt, for any caller (anonymous
// included). It deliberately does not apply the visibility rule: the receipt id is the
// submitter's proof, and the answer is only the coarse state of a public submission, never the
// report. Partners' own reports (no publicSubmission flag) answer UNKNOWN like a missing id.
func (s *Store) ReportStatus(ctx context.Context, receiptID string) (*ReportStatusAnswer, error) {
	if _, err := uuid.Parse(receiptID); err != nil {
		return &ReportStatusAnswer{Status: ReceiptUnknown}, nil
	}
	records, err := readTx(ctx, s, func(tx statementRunner) ([]*neo4j.Record, error) {
		return s.run(ctx, tx, `
MATCH (r:`+tg.LabelReport+` {id: $id})
WHERE r.publicSubmission = true
RETURN r.status AS status`, map[string]any{"id": receiptID})
	})
	if err != nil {
		return nil, err
	}
	if len(records) == 0 {
		return &ReportStatusAnswer{Status: ReceiptUnknown}, nil
	}
	status, _ := records[0].Get("status")
	text, _ := status.(string)
	answer := &ReportStatusAnswer{Status: ReceiptStatusOf(text)}
	answer.Markings = []string{tg.TlpAmberStrict}
	return answer, nil
}
