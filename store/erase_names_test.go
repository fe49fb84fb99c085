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
}

func TestDistinctNamesLongestFirst(t *testing.T) {
	assert.Equal(t, []string{"Ann Smith", "Ann"}, distinctNames([]string{" Ann ", "Ann  Smith", "Ann", ""}))
}
