package store

import (
	"context"
	"slices"
	"strconv"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
	"github.com/neo4j/neo4j-go-driver/v5/neo4j/dbtype"
	tg "github.com/traffikgraph/traffikgraph"
	"github.com/traffikgraph/traffikgraph/auth"
)

// Hotspot is a location ranked by the incidents that occurred at it or within it in a window,
// with the same counts for the previous window of equal length.
type Hotspot struct {
	Location          *Location
	Incidents         int
	Victims           int
	PreviousIncidents int
	PreviousVictims   int
	// Derivation names the markings of every incident, place and relationship counted in any
	// hotspot, those cut by the limit included (the ranking compares them all).
	Derivation
}

// IncidentChange is the change in incidents against the previous window.
func (h *Hotspot) IncidentChange() int { return h.Incidents - h.PreviousIncidents }

// VictimChange is the change in victims against the previous window.
func (h *Hotspot) VictimChange() int { return h.Victims - h.PreviousVictims }

// The granularities of hotspots: the Location kind incidents are rolled up to.
var hotspotGranularities = []string{"COUNTRY", "REGION", "CITY"}

// HotspotsParams selects hotspots. From and To are inclusive dates; when To is not given it is
// today (UTC), when From is not given the window is TraversalLimits.DefaultHotspotWindow long.
type HotspotsParams struct {
	Within            *string
	From, To          *Date
	ExploitationTypes []string
	Granularity       string
	First             *int
}

// hotspotsCypher is the query of Hotspots: visible incidents overlapping the current or the
// previous window, at visible locations, rolled up visible WITHIN relationships to the visible
// location of kind $granularity (and, with within, only below the location $within). An
// incident counts once per hotspot. Every row carries the markings of everything counted in any
// hotspot (the hotspot and the scope are the last places of each roll-up). Parameters: $from, $to,
// $previousFrom, $previousTo, $types (null for all), $granularity, $within, $limit and the
// viewer's.
func hotspotsCypher(within bool) string {
	up := func(w, n string) string {
		return `(()-[` + w + `:` + tg.RelWithin + `]->(` + n + `:` + tg.LabelLocation + `) WHERE ` + visibleAll(w, n) + `){0,` + strconv.Itoa(maxWithinHops) + `}`
	}
	rollUp := `MATCH (l)` + up("w", "u") + `(h:` + tg.LabelLocation + `)
WHERE h.kind = $granularity`
	counted := markingsOf([]string{"i", "oa", "l"}, "w", "u")
	if within {
		rollUp = `MATCH (l)` + up("w", "u") + `(h:` + tg.LabelLocation + `)` + up("w2", "u2") + `(scope:` + tg.LabelLocation + `)
WHERE h.kind = $granularity AND scope.id = $within`
		counted = markingsOf([]string{"i", "oa", "l"}, "w", "u", "w2", "u2")
	}
	current := "i.occurredFrom <= $to AND coalesce(i.occurredTo, i.occurredFrom) >= $from"
	previous := "i.occurredFrom <= $previousTo"
	return viewerPrelude + `MATCH (i:` + tg.LabelIncident + `)-[oa:` + tg.RelOccurredAt + `]->(l:` + tg.LabelLocation + `)
WHERE ` + visibleAll("i", "oa", "l") + `
  AND i.occurredFrom <= $to AND coalesce(i.occurredTo, i.occurredFrom) >= $previousFrom
  AND ($types IS NULL OR any(t IN i.exploitationTypes WHERE t IN $types))
` + rollUp + `
WITH h, collect(DISTINCT i) AS found, collect(DISTINCT ` + counted + `) AS via
WITH h, via,
     size([i IN found WHERE ` + current + `]) AS incidents,
     reduce(n = 0, i IN found | n + CASE WHEN ` + current + ` THEN coalesce(i.victimCount, 0) ELSE 0 END) AS victims,
     size([i IN found WHERE ` + previous + `]) AS previousIncidents,
     reduce(n = 0, i IN found | n + CASE WHEN ` + previous + ` THEN coalesce(i.victimCount, 0) ELSE 0 END) AS previousVictims
WHERE incidents > 0
WITH collect({h: h, incidents: incidents, victims: victims, previousIncidents: previousIncidents,
              previousVictims: previousVictims}) AS spots, collect(DISTINCT ` + sensitiveIn("via") + `) AS markings
UNWIND spots AS s
WITH s.h AS h, s.incidents AS incidents, s.victims AS victims, s.previousIncidents AS previousIncidents,
     s.previousVictims AS previousVictims, markings
RETURN ` + projection("h") + ` AS location, incidents, victims, previousIncidents, previousVictims, markings
ORDER BY incidents DESC, victims DESC, h.id
LIMIT $limit`
}

// Hotspots ranks locations of the granularity by the visible incidents in the window. Callers
// without graph:read (anonymous ones included) get COUNTRY granularity over CLEAR data only. One
// query.
func (s *Store) Hotspots(ctx context.Context, p HotspotsParams) ([]*Hotspot, error) {
	lim := s.cfg.Traversal
	first, err := bounded("first", p.First, DefaultResults, lim.MaxResults)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(hotspotGranularities, p.Granularity) {
		return nil, tg.InvalidField("granularity", "must be one of %v", hotspotGranularities)
	}
	reader := auth.CallerFrom(ctx).Has(auth.ScopeGraphRead)
	if !reader && p.Granularity != "COUNTRY" {
		return nil, &tg.Error{Code: tg.Forbidden, Message: "hotspots finer than COUNTRY need the graph:read scope", Field: "granularity"}
	}
	const day = 24 * time.Hour
	to := time.Now().UTC().Truncate(day)
	if p.To != nil {
		to = time.Time(*p.To)
	}
	from := to.Add(-lim.DefaultHotspotWindow + day)
	if p.From != nil {
		from = time.Time(*p.From)
	}
	if from.After(to) {
		return nil, tg.InvalidField("from", "must not come after to")
	}
	length := to.Sub(from) + day
	if length > lim.MaxHotspotWindow {
		return nil, &tg.Error{Code: tg.LimitExceeded, Message: "the window must be at most " + strconv.Itoa(int(lim.MaxHotspotWindow/day)) + " days", Field: "from"}
	}
	params := viewerParams(ctx, map[string]any{
		"from": dbtype.Date(from), "to": dbtype.Date(to), "previousFrom": dbtype.Date(from.Add(-length)), "previousTo": dbtype.Date(from.Add(-day)),
		"types": nil, "granularity": p.Granularity, "within": nil, "limit": first,
	})
	if p.Within != nil {
		params["within"] = *p.Within
	}
	if !reader {
		// CLEAR data only: the visibility predicate of a caller without a partner.
		params["viewer"], params["pii"] = nil, false
	}
	if len(p.ExploitationTypes) > 0 {
		params["types"] = p.ExploitationTypes
	}
	return traverse(ctx, s, "hotspots", hotspotsCypher(p.Within != nil), params, func(records []*neo4j.Record) ([]*Hotspot, error) {
		out := make([]*Hotspot, 0, len(records))
		for _, r := range records {
			m := r.AsMap()
			loc, err := decodeNode(m["location"])
			if err != nil {
				return nil, err
			}
			out = append(out, &Hotspot{
				Location: loc.(*Location), Incidents: int(m["incidents"].(int64)), Victims: int(m["victims"].(int64)),
				PreviousIncidents: int(m["previousIncidents"].(int64)), PreviousVictims: int(m["previousVictims"].(int64)),
				Derivation: Derivation{Markings: decodeMarkings(m["markings"])},
			})
		}
		return out, nil
	})
}
