// Package resolution tells whether two records may describe the same person, business or place:
// names normalised and transliterated into comparable words, blocking keys that bring the
// records worth comparing together without comparing every pair, and the similarity of two
// names. It knows nothing of Neo4j or GraphQL: the store feeds it what the caller may read.
package resolution

import (
	"math"
	"slices"
	"strings"
	"unicode"

	"github.com/antzucaro/matchr"
	"github.com/mozillazg/go-unidecode"
)

// MaxWords bounds the words of one name that are compared and keyed: a name of more words
// (a long alias, a company's full style) keeps its first MaxWords, so that the keys of one
// record stay few whatever its length.
const MaxWords = 6

// MaxWordRunes bounds a word's letters: a longer word keeps its first MaxWordRunes, which bounds
// what one comparison of two words costs (no name word is longer).
const MaxWordRunes = 24

// MaxNames bounds the names of one record that are keyed and compared: its name and its first
// aliases. Names are compared pairwise, so a hundred aliases on each side cost ten thousand
// comparisons a pair.
const MaxNames = 10

// personNoise are words that do not tell one person from another: honorifics and the article
// of an alias ("Zorra the Fixer").
var personNoise = []string{"the", "mr", "mrs", "ms", "miss", "dr", "mx"}

// businessNoise are legal forms and fillers that partners write differently for one company
// ("Ltd" or "Limited", "& Co"): they are dropped before comparing.
var businessNoise = []string{"the", "and", "of", "ltd", "limited", "llc", "llp", "inc", "incorporated", "corp",
	"corporation", "co", "company", "plc", "gmbh", "ag", "sa", "sas", "sarl", "srl", "spa", "bv", "nv", "oy", "ab",
	"as", "pty", "pvt", "private", "group", "holding", "holdings", "fictional"}

// Kind says which noise words a name's words drop.
type Kind int

const (
	// PersonName is a person's name or alias.
	PersonName Kind = iota
	// BusinessName is a company's or an organisation's name.
	BusinessName
	// PlaceName is a location's name.
	PlaceName
)

// Words returns the comparable words of a name: transliterated to Latin letters (Cyrillic,
// Greek, Arabic... through unidecode's tables; accents dropped), lower case, split at anything
// but a letter or a digit, its kind's noise words left out, at most MaxWords of at most
// MaxWordRunes letters.
func Words(name string, kind Kind) []string {
	latin := strings.ToLower(unidecode.Unidecode(name))
	fields := strings.FieldsFunc(latin, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	var noise []string
	switch kind {
	case PersonName:
		noise = personNoise
	case BusinessName:
		noise = businessNoise
	}
	out := make([]string, 0, min(len(fields), MaxWords))
	for _, f := range fields {
		if len(out) == MaxWords {
			break
		}
		if !slices.Contains(noise, f) {
			if runes := []rune(f); len(runes) > MaxWordRunes {
				f = string(runes[:MaxWordRunes])
			}
			out = append(out, f)
		}
	}
	return out
}

// Key is a blocking key. Two records meet at a key both hold, unless both hold it only as the
// initial of a whole word (OfWord): "Zorra Quillington" and "Zordo Quillington" do not meet for
// beginning with the same letter, but either meets "Z. Quillington".
type Key struct {
	Text   string
	OfWord bool
}

// Keys returns the blocking keys of a name's words: two names meet when they have the same
// words in any order; or all their words but one the same, and that one within one edit (a
// typo, a letter transliterated otherwise: the symmetric deletion neighbourhood, "zorra
// quillington" and "zora quillington" meet at "quillington|zora"), or an initial of the
// other's, or missing from one of two names of at least two words besides it; or when names of
// two words or more sound the same word for word (skeleton: "Loxra Quillington" and "Loksra
// Kuillington", a round trip through Cyrillic). scope is prefixed to every key (a
// jurisdiction, a country), so that only records of one scope meet.
func Keys(scope string, words []string) []Key {
	if len(words) == 0 {
		return nil
	}
	sorted := slices.Sorted(slices.Values(words))
	keys := []Key{{Text: scope + "=" + strings.Join(sorted, " ")}}
	if len(words) >= 2 { // meets the same words and one more
		keys = append(keys, Key{Text: scope + "|" + strings.Join(sorted, " ") + "|"})
		if sounds, ok := sounds(words); ok {
			keys = append(keys, Key{Text: scope + "~" + sounds})
		}
	}
	for i, w := range words {
		rest := slices.Delete(slices.Clone(words), i, i+1)
		slices.Sort(rest)
		prefix := scope + "|" + strings.Join(rest, " ") + "|"
		for _, v := range variants(w) {
			keys = append(keys, Key{Text: prefix + v})
		}
		initial := []rune(w)[:1]
		keys = append(keys, Key{Text: prefix + "^" + string(initial), OfWord: len([]rune(w)) > 1})
		if len(rest) >= 2 { // meets the same words but this one
			keys = append(keys, Key{Text: prefix})
		}
	}
	slices.SortFunc(keys, func(a, b Key) int { return strings.Compare(a.Text, b.Text) })
	return slices.CompactFunc(keys, func(a, b Key) bool { return a.Text == b.Text })
}

// skeleton folds a word to its consonant sounds, so that the spellings a transliteration
// chooses between meet: vowels and h dropped, b/p, f/v/w, c/g/k/q, s/z, d/t and m/n each one
// sound, x as ks, repeats collapsed ("quilliwa" and "kuilliva" are both "klf").
func skeleton(w string) string {
	var b strings.Builder
	last := rune(0)
	for _, r := range w {
		folded, ok := soundOf[r]
		if !ok {
			folded = string(r)
		}
		for _, f := range folded {
			if f != last {
				b.WriteRune(f)
				last = f
			}
		}
	}
	return b.String()
}

var soundOf = map[rune]string{
	'a': "", 'e': "", 'i': "", 'o': "", 'u': "", 'y': "", 'h': "",
	'b': "p", 'p': "p", 'f': "f", 'v': "f", 'w': "f", 'c': "k", 'g': "k", 'k': "k", 'q': "k",
	's': "s", 'z': "s", 'x': "ks", 'd': "t", 't': "t", 'm': "n", 'n': "n",
}

// minSkeleton is the fewest sounds a word's skeleton needs to tell anything: "braa" and "brix"
// are "pr" and "prks", but "pr" is also "bero", "pira", "bure".
const minSkeleton = 3

// sounds returns the skeletons of the words, sorted; ok is false when one of them is shorter
// than minSkeleton.
func sounds(words []string) (string, bool) {
	codes := make([]string, len(words))
	for i, w := range words {
		if codes[i] = skeleton(w); len(codes[i]) < minSkeleton {
			return "", false
		}
	}
	slices.Sort(codes)
	return strings.Join(codes, " "), true
}

// variants returns the word and, for a word of three letters or more, the word with any one
// letter deleted.
func variants(w string) []string {
	runes := []rune(w)
	out := []string{w}
	if len(runes) < 3 {
		return out
	}
	for i := range runes {
		out = append(out, string(runes[:i])+string(runes[i+1:]))
	}
	return out
}

// initialSimilarity is what an initial scores against a word it begins: "z" for "zorra" is
// consistent, not proof.
const initialSimilarity = 0.8

// soundAlikeSimilarity is what two words of one skeleton score at least: "loxra" and "loksra"
// are one name transliterated twice.
const soundAlikeSimilarity = 0.9

// wordSimilarity is 1 less the share of the longer word that edits change (optimal string
// alignment: a swap of two letters is one edit), at least soundAlikeSimilarity when both have
// the same skeleton of minSkeleton sounds or more, or initialSimilarity when one is the other's
// initial. Edit distance, not Jaro-Winkler: Jaro-Winkler rewards a common beginning, and given
// names that differ only in their ending ("Trora", "Trobo") are different names.
func wordSimilarity(a, b string) float64 {
	if a == b {
		return 1
	}
	ra, rb := []rune(a), []rune(b)
	if (len(ra) == 1 || len(rb) == 1) && ra[0] == rb[0] {
		return initialSimilarity
	}
	similarity := 1 - float64(matchr.OSA(a, b))/float64(max(len(ra), len(rb)))
	if sa := skeleton(a); len(sa) >= minSkeleton && sa == skeleton(b) {
		similarity = max(similarity, soundAlikeSimilarity)
	}
	return similarity
}

// Rarity weighs words by how rare they are among the records compared (an inverse document
// frequency): two names alike in a rare family name say more than two alike in "Fixer".
type Rarity struct {
	records   int
	frequency map[string]int
}

// NewRarity counts, for each word, the records among records holding it in any name.
func NewRarity(records []*Record) *Rarity {
	r := &Rarity{records: len(records), frequency: map[string]int{}}
	for _, rec := range records {
		var mine []string
		for _, words := range slices.Concat(rec.Names, rec.Aliases) {
			mine = append(mine, words...)
		}
		slices.Sort(mine)
		for _, w := range slices.Compact(mine) {
			r.frequency[w]++
		}
	}
	return r
}

// weight is log(1 + records / records holding the word); a word no record holds weighs as one
// only one record holds. A nil Rarity weighs every word 1.
func (r *Rarity) weight(w string) float64 {
	if r == nil {
		return 1
	}
	return math.Log(1 + float64(r.records)/float64(max(1, r.frequency[w])))
}

// extraWordShare is what a word of the longer name that matches none of the shorter's costs,
// as a share of its weight: a middle name one partner knows and another does not is common.
const extraWordShare = 0.25

// Similarity compares two names' words, in any order: each word of the name with fewer words is
// matched with its most similar unmatched word of the other (Monge-Elkan over Jaro-Winkler),
// and the similarities are averaged, weighed by the rarity of the other name's words, a word of
// it left unmatched counting extraWordShare of its weight at similarity 0: "Zorra" alone is 0.8
// of "Zorra Quillington" when both words are as rare. 0 when either has no words, 1 for the
// same words.
func Similarity(a, b []string, rarity *Rarity) float64 {
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	if len(a) > len(b) {
		a, b = b, a
	}
	used := make([]bool, len(b))
	total, weights := 0.0, 0.0
	for _, wa := range a {
		best, at := 0.0, -1
		for j, wb := range b {
			if used[j] {
				continue
			}
			if s := wordSimilarity(wa, wb); s > best || at < 0 {
				best, at = s, j
			}
		}
		used[at] = true
		w := rarity.weight(b[at])
		total += w * best
		weights += w
	}
	for j, wb := range b {
		if !used[j] {
			weights += extraWordShare * rarity.weight(wb)
		}
	}
	return total / weights
}
