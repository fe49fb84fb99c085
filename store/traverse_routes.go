package store

import (
	"context"
	"encoding/base64"
	"regexp"
	"strconv"
	"strings"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
	"github.com/neo4j/neo4j-go-driver/v5/neo4j/dbtype"

	tg "github.com/traffikgraph/traffikgraph"
)

// RoutesThroughParams selects a page of the routes through a location.
type RoutesThroughParams struct {
	LocationID string
	First      *int
	After      *string
}

// routesThroughCypher is the query of RoutesThrough: the locations within $id (itself included)
// down visible WITHIN relationships, the visible routes with a visible STOP at any of them,
// counted, ordered by id and cut after the cursor $after, each with the markings of what ties it
// to the location (the location, its STOP, the WITHIN on the way), and those of every route
// counted. Parameters: $id, $after (a route id or null), $probe (page size + 1) and the viewer's.
var routesThroughCypher = viewerPrelude + `MATCH (target:` + tg.LabelLocation + ` {id: $id})
WHERE ` + visible("target") + `
MATCH (target)((:` + tg.LabelLocation + `)<-[w:` + tg.RelWithin + `]-(c:` + tg.LabelLocation + `)
    WHERE ` + visibleAll("w", "c") + `){0,` + strconv.Itoa(maxWithinHops) + `}(place:` + tg.LabelLocation + `)
MATCH (route:` + tg.LabelRoute + `)-[s:` + tg.RelStop + `]->(place)
WHERE ` + visibleAll("s", "route") + `
WITH route, collect(DISTINCT ` + markingsOf([]string{"target", "s", "route"}, "w", "c") + `) AS via
WITH route, ` + sensitiveIn("via") + ` AS via
ORDER BY route.id
WITH collect({route: route, via: via}) AS found, collect(DISTINCT via) AS markings
WITH found, markings, [f IN found WHERE $after IS NULL OR f.route.id > $after][..$probe] AS page
RETURN size(found) AS total,
       [r IN [f IN page | f.route] | ` + projection("r") + `] AS routes,
       [f IN page | f.via] AS via,
       markings`

// routeCursorPrefix marks the cursors of RoutesThrough, so that a cursor of another list is refused.
const routeCursorPrefix = "route:"

// RoutesThrough returns a page of the visible routes that stop at the location or at a location
// within it, ordered by id, with the total count. One query.
func (s *Store) RoutesThrough(ctx context.Context, p RoutesThroughParams) (*Page, error) {
	first, err := bounded("first", p.First, DefaultResults, s.cfg.Traversal.MaxResults)
	if err != nil {
		return nil, err
	}
	params := viewerParams(ctx, map[string]any{"id": p.LocationID, "after": nil, "probe": first + 1})
	if p.After != nil {
		raw, err := base64.RawURLEncoding.DecodeString(*p.After)
		id, ok := strings.CutPrefix(string(raw), routeCursorPrefix)
		if err != nil || !ok || id == "" {
			return nil, tg.InvalidField("after", "is not a cursor of this list")
		}
		params["after"] = id
	}
	return traverse(ctx, s, "routes through", routesThroughCypher, params, func(records []*neo4j.Record) (*Page, error) {
		page := &Page{HasPreviousPage: p.After != nil}
		total, _ := records[0].Get("total")
		page.TotalCount = int(total.(int64))
		raw, _ := records[0].Get("routes")
		nodes, err := decodeNodes(raw, map[string]Node{})
		if err != nil {
			return nil, err
		}
		rawVia, _ := records[0].Get("via")
		via, _ := rawVia.([]any)
		markings, _ := records[0].Get("markings")
		page.field("totalCount", decodeMarkings(markings))
		if len(nodes) > first {
			page.field("pageInfo.hasNextPage", decodeMarkings(via[first:]...))
			page.HasNextPage, nodes, via = true, nodes[:first], via[:first]
		}
		page.Nodes = nodes
		// Which routes pass through the location is learnt from stops and places not returned.
		page.Markings = decodeMarkings(via...)
		for _, n := range nodes {
			page.Cursors = append(page.Cursors, base64.RawURLEncoding.EncodeToString([]byte(routeCursorPrefix+n.NodeID())))
		}
		return page, nil
	})
}

// RouteFlow is the traffic from one country to another: the visible routes with an ORIGIN stop
// in the first and a DESTINATION stop in the second, and the visible incidents that used them.
type RouteFlow struct {
	OriginCountry      string
	DestinationCountry string
	Routes             int
	Incidents          int
	Victims            int
	// Derivation names the markings of every route, stop, place and incident the flows were
	// counted from, those of flows cut by the limit included (their order ranks them all).
	Derivation
}

// RouteFlowsParams filters the flows: origin and destination country codes, and the date
// since which a route must have been seen (and an incident must have lasted).
type RouteFlowsParams struct {
	From, To *string
	Since    *Date
	First    *int
}

// routeFlowsCypher is the query of RouteFlows. A location's country is its countryCode. Every
// row carries the markings of everything counted in any flow. Parameters: $from, $to, $since
// (each null for any), $limit and the viewer's.
var routeFlowsCypher = viewerPrelude + `MATCH (route:` + tg.LabelRoute + `)-[so:` + tg.RelStop + ` {role: 'ORIGIN'}]->(o:` + tg.LabelLocation + `)
WHERE ` + visibleAll("route", "so", "o") + `
  AND o.countryCode IS NOT NULL AND ($from IS NULL OR o.countryCode = $from)
  AND ($since IS NULL OR coalesce(route.lastSeen, route.firstSeen) >= $since)
MATCH (route)-[sd:` + tg.RelStop + ` {role: 'DESTINATION'}]->(d:` + tg.LabelLocation + `)
WHERE ` + visibleAll("sd", "d") + `
  AND d.countryCode IS NOT NULL AND ($to IS NULL OR d.countryCode = $to)
WITH peers, o.countryCode AS origin, d.countryCode AS destination, collect(DISTINCT route) AS routes,
     collect(DISTINCT ` + markingsOf([]string{"route", "so", "o", "sd", "d"}) + `) AS via
CALL {
    WITH peers, routes
    UNWIND routes AS route
    MATCH (route)<-[u:` + tg.RelUsedRoute + `]-(i:` + tg.LabelIncident + `)
    WHERE ` + visibleAll("u", "i") + `
      AND ($since IS NULL OR coalesce(i.occurredTo, i.occurredFrom) >= $since)
    WITH i, collect(DISTINCT u.tlp) AS used
    RETURN count(i) AS incidents, sum(coalesce(i.victimCount, 0)) AS victims, collect(DISTINCT [i.tlp] + used) AS usedVia
}
WITH collect({origin: origin, destination: destination, routes: size(routes), incidents: incidents, victims: victims}) AS flows,
     collect(DISTINCT ` + sensitiveIn("via + usedVia") + `) AS markings
UNWIND flows AS f
RETURN f.origin AS origin, f.destination AS destination, f.routes AS routes, f.incidents AS incidents, f.victims AS victims, markings
ORDER BY routes DESC, incidents DESC, origin, destination
LIMIT $limit`

var countryCode = regexp.MustCompile(`^[A-Z]{2}$`)

// RouteFlows returns origin → destination country flows over the visible routes, the busiest
// first. One query.
func (s *Store) RouteFlows(ctx context.Context, p RouteFlowsParams) ([]*RouteFlow, error) {
	first, err := bounded("first", p.First, DefaultResults, s.cfg.Traversal.MaxResults)
	if err != nil {
		return nil, err
	}
	params := viewerParams(ctx, map[string]any{"from": nil, "to": nil, "since": nil, "limit": first})
	for field, v := range map[string]*string{"from": p.From, "to": p.To} {
		if v == nil {
			continue
		}
		if !countryCode.MatchString(*v) {
			return nil, tg.InvalidField(field, "must be an ISO 3166-1 alpha-2 country code such as GB")
		}
		params[field] = *v
	}
	if p.Since != nil {
		params["since"] = dbtype.Date(*p.Since)
	}
	return traverse(ctx, s, "route flows", routeFlowsCypher, params, func(records []*neo4j.Record) ([]*RouteFlow, error) {
		flows := make([]*RouteFlow, 0, len(records))
		for _, r := range records {
			m := r.AsMap()
			flows = append(flows, &RouteFlow{
				OriginCountry: m["origin"].(string), DestinationCountry: m["destination"].(string),
				Routes: int(m["routes"].(int64)), Incidents: int(m["incidents"].(int64)), Victims: int(m["victims"].(int64)),
				Derivation: Derivation{Markings: decodeMarkings(m["markings"])},
			})
		}
		return flows, nil
	})
}
