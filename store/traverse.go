package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	tg "github.com/traffikgraph/traffikgraph"
)

// The traversals of issue 4. Each public method runs exactly one Cypher query, in a read
// transaction bounded by TraversalLimits.Timeout; each query's text comes from a named builder
// (xxxCypher) so that benchmarks can run the very same Cypher through the driver. Client values
// reach Cypher only as parameters; the few things that Cypher cannot take as parameters
// (relationship types and the bounds of a quantified path) are relationship types from the
// model's allowlists and integers validated against the limits below.

// TraversalLimits are the defaults and hard maxima of the traversals. A value beyond a maximum
// is refused with LIMIT_EXCEEDED before any query runs.
type TraversalLimits struct {
	// Timeout bounds each traversal's transaction; a traversal that takes longer is
	// LIMIT_EXCEEDED (shorter than the store's TxTimeout: traversals are interactive).
	Timeout time.Duration
	// MaxNetworkDepth bounds network(depth); MaxSubgraphNodes bounds network(limit) and
	// MaxSubgraphEdges the relationships returned with them.
	MaxNetworkDepth  int
	MaxSubgraphNodes int
	MaxSubgraphEdges int
	// MaxPathDepth bounds shortestPath(maxDepth); MaxShortestPaths bounds allShortestPaths(limit).
	MaxPathDepth     int
	MaxShortestPaths int
	// MaxResults bounds `first` of linkedByIdentifiers, routesThrough, routeFlows, hotspots and search.
	MaxResults int
	// MaxSupplyTier bounds supplyChain(maxTier); MaxSupplyChainNodes the businesses examined.
	MaxSupplyTier       int
	MaxSupplyChainNodes int
	// DefaultHotspotWindow is the hotspots window when `from` is not given; MaxHotspotWindow
	// the longest window accepted.
	DefaultHotspotWindow time.Duration
	MaxHotspotWindow     time.Duration
	// RiskHotspotWindow and RiskHotspotMinIncidents define a "current hotspot" for supply-chain
	// risk: a city or region with at least that many visible incidents within the window.
	RiskHotspotWindow       time.Duration
	RiskHotspotMinIncidents int
}

func (l *TraversalLimits) setDefaults() {
	const day = 24 * time.Hour
	setDefault(&l.Timeout, 10*time.Second)
	setDefault(&l.MaxNetworkDepth, 4)
	setDefault(&l.MaxSubgraphNodes, 1000)
	setDefault(&l.MaxSubgraphEdges, 5000)
	setDefault(&l.MaxPathDepth, 10)
	setDefault(&l.MaxShortestPaths, 100)
	setDefault(&l.MaxResults, 500)
	setDefault(&l.MaxSupplyTier, 6)
	setDefault(&l.MaxSupplyChainNodes, 1000)
	setDefault(&l.DefaultHotspotWindow, 365*day)
	setDefault(&l.MaxHotspotWindow, 3660*day)
	setDefault(&l.RiskHotspotWindow, 365*day)
	setDefault(&l.RiskHotspotMinIncidents, 3)
}

func setDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}

// Defaults of the traversal arguments, the same as the schema's.
const (
	DefaultNetworkDepth  = 2
	DefaultNetworkLimit  = 250
	DefaultPathDepth     = 6
	DefaultShortestPaths = 10
	DefaultSupplyTier    = 3
	DefaultResults       = 20
)

// maxWithinHops bounds how far up or down the WITHIN hierarchy a traversal walks (address, site,
// city, region, country and a few spare levels); the hierarchy is data, not client input.
const maxWithinHops = 8

// bounded returns *v, or def when v is nil, and refuses values below 1 (BAD_USER_INPUT) and
// above maximum (LIMIT_EXCEEDED).
func bounded(field string, v *int, def, maximum int) (int, error) {
	if v == nil {
		return def, nil
	}
	if *v < 1 {
		return 0, tg.InvalidField(field, "must be at least 1")
	}
	if *v > maximum {
		return 0, &tg.Error{Code: tg.LimitExceeded, Message: fmt.Sprintf("must be at most %d", maximum), Field: field}
	}
	return *v, nil
}

// relTypeUnion returns the Cypher type expression ("A|B") for the requested relationship types,
// each checked against the model's linkable types; none means every type. SAME_AS is never
// followed by default: followSameAs adds it (and only it: SAME_AS is not asked for as a type).
func relTypeUnion(field string, types []string, followSameAs bool) (string, error) {
	if len(types) == 0 {
		for _, r := range tg.Relationships {
			if r.Linkable {
				types = append(types, r.Type)
			}
		}
	}
	out := make([]string, 0, len(types))
	for _, t := range types {
		if t == tg.RelSameAs {
			return "", tg.InvalidField(field, "SAME_AS is followed with followSameAs: true")
		}
		if _, ok := linkable(t); !ok {
			return "", tg.InvalidField(field, "%q is not a relationship type", t)
		}
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	if followSameAs {
		out = append(out, tg.RelSameAs)
	}
	slices.Sort(out) // one query text per set of types, for Neo4j's query cache
	return strings.Join(out, "|"), nil
}

// traverse runs one traversal query in a read transaction bounded by the traversal timeout and
// hands its records to decode. A traversal that times out is never a hang: LIMIT_EXCEEDED
// asking for less when the time went to its work, UNAVAILABLE saying so when it went before
// Neo4j began to answer (planning it, a busy server: classify), where asking for less would not
// help.
func traverse[T any](ctx context.Context, s *Store, what, cypher string, params map[string]any,
	decode func([]*neo4j.Record) (T, error)) (result T, err error) {
	return traverseWithin(ctx, s, s.cfg.Traversal.Timeout, what, cypher, params, decode)
}

// traverseWithin is traverse bounded by timeout instead of the traversal timeout.
func traverseWithin[T any](ctx context.Context, s *Store, timeout time.Duration, what, cypher string, params map[string]any,
	decode func([]*neo4j.Record) (T, error)) (result T, err error) {
	records, err := readWithin(ctx, s, txTimeout(ctx, timeout), func(tx statementRunner) ([]*neo4j.Record, error) {
		return s.run(ctx, tx, cypher, params)
	})
	if err != nil {
		return result, traversalError(what, err)
	}
	result, err = decode(records)
	if err != nil {
		return result, fmt.Errorf("%s: decode: %w", what, err)
	}
	return result, nil
}

// traversalError tells a traversal's failure: LIMIT_EXCEEDED asking for less when its time went
// to its work, UNAVAILABLE saying so when it went before Neo4j began to answer.
func traversalError(what string, err error) error {
	switch {
	case errors.Is(err, errTooSlowForNeo4j):
		return tg.Errorf(tg.LimitExceeded, "%s did not finish in time: ask for less (depth, limit, window)", what)
	case errors.Is(err, errNotBegunInTime), errors.Is(err, errReadBusy):
		busy, _ := errors.AsType[*tg.Error](err)
		return tg.Errorf(tg.Unavailable, "%s: %s", what, busy.Message)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// visibleAll is visible() for every one of the variables, as one predicate over their list: the
// planner then takes it whole instead of normalising one large boolean formula per variable,
// which made the plans of the bigger traversals take seconds.
func visibleAll(vars ...string) string {
	return "all(v IN [" + strings.Join(vars, ", ") + "] WHERE " + visible("v") + ")"
}

// Subgraph is a visible neighbourhood: nodes and the visible relationships among them.
type Subgraph struct {
	Nodes []Node
	Edges []*Link
	// Truncated says that the limit cut the neighbourhood: more visible nodes or relationships
	// lie within the depth.
	Truncated bool
	// Derivation names, for truncated, the markings of the first node and relationship beyond
	// the limits; and when the relationship limit cut the edges, every sensitive marking for the
	// subgraph as a whole: its nodes were reached over relationships it does not return.
	Derivation
}

// beyondLimits writes the RETURN columns saying what lay beyond a subgraph's limits: `beyond`
// (the markings of the nodes of `cut` and of the relationships of `rels` past $maxEdges) and
// `edgesCut`.
func beyondLimits(cut string) string {
	return markingsOf(nil, cut, "rels[$maxEdges..]") + " AS beyond,\n       size(rels) > $maxEdges AS edgesCut"
}

// deriveBeyondLimits reads beyondLimits' columns of a record into d.
func (d *Derivation) deriveBeyondLimits(m map[string]any) {
	d.field("truncated", decodeMarkings(m["beyond"]))
	if m["edgesCut"] == true {
		d.Markings = slices.Clone(SensitiveMarkings)
	}
}

// Path is a walk through the graph: Relationships[i] joins Nodes[i] and Nodes[i+1], in either
// direction (each Link says which way it points).
type Path struct {
	Nodes         []Node
	Relationships []*Link
}

// Length is the number of relationships on the path.
func (p *Path) Length() int { return len(p.Relationships) }

// linkProjection returns a relationship's projection with the ids of its ends.
func linkProjection(r string) string {
	return "{link: " + relProjection(r) + ", from: startNode(" + r + ").id, to: endNode(" + r + ").id}"
}

// pathProjection returns the projection of path variable p: its nodes (PII withheld as
// everywhere) and its relationships, in order.
func pathProjection(p string) string {
	return "{nodes: [pn IN nodes(" + p + ") | " + projection("pn") + "], links: [pr IN relationships(" + p + ") | " + linkProjection("pr") + "]}"
}

// decodeNodes decodes a list of projection() maps, adding each node to byID.
func decodeNodes(v any, byID map[string]Node) ([]Node, error) {
	items, _ := v.([]any)
	out := make([]Node, 0, len(items))
	for _, item := range items {
		n, err := decodeNode(item)
		if err != nil {
			return nil, err
		}
		byID[n.NodeID()] = n
		out = append(out, n)
	}
	return out, nil
}

// decodeLinks decodes a list of linkProjection() maps whose ends are in byID.
func decodeLinks(v any, byID map[string]Node) ([]*Link, error) {
	items, _ := v.([]any)
	out := make([]*Link, 0, len(items))
	for _, item := range items {
		m, _ := item.(map[string]any)
		link, err := decodeLink(m["link"])
		if err != nil {
			return nil, err
		}
		from, _ := m["from"].(string)
		to, _ := m["to"].(string)
		if link.From, link.To = byID[from], byID[to]; link.From == nil || link.To == nil {
			return nil, fmt.Errorf("relationship %s between %s and %s has an end outside the result", link.Type, from, to)
		}
		out = append(out, link)
	}
	return out, nil
}

// decodePath decodes a pathProjection() map.
func decodePath(v any) (*Path, error) {
	m, _ := v.(map[string]any)
	byID := map[string]Node{}
	nodes, err := decodeNodes(m["nodes"], byID)
	if err != nil {
		return nil, err
	}
	links, err := decodeLinks(m["links"], byID)
	if err != nil {
		return nil, err
	}
	return &Path{Nodes: nodes, Relationships: links}, nil
}

// breadthFirst writes the Cypher of a bounded breadth-first expansion. It expects `peers`,
// `seen` and `frontier` (lists of nodes, the start in both) and `levels` (an empty list) bound;
// each of the depth levels adds the visible nodes that one visible relationship of step (a
// pattern from `f` over `r` to `n`) leads to from the frontier, at most $probe nodes in all, and
// appends them to levels. $probe bounds the work of every level, so a hub node never makes the
// query slow.
func breadthFirst(b *strings.Builder, step string, depth int) {
	for range depth {
		b.WriteString(`CALL {
    WITH peers, seen, frontier
    UNWIND frontier AS f
    MATCH ` + step + `
    WHERE ` + visibleAll("r", "n") + `
      AND NOT n IN seen
    WITH DISTINCT n
    LIMIT $probe
    RETURN collect(n) AS next
}
WITH peers, seen, levels, next[..($probe - size(seen))] AS frontier
WITH peers, seen + frontier AS seen, levels + [frontier] AS levels, frontier
`)
	}
}

// edgesAmong writes a subquery collecting into `rels` the visible relationships of types among
// the nodes of `kept`, at most $edgeProbe of them.
func edgesAmong(b *strings.Builder, types string) {
	b.WriteString(`CALL {
    WITH peers, kept
    UNWIND kept AS a
    MATCH (a)-[r:` + types + `]->(z)
    WHERE z IN kept AND ` + visible("r") + `
    WITH r
    LIMIT $edgeProbe
    RETURN collect(r) AS rels
}
`)
}

// NetworkParams selects an ego network.
type NetworkParams struct {
	ID                string
	Depth             *int
	RelationshipTypes []string
	// FollowSameAs follows SAME_AS too (in either direction, like any relationship).
	FollowSameAs bool
	Limit        *int
}

// networkCypher is the query of Network: a breadth-first expansion from $id over visible
// relationships of types to visible nodes, then the visible relationships among the nodes kept.
// Parameters: $id, $probe ($limit + 1), $limit, $edgeProbe, $maxEdges and the viewer's.
func networkCypher(types string, depth int) string {
	var b strings.Builder
	b.WriteString(viewerPrelude + `MATCH (start:` + tg.LabelEntity + ` {id: $id})
WHERE ` + visible("start") + `
WITH peers, [start] AS seen, [start] AS frontier, [] AS levels
`)
	breadthFirst(&b, "(f)-[r:"+types+"]-(n:"+tg.LabelEntity+")", depth)
	b.WriteString("WITH peers, seen[..$limit] AS kept, seen[$limit..] AS cut, size(seen) > $limit AS truncated\n")
	edgesAmong(&b, types)
	b.WriteString(`RETURN [n IN kept | ` + projection("n") + `] AS nodes,
       [r IN rels[..$maxEdges] | ` + linkProjection("r") + `] AS edges,
       truncated OR size(rels) > $maxEdges AS truncated,
       ` + beyondLimits("cut"))
	return b.String()
}

// Network returns the visible neighbourhood of an entity within p.Depth hops over visible
// relationships of the given types (all when none), nearest nodes first, at most p.Limit nodes.
// An entity the caller cannot see has an empty network. One query.
func (s *Store) Network(ctx context.Context, p NetworkParams) (*Subgraph, error) {
	lim := s.cfg.Traversal
	depth, err := bounded("depth", p.Depth, DefaultNetworkDepth, lim.MaxNetworkDepth)
	if err != nil {
		return nil, err
	}
	limit, err := bounded("limit", p.Limit, DefaultNetworkLimit, lim.MaxSubgraphNodes)
	if err != nil {
		return nil, err
	}
	types, err := relTypeUnion("relationshipTypes", p.RelationshipTypes, p.FollowSameAs)
	if err != nil {
		return nil, err
	}
	params := viewerParams(ctx, map[string]any{
		"id": p.ID, "limit": limit, "probe": limit + 1, "maxEdges": lim.MaxSubgraphEdges, "edgeProbe": lim.MaxSubgraphEdges + 1,
	})
	return traverse(ctx, s, "network", networkCypher(types, depth), params, func(records []*neo4j.Record) (*Subgraph, error) {
		g := &Subgraph{}
		if len(records) == 0 {
			return g, nil
		}
		byID := map[string]Node{}
		m := records[0].AsMap()
		var err error
		if g.Nodes, err = decodeNodes(m["nodes"], byID); err != nil {
			return nil, err
		}
		if g.Edges, err = decodeLinks(m["edges"], byID); err != nil {
			return nil, err
		}
		g.Truncated = m["truncated"] == true
		g.deriveBeyondLimits(m)
		return g, nil
	})
}

// PathParams selects shortest paths between two entities.
type PathParams struct {
	From, To          string
	MaxDepth          *int
	RelationshipTypes []string
	// FollowSameAs follows SAME_AS too (in either direction, like any relationship).
	FollowSameAs bool
	// Limit bounds the paths of AllShortestPaths.
	Limit *int
}

// shortestPathCypher is the query of ShortestPath (all false) and AllShortestPaths (all true):
// a shortest-path search whose every relationship and node must be visible, the predicates
// inside the quantified path pattern so that Neo4j applies them while it expands.
// Parameters: $from, $to, $limit and the viewer's.
func shortestPathCypher(types string, maxDepth int, all bool) string {
	selector := "ANY SHORTEST"
	if all {
		selector = "ALL SHORTEST"
	}
	return viewerPrelude + `MATCH (a:` + tg.LabelEntity + ` {id: $from})
WHERE ` + visible("a") + `
MATCH (b:` + tg.LabelEntity + ` {id: $to})
WHERE ` + visible("b") + `
MATCH p = ` + selector + ` (a)(()-[r:` + types + `]-(x:` + tg.LabelEntity + `)
    WHERE ` + visibleAll("r", "x") + `){0,` + strconv.Itoa(maxDepth) + `}(b)
RETURN ` + pathProjection("p") + ` AS path
LIMIT $limit`
}

// ShortestPath returns a shortest path between two entities of at most p.MaxDepth visible
// relationships of the given types through visible nodes, or nil when there is none. One query.
func (s *Store) ShortestPath(ctx context.Context, p PathParams) (*Path, error) {
	paths, err := s.shortestPaths(ctx, p, false)
	if err != nil || len(paths) == 0 {
		return nil, err
	}
	return paths[0], nil
}

// AllShortestPaths returns every shortest visible path between two entities, at most p.Limit
// of them. One query.
func (s *Store) AllShortestPaths(ctx context.Context, p PathParams) ([]*Path, error) {
	return s.shortestPaths(ctx, p, true)
}

func (s *Store) shortestPaths(ctx context.Context, p PathParams, all bool) ([]*Path, error) {
	lim := s.cfg.Traversal
	depth, err := bounded("maxDepth", p.MaxDepth, DefaultPathDepth, lim.MaxPathDepth)
	if err != nil {
		return nil, err
	}
	limit := 1
	if all {
		if limit, err = bounded("limit", p.Limit, DefaultShortestPaths, lim.MaxShortestPaths); err != nil {
			return nil, err
		}
	}
	types, err := relTypeUnion("relationshipTypes", p.RelationshipTypes, p.FollowSameAs)
	if err != nil {
		return nil, err
	}
	params := viewerParams(ctx, map[string]any{"from": p.From, "to": p.To, "limit": limit})
	return traverse(ctx, s, "shortest paths", shortestPathCypher(types, depth, all), params, func(records []*neo4j.Record) ([]*Path, error) {
		paths := make([]*Path, 0, len(records))
		for _, r := range records {
			v, _ := r.Get("path")
			path, err := decodePath(v)
			if err != nil {
				return nil, err
			}
			paths = append(paths, path)
		}
		return paths, nil
	})
}
