package resolution

import (
	"context"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWords(t *testing.T) {
	for _, tc := range []struct {
		name string
		kind Kind
		want []string
	}{
		{"Zorra Quillington", PersonName, []string{"zorra", "quillington"}},
		{"  QUILLINGTON,  Zorra ", PersonName, []string{"quillington", "zorra"}},
		{"Zörra Quíllington", PersonName, []string{"zorra", "quillington"}},
		{"Зорра Куиллингтон", PersonName, []string{"zorra", "kuillington"}},
		{"Ζόρρα", PersonName, []string{"zorra"}},
		{"Zorra the Fixer", PersonName, []string{"zorra", "fixer"}},
		{"Mr. Zorra O'Quill-Ington", PersonName, []string{"zorra", "o", "quill", "ington"}},
		{"Blorvex Textiles Ltd (fictional)", BusinessName, []string{"blorvex", "textiles"}},
		{"BLORVEX TEXTILES LIMITED", BusinessName, []string{"blorvex", "textiles"}},
		{"The Ltd", BusinessName, []string{}},
		{"a b c d e f g h", PlaceName, []string{"a", "b", "c", "d", "e", "f"}},
		{"Bcdfgklmnprstvzbcdfgklmnprstvzbc Zorra", PersonName, []string{"bcdfgklmnprstvzbcdfgklmn", "zorra"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, Words(tc.name, tc.kind))
		})
	}
}

// meet says whether two names share a blocking key.
func meet(scopeA, a, scopeB, b string) bool {
	ka, kb := Keys(scopeA, Words(a, PersonName)), Keys(scopeB, Words(b, PersonName))
	return slices.ContainsFunc(ka, func(x Key) bool {
		return slices.ContainsFunc(kb, func(y Key) bool { return x.Text == y.Text && !(x.OfWord && y.OfWord) })
	})
}

func TestKeysBringVariantsOfANameTogether(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"Zorra Quillington", "Quillington Zorra", true},        // order
		{"Zorra Quillington", "Zora Quillington", true},         // a letter dropped
		{"Zorra Quillington", "Zorra Quilington", true},         // in the other word
		{"Zorra Quillington", "Zorar Quillington", true},        // two letters swapped: one deletion each
		{"Zorra Quillington", "Zorxa Quillington", true},        // one letter replaced
		{"Zorra Quillington", "Z. Quillington", true},           // an initial
		{"Zorra Quillington", "Зорра Куиллингтон", true},        // another script
		{"Zorra Quillington", "ZÖRRA QUILLINGTON", true},        // case and accents
		{"Loxra Quillington", "Локсра Куиллингтон", true},       // both words otherwise, one sound
		{"Zorra Quillington", "Vexlin Quillington", false},      // another given name
		{"Zorra Quillington", "Zorra Vosketti", false},          // another family name
		{"Zorra Quillington", "Qorxa Quillington", false},       // two edits
		{"Zorra Quillington", "Zoxxa Quillington", false},       // two edits, though the same initial
		{"Z. Quillington", "Z Quillington", true},               // two initials
		{"Zorra Quillington", "Zorra Quillington Senior", true}, // a word more
		{"Zorra", "Zorra Quillington", false},                   // one word is too little
	} {
		t.Run(tc.a+"/"+tc.b, func(t *testing.T) {
			assert.Equal(t, tc.want, meet("", tc.a, "", tc.b))
		})
	}
	assert.False(t, meet("GB", "Zorra Quillington", "FR", "Zorra Quillington"), "scopes keep records apart")
}

func TestSimilarity(t *testing.T) {
	w := func(s string) []string { return Words(s, PersonName) }
	same := Similarity(w("Zorra Quillington"), w("Quillington Zorra"), nil)
	typo := Similarity(w("Zorra Quillington"), w("Zora Quillington"), nil)
	initial := Similarity(w("Zorra Quillington"), w("Z Quillington"), nil)
	other := Similarity(w("Zorra Quillington"), w("Vexlin Quillington"), nil)
	half := Similarity(w("Zorra Quillington"), w("Zorra"), nil)
	assert.Equal(t, 1.0, same)
	assert.GreaterOrEqual(t, typo, 0.9)
	assert.Less(t, typo, 1.0)
	assert.InDelta(t, 0.9, initial, 0.001)
	assert.Less(t, other, initial)
	assert.Equal(t, 0.8, half)
	assert.Equal(t, 0.0, Similarity(nil, w("Zorra"), nil))

	// Among records where "fixer" is common and the given names rare, two fixers are not alike.
	var records []*Record
	for _, name := range []string{"Trora the Fixer", "Trobo the Fixer", "Zorra the Fixer", "Vexlin the Fixer", "Ostdo Fixer"} {
		records = append(records, &Record{Names: [][]string{w(name)}})
	}
	for i := range 20 {
		records = append(records, &Record{Names: [][]string{{string(rune('a'+i)) + "xyz", "fixer"}}})
	}
	rarity := NewRarity(records)
	plain, weighed := Similarity(w("Trora the Fixer"), w("Trobo the Fixer"), nil), Similarity(w("Trora the Fixer"), w("Trobo the Fixer"), rarity)
	assert.Less(t, weighed, plain)
	assert.Less(t, weighed, 0.85)
}

func reasonKinds(reasons []Reason) []string {
	var out []string
	for _, r := range reasons {
		out = append(out, r.Kind)
	}
	slices.Sort(out)
	return out
}

func TestScore(t *testing.T) {
	person := func(name string, year int) *Record {
		return &Record{ID: name, Names: [][]string{Words(name, PersonName)}, BirthYear: year}
	}
	sameAndYear, _ := Score(person("Zorra Quillington", 1980), person("Quillington Zorra", 1980), nil)
	sameOnly, _ := Score(person("Zorra Quillington", 1980), person("Zorra Quillington", 0), nil)
	sameOtherYear, reasons := Score(person("Zorra Quillington", 1980), person("Zorra Quillington", 1990), nil)
	assert.InDelta(t, 0.97, sameAndYear, 0.01)
	assert.InDelta(t, 0.73, sameOnly, 0.01)
	assert.Less(t, sameOtherYear, 0.05)
	assert.Equal(t, []string{DifferentBirthYear, SimilarName}, reasonKinds(reasons))
	assert.Equal(t, DifferentBirthYear, reasons[0].Kind, "strongest first")

	a, b := person("Zora Quillington", 0), person("Zorra Quillington", 0)
	a.Places, b.Places = []string{"addr-1", "city-1"}, []string{"addr-1"}
	a.Incidents, b.Incidents = []string{"inc-1"}, []string{"inc-2"}
	a.Identifiers = []Identifier{{ID: "id-1", Kind: "PHONE", Value: "+1"}, {ID: "id-2", Kind: "PASSPORT", Value: "X1"}}
	b.Identifiers = []Identifier{{ID: "id-1", Kind: "PHONE", Value: "+1"}, {ID: "id-3", Kind: "PASSPORT", Value: "X1"}}
	score, reasons := Score(a, b, nil)
	assert.Greater(t, score, 0.99)
	require.Equal(t, []string{SameIdentifierValue, SamePlace, SharedIdentifier, SimilarName}, reasonKinds(reasons))
	for _, r := range reasons {
		switch r.Kind {
		case SameIdentifierValue:
			assert.Equal(t, []string{"id-2", "id-3"}, r.Evidence)
			assert.Equal(t, 5.0, r.Weight)
		case SharedIdentifier:
			assert.Equal(t, []string{"id-1"}, r.Evidence)
		case SamePlace:
			assert.Equal(t, []string{"addr-1"}, r.Evidence)
		}
	}

	// Without values (a caller who may not read them), separate records of one value are not compared.
	a.Identifiers[1].Value, b.Identifiers[1].Value = "", ""
	_, reasons = Score(a, b, nil)
	assert.NotContains(t, reasonKinds(reasons), SameIdentifierValue)

	business := func(name, reg string) *Record {
		return &Record{Names: [][]string{Words(name, BusinessName)}, Scope: "GB", Registration: reg}
	}
	sameReg, _ := Score(business("Blorvex Textiles Ltd", "SYN-1"), business("BLORVEX TEXTILES LIMITED", "SYN-1"), nil)
	otherReg, _ := Score(business("Blorvex Textiles Ltd", "SYN-1"), business("Blorvex Textiles Ltd", "SYN-2"), nil)
	assert.Greater(t, sameReg, 0.99)
	assert.Less(t, otherReg, 0.5)

	place := func(kind string, lat float64) *Record {
		return &Record{Names: [][]string{Words("Fictive Farm", PlaceName)}, Kind: kind, Point: &Point{Latitude: lat, Longitude: 0}}
	}
	near, _ := Score(place("SITE", 10), place("SITE", 10.001), nil)
	far, _ := Score(place("SITE", 10), place("SITE", 11), nil)
	otherKind, _ := Score(place("SITE", 10), place("CITY", 10.001), nil)
	assert.Greater(t, near, 0.9)
	assert.Less(t, far, 0.5)
	assert.Less(t, otherKind, near)
}

func TestPairsStopWhenAsked(t *testing.T) {
	records := []*Record{{Names: [][]string{{"zorra", "quillington"}}}, {Names: [][]string{{"zora", "quillington"}}}}
	ctx, cancel := context.WithCancel(context.Background())
	got, err := Pairs(ctx, records, DefaultMaxBlock)
	require.NoError(t, err)
	assert.Len(t, got.Pairs, 1)
	cancel()
	_, err = Pairs(ctx, records, DefaultMaxBlock)
	assert.ErrorIs(t, err, context.Canceled)
}

func TestPairs(t *testing.T) {
	records := []*Record{
		{Names: [][]string{Words("Zorra Quillington", PersonName)}},
		{Names: [][]string{Words("Vexlin Nox", PersonName)}},
		{Names: [][]string{Words("Quillington Zora", PersonName)}, Aliases: [][]string{Words("Zorra the Fixer", PersonName)}},
		{Names: [][]string{Words("Vexlin Nox", PersonName)}, Scope: "GB"},
		{Names: [][]string{Words("Blorvex", BusinessName)}, Scope: "GB", Registration: "SYN-1"},
		{Names: [][]string{Words("Quantaroo", BusinessName)}, Scope: "GB", Registration: "SYN-1"},
	}
	got, err := Pairs(context.Background(), records, DefaultMaxBlock)
	require.NoError(t, err)
	assert.Equal(t, [][2]int{{0, 2}, {4, 5}}, got.Pairs)
	assert.Zero(t, got.SkippedKeys)

	var crowd []*Record
	for range 5 {
		crowd = append(crowd, &Record{Names: [][]string{{"common", "name"}}})
	}
	crowd = append(crowd, &Record{Names: [][]string{{"common", "nme"}}})
	got, err = Pairs(context.Background(), crowd, 4)
	require.NoError(t, err)
	assert.Empty(t, got.Pairs, "every key of the crowd gathers more than 4")
	assert.Positive(t, got.SkippedKeys)
	got, err = Pairs(context.Background(), crowd, 6)
	require.NoError(t, err)
	assert.Len(t, got.Pairs, 15)
}
