package store

import (
	"context"
	"fmt"
	"slices"

	"github.com/google/uuid"
	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	tg "github.com/traffikgraph/traffikgraph"
	"github.com/traffikgraph/traffikgraph/auth"
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

// DefaultTriageStatuses are the statuses the triage queue shows unless asked for others: the
// reports still waiting for a decision.
var DefaultTriageStatuses = []string{"NEW", "TRIAGED", "IN_REVIEW"}

// TriageParams selects a page of the triage queue.
type TriageParams struct {
	First *int
	After *string
	// Filter holds the queue's other conditions (channel, language, submittedAt, Near) on
	// Report; Statuses the statuses (none: DefaultTriageStatuses), kept apart because
	// CountsByStatus counts over the filter without them.
	Filter   *Filter
	Statuses []string
	// WithTotal, CountOnly and Plans as in ListParams; WithCounts asks for CountsByStatus.
	WithTotal, CountOnly, WithCounts bool
	Plans                            []*NeighborPlan
}

// StatusCount is how many reports of the queue's filter are in one status.
type StatusCount struct {
	Status string
	Count  int
}

// TriagePage is a page of the triage queue.
type TriagePage struct {
	*Page
	// CountsByStatus counts the reports matching the filter in each status (statuses left out
	// have none), in the order of the ReportStatus enum. Its Derivation names what it counted.
	CountsByStatus []StatusCount
	Counts         Derivation
}

// TriageQueue returns the reports of the caller's own partner waiting for the triage desk, oldest
// first (submittedAt, then id), under the one visibility rule (so, within the triage partner,
// only to callers holding reports:triage). It is a List of Report with the partner's condition
// and ordering added, and, with WithCounts, one more query counting by status.
func (s *Store) TriageQueue(ctx context.Context, p TriageParams) (*TriagePage, error) {
	statuses := p.Statuses
	if statuses == nil {
		statuses = DefaultTriageStatuses
	}
	filter := &Filter{Terms: []Term{&Condition{Property: "sourcePartner", Op: tg.OpIn, Value: []string{auth.CallerFrom(ctx).PartnerID}}}}
	if p.Filter != nil {
		filter.Terms = append(filter.Terms, p.Filter.Terms...)
	}
	listed := &Filter{Terms: append(slices.Clone(filter.Terms), &Condition{Property: "status", Op: tg.OpIn, Value: statuses})}
	page, err := s.List(ctx, tg.LabelReport, ListParams{
		First: p.First, After: p.After, Filter: listed, Order: []Sort{{Property: "submittedAt"}},
		WithTotal: p.WithTotal, CountOnly: p.CountOnly, Plans: p.Plans,
	})
	if err != nil {
		return nil, err
	}
	out := &TriagePage{Page: page}
	if p.WithCounts {
		var markings []string
		if out.CountsByStatus, markings, err = s.countByStatus(ctx, filter); err != nil {
			return nil, err
		}
		out.Counts.field("countsByStatus", markings)
	}
	return out, nil
}

// countByStatus counts the visible reports matching filter in each status, and names the
// markings of what it counted.
func (s *Store) countByStatus(ctx context.Context, filter *Filter) ([]StatusCount, []string, error) {
	k := kindOf(tg.LabelReport)
	params := viewerParams(ctx, nil)
	cond, err := whereClause(ctx, k, "n", filter, params)
	if err != nil {
		return nil, nil, err
	}
	records, err := readTx(ctx, s, func(tx statementRunner) ([]*neo4j.Record, error) {
		return s.run(ctx, tx, viewerPrelude+`
MATCH (n:`+k.Name+`)
WHERE `+visible("n")+` AND `+cond+`
RETURN n.status AS status, count(*) AS count, collect(DISTINCT n.tlp) AS markings`, params)
	})
	if err != nil {
		return nil, nil, fmt.Errorf("triage counts: %w", err)
	}
	counts := map[string]int{}
	var markings []any
	for _, r := range records {
		status, _ := r.Get("status")
		n, _ := r.Get("count")
		m, _ := r.Get("markings")
		text, _ := status.(string)
		counts[text] = int(n.(int64))
		markings = append(markings, m)
	}
	var out []StatusCount
	for _, status := range tg.Enums["ReportStatus"] {
		if counts[status] > 0 {
			out = append(out, StatusCount{Status: status, Count: counts[status]})
		}
	}
	return out, decodeMarkings(markings...), nil
}
