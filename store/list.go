package store

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
	"github.com/neo4j/neo4j-go-driver/v5/neo4j/dbtype"
	tg "github.com/traffikgraph/traffikgraph"
	"github.com/traffikgraph/traffikgraph/auth"
)

// Sort is one ordering key of a list: Field is the GraphQL sort field (e.g. NAME), Direction
// ASC or DESC.
type Sort struct {
	Field     string `json:"field"`
	Direction string `json:"direction"`
}

// ListParams selects a page of a label's visible nodes.
type ListParams struct {
	First   *int
	After   *string
	Where   map[string]any
	OrderBy []Sort
	// WithTotal asks for the count of all matching visible nodes, in the same query.
	WithTotal bool
}

// Page is one page of a list, in order, with a cursor per node.
type Page struct {
	Nodes           []Node
	Cursors         []string
	HasNextPage     bool
	HasPreviousPage bool
	TotalCount      int
}

// sortKey is one resolved ordering key.
type sortKey struct {
	prop property
	desc bool
}

// cursor is what an opaque cursor holds: the ordering it belongs to and the sort values of
// the last node seen (keyset pagination, stable under inserts).
type cursor struct {
	Order  string     `json:"o"`
	Values [][]string `json:"v"`
	ID     string     `json:"id"`
}

// List returns a page of the nodes of label that the caller may see and that match the filter.
// It runs one Cypher query.
func (s *Store) List(ctx context.Context, label string, p ListParams) (*Page, error) {
	k := kindOf(label)
	limit, err := s.pageSize(p.First)
	if err != nil {
		return nil, err
	}
	keys, err := resolveSort(ctx, k, p.OrderBy)
	if err != nil {
		return nil, err
	}
	params := viewerParams(ctx, map[string]any{"limit": limit + 1})
	filter, err := whereClause(ctx, k, "n", p.Where, params)
	if err != nil {
		return nil, err
	}
	match := "MATCH (n:" + k.label + ")\n    WHERE " + visible("n")
	if filter != "" {
		match += "\n      AND " + filter
	}
	pageMatch := match
	if p.After != nil {
		cond, err := keysetCondition(keys, *p.After, params)
		if err != nil {
			return nil, err
		}
		pageMatch += "\n      AND " + cond
	}
	var b strings.Builder
	b.WriteString(viewerPrelude)
	if p.WithTotal {
		b.WriteString("CALL {\n    WITH peers\n    " + match + "\n    RETURN count(n) AS total\n}\n")
	} else {
		b.WriteString("WITH peers, 0 AS total\n")
	}
	b.WriteString("CALL {\n    WITH peers\n    " + pageMatch + "\n    WITH n")
	var order []string
	for i, key := range keys {
		fmt.Fprintf(&b, ", %s AS s%d", sortExpr("n", key.prop), i)
		order = append(order, fmt.Sprintf("s%d %s", i, direction(key.desc)))
	}
	order = append(order, "n.id "+direction(len(keys) > 0 && keys[len(keys)-1].desc))
	b.WriteString("\n    ORDER BY " + strings.Join(order, ", ") + "\n    LIMIT $limit\n")
	var keyList []string
	for i := range keys {
		keyList = append(keyList, fmt.Sprintf("s%d", i))
	}
	b.WriteString("    RETURN collect({node: " + projection("n") + ", key: [" + strings.Join(keyList, ", ") + "]}) AS rows\n}\n")
	b.WriteString("RETURN total, rows")

	type result struct {
		total int64
		rows  []any
	}
	res, err := readTx(ctx, s, func(tx neo4j.ManagedTransaction) (result, error) {
		records, err := s.run(ctx, tx, b.String(), params)
		if err != nil || len(records) == 0 {
			return result{}, err
		}
		total, _ := records[0].Get("total")
		rows, _ := records[0].Get("rows")
		n, _ := total.(int64)
		list, _ := rows.([]any)
		return result{total: n, rows: list}, nil
	})
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", label, err)
	}
	page := &Page{TotalCount: int(res.total), HasPreviousPage: p.After != nil}
	if len(res.rows) > limit {
		page.HasNextPage = true
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
		page.Cursors = append(page.Cursors, encodeCursor(fingerprint, m["key"].([]any), node.NodeID()))
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

func resolveSort(ctx context.Context, k *kind, orderBy []Sort) ([]sortKey, error) {
	if len(orderBy) > 3 {
		return nil, tg.InvalidField("orderBy", "must have at most 3 keys")
	}
	pii := auth.CallerFrom(ctx).Has(auth.ScopeGraphReadPII)
	keys := make([]sortKey, 0, len(orderBy))
	for i, o := range orderBy {
		field := fmt.Sprintf("orderBy[%d].field", i)
		p, ok := k.sortProp(o.Field)
		if !ok {
			return nil, tg.InvalidField(field, "unknown sort field")
		}
		if p.pii == alwaysPII && !pii {
			return nil, &tg.Error{Code: tg.Forbidden, Message: "ordering by personal data needs the graph:read:pii scope", Field: field}
		}
		keys = append(keys, sortKey{prop: p, desc: o.Direction == "DESC"})
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
func sortExpr(n string, p property) string {
	value := n + "." + p.name
	if p.pii == piiForAddresses {
		value = "CASE WHEN $pii OR " + n + ".kind <> 'ADDRESS' THEN " + value + " END"
	}
	var sentinel string
	switch p.typ {
	case typeInt:
		sentinel = "-9223372036854775808"
	case typeFloat:
		sentinel = "-1.0e308"
	case typeDate:
		sentinel = "date('0001-01-01')"
	case typeDateTime:
		sentinel = "datetime('0001-01-01T00:00:00Z')"
	default:
		sentinel = "''"
	}
	return "coalesce(" + value + ", " + sentinel + ")"
}

func orderFingerprint(k *kind, keys []sortKey) string {
	parts := []string{k.label}
	for _, key := range keys {
		parts = append(parts, key.prop.name+":"+direction(key.desc))
	}
	return strings.Join(parts, ",")
}

func encodeCursor(order string, values []any, id string) string {
	c := cursor{Order: order, ID: id}
	for _, v := range values {
		switch x := v.(type) {
		case string:
			c.Values = append(c.Values, []string{"s", x})
		case int64:
			c.Values = append(c.Values, []string{"i", fmt.Sprint(x)})
		case float64:
			c.Values = append(c.Values, []string{"f", fmt.Sprint(x)})
		case dbtype.Date:
			c.Values = append(c.Values, []string{"d", time.Time(x).Format(time.DateOnly)})
		case time.Time:
			c.Values = append(c.Values, []string{"t", x.UTC().Format(time.RFC3339Nano)})
		default:
			c.Values = append(c.Values, []string{"s", fmt.Sprint(x)})
		}
	}
	raw, _ := json.Marshal(c) // a struct of strings always marshals
	return base64.RawURLEncoding.EncodeToString(raw)
}

// keysetCondition returns the condition selecting the nodes after the cursor, in the order of keys.
func keysetCondition(keys []sortKey, after string, params map[string]any) (string, error) {
	bad := tg.InvalidField("after", "is not a cursor of this list and ordering")
	raw, err := base64.RawURLEncoding.DecodeString(after)
	if err != nil {
		return "", bad
	}
	var c cursor
	if err := json.Unmarshal(raw, &c); err != nil || len(c.Values) != len(keys) || c.ID == "" {
		return "", bad
	}
	var k *kind
	if label, _, _ := strings.Cut(c.Order, ","); kinds[label] != nil {
		k = kinds[label]
	}
	if k == nil || c.Order != orderFingerprint(k, keys) {
		return "", bad
	}
	exprs := make([]string, 0, len(keys)+1)
	ops := make([]string, 0, len(keys)+1)
	for i, key := range keys {
		v, err := decodeCursorValue(c.Values[i])
		if err != nil {
			return "", bad
		}
		name := fmt.Sprintf("c%d", i)
		params[name] = v
		exprs = append(exprs, sortExpr("n", key.prop))
		ops = append(ops, map[bool]string{false: ">", true: "<"}[key.desc])
	}
	params["cid"] = c.ID
	exprs = append(exprs, "n.id")
	ops = append(ops, map[bool]string{false: ">", true: "<"}[len(keys) > 0 && keys[len(keys)-1].desc])
	// Lexicographic: (a > $c0) OR (a = $c0 AND b > $c1) OR ... OR (a = $c0 AND ... AND id > $cid).
	var alternatives []string
	for i := range exprs {
		var parts []string
		for j := 0; j < i; j++ {
			parts = append(parts, exprs[j]+" = "+paramName(j, len(keys)))
		}
		parts = append(parts, exprs[i]+" "+ops[i]+" "+paramName(i, len(keys)))
		alternatives = append(alternatives, "("+strings.Join(parts, " AND ")+")")
	}
	return "(" + strings.Join(alternatives, " OR ") + ")", nil
}

func paramName(i, nKeys int) string {
	if i == nKeys {
		return "$cid"
	}
	return fmt.Sprintf("$c%d", i)
}

func decodeCursorValue(v []string) (any, error) {
	if len(v) != 2 {
		return nil, fmt.Errorf("bad cursor value")
	}
	switch v[0] {
	case "s":
		return v[1], nil
	case "i":
		var n int64
		_, err := fmt.Sscan(v[1], &n)
		return n, err
	case "f":
		var f float64
		_, err := fmt.Sscan(v[1], &f)
		return f, err
	case "d":
		t, err := time.Parse(time.DateOnly, v[1])
		return dbtype.Date(t), err
	case "t":
		return time.Parse(time.RFC3339Nano, v[1])
	}
	return nil, fmt.Errorf("bad cursor value type")
}

// Get returns the node with id if the caller may see it, or nil.
func (s *Store) Get(ctx context.Context, id string) (Node, error) {
	nodes, err := s.GetMany(ctx, []string{id})
	if err != nil {
		return nil, err
	}
	return nodes[id], nil
}

// GetMany returns the visible nodes among ids, keyed by id, in one query.
func (s *Store) GetMany(ctx context.Context, ids []string) (map[string]Node, error) {
	query := viewerPrelude + `
UNWIND $ids AS id
MATCH (n:Entity {id: id})
WHERE ` + visible("n") + `
RETURN ` + projection("n") + ` AS node`
	params := viewerParams(ctx, map[string]any{"ids": ids})
	return readTx(ctx, s, func(tx neo4j.ManagedTransaction) (map[string]Node, error) {
		records, err := s.run(ctx, tx, query, params)
		if err != nil {
			return nil, fmt.Errorf("get nodes: %w", err)
		}
		out := make(map[string]Node, len(records))
		for _, r := range records {
			v, _ := r.Get("node")
			node, err := decodeNode(v)
			if err != nil {
				return nil, err
			}
			out[node.NodeID()] = node
		}
		return out, nil
	})
}
