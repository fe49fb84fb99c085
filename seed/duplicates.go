package seed

import (
	"math/rand/v2"
	"strings"

	tg "github.com/traffikgraph/traffikgraph"
)

// Near-duplicates for entity resolution (docs/triage.md, "Duplicates"): every duplicateEvery-th
// person and business is another partner's record of the one before it, its name written
// otherwise (a typo, another order, accents, Cyrillic, an initial, a word more), sometimes
// without a birth year or a registration number, sometimes sharing its address, identifier or
// location. DuplicatePairs is the ground truth.
const duplicateEvery = 20

// isDuplicate says whether entity i of a kind with near-duplicates is a record of entity i-1.
func isDuplicate(i int) bool { return i%duplicateEvery == duplicateEvery-1 }

// DuplicatePairs returns the ids of the near-duplicate records the world of opts holds, by
// label (Person, Business): the original's id first.
func DuplicatePairs(opts Options) (map[string][][2]string, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	w := newWorld(opts)
	out := map[string][][2]string{}
	for _, k := range []kind{kindPerson, kindBusiness} {
		for i := range w.counts[k] {
			if isDuplicate(i) {
				out[k.label] = append(out[k.label], [2]string{w.id(k, i-1), w.id(k, i)})
			}
		}
	}
	return out, nil
}

// otherPartner draws a data partner other than source.
func otherPartner(r *rand.Rand, source string) string {
	for {
		if p := drawPartner(r); p != source {
			return p
		}
	}
}

// duplicatePerson makes e another partner's record of person e.index-1.
func (w *world) duplicatePerson(e *entity) {
	original, rels := w.generate(kindPerson, e.index-1)
	fields := map[string]any{
		"name":        nameVariant(e.r, original["name"].(string), personVariants[(e.index/duplicateEvery)%len(personVariants)]),
		"aliases":     []string{},
		"gender":      original["gender"],
		"ageBand":     original["ageBand"],
		"nationality": original["nationality"],
	}
	year := original["birthYear"].(int64)
	switch n := e.r.IntN(20); {
	case n < 14:
		fields["birthYear"] = year
	case n < 17:
		fields["birthYear"] = year + int64(1-2*e.r.IntN(2))
	}
	e.start(drawMarking(e.r, otherPartner(e.r, original["sourcePartner"].(string))), fields)
	for _, r := range rels {
		switch {
		case r.typ == tg.RelLivesAt && e.r.IntN(2) == 0:
			e.link(tg.RelLivesAt, e.id, r.to, nil)
		case r.typ == tg.RelHasIdentifier && e.r.IntN(10) < 4:
			e.link(tg.RelHasIdentifier, e.id, r.to, nil)
		}
	}
}

// duplicateBusiness makes e another partner's record of business e.index-1, in its supply chain
// place (its own index's) as the partner saw it.
func (w *world) duplicateBusiness(e *entity) {
	original, rels := w.generate(kindBusiness, e.index-1)
	name := original["name"].(string)
	if e.r.IntN(2) == 0 {
		name = strings.Replace(name, " Ltd", " Limited", 1)
	}
	fields := map[string]any{
		"name":         nameVariant(e.r, name, businessVariants[(e.index/duplicateEvery)%len(businessVariants)]),
		"jurisdiction": original["jurisdiction"],
		"sector":       original["sector"],
		"website":      original["website"],
	}
	if e.r.IntN(10) < 6 {
		fields["registrationNumber"] = original["registrationNumber"]
	}
	e.start(drawMarking(e.r, otherPartner(e.r, original["sourcePartner"].(string))), fields)
	for _, r := range rels {
		if r.typ == tg.RelLocatedAt || (r.typ == tg.RelHasIdentifier && e.r.IntN(2) == 0) {
			e.link(r.typ, e.id, r.to, nil)
		}
	}
}

// The ways another partner writes a name.
const (
	typo = iota
	familyNameFirst
	accentsAndCapitals
	inCyrillic
	initial
	wordMore
)

// personVariants are how people's names vary; businessVariants how companies' do (their legal
// form aside: "Ltd" or "Limited").
var (
	personVariants   = []int{typo, familyNameFirst, accentsAndCapitals, inCyrillic, initial, wordMore}
	businessVariants = []int{typo, accentsAndCapitals, inCyrillic}
)

// nameVariant writes name as another partner might.
func nameVariant(r *rand.Rand, name string, variant int) string {
	words := strings.Fields(name)
	switch variant {
	case typo: // a letter of the first two words dropped, doubled or swapped with the next
		i := r.IntN(min(2, len(words)))
		if w := []rune(words[i]); len(w) > 3 {
			j := 1 + r.IntN(len(w)-2)
			switch r.IntN(3) {
			case 0:
				w = append(w[:j], w[j+1:]...)
			case 1:
				w = append(w[:j+1], w[j:]...)
			default:
				w[j], w[j+1] = w[j+1], w[j]
			}
			words[i] = string(w)
		}
	case familyNameFirst:
		words = append([]string{strings.ToUpper(words[1]) + ","}, append([]string{words[0]}, words[2:]...)...)
	case accentsAndCapitals:
		words[0] = strings.ToUpper(strings.NewReplacer("a", "á", "o", "ö", "e", "é").Replace(words[0]))
	case inCyrillic: // a company's legal form and the "(fictional)" mark stay as they are
		for i, w := range words {
			if w == "Ltd" || w == "Limited" || w == "(fictional)" {
				break
			}
			words[i] = toCyrillic(w)
		}
	case initial:
		words[0] = string([]rune(words[0])[0]) + "."
	case wordMore:
		words = append(words[:1], append([]string{pick(r, givenSyllables) + "a"}, words[1:]...)...)
	}
	return strings.Join(words, " ")
}

// cyrillic writes Latin letters in Cyrillic the way a clerk might, lossily (q as к, x as кс).
var cyrillic = strings.NewReplacer(
	"a", "а", "b", "б", "c", "к", "d", "д", "e", "е", "f", "ф", "g", "г", "h", "х", "i", "и", "j", "й", "k", "к",
	"l", "л", "m", "м", "n", "н", "o", "о", "p", "п", "q", "к", "r", "р", "s", "с", "t", "т", "u", "у", "v", "в",
	"w", "в", "x", "кс", "y", "ы", "z", "з",
	"A", "А", "B", "Б", "C", "К", "D", "Д", "E", "Е", "F", "Ф", "G", "Г", "H", "Х", "I", "И", "J", "Й", "K", "К",
	"L", "Л", "M", "М", "N", "Н", "O", "О", "P", "П", "Q", "К", "R", "Р", "S", "С", "T", "Т", "U", "У", "V", "В",
	"W", "В", "X", "Кс", "Y", "Ы", "Z", "З")

func toCyrillic(s string) string { return cyrillic.Replace(s) }
