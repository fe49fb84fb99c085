package store

import (
	"context"
	"strings"
	"unicode/utf8"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
	tg "github.com/traffikgraph/traffikgraph"
	"github.com/traffikgraph/traffikgraph/store/migrations"
)

// SearchHit is an entity found by full-text search, with Lucene's relevance score.
type SearchHit struct {
	Node  Node
	Score float64
	// Label is the node's label (Person, Business...).
	Label string
}

// SearchParams is a full-text search: free text, optionally only entities with these labels.
type SearchParams struct {
	Query  string
	Labels []string
	First  *int
}

// Bounds of the search text, checked before Lucene sees it.
const (
	maxSearchRunes = 200
	maxSearchTerms = 8
)

// searchCypher is the query of Search: the public full-text index, and with pii the index of
// personal data too, each yielding $candidates hits, of which the visible ones of the wanted
// labels are kept, best first. Without pii, street addresses (whose names are personal data but
// live in the public index) never match. Parameters: $publicIndex, $piiIndex, $lucene,
// $candidates, $labels (null for any), $limit and the viewer's.
func searchCypher(pii bool) string {
	indexes := `    CALL db.index.fulltext.queryNodes($publicIndex, $lucene, {limit: $candidates}) YIELD node, score
    RETURN node, score`
	filter := ` AND NOT (node:Location AND node.kind = 'ADDRESS')`
	if pii {
		indexes += `
  UNION ALL
    CALL db.index.fulltext.queryNodes($piiIndex, $lucene, {limit: $candidates}) YIELD node, score
    RETURN node, score`
		filter = ""
	}
	return viewerPrelude + `CALL {
` + indexes + `
}
WITH peers, node, score
WHERE ` + visible("node") + filter + `
  AND ($labels IS NULL OR any(l IN labels(node) WHERE l IN $labels))
RETURN ` + projection("node") + ` AS node, score
ORDER BY score DESC, node.id
LIMIT $limit`
}

// luceneQuery turns free text into a Lucene query that tolerates typos: every word must match,
// exactly (ranked higher) or within one edit (words of 3 to 5 letters) or two (longer words).
// Lucene's special characters in the text are escaped, so the text is only ever words.
func luceneQuery(text string) (string, error) {
	if utf8.RuneCountInString(text) > maxSearchRunes {
		return "", &tg.Error{Code: tg.LimitExceeded, Message: "the search text must be at most 200 characters", Field: "query"}
	}
	words := strings.Fields(strings.ToLower(text))
	if len(words) == 0 {
		return "", tg.InvalidField("query", "must contain a word")
	}
	if len(words) > maxSearchTerms {
		return "", &tg.Error{Code: tg.LimitExceeded, Message: "the search text must have at most 8 words", Field: "query"}
	}
	clauses := make([]string, 0, len(words))
	for _, w := range words {
		escaped := escapeLucene(w)
		switch n := utf8.RuneCountInString(w); {
		case n <= 2:
			clauses = append(clauses, escaped)
		case n <= 5:
			clauses = append(clauses, "("+escaped+"^2 OR "+escaped+"~1)")
		default:
			clauses = append(clauses, "("+escaped+"^2 OR "+escaped+"~2)")
		}
	}
	return strings.Join(clauses, " AND "), nil
}

// escapeLucene escapes the characters the Lucene query parser treats as syntax.
func escapeLucene(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`+-&|!(){}[]^"~*?:\/`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Search finds the visible entities whose text matches query, best first. Without
// graph:read:pii only the public index is searched, so personal data never matches. One query.
func (s *Store) Search(ctx context.Context, p SearchParams) ([]*SearchHit, error) {
	first, err := bounded("first", p.First, DefaultResults, s.cfg.Traversal.MaxResults)
	if err != nil {
		return nil, err
	}
	lucene, err := luceneQuery(p.Query)
	if err != nil {
		return nil, err
	}
	for _, l := range p.Labels {
		kindOf(l)
	}
	params := viewerParams(ctx, map[string]any{
		"publicIndex": migrations.SearchPublicIndex, "piiIndex": migrations.SearchPIIIndex, "lucene": lucene,
		"candidates": s.cfg.Traversal.SearchCandidates, "labels": nil, "limit": first,
	})
	if len(p.Labels) > 0 {
		params["labels"] = p.Labels
	}
	return traverse(ctx, s, "search", searchCypher(params["pii"] == true), params, func(records []*neo4j.Record) ([]*SearchHit, error) {
		hits := make([]*SearchHit, 0, len(records))
		for _, r := range records {
			raw, _ := r.Get("node")
			node, err := decodeNode(raw)
			if err != nil {
				return nil, err
			}
			score, _ := r.Get("score")
			hits = append(hits, &SearchHit{Node: node, Score: score.(float64), Label: node.Label()})
		}
		return hits, nil
	})
}
