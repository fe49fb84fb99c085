package store

import (
	"context"
	"maps"

	tg "github.com/traffikgraph/traffikgraph"
	"github.com/traffikgraph/traffikgraph/auth"
)

// The one visibility rule of docs/design.md ("Who sees what"), written once and used by every query.
//
// Every query that reads starts with viewerPrelude, which binds `peers`: the partners that share
// a sharing group with the caller's partner, the partner itself included. visible(x) is then the
// predicate on a node or relationship variable x. Parameters: $viewer (the caller's partner id,
// null when anonymous), $pii (whether the caller may read personal data) and $triage (whether it
// holds reports:triage).

const viewerPrelude = `
OPTIONAL MATCH (:` + tg.LabelPartner + ` {id: $viewer})-[:` + tg.RelMemberOf + `]->(:` + tg.LabelSharingGroup + `)<-[:` + tg.RelMemberOf + `]-(peer:` + tg.LabelPartner + `)
WITH collect(DISTINCT peer.id) + [$viewer] AS peers
`

// visible returns the Cypher predicate saying whether the caller may see x. It is written as one
// CASE on the marking, not as a disjunction: the planner turns a large OR into a normal form that
// scans the label twice and tests a dozen clauses per node, while the CASE reads the marking once.
// An anonymous caller ($viewer null, peers [null]) gets null for every branch but CLEAR, and null
// is not true.
//
// A report the public submitted (SubmitReport: AMBER_STRICT for the triage partner, flagged
// publicSubmission) is, within the triage partner, the work of the staff holding reports:triage:
// while it is the triage partner's alone, its other callers see it nowhere.
func visible(x string) string {
	return `coalesce(CASE ` + x + `.tlp` +
		` WHEN 'CLEAR' THEN true` +
		` WHEN 'GREEN' THEN $viewer IS NOT NULL` +
		` WHEN 'AMBER' THEN ` + x + `.sourcePartner IN peers AND $viewer IS NOT NULL` +
		` WHEN 'AMBER_STRICT' THEN ` + x + `.sourcePartner = $viewer AND (` + x + `.publicSubmission IS NULL OR $triage)` +
		` WHEN 'RED' THEN ` + x + `.sourcePartner = $viewer OR $viewer IN ` + x + `.sharedWith` +
		` END, false)`
}

// viewerParams returns the parameters the prelude and the predicate need, merged with extra.
func viewerParams(ctx context.Context, extra map[string]any) map[string]any {
	caller := auth.CallerFrom(ctx)
	params := map[string]any{"viewer": nil, "pii": caller.Has(auth.ScopeGraphReadPII), "triage": caller.Has(auth.ScopeReportsTriage)}
	if !caller.Anonymous() {
		params["viewer"] = caller.PartnerID
	}
	maps.Copy(params, extra)
	return params
}

// ViewerPrelude and Visible give the rule to Cypher written outside the store (the benchmark's
// hand-written baseline), so that both sides of a comparison do the same work.
const ViewerPrelude = viewerPrelude

// Visible returns the visibility predicate on variable x; see visible.
func Visible(x string) string { return visible(x) }
