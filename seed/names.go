package seed

import (
	"math/rand/v2"
	"strings"
)

// Syllables for invented names. Their combinations read as names but are not common real
// ones, so nobody mistakes a synthetic person or company for a real one.
var (
	givenSyllables  = []string{"Zor", "Qua", "Vex", "Ily", "Plim", "Dra", "Ost", "Ume", "Kez", "Yra", "Fen", "Lox", "Mib", "Sav", "Tro", "Wen"}
	givenEndings    = []string{"ra", "lin", "do", "vix", "mo", "sha", "rel", "tan", "qui", "bo"}
	familySyllables = []string{"Quill", "Zarn", "Vosk", "Pemb", "Droll", "Frix", "Glam", "Hosk", "Jubb", "Krell", "Murv", "Nox", "Prang", "Snib", "Tump", "Wobb"}
	familyEndings   = []string{"ington", "ovar", "ersby", "etti", "oon", "ax", "elstrom", "udge", "iwa", "ock"}
	aliasWords      = []string{"Fixer", "Driver", "Auntie", "Boss", "Shadow", "Cousin", "Captain", "Broker"}
	companyWords    = []string{"Blorvex", "Quantaroo", "Zintlewick", "Frumbleton", "Vaxxo", "Plundrel", "Glimworth", "Snorrel", "Tavinex", "Murbleton", "Xyloqua", "Brannigo"}
	companyKinds    = []string{"Textiles", "Logistics", "Agri", "Fisheries", "Builders", "Cleaning Services", "Staffing", "Garments", "Mining", "Packaging", "Foods", "Hospitality"}
	streetWords     = []string{"Nowhere", "Placeholder", "Fictive", "Imaginary", "Synthetic", "Sample", "Dummy", "Mock"}
	siteKinds       = []string{"farm", "warehouse", "car wash", "nail bar", "construction site", "garment workshop", "fishing dock", "brick kiln"}
)

func pick[T any](r *rand.Rand, from []T) T { return from[r.IntN(len(from))] }

func personName(r *rand.Rand) string {
	return pick(r, givenSyllables) + pick(r, givenEndings) + " " + pick(r, familySyllables) + pick(r, familyEndings)
}

func aliases(r *rand.Rand, name string) []string {
	out := []string{}
	given, _, _ := strings.Cut(name, " ")
	for range r.IntN(3) {
		out = append(out, given+" the "+pick(r, aliasWords))
	}
	return out
}

func companyName(r *rand.Rand) string {
	return pick(r, companyWords) + " " + pick(r, companyKinds) + " Ltd (fictional)"
}

// slug makes a lower-case host label out of a name, for synthetic example.com websites.
func slug(name string) string {
	var b strings.Builder
	for _, c := range strings.ToLower(name) {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			b.WriteRune(c)
		case c == ' ' && b.Len() > 0:
			b.WriteByte('-')
		}
	}
	return strings.Trim(b.String(), "-")
}
