package store

import (
	"context"
	"maps"

	"github.com/traffikgraph/traffikgraph/auth"
)

// The one visibility rule of DESIGN.md ("Who sees what"), written once and used by every query.
//
// Every query that reads starts with viewerPrelude, which binds `peers`: the partners that share
// a sharing group with the caller's partner, the partner itself included. visible(x) is then the
// predicate on a node or relationship variable x. Parameters: $viewer (the caller's partner id,
// null when anonymous) and $pii (whether the caller may read personal data).

const viewerPrelude = `
OPTIONAL MATCH (:Partner {id: $viewer})-[:MEMBER_OF]->(:SharingGroup)<-[:MEMBER_OF]-(peer:Partner)
WITH collect(DISTINCT peer.id) + [$viewer] AS peers
`

// visible returns the Cypher predicate saying whether the caller may see x.
func visible(x string) string {
	return `(` + x + `.tlp = 'CLEAR' OR ($viewer IS NOT NULL AND (` +
		x + `.tlp = 'GREEN'` +
		` OR (` + x + `.tlp = 'AMBER' AND ` + x + `.sourcePartner IN peers)` +
		` OR (` + x + `.tlp IN ['AMBER_STRICT', 'RED'] AND ` + x + `.sourcePartner = $viewer)` +
		` OR (` + x + `.tlp = 'RED' AND $viewer IN ` + x + `.sharedWith))))`
}

// viewerParams returns the parameters the prelude and the predicate need, merged with extra.
func viewerParams(ctx context.Context, extra map[string]any) map[string]any {
	caller := auth.CallerFrom(ctx)
	params := map[string]any{"viewer": nil, "pii": caller.Has(auth.ScopeGraphReadPII)}
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
