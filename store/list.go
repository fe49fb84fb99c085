package store

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	tg "github.com/traffikgraph/traffikgraph"
	"github.com/traffikgraph/traffikgraph/auth"
)

// Sort is one ordering key of a list: a sortable property of the label's model (one with a
// SortField), ascending unless Descending.
type Sort struct {
	Property   string
	Descending bool
}

// ListParams selects a page of a label's visible nodes.
type ListParams struct {
	First  *int
	After  *string
	Filter *Filter
	// Order are at most 3 keys; refusals name "order" or the key ("order[1]").
	Order []Sort
	// WithTotal asks for the count of all matching visible nodes, in the same query.
	WithTotal bool
	// CountOnly says that no node of the page is asked for (only the count, say): none is read.
	// First and After are still checked.
	CountOnly bool
	// Plans are relationship fields asked of the page's nodes, answered in the same query.
	Plans []*NeighborPlan
}

// Page is one page of a list, in order, with a cursor per node.
type Page struct {
	Nodes           []Node
	Cursors         []string
	HasNextPage     bool
	HasPreviousPage bool
	TotalCount      int
	// Tree answers ListParams.Plans for the page's nodes.
	Tree Tree
	// Derivation names the markings of what the page was computed from beyond its nodes: the
	// nodes counted (totalCount), the first node beyond the page (pageInfo.hasNextPage), and for
	// the page itself the node a cursor names, every match of an ordering (a page cut from an
	// order discloses how the others compare) and, conservatively, every sensitive marking when a
	// relationship filter selected it (see docs/access.md, Audit).
	Derivation
}

// sortKey is one resolved ordering key.
type sortKey struct {
	prop tg.Property
	desc bool
}

// cursor is what an opaque cursor holds: the ordering it belongs to and the id of the last node
// seen. The query reads that node's sort values itself (keyset pagination, stable under
// inserts), so a cursor carries no property value, personal or otherwise.
type cursor struct {
	Order string `json:"o"`
	ID    string `json:"id"`
}

// List returns a page of the nodes of label that the caller may see and that match the filter.
// It runs one Cypher query.
func (s *Store) List(ctx context.Context, label string, p ListParams) (*Page, error) {
	k := kindOf(label)
	limit, err := s.pageSize(p.First)
	if err != nil {
		return nil, err
	}
	if p.CountOnly {
		limit = 0
	}
	keys, err := resolveSort(ctx, k, p.Order)
	if err != nil {
		return nil, err
	}
	params := viewerParams(ctx, map[string]any{"limit": limit + 1})
	filter, err := whereClause(ctx, k, "n", p.Filter, params)
	if err != nil {
		return nil, err
	}
	match := "MATCH (n:" + k.Name + ")\n    WHERE " + visible("n")
	if filter != "" {
		match += "\n      AND " + filter
	}
	var keyset string
	if p.After != nil {
		after, err := decodeCursor(k, keys, *p.After)
		if err != nil {
			return nil, err
		}
		params["cid"] = after
		keyset = keysetCondition(keys)
	}
	// A page cut from an ordering discloses how every match left out compares with its nodes, so
	// an ordered page reads every match, as a count does, and names their markings.
	ordered := len(keys) > 0 && limit > 0
	cursorMarking := "null"
	if p.After != nil {
		cursorMarking = "c.tlp"
	}
	// The node a cursor names is read as this caller sees it: a cursor of a node the caller may
	// not see (any more) gives an empty page, never its neighbours in the order.
	cursorNode := "MATCH (c:" + k.Name + " {id: $cid})\n    WHERE " + visible("c") + "\n    "
	var b strings.Builder
	b.WriteString(viewerPrelude + "CALL {\n    WITH peers\n    ")
	if p.WithTotal || ordered {
		// One pass over the matching nodes gives the count, their markings and the page.
		b.WriteString("CALL {\n        WITH peers\n        " + strings.ReplaceAll(match, "\n", "\n    ") +
			"\n        RETURN collect(n) AS matched, collect(DISTINCT n.tlp) AS markings\n    }\n    ")
		candidates := "matched"
		if p.After != nil {
			b.WriteString("OPTIONAL " + cursorNode)
			candidates = "[n IN matched WHERE " + keyset + "]"
		}
		b.WriteString("WITH peers, size(matched) AS total, markings, " + cursorMarking + " AS cursorMarking, " + candidates + " AS candidates\n" +
			"    UNWIND CASE WHEN candidates = [] THEN [null] ELSE candidates END AS n\n    WITH n, peers, total, markings, cursorMarking")
	} else {
		if p.After != nil {
			b.WriteString(cursorNode + match + "\n      AND " + keyset)
		} else {
			b.WriteString(match)
		}
		b.WriteString("\n    WITH n, peers, 0 AS total, [] AS markings, " + cursorMarking + " AS cursorMarking")
	}
	var order []string
	for i, key := range keys {
		fmt.Fprintf(&b, ", %s AS s%d", sortExpr("n", key.prop), i)
		order = append(order, fmt.Sprintf("s%d %s", i, direction(key.desc)))
	}
	order = append(order, "n.id "+direction(len(keys) > 0 && keys[len(keys)-1].desc))
	b.WriteString("\n    ORDER BY " + strings.Join(order, ", ") + "\n    LIMIT $limit\n")
	tree := newTreeBuilder(s, params)
	calls, answers, err := tree.calls(p.Plans, "n")
	if err != nil {
		return nil, err
	}
	b.WriteString(calls)
	// With a count, an empty page is one row whose n is null: it keeps the count.
	b.WriteString("    RETURN total, markings, cursorMarking, collect(CASE WHEN n IS NULL THEN null ELSE {node: " + projection("n") +
		", tree: " + answers + "} END) AS rows\n}\n")
	b.WriteString("RETURN total, markings, cursorMarking, rows")

	type result struct {
		total                   int64
		markings, cursorMarking any
		rows                    []any
	}
	res, err := readTx(ctx, s, func(tx statementRunner) (result, error) {
		records, err := s.run(ctx, tx, b.String(), params)
		if err != nil || len(records) == 0 {
			return result{}, err
		}
		m := records[0].AsMap()
		n, _ := m["total"].(int64)
		list, _ := m["rows"].([]any)
		return result{total: n, markings: m["markings"], cursorMarking: m["cursorMarking"], rows: list}, nil
	})
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", label, err)
	}
	page := &Page{TotalCount: int(res.total), HasPreviousPage: p.After != nil, Tree: Tree{}}
	page.Markings = decodeMarkings(res.cursorMarking)
	if ordered && (len(res.rows) > limit || p.After != nil) {
		// Matches were ranked out of the page, after it or before the cursor.
		page.Markings = unionMarkings(page.Markings, decodeMarkings(res.markings))
	}
	reach := reachOf(k.Name, p.Filter)
	if reach.neighbours {
		page.Markings = slices.Clone(SensitiveMarkings)
	}
	page.PersonalData = personalDataOfList(k, reach, keys, limit > 0, params["pii"] == true)
	if p.WithTotal {
		page.field("totalCount", decodeMarkings(res.markings))
	}
	if len(res.rows) > limit {
		page.HasNextPage = true
		beyond, err := decodeNode(res.rows[limit].(map[string]any)["node"])
		if err != nil {
			return nil, err
		}
		page.field("pageInfo.hasNextPage", decodeMarkings(beyond.provenance().Tlp))
		res.rows = res.rows[:limit]
	}
	fingerprint := orderFingerprint(k, keys)
	for _, row := range res.rows {
		m := row.(map[string]any)
		node, err := decodeNode(m["node"])
		if err != nil {
			return nil, err
		}
		page.Nodes = append(page.Nodes, node)
		page.Cursors = append(page.Cursors, encodeCursor(fingerprint, node.NodeID()))
		if err := tree.decodeFound(p.Plans, node.NodeID(), []any{node.Label()}, m["tree"], page.Tree); err != nil {
			return nil, err
		}
	}
	return page, nil
}

func (s *Store) pageSize(first *int) (int, error) {
	if first == nil {
		return s.cfg.DefaultPageSize, nil
	}
	if *first < 0 || *first > s.cfg.MaxPageSize {
		return 0, tg.InvalidField("first", "must be between 0 and %d", s.cfg.MaxPageSize)
	}
	return *first, nil
}

func resolveSort(ctx context.Context, k *tg.Label, order []Sort) ([]sortKey, error) {
	if len(order) > 3 {
		return nil, tg.InvalidField("order", "must have at most 3 keys")
	}
	pii := auth.CallerFrom(ctx).Has(auth.ScopeGraphReadPII)
	keys := make([]sortKey, 0, len(order))
	for i, o := range order {
		field := fmt.Sprintf("order[%d]", i)
		p, ok := k.Prop(o.Property)
		if !ok || p.SortField == "" {
			return nil, tg.InvalidField(field, "unknown sort field")
		}
		if alwaysPersonal(p) && !pii {
			return nil, &tg.Error{Code: tg.Forbidden, Message: "ordering by personal data needs the graph:read:pii scope", Field: field}
		}
		keys = append(keys, sortKey{prop: p, desc: o.Descending})
	}
	return keys, nil
}

func direction(desc bool) string {
	if desc {
		return "DESC"
	}
	return "ASC"
}

// sortExpr is the value a node sorts by: never null (so that keyset comparisons hold), and
// blind to personal data the caller may not read.
func sortExpr(n string, p tg.Property) string {
	value := n + "." + p.Name
	if conditionallyPersonal(p) {
		value = "CASE WHEN $pii OR " + impersonalWhen(p.PII, n) + " THEN " + value + " END"
	}
	var sentinel string
	switch p.Type {
	case tg.Int:
		sentinel = "-9223372036854775808"
	case tg.Float:
		sentinel = "-1.0e308"
	case tg.Date:
		sentinel = "date('0001-01-01')"
	case tg.DateTime:
		sentinel = "datetime('0001-01-01T00:00:00Z')"
	default:
		sentinel = "''"
	}
	return "coalesce(" + value + ", " + sentinel + ")"
}

func orderFingerprint(k *tg.Label, keys []sortKey) string {
	parts := []string{k.Name}
	for _, key := range keys {
		parts = append(parts, key.prop.Name+":"+direction(key.desc))
	}
	return strings.Join(parts, ",")
}

func encodeCursor(order, id string) string {
	raw, _ := json.Marshal(cursor{Order: order, ID: id}) // a struct of strings always marshals
	return base64.RawURLEncoding.EncodeToString(raw)
}

// decodeCursor returns the node id of a cursor of this list and ordering.
func decodeCursor(k *tg.Label, keys []sortKey, after string) (string, error) {
	bad := tg.InvalidField("after", "is not a cursor of this list and ordering")
	raw, err := base64.RawURLEncoding.DecodeString(after)
	if err != nil {
		return "", bad
	}
	var c cursor
	if err := json.Unmarshal(raw, &c); err != nil || c.ID == "" || c.Order != orderFingerprint(k, keys) {
		return "", bad
	}
	return c.ID, nil
}

// keysetCondition selects the nodes n that come after the cursor node c in the order of keys:
// (a(n) > a(c)) OR (a(n) = a(c) AND b(n) > b(c)) OR ... OR (... AND n.id > c.id).
func keysetCondition(keys []sortKey) string {
	var exprsN, exprsC, ops []string
	for _, key := range keys {
		exprsN = append(exprsN, sortExpr("n", key.prop))
		exprsC = append(exprsC, sortExpr("c", key.prop))
		ops = append(ops, map[bool]string{false: ">", true: "<"}[key.desc])
	}
	exprsN, exprsC = append(exprsN, "n.id"), append(exprsC, "c.id")
	ops = append(ops, map[bool]string{false: ">", true: "<"}[len(keys) > 0 && keys[len(keys)-1].desc])
	var alternatives []string
	for i := range exprsN {
		var parts []string
		for j := 0; j < i; j++ {
			parts = append(parts, exprsN[j]+" = "+exprsC[j])
		}
		parts = append(parts, exprsN[i]+" "+ops[i]+" "+exprsC[i])
		alternatives = append(alternatives, "("+strings.Join(parts, " AND ")+")")
	}
	return "(" + strings.Join(alternatives, " OR ") + ")"
}

// GetWithTree returns the node with id if the caller may see it (or nil), and the answers of plans
// asked of it, in one query.
func (s *Store) GetWithTree(ctx context.Context, id string, plans []*NeighborPlan) (Node, Tree, error) {
	params := viewerParams(ctx, map[string]any{"id": id})
	tree := newTreeBuilder(s, params)
	calls, answers, err := tree.calls(plans, "n")
	if err != nil {
		return nil, nil, err
	}
	query := viewerPrelude + `
MATCH (n:` + tg.LabelEntity + ` {id: $id})
WHERE ` + visible("n") + `
` + calls + `RETURN ` + projection("n") + ` AS node, ` + answers + ` AS found`
	type result struct {
		node Node
		tree Tree
	}
	res, err := readTx(ctx, s, func(tx statementRunner) (result, error) {
		records, err := s.run(ctx, tx, query, params)
		if err != nil || len(records) == 0 {
			return result{}, err
		}
		raw, _ := records[0].Get("node")
		node, err := decodeNode(raw)
		if err != nil {
			return result{}, err
		}
		found, _ := records[0].Get("found")
		out := Tree{}
		return result{node, out}, tree.decodeFound(plans, node.NodeID(), []any{node.Label()}, found, out)
	})
	if err != nil {
		return nil, nil, fmt.Errorf("get node: %w", err)
	}
	return res.node, res.tree, nil
}

// Get returns the node with id if the caller may see it, or nil.
func (s *Store) Get(ctx context.Context, id string) (Node, error) {
	node, _, err := s.GetWithTree(ctx, id, nil)
	return node, err
}
