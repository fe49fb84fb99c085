package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
	tg "github.com/traffikgraph/traffikgraph"
	"github.com/traffikgraph/traffikgraph/store/migrations"
)

// Search ranks without disclosing. Lucene's own scores and order rest on statistics of the
// whole index (how many documents hold a word, how long fields are on average), hidden
// documents included, and its fuzzy queries expand to the 50 index terms nearest the word,
// hidden ones included; any of these would let a caller test words against data it may not
// see. So Lucene is used only to say whether a node matches, with queries whose answer for a
// node depends on that node's text alone (regular expressions, which visit every matching
// term), every match is filtered for visibility with no cut before, and the score is computed
// in Cypher from the hit's own readable text and the query. See docs/traversal.md.

// SearchHit is an entity found by full-text search, with its score (see searchScore).
type SearchHit struct {
	Node  Node
	Score float64
	// Label is the node's label (Person, Business...).
	Label string
}

// SearchResult is the best hits of a search and what their selection was derived from: when
// `first` cut the ranking, the hits returned were chosen by comparison with every visible match,
// so the markings of all of them stand behind the answer.
type SearchResult struct {
	Hits []*SearchHit
	Derivation
}

// SearchParams is a full-text search: free text, optionally only entities with these labels.
type SearchParams struct {
	Query  string
	Labels []string
	First  *int
}

// Bounds of the search text, checked before Lucene sees it. Each word of 3 letters or more is a
// regular expression of every string within one edit of it, which Lucene turns into an automaton
// and runs over every term of both indexes: the time grows with the letters of the text, on
// every run (a plan cache does not help). Measured with `traffikgraph bench attack`'s shapes on
// the demo world, on two cores shared with a dozen other processes: one 200-letter word did not
// answer within the 10 s traversal timeout, 8 words of 24 letters took 3.2-3.8 s warm; 64 letters
// (8 words of 8, 4 of 16, 2 of 32) 0.8-1.6 s, one word of 40 1.2-1.8 s.
const (
	// MaxSearchRunes bounds the whole text: a name and a place, or a company's full name.
	MaxSearchRunes = 64
	// MaxSearchWords bounds the words of the text.
	MaxSearchWords = 8
	// MaxSearchWordRunes bounds one word: the longest IBAN (34) and then some.
	MaxSearchWordRunes = 40
)

// wordRunesPattern is the Java character class content of the runes words are made of.
const wordRunesPattern = `\p{L}\p{N}\p{M}_`

// searchCypher is the query of Search: every node of the public full-text index, and with pii
// of the personal-data index too, that matches $lucene; of these the visible ones of the wanted
// labels are scored (searchScore) on their searchable text as the caller reads it, best first.
// Without pii, street addresses (whose names are personal data but live in the public index)
// never match. Parameters: $publicIndex, $piiIndex, $lucene, $words, $exactWords, $queryLength,
// $labels (null for any), $limit and the viewer's.
func searchCypher(pii bool) string {
	indexes := `    CALL db.index.fulltext.queryNodes($publicIndex, $lucene) YIELD node
    RETURN node`
	filter := publicSearchExclusions("node")
	if pii {
		indexes += `
  UNION ALL
    CALL db.index.fulltext.queryNodes($piiIndex, $lucene) YIELD node
    RETURN node`
		filter = ""
	}
	return viewerPrelude + `CALL {
` + indexes + `
}
WITH peers, node
WHERE ` + visible("node") + filter + `
  AND ($labels IS NULL OR any(l IN labels(node) WHERE l IN $labels))
WITH node, ` + searchValues("node") + ` AS values
WITH node, toLower(coalesce(reduce(text = head(values), v IN tail(values) | text + ' ' + v), '')) AS text
WITH node, text, size([i IN range(0, size($words) - 1) WHERE text CONTAINS $words[i] AND text =~ $exactWords[i]]) AS exact
WITH node, ` + searchScore + ` AS score
ORDER BY score DESC, node.id
WITH collect(node) AS ranked, collect(score) AS scores
WITH ranked, scores,
     CASE WHEN size(ranked) > $limit THEN [t IN ` + sensitiveList + ` WHERE any(n IN ranked WHERE n.tlp = t)] ELSE [] END AS cut
UNWIND range(0, CASE WHEN size(ranked) < $limit THEN size(ranked) ELSE $limit END - 1) AS i
WITH ranked[i] AS node, scores[i] AS score, cut
RETURN ` + projection("node") + ` AS node, score, cut`
}

// searchableProperties are the properties of both full-text indexes, sorted, each once.
func searchableProperties() []string {
	props := append(slices.Clone(migrations.SearchPublicProperties), migrations.SearchPIIProperties...)
	slices.Sort(props)
	return slices.Compact(props)
}

// publicSearchExclusions keeps out of a search without pii the nodes of the public index whose
// searchable text is personal data on them (a street address's name), from the model's rules.
func publicSearchExclusions(n string) string {
	var out string
	for _, k := range tg.Labels {
		for _, p := range k.Props {
			if p.Search && conditionallyPersonal(p) {
				out += " AND NOT (" + n + ":" + k.Name + " AND " + personalWhen(p.PII, n) + ")"
			}
		}
	}
	return out
}

// searchValues is the list of the values of n's searchable properties (those of both full-text
// indexes; a list property gives each of its elements) that the caller may read (readable).
func searchValues(n string) string {
	props := searchableProperties()
	values := make([]string, 0, len(props))
	for _, p := range props {
		values = append(values, readable(n, p))
	}
	return "reduce(values = [], v IN [" + strings.Join(values, ", ") + "] | values + coalesce(v, []))"
}

// searchedPersonalData names the personal-data properties that a search by a caller who may read
// personal data matches and scores on: those of the full-text indexes on the labels searched (all
// when none is named), as Label.property. Whether or not any hit is returned, the answer is one
// about what they hold.
func searchedPersonalData(labels []string) []string {
	if len(labels) == 0 {
		labels = append(slices.Clone(migrations.SearchPublicLabels), migrations.SearchPIILabels...)
	}
	var used []string
	for _, label := range labels {
		for _, p := range kindOf(label).Props {
			if p.Search && p.PII.Personal {
				used = append(used, label+"."+p.Name)
			}
		}
	}
	slices.Sort(used)
	return slices.Compact(used)
}

// searchScore is a hit's score, from its own text (its searchable values joined by spaces, lower
// case) and the query alone: 1 per query word the text holds as a word (the CONTAINS test spares
// the regular expression where the word is not even a substring), 0.5 per word it holds only
// within one edit (every word matched one way or the other), and 0.1 times the share of the
// text the query's words cover. The coverage is below the least difference the words make, so
// it only orders hits that hold the words equally well: the shorter text first.
const searchScore = `exact * 1.0 + (size($exactWords) - exact) * 0.5
  + 0.1 * CASE WHEN size(text) > $queryLength THEN toFloat($queryLength) / size(text) ELSE 1.0 END`

// searchWords splits text into words as the full-text indexes' analyzer (Lucene's standard
// tokenizer, lower case) splits what they index, so that each word can be matched against the
// indexed terms as they are: runs of letters, digits and marks, joined by the punctuation that
// Unicode word boundaries keep inside a word (o'brien, a.b, 1,000.50); a Han or Hiragana
// character is a word of its own; a run without a letter or digit (marks, underscores) is none.
func searchWords(text string) []string {
	rs := []rune(strings.ToLower(text))
	var words []string
	var word []rune
	flush := func() {
		if slices.ContainsFunc(word, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) {
			words = append(words, string(word))
		}
		word = nil
	}
	for i, r := range rs {
		switch {
		case unicode.In(r, unicode.Han, unicode.Hiragana):
			flush()
			words = append(words, string(r))
		case unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r) || r == '_':
			word = append(word, r)
		case len(word) > 0 && i+1 < len(rs) && joinsWord(rs[i-1], r, rs[i+1]):
			word = append(word, r)
		default:
			flush()
		}
	}
	flush()
	return words
}

// joinsWord says whether r between before and after stays inside a word (Unicode word
// boundary rules WB6-7 and WB11-12): . ' ’ between two letters or two digits, : · between
// letters, , ; between digits.
func joinsWord(before, r, after rune) bool {
	letters := unicode.IsLetter(before) && unicode.IsLetter(after)
	digits := unicode.IsDigit(before) && unicode.IsDigit(after)
	switch r {
	case '.', '\'', '‘', '’':
		return letters || digits
	case ':', '·':
		return letters
	case ',', ';':
		return digits
	}
	return false
}

// searchQuery checks the search text and returns its words.
func searchQuery(text string) ([]string, error) {
	if utf8.RuneCountInString(text) > MaxSearchRunes {
		return nil, &tg.Error{Code: tg.LimitExceeded, Message: fmt.Sprintf("the search text must be at most %d characters", MaxSearchRunes), Field: "query"}
	}
	words := searchWords(text)
	if len(words) == 0 {
		return nil, tg.InvalidField("query", "must contain a word")
	}
	if len(words) > MaxSearchWords {
		return nil, &tg.Error{Code: tg.LimitExceeded, Message: fmt.Sprintf("the search text must have at most %d words", MaxSearchWords), Field: "query"}
	}
	for _, w := range words {
		if utf8.RuneCountInString(w) > MaxSearchWordRunes {
			return nil, &tg.Error{Code: tg.LimitExceeded, Message: fmt.Sprintf("a search word must be at most %d characters", MaxSearchWordRunes), Field: "query"}
		}
	}
	return words, nil
}

// luceneQuery is the Lucene query matching the nodes that hold every word, exactly or (words
// of 3 letters or more) within one edit. Each word is a regular expression over the indexed
// terms, not a fuzzy query: Lucene expands a regular expression to every matching term, so
// whether a node matches depends on its own terms alone, while a fuzzy query keeps the 50
// terms of the whole index nearest the word and lets hidden terms push a visible one out.
func luceneQuery(words []string) string {
	clauses := make([]string, len(words))
	for i, w := range words {
		rs := []rune(w)
		if len(rs) <= 2 {
			clauses[i] = "/" + quoteRegexp(rs) + "/"
		} else {
			clauses[i] = "/" + withinOneEdit(rs) + "/"
		}
	}
	return strings.Join(clauses, " AND ")
}

// withinOneEdit returns a regular expression (Lucene's syntax, which Go's accepts too) for the
// strings at most one edit from w: a letter inserted, deleted or replaced, or two neighbours
// swapped, as Lucene's fuzzy queries count. It splits w in halves: the edit lies in one half,
// the other matching exactly, or swaps the two letters at the cut; so its size is
// O(len(w) log len(w)), and Lucene compiles it fast.
func withinOneEdit(w []rune) string {
	switch len(w) {
	case 0:
		return ".?"
	case 1:
		return ".?" + quoteRegexp(w) + "|" + quoteRegexp(w) + ".|.?"
	}
	left, right := w[:len(w)/2], w[len(w)/2:]
	alternatives := []string{
		quoteRegexp(left) + group(withinOneEdit(right)),
		group(withinOneEdit(left)) + quoteRegexp(right),
	}
	if last := left[len(left)-1]; last != right[0] {
		alternatives = append(alternatives,
			quoteRegexp(left[:len(left)-1])+quoteRegexp([]rune{right[0], last})+quoteRegexp(right[1:]))
	}
	return strings.Join(alternatives, "|")
}

func group(re string) string { return "(" + re + ")" }

// quoteRegexp escapes every ASCII character but letters and digits, which makes it literal in
// Lucene's regular expressions (and Go's); other characters are literal there already.
func quoteRegexp(rs []rune) string {
	var b strings.Builder
	for _, r := range rs {
		if r < utf8.RuneSelf && !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9') {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// exactWordPattern is the Java regular expression (Cypher's =~) matching a text that holds
// word as a whole word: not preceded or followed by a letter, digit or mark, nor by
// punctuation that joins it to one (searchWords).
func exactWordPattern(word string) string {
	const joiners = `.'‘’:·,;`
	return `(?s).*(?<![` + wordRunesPattern + `])(?<![` + wordRunesPattern + `][` + joiners + `])` +
		quoteRegexp([]rune(word)) +
		`(?![` + wordRunesPattern + `])(?![` + joiners + `][` + wordRunesPattern + `]).*`
}

// Search finds the visible entities whose text holds every word of the query, exactly or
// within one edit, best first (searchScore, then id). Without graph:read:pii only the public
// index is searched, so personal data never matches. One query.
func (s *Store) Search(ctx context.Context, p SearchParams) (*SearchResult, error) {
	first, err := bounded("first", p.First, DefaultResults, s.cfg.Traversal.MaxResults)
	if err != nil {
		return nil, err
	}
	words, err := searchQuery(p.Query)
	if err != nil {
		return nil, err
	}
	for _, l := range p.Labels {
		kindOf(l)
	}
	exact := make([]string, len(words))
	for i, w := range words {
		exact[i] = exactWordPattern(w)
	}
	params := viewerParams(ctx, map[string]any{
		"publicIndex": migrations.SearchPublicIndex, "piiIndex": migrations.SearchPIIIndex,
		"lucene": luceneQuery(words), "words": words, "exactWords": exact,
		"queryLength": utf8.RuneCountInString(strings.Join(words, " ")), "labels": nil, "limit": first,
	})
	if len(p.Labels) > 0 {
		params["labels"] = p.Labels
	}
	return traverse(ctx, s, "search", searchCypher(params["pii"] == true), params, func(records []*neo4j.Record) (*SearchResult, error) {
		result := &SearchResult{Hits: make([]*SearchHit, 0, len(records))}
		if params["pii"] == true {
			result.PersonalData = searchedPersonalData(p.Labels)
		}
		for _, r := range records {
			raw, _ := r.Get("node")
			node, err := decodeNode(raw)
			if err != nil {
				return nil, err
			}
			score, _ := r.Get("score")
			cut, _ := r.Get("cut")
			result.Hits = append(result.Hits, &SearchHit{Node: node, Score: score.(float64), Label: node.Label()})
			result.Markings = unionMarkings(result.Markings, decodeMarkings(cut))
		}
		return result, nil
	})
}
