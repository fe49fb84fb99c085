package store

import (
	"context"
	"maps"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
	"github.com/neo4j/neo4j-go-driver/v5/neo4j/dbtype"
	"golang.org/x/text/language"

	tg "github.com/traffikgraph/traffikgraph"
	"github.com/traffikgraph/traffikgraph/auth"
)

// DefaultTriagePartner is the partner that receives anonymous reports unless Config says
// otherwise: the hub's own partner of the seed.
const DefaultTriagePartner = "stt"

// MaxSubmissionLength bounds the text of a submitted report, in characters: a long story fits,
// a dump of documents does not.
const MaxSubmissionLength = 5000

// submissionChannels are the channels through which the public submits; PARTNER reports are
// written by partners with createReport.
var submissionChannels = []string{"APP", "WEB", "HOTLINE"}

// Submission is a story as the public submits it (the STOP APP, the web form, the hotline).
type Submission struct {
	Text string
	// Language is a BCP 47 tag, stored in its canonical form.
	Language string
	// ApproxLocation is optional; it is rounded to two decimals (about 1 km) before storing, so
	// the hub never holds where exactly the submitter was.
	ApproxLocation *GeoPoint
	Channel        string
}

// ReportReceipt is all a submitter learns: that the report arrived, when, and an id to quote
// when talking to the hub about it (the stored report's id).
type ReportReceipt struct {
	ReceiptID  string
	ReceivedAt time.Time
}

// SubmitReport stores a submission as a Report with status NEW, marked AMBER_STRICT for the
// triage partner (Config.TriagePartner) and flagged publicSubmission, so that only the triage
// partner's callers holding reports:triage can read it (see visible). Anonymous
// callers may submit, and so may callers holding reports:submit; other callers get FORBIDDEN.
// Nothing about the stored report is returned but the receipt.
func (s *Store) SubmitReport(ctx context.Context, sub Submission) (*ReportReceipt, error) {
	caller := auth.CallerFrom(ctx)
	if !caller.Anonymous() && !caller.Has(auth.ScopeReportsSubmit) {
		return nil, tg.Errorf(tg.Forbidden, "submitting a report needs the reports:submit scope (or no token at all)")
	}
	props, err := checkSubmission(sub)
	if err != nil {
		return nil, err
	}
	receipt := &ReportReceipt{ReceiptID: uuid.NewString(), ReceivedAt: time.Now().UTC()}
	props["submittedAt"] = receipt.ReceivedAt
	_, err = writeTx(ctx, s, func(tx neo4j.ManagedTransaction) (struct{}, error) {
		_, err := s.run(ctx, tx, `
CREATE (r:`+tg.LabelEntity+`:`+tg.LabelReport+`)
SET r = $props,
    r.id = $id, r.status = 'NEW', r.tlp = 'AMBER_STRICT', r.sourcePartner = $triagePartner, r.publicSubmission = true,
    r.sharedWith = [], r.externalRefs = [], r.createdAt = $receivedAt, r.updatedAt = $receivedAt`,
			map[string]any{"props": props, "id": receipt.ReceiptID, "triagePartner": s.cfg.TriagePartner, "receivedAt": receipt.ReceivedAt})
		if err != nil {
			return struct{}{}, err
		}
		created := maps.Clone(props)
		created["status"], created["tlp"], created["sharedWith"] = "NEW", tg.TlpAmberStrict, []string{}
		return struct{}{}, s.recordVersion(ctx, tx, Version{
			EntityIDs: []string{receipt.ReceiptID}, Label: tg.LabelReport, Change: tg.ChangeCreated, After: created,
			Marking: VersionMarking{SourcePartner: s.cfg.TriagePartner, Tlp: tg.TlpAmberStrict, PublicSubmission: true},
		})
	})
	if err != nil {
		return nil, err
	}
	return receipt, nil
}

// checkSubmission validates a submission and returns the properties to store. Its refusals name
// the submission's fields as its submitters' report them, "input.<field>" (the store's callers
// all pass a submission on as it came).
func checkSubmission(sub Submission) (map[string]any, error) {
	text := strings.TrimSpace(sub.Text)
	if text == "" {
		return nil, tg.InvalidField("input.text", "must not be blank")
	}
	if n := utf8.RuneCountInString(text); n > MaxSubmissionLength {
		return nil, tg.InvalidField("input.text", "must be at most %d characters", MaxSubmissionLength)
	}
	tag, err := language.Parse(sub.Language)
	if err != nil || len(sub.Language) > 35 {
		return nil, tg.InvalidField("input.language", "must be a BCP 47 language tag such as en or pt-BR")
	}
	if !slices.Contains(submissionChannels, sub.Channel) {
		return nil, tg.InvalidField("input.channel", "must be one of %v", submissionChannels)
	}
	props := map[string]any{"text": text, "language": tag.String(), "channel": sub.Channel}
	if sub.ApproxLocation != nil {
		approx, _ := kindOf(tg.LabelReport).Prop("approxLocation")
		converted, err := convertInput(approx, *sub.ApproxLocation, "input.approxLocation")
		if err != nil {
			return nil, err
		}
		exact := converted.(dbtype.Point2D)
		props["approxLocation"] = dbtype.Point2D{X: roundToKilometre(exact.X), Y: roundToKilometre(exact.Y), SpatialRefId: exact.SpatialRefId}
	}
	return props, nil
}

// roundToKilometre rounds a coordinate to two decimals: 0.01° of latitude is 1.1 km.
func roundToKilometre(degrees float64) float64 {
	return math.Round(degrees*100) / 100
}
