package store

import (
	"context"
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	tg "github.com/traffikgraph/traffikgraph"

	"github.com/traffikgraph/traffikgraph/store/migrations"
)

// Finding a data subject's names in free text (report text, history values) for erasure and
// subject access. Neo4j is asked only for candidates, through the full-text index
// migrations.ErasureNamesIndex (Lucene's simple analyzer: runs of letters, lower-cased), never by
// scanning every report and version with a regular expression per name: a person may carry a
// hundred long aliases, and that scan took the whole transaction timeout (issue 13). Which
// candidates hold a name, and where, is decided here, in linear time.

// formerNames are the values the person's name and aliases held in its history (JSON, as
// versions keep them): names the person went by, which texts may still hold.
const formerNames = `
MATCH (v:` + tg.LabelVersion + ` {entityId: $id}) WHERE v.at IS NOT NULL
UNWIND [i IN range(0, size(v.fields) - 1) WHERE v.fields[i] IN ['name', 'aliases']] AS i
RETURN collect(v.before[i]) + collect(v.after[i]) AS values`

// subjectNames finds the names person $id goes and went by: its name and aliases now and in its
// history.
func (s *Store) subjectNames(ctx context.Context, tx statementRunner, id string, person map[string]any) (nameFinder, error) {
	records, err := s.run(ctx, tx, formerNames, map[string]any{"id": id})
	if err != nil {
		return nameFinder{}, err
	}
	names := []string{}
	add := func(v any) {
		switch x := v.(type) {
		case string:
			names = append(names, x)
		case []any:
			names = append(names, stringList(x)...)
		}
	}
	add(person["name"])
	add(person["aliases"])
	values, _ := records[0].Get("values")
	for _, raw := range stringList(values) {
		var v any
		if json.Unmarshal([]byte(raw), &v) == nil {
			add(v)
		}
	}
	return newNameFinder(distinctNames(names)), nil
}

// distinctNames are the names, whitespace collapsed, each once, longest first (so that a full
// name is replaced before an alias it contains).
func distinctNames(names []string) []string {
	out := []string{}
	for _, n := range names {
		if n = strings.Join(strings.Fields(n), " "); n != "" && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	slices.SortFunc(out, func(a, b string) int { return len(b) - len(a) })
	return out
}

// nameFinder finds a subject's names in text as whole words, case-insensitive, with any run of
// white space between their words. A word's edge is where a letter, digit, mark or underscore
// meets anything else, in any script (Go's \b knows ASCII letters only, and would miss "Zoë" or
// "Олена").
type nameFinder struct {
	names   *regexp.Regexp // nil: no name to find
	phrases string         // the Lucene query of the candidates; "" when no name has a letter
}

func newNameFinder(names []string) nameFinder {
	var patterns, phrases []string
	for _, n := range names {
		words := strings.Fields(n)
		for i, w := range words {
			words[i] = regexp.QuoteMeta(w)
		}
		patterns = append(patterns, strings.Join(words, `[\s\p{Z}]+`))
		// The analyzer's tokens of the name, as a phrase: the tokens of any text that holds the
		// name as a whole word hold them in this order, so the phrase finds a superset. Only
		// letters reach the query, so nothing in it is Lucene syntax.
		if runs := strings.FieldsFunc(n, func(r rune) bool { return !unicode.IsLetter(r) }); len(runs) > 0 {
			phrases = append(phrases, `"`+strings.Join(runs, " ")+`"`)
		}
	}
	var f nameFinder
	if len(patterns) > 0 {
		// Longest first (subjectNames' order): leftmost-first alternation prefers a full name
		// to an alias it starts with.
		f.names = regexp.MustCompile(`(?i)(?:` + strings.Join(patterns, "|") + `)`)
	}
	f.phrases = strings.Join(phrases, " OR ")
	return f
}

// isWordRune says whether r continues a word.
func isWordRune(r rune) bool {
	return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
}

// matches returns the [start, end) byte ranges of the names in text, left to right, not
// overlapping. A match that is part of a longer word is skipped and the search goes on from its
// next rune, so "Annabel Ann" finds the second "Ann" only.
func (f nameFinder) matches(text string) [][2]int {
	if f.names == nil {
		return nil
	}
	var out [][2]int
	for pos := 0; pos < len(text); {
		loc := f.names.FindStringIndex(text[pos:])
		if loc == nil {
			break
		}
		start, end := pos+loc[0], pos+loc[1]
		before, _ := utf8.DecodeLastRuneInString(text[:start])
		after, _ := utf8.DecodeRuneInString(text[end:])
		if (start == 0 || !isWordRune(before)) && (end == len(text) || !isWordRune(after)) && end > start {
			out = append(out, [2]int{start, end})
			pos = end
			continue
		}
		_, size := utf8.DecodeRuneInString(text[start:])
		pos = start + max(size, 1)
	}
	return out
}

// holds says whether text holds a name.
func (f nameFinder) holds(text string) bool { return len(f.matches(text)) > 0 }

// redact replaces every name in text by ErasedMarker.
func (f nameFinder) redact(text string) string {
	var b strings.Builder
	last := 0
	for _, m := range f.matches(text) {
		b.WriteString(text[last:m[0]])
		b.WriteString(ErasedMarker)
		last = m[1]
	}
	if last == 0 {
		return text
	}
	b.WriteString(text[last:])
	return b.String()
}

// namedCandidates is a query returning, as `node`, the nodes of the label that the erasure index
// holds a phrase of $phrases in (none when $phrases is ""): a superset of those whose text names
// the subject, which nameFinder narrows.
func namedCandidates(label string) string {
	return `UNWIND CASE WHEN $phrases = '' THEN [] ELSE [$phrases] END AS phrases
       CALL db.index.fulltext.queryNodes('` + migrations.ErasureNamesIndex + `', phrases) YIELD node
       WITH node WHERE node:` + label + ` RETURN node`
}
