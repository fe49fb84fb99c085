package store

import (
	"context"
	"encoding/json"
	"maps"
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
// white space between their words. A word is a run of letters, digits, marks and underscores, in
// any script (Go's \b knows ASCII letters only, and would miss "Zoë" or "Олена"). Text and names
// are cut into words and the runs between them, and the names are walked as a trie from each
// word, so finding them takes time linear in the text times the longest name, whatever the
// number of names (a regular expression searched again after each near miss took seconds).
type nameFinder struct {
	names   *nameTrie // the names' pieces, key by key; nil: no name
	phrases string    // the Lucene query of the candidates; "" when no name has a letter
}

// nameTrie holds names by their pieces' keys: from any place in a text, one walk finds the
// longest name there, whatever the number of names that begin alike.
type nameTrie struct {
	next map[string]*nameTrie
	name bool // a name ends here
}

// piece is a word or a run between words, with its key: a word's case-folded runes; a run's
// own, apostrophes made one, white space and invisible format characters dropped ("" for a run
// of white space only, which any such run matches).
type piece struct {
	start, end int
	word       bool
	key        string
}

// pieces cuts text into words and the runs between them.
func pieces(text string) []piece {
	var out []piece
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		p := piece{start: i, word: isWordRune(r)}
		var key strings.Builder
		for i < len(text) {
			r, size = utf8.DecodeRuneInString(text[i:])
			if isWordRune(r) != p.word {
				break
			}
			switch {
			case p.word:
				key.WriteRune(foldRune(r))
			case r == '’' || r == 'ʼ' || r == '‘' || r == '`':
				key.WriteRune('\'')
			case !unicode.IsSpace(r) && !unicode.Is(unicode.Z, r) && !unicode.Is(unicode.Cf, r):
				key.WriteRune(r)
			}
			i += size
		}
		p.end, p.key = i, key.String()
		out = append(out, p)
	}
	return out
}

// foldRune is the smallest rune r is equal to under Unicode simple case folding (Σ for σ and ς).
func foldRune(r rune) rune {
	least := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		least = min(least, f)
	}
	return least
}

func newNameFinder(names []string) nameFinder {
	var f nameFinder
	var phrases []string
	for _, n := range names {
		ps := pieces(n)
		// A name's own leading and trailing punctuation ("Ann.") is not part of it.
		for len(ps) > 0 && !ps[0].word {
			ps = ps[1:]
		}
		for len(ps) > 0 && !ps[len(ps)-1].word {
			ps = ps[:len(ps)-1]
		}
		if len(ps) > 0 {
			if f.names == nil {
				f.names = &nameTrie{}
			}
			node := f.names
			for _, p := range ps {
				if node.next[p.key] == nil {
					if node.next == nil {
						node.next = map[string]*nameTrie{}
					}
					node.next[p.key] = &nameTrie{}
				}
				node = node.next[p.key]
			}
			node.name = true
		}
		phrases = append(phrases, namePhrases(n)...)
	}
	f.phrases = strings.Join(phrases, " OR ")
	return f
}

// namePhrases are the analyzer's tokens of the name, as phrases: the tokens of any text that
// holds the name as a whole word hold them in this order, so the phrases find a superset. Only
// letters reach the query, so nothing in it is Lucene syntax. Lucene lower-cases Σ to σ, never to
// the final ς that Greek text writes, so a name with a sigma asks for both spellings.
func namePhrases(name string) []string {
	runs := strings.FieldsFunc(name, func(r rune) bool { return !unicode.IsLetter(r) })
	if len(runs) == 0 {
		return nil
	}
	phrase := `"` + strings.Join(runs, " ") + `"`
	out := []string{phrase}
	if strings.ContainsAny(phrase, "Σσς") {
		final := regexp.MustCompile(`[Σσς]( |")`).ReplaceAllString(phrase, `ς$1`)
		medial := strings.NewReplacer("ς", "σ").Replace(phrase)
		for _, v := range []string{final, medial} {
			if !slices.Contains(out, v) {
				out = append(out, v)
			}
		}
	}
	return out
}

// isWordRune says whether r continues a word.
func isWordRune(r rune) bool {
	return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
}

// matches returns the [start, end) byte ranges of the names in text, left to right, not
// overlapping; at one place, the longest name that is there.
func (f nameFinder) matches(text string) [][2]int {
	if f.names == nil {
		return nil
	}
	var out [][2]int
	ps := pieces(text)
	for i := 0; i < len(ps); i++ {
		if !ps[i].word {
			continue
		}
		last := -1
		for j, node := i, f.names; j < len(ps); j++ {
			if node = node.next[ps[j].key]; node == nil {
				break
			}
			if node.name {
				last = j
			}
		}
		if last >= 0 {
			out = append(out, [2]int{ps[i].start, ps[last].end})
			i = last
		}
	}
	return out
}

// holds says whether text holds a name.
func (f nameFinder) holds(text string) bool { return len(f.matches(text)) > 0 }

// holdsValue says whether a history value (JSON, as versions keep it) holds a name: its strings
// are read decoded, so that a name after an escaped line break or an escaped "<" is found.
func (f nameFinder) holdsValue(encoded string) bool {
	var v any
	if json.Unmarshal([]byte(encoded), &v) != nil {
		return f.holds(encoded)
	}
	var holds func(any) bool
	holds = func(v any) bool {
		switch x := v.(type) {
		case string:
			return f.holds(x)
		case []any:
			return slices.ContainsFunc(x, holds)
		case map[string]any:
			return slices.ContainsFunc(slices.Collect(maps.Values(x)), holds)
		}
		return false
	}
	return holds(v)
}

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
