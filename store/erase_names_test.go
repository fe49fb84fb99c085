package store

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestNameFinderRedactsWholeWordsInAnyScript(t *testing.T) {
	cases := []struct {
		name  string
		names []string
		text  string
		want  string
	}{
		{"Possessive", []string{"Ann"}, "Ann's brother", "[erased]'s brother"},
		{"CaseAndSpacing", []string{"Ann Marie"}, "ANN \t marie and ann\u00a0Marie", "[erased] and [erased]"},
		{"PartOfALongerWordIsNot", []string{"Ann"}, "Annabel, Joanne, Ann_1 and Ann", "Annabel, Joanne, Ann_1 and [erased]"},
		{"AfterASkippedMatch", []string{"ab"}, "abab ab", "abab [erased]"},
		{"Cyrillic", []string{"Олена"}, "Бачили Олену й Олена.", "Бачили Олену й [erased]."},
		{"EndsInANonASCIILetter", []string{"Zoë"}, "Zoë, Zoëlle", "[erased], Zoëlle"},
		{"CombiningMarkContinuesAWord", []string{"Jose"}, "Jose\u0301 and Jose", "Jose\u0301 and [erased]"},
		{"FullNameBeforeAlias", distinctNames([]string{"Ann", "Ann Smith"}), "Ann Smith met Ann", "[erased] met [erased]"},
		{"MarkerIsNotAName", []string{"erased", "Ann"}, "Ann", "[erased]"},
		{"Punctuation", []string{"O'Brien"}, "o'brien-ward", "[erased]-ward"},
		{"Digits", []string{"007"}, "agent 007 and 0070", "agent [erased] and 0070"},
		{"NoName", nil, "Ann", "Ann"},
		{"InvisibleSeparator", []string{"Xavira Quenby"}, "Xavira\u200bQuenby, Xavira\u00adQuenby", "[erased], [erased]"},
		{"CurlyApostrophe", []string{"O’Brien"}, "O'Brien", "[erased]"},
		{"GreekFinalSigma", []string{"ΝΙΚΟΣ ΞΑΝΘΟΣ"}, "ο Νικος Ξανθος", "ο [erased]"},
		{"NameWithTrailingPunctuation", []string{"Ann."}, "Ann left.", "[erased] left."},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newNameFinder(c.names)
			assert.Equal(t, c.want, f.redact(c.text))
			assert.Equal(t, c.want != c.text, f.holds(c.text))
		})
	}
}

// The Lucene query holds each name's runs of letters as a phrase, and nothing else: no
// character of Lucene's syntax can reach it, and a name without a letter asks for nothing.
func TestNameFinderPhrases(t *testing.T) {
	assert.Equal(t, `"Ann Marie" OR "O Brien" OR "Олена"`, newNameFinder([]string{"Ann  Marie", `O'Brien`, "Олена"}).phrases)
	assert.Equal(t, `"a b c" OR "AND"`, newNameFinder([]string{`a"*b\c~`, "AND"}).phrases)
	assert.Empty(t, newNameFinder([]string{"007", "+-"}).phrases)
	assert.Empty(t, newNameFinder(nil).phrases)
	assert.Equal(t, `"ΝΙΚΟΣ ΞΑΝΘΟΣ" OR "ΝΙΚΟς ΞΑΝΘΟς"`, newNameFinder([]string{"ΝΙΚΟΣ ΞΑΝΘΟΣ"}).phrases,
		"Lucene lower-cases Σ to σ: the final ς of Greek text is asked for too")
}

// History values are JSON: a name after an escaped line break, or in a list, is found.
func TestNameFinderHoldsValue(t *testing.T) {
	f := newNameFinder([]string{"Xavira Quenby"})
	assert.True(t, f.holdsValue(`"Seen:\nXavira Quenby"`))
	assert.True(t, f.holdsValue(`["a", "Xavira\tQuenby"]`))
	assert.True(t, f.holdsValue(`"\u003cb\u003eXavira Quenby\u003c/b\u003e"`))
	assert.False(t, f.holdsValue(`"Xavira Quenbyson"`))
	assert.False(t, f.holdsValue(`null`))
}

func TestDistinctNamesLongestFirst(t *testing.T) {
	assert.Equal(t, []string{"Ann Smith", "Ann"}, distinctNames([]string{" Ann ", "Ann  Smith", "Ann", ""}))
}
