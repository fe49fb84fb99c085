package store

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	tg "github.com/traffikgraph/traffikgraph"
	"github.com/traffikgraph/traffikgraph/auth"
)

// A workspace export is the subgraph an analyst pulls into a Neo4j of their own (issue 9): the
// entities of a scope, each with every property the caller may read, and the visible
// relationships among them, in pages. It is the ordinary read path (the one visibility predicate,
// the projection that withholds personal data) with a scope and a cursor, never a side door.
//
// The scope is recomputed on every page: it is bounded (ExportLimits) and ordered by id, and a
// page holds the next entities by id with the relationships that leave them towards the scope,
// so every relationship comes exactly once over the pages. The cursor names the pull (its audit
// event) and the last id; a pull is recorded as one audit event that every page adds to.

// ExportLimits bound workspace exports.
type ExportLimits struct {
	// MaxEntities bounds the scope's limit; DefaultEntities is used when none is given.
	MaxEntities     int
	DefaultEntities int
	// MaxPage bounds `first`; DefaultPage is used when it is not given.
	MaxPage     int
	DefaultPage int
	// MaxDepth bounds the hops from the seeds.
	MaxDepth int
	// MaxPageRelationships bounds the relationships of one page; a page beyond it is
	// LIMIT_EXCEEDED (ask a smaller first).
	MaxPageRelationships int
	// CursorLifetime is how long after its first page a pull's cursors serve: a cursor kept
	// longer cannot add pages to an old pull's audit event.
	CursorLifetime time.Duration
}

// maxSeedIDLength bounds an id given as a seed: ids are UUIDs, and the seeds are recorded in the
// audit trail as given.
const maxSeedIDLength = 64

func (l *ExportLimits) setDefaults() {
	setDefault(&l.MaxEntities, 20000)
	setDefault(&l.DefaultEntities, 1000)
	setDefault(&l.MaxPage, 500)
	setDefault(&l.DefaultPage, 200)
	setDefault(&l.MaxDepth, 4)
	setDefault(&l.MaxPageRelationships, 20000)
	if l.CursorLifetime <= 0 {
		l.CursorLifetime = time.Hour
	}
}

// DefaultExportDepth is the hops from the seeds when the scope gives none (the schema's default).
const DefaultExportDepth = 1

// ExportScope says which part of the graph a pull takes: the neighbourhood within Depth hops of
// seeds (entities given by id, the incidents matching a filter, the hits of a search), or, with
// no seeds, every visible entity; at most Limit entities in either case.
type ExportScope struct {
	Around []string
	// Incidents are seeds when it is not nil: the incidents matching it. Its refusals are
	// FilterErrors, as a list's are.
	Incidents *Filter
	// IncidentsFields name the fields the caller's filter used, as the caller named them, for
	// the audit trail (never their values).
	IncidentsFields []string
	Search          *string
	Depth           *int
	Limit           *int
}

func (sc ExportScope) seeded() bool {
	return len(sc.Around) > 0 || sc.Incidents != nil || sc.Search != nil
}

// ExportParams selects one page of an export.
type ExportParams struct {
	Scope ExportScope
	First *int
	After *string
}

// WorkspaceExport is one page of an export.
type WorkspaceExport struct {
	// ExportID names the pull: the id of its audit event, the same on every page.
	ExportID string
	// Nodes are the page's entities, by id; Relationships the visible relationships from them
	// to entities of the scope (whose other ends may lie on other pages).
	Nodes         []Node
	Relationships []*Link
	// TotalCount is the number of entities in the scope; Truncated says the limit cut it.
	TotalCount      int
	Truncated       bool
	HasNextPage     bool
	HasPreviousPage bool
	StartCursor     *string
	EndCursor       *string
	// Scope describes the scope for the audit trail: argument names and entity ids, never the
	// search text or filter values.
	Scope []string
	// digest identifies the scope: the pull's audit event keeps it, and a cursor continues only
	// the pull of its own scope.
	digest string
	Derivation
}

// exportCursor is what an export's cursor holds: the pull, a digest of its scope (a cursor is not
// valid for another scope) and the id of the last entity seen.
type exportCursor struct {
	Export string `json:"x"`
	Scope  string `json:"s"`
	ID     string `json:"id"`
}

// ExportWorkspace returns one page of the export of sc. It needs graph:read (checked by the
// schema). A cursor belongs to the caller who started the pull: another caller's is refused.
func (s *Store) ExportWorkspace(ctx context.Context, p ExportParams) (*WorkspaceExport, error) {
	lim := s.cfg.Export
	first, err := bounded("first", p.First, lim.DefaultPage, lim.MaxPage)
	if err != nil {
		return nil, err
	}
	limit, err := bounded("scope.limit", p.Scope.Limit, lim.DefaultEntities, lim.MaxEntities)
	if err != nil {
		return nil, err
	}
	if p.Scope.Around != nil && len(p.Scope.Around) == 0 {
		return nil, tg.InvalidField("scope.around", "names no entity: leave it out to take every visible entity")
	}
	for _, id := range p.Scope.Around {
		if len(id) > maxSeedIDLength {
			return nil, tg.InvalidField("scope.around", "holds an id longer than %d characters", maxSeedIDLength)
		}
	}
	depth := DefaultExportDepth
	if d := p.Scope.Depth; d != nil {
		if *d < 0 {
			return nil, tg.InvalidField("scope.depth", "must be at least 0")
		}
		if *d > lim.MaxDepth {
			return nil, &tg.Error{Code: tg.LimitExceeded, Message: fmt.Sprintf("must be at most %d", lim.MaxDepth), Field: "scope.depth"}
		}
		depth = *d
	}
	digest, err := scopeDigest(p.Scope, limit, depth)
	if err != nil {
		return nil, err
	}
	page := &WorkspaceExport{Scope: describeScope(p.Scope, limit, depth), digest: digest}
	params := viewerParams(ctx, map[string]any{
		"limit": limit, "probe": limit + 1, "first": first, "after": nil,
		"maxRels": lim.MaxPageRelationships, "export": nil, "issuer": nil, "subject": nil,
		"digest": digest, "cursorSeconds": int64(lim.CursorLifetime / time.Second),
	})
	if p.After != nil {
		c, err := decodeExportCursor(*p.After, digest)
		if err != nil {
			return nil, err
		}
		page.ExportID, params["after"], params["export"] = c.Export, c.ID, c.Export
		caller := auth.CallerFrom(ctx)
		params["issuer"], params["subject"] = caller.Issuer, caller.Subject
	} else {
		page.ExportID = uuid.NewString()
	}
	var seeds strings.Builder
	if p.Scope.seeded() {
		ids := slices.Clone(p.Scope.Around)
		if p.Scope.Search != nil {
			hits, err := s.Search(ctx, SearchParams{Query: *p.Scope.Search, First: &s.cfg.Traversal.MaxResults})
			if err != nil {
				return nil, prefixField("scope.search", err)
			}
			for _, h := range hits.Hits {
				ids = append(ids, h.Node.NodeID())
			}
			// Which entities the search found, and so seeded the scope, was ranked among them all.
			page.Markings = unionMarkings(page.Markings, hits.Markings)
			page.PersonalData = unionPersonalData(page.PersonalData, hits.PersonalData)
		}
		params["seeds"] = ids
		seeds.WriteString("MATCH (start:" + exportLabels + ")\nWHERE start.id IN $seeds AND " + visible("start") + "\n")
		if p.Scope.Incidents != nil {
			filter, err := whereClause(ctx, kindOf(tg.LabelIncident), "start", p.Scope.Incidents, params)
			if err != nil {
				return nil, err
			}
			if filter == "" {
				filter = "true"
			}
			// Which incidents matched tells what their neighbours hold, as a list's filter does.
			reach := reachOf(tg.LabelIncident, p.Scope.Incidents)
			if reach.neighbours {
				page.Markings = slices.Clone(SensitiveMarkings)
			}
			page.PersonalData = unionPersonalData(page.PersonalData,
				personalDataOfList(kindOf(tg.LabelIncident), reach, nil, false, params["pii"] == true))
			seeds.Reset()
			seeds.WriteString("MATCH (start:" + exportLabels + ")\nWHERE " + visible("start") +
				" AND (start.id IN $seeds OR (start:" + tg.LabelIncident + " AND " + filter + "))\n")
		}
	}
	// A pull is not interactive: its pages may take the store's transaction timeout, not the
	// traversals' shorter one.
	records, err := traverseWithin(ctx, s, s.cfg.TxTimeout, "workspace export", exportCypher(seeds.String(), depth), params,
		func(records []*neo4j.Record) ([]*neo4j.Record, error) { return records, nil })
	if err != nil {
		return nil, err
	}
	m := records[0].AsMap()
	if p.After != nil && m["ownExport"] != true {
		return nil, tg.InvalidField("after", "is not a cursor of a workspace export of yours started within %s: start the pull again", lim.CursorLifetime)
	}
	if n, _ := m["relCount"].(int64); n > int64(lim.MaxPageRelationships) {
		return nil, &tg.Error{Code: tg.LimitExceeded, Field: "first",
			Message: fmt.Sprintf("this page's entities have more than %d relationships: ask for a smaller first", lim.MaxPageRelationships)}
	}
	byID := map[string]Node{}
	if page.Nodes, err = decodeNodes(m["nodes"], byID); err != nil {
		return nil, fmt.Errorf("workspace export: %w", err)
	}
	if _, err = decodeNodes(m["ends"], byID); err != nil {
		return nil, fmt.Errorf("workspace export: %w", err)
	}
	if page.Relationships, err = decodeLinks(m["rels"], byID); err != nil {
		return nil, fmt.Errorf("workspace export: %w", err)
	}
	total, _ := m["total"].(int64)
	page.TotalCount, page.Truncated, page.HasNextPage = int(total), m["truncated"] == true, m["hasNext"] == true
	// What the scope holds beyond the page was counted (totalCount) and looked for (truncated,
	// hasNextPage); which entities the page holds depends on the scope's nodes before it.
	scopeMarkings := decodeMarkings(m["scopeMarkings"])
	page.field("totalCount", scopeMarkings)
	page.field("pageInfo.hasNextPage", scopeMarkings)
	page.field("truncated", unionMarkings(scopeMarkings, decodeMarkings(m["cutMarkings"])))
	page.HasPreviousPage = p.After != nil
	if len(page.Nodes) > 0 {
		start := encodeExportCursor(exportCursor{Export: page.ExportID, Scope: digest, ID: page.Nodes[0].NodeID()})
		end := encodeExportCursor(exportCursor{Export: page.ExportID, Scope: digest, ID: page.Nodes[len(page.Nodes)-1].NodeID()})
		page.StartCursor, page.EndCursor = &start, &end
	}
	return page, nil
}

// exportLabels are the labels a workspace holds: the intelligence, not the directory.
var exportLabels = strings.Join(tg.IntelligenceLabels, "|")

// exportCypher is the query of one export page. seeds, when not empty, matches the seed nodes as
// `start`; the scope is then their breadth-first neighbourhood within depth hops, else every
// visible entity, by id. Parameters: $limit, $probe, $first, $after, $maxRels, $export, $issuer,
// $subject, $seeds and the filter's, and the viewer's.
func exportCypher(seeds string, depth int) string {
	types, _ := relTypeUnion("", nil, false) // every type of the allowlist: cannot fail
	var b strings.Builder
	b.WriteString(viewerPrelude)
	if seeds == "" {
		b.WriteString(`CALL {
    WITH peers
    MATCH (n:` + exportLabels + `)
    WHERE ` + visible("n") + `
    WITH n ORDER BY n.id
    LIMIT $probe
    RETURN collect(n) AS seen
}
`)
	} else {
		b.WriteString(`CALL {
    WITH peers
    ` + strings.ReplaceAll(strings.TrimSuffix(seeds, "\n"), "\n", "\n    ") + `
    WITH start ORDER BY start.id
    LIMIT $probe
    RETURN collect(start) AS seen
}
WITH peers, seen, seen AS frontier, [] AS levels
`)
		breadthFirst(&b, "(f)-[r:"+types+"]-(n:"+exportLabels+")", depth)
	}
	b.WriteString(`CALL {
    WITH seen
    UNWIND seen[..$limit] AS n
    WITH n ORDER BY n.id
    RETURN collect(n) AS kept, collect(DISTINCT n.tlp) AS scopeMarkings
}
WITH peers, kept, scopeMarkings, [n IN seen[$limit..] | n.tlp] AS cutMarkings, size(seen) > $limit AS truncated,
     [n IN kept | n.id] AS scopeIds
WITH peers, kept, scopeMarkings, cutMarkings, truncated, scopeIds,
     [n IN kept WHERE $after IS NULL OR n.id > $after] AS rest
WITH peers, scopeMarkings, cutMarkings, truncated, scopeIds, rest[..$first] AS pageNodes, size(rest) > $first AS hasNext
CALL {
    WITH peers, pageNodes, scopeIds
    UNWIND pageNodes AS a
    MATCH (a)-[r:` + types + `]->(z)
    WHERE z.id IN scopeIds AND ` + visible("r") + `
    WITH r, z
    LIMIT $maxRels + 1
    RETURN collect(r) AS rels, collect(DISTINCT z) AS ends
}
OPTIONAL MATCH (export:` + tg.LabelAuditEvent + ` {id: $export})
RETURN [n IN pageNodes | ` + projection("n") + `] AS nodes,
       [z IN ends | ` + projection("z") + `] AS ends,
       [r IN rels | ` + linkProjection("r") + `] AS rels, size(rels) AS relCount,
       size(scopeIds) AS total, truncated, hasNext, scopeMarkings, cutMarkings,
       export IS NOT NULL AND export.issuer = $issuer AND export.subject = $subject
         AND export.exportDigest = $digest AND export.at > datetime() - duration({seconds: $cursorSeconds}) AS ownExport`)
	return b.String()
}

// describeScope names the scope for the audit trail: the seed ids, the depth and limit, and the
// names of the search and of the filter's fields, never their values.
func describeScope(sc ExportScope, limit, depth int) []string {
	out := []string{"limit:" + strconv.Itoa(limit)}
	if !sc.seeded() {
		return append(out, "everything")
	}
	out = append(out, "depth:"+strconv.Itoa(depth))
	for _, id := range sc.Around {
		out = append(out, "around:"+id)
	}
	if sc.Search != nil {
		out = append(out, "search")
	}
	names := slices.Clone(sc.IncidentsFields)
	slices.Sort(names)
	return append(out, slices.Compact(names)...)
}

// scopeDigest identifies a scope, so that a cursor serves only the scope it was made for.
func scopeDigest(sc ExportScope, limit, depth int) (string, error) {
	raw, err := json.Marshal(map[string]any{"around": sc.Around, "incidents": filterKey(sc.Incidents), "search": sc.Search, "depth": depth, "limit": limit})
	if err != nil {
		return "", tg.InvalidField("scope", "cannot be read: %v", err)
	}
	return uuid.NewSHA1(uuid.NameSpaceOID, raw).String(), nil
}

func encodeExportCursor(c exportCursor) string {
	raw, _ := json.Marshal(c) // strings always marshal
	return base64.RawURLEncoding.EncodeToString(raw)
}

func decodeExportCursor(after, digest string) (exportCursor, error) {
	bad := tg.InvalidField("after", "is not a cursor of this workspace export")
	raw, err := base64.RawURLEncoding.DecodeString(after)
	if err != nil {
		return exportCursor{}, bad
	}
	var c exportCursor
	if err := json.Unmarshal(raw, &c); err != nil || c.ID == "" || c.Scope != digest {
		return exportCursor{}, bad
	}
	if _, err := uuid.Parse(c.Export); err != nil {
		return exportCursor{}, bad
	}
	return c, nil
}

// prefixField names field as the one an input error is about, when the error came from a part
// of the request that names its own (the scope's search, a merge's record).
func prefixField(field string, err error) error {
	if e, ok := errors.AsType[*tg.Error](err); ok && e.Field != "" {
		e.Field = field
	}
	return err
}
