package store

import (
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/traffikgraph/traffikgraph/store/migrations"
)

func TestSearchWords(t *testing.T) {
	for _, tc := range []struct {
		text string
		want []string
	}{
		{"Harbour Logistics", []string{"harbour", "logistics"}},
		{"harbour-logistics/ltd", []string{"harbour", "logistics", "ltd"}},
		{"O'Brien & Sons", []string{"o'brien", "sons"}},
		{"O’Brien’s", []string{"o’brien’s"}},
		{"a.b@x.org +44 1234", []string{"a.b", "x.org", "44", "1234"}},
		{"1,000.50 GBP; 10:30 a:b", []string{"1,000.50", "gbp", "10", "30", "a:b"}},
		{"end. 'quoted' trailing, a5 5a", []string{"end", "quoted", "trailing", "a5", "5a"}},
		{"Café naïve ŻÓŁW", []string{"café", "naïve", "żółw"}},
		{"東京 tower", []string{"東", "京", "tower"}},
		{"snake_case __ _", []string{"snake_case"}},
		{`x AND (*:* OR "y~2`, []string{"x", "and", "or", "y", "2"}},
		{"  !!! ", nil},
	} {
		assert.Equal(t, tc.want, searchWords(tc.text), tc.text)
	}
}

// osaDistance is the optimal string alignment distance: insertions, deletions, substitutions
// and swaps of neighbours, each letter edited once, as Lucene's fuzzy queries count.
func osaDistance(a, b []rune) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}

// allStrings returns every string over alphabet of at most n letters.
func allStrings(alphabet string, n int) []string {
	out, level := []string{""}, []string{""}
	for range n {
		var next []string
		for _, s := range level {
			for _, c := range alphabet {
				next = append(next, s+string(c))
			}
		}
		out, level = append(out, next...), next
	}
	return out
}

func TestWithinOneEditMatchesExactlyTheStringsOneEditAway(t *testing.T) {
	check := func(word string, candidates []string) {
		t.Helper()
		re, err := regexp.Compile("^(?:" + withinOneEdit([]rune(word)) + ")$")
		require.NoError(t, err, word)
		for _, c := range candidates {
			want := osaDistance([]rune(word), []rune(c)) <= 1
			if !assert.Equal(t, want, re.MatchString(c), "%q against %q", word, c) {
				return
			}
		}
	}
	// Every word of up to 4 letters over two letters, against every string of up to 5 over three.
	candidates := allStrings("abc", 5)
	for _, word := range allStrings("ab", 4)[1:] {
		check(word, candidates)
	}
	// Longer words, against their neighbours one and two edits away and random strings.
	r := rand.New(rand.NewPCG(7, 11))
	for range 40 {
		word := make([]rune, 5+r.IntN(20))
		for i := range word {
			word[i] = rune('a' + r.IntN(4))
		}
		var near []string
		for i, one := range editsOf(string(word)) {
			near = append(near, one)
			if i%4 == 0 {
				near = append(near, editsOf(one)...)
			}
		}
		for range 50 {
			near = append(near, strings.Map(func(rune) rune { return rune('a' + r.IntN(4)) }, string(word)))
		}
		check(string(word), near)
	}
	// Any character, non-Latin letters and the punctuation words keep are literal.
	check("o'brien", []string{"o'brien", "obrien", "o'brian", "o'b.rien", "oxbrien", "o''brien", "o'brie", "o'brienn", "o'bireen"})
	check("a.b", []string{"a.b", "axb", "ab", "a.bc", "a..b", "b.a"})
	check("żółw", []string{"żółw", "zółw", "żółwi", "żółww", "żłów", "żlów"})
}

// editsOf returns the strings one insertion (of a, b or e), deletion, substitution or swap of
// neighbours from s.
func editsOf(s string) []string {
	var out []string
	for i := 0; i <= len(s); i++ {
		for _, c := range "abe" {
			out = append(out, s[:i]+string(c)+s[i:])
			if i < len(s) {
				out = append(out, s[:i]+string(c)+s[i+1:])
			}
		}
		if i < len(s) {
			out = append(out, s[:i]+s[i+1:])
		}
		if i+1 < len(s) {
			out = append(out, s[:i]+s[i+1:i+2]+s[i:i+1]+s[i+2:])
		}
	}
	return out
}

func TestLuceneQueryIsOneRegularExpressionPerWord(t *testing.T) {
	assert.Equal(t, `/ab/ AND /x/ AND /a\_/`, luceneQuery([]string{"ab", "x", "a_"}), "words of up to 2 letters match exactly")
	q := luceneQuery([]string{"harbur", "logistics"})
	parts := strings.Split(q, " AND ")
	require.Len(t, parts, 2)
	for _, part := range parts {
		assert.True(t, strings.HasPrefix(part, "/") && strings.HasSuffix(part, "/"), part)
		assert.NotContains(t, part[1:len(part)-1], "/", "nothing ends the expression early")
		assert.NotContains(t, part, "~", "no fuzzy query: it would expand to the index's nearest terms")
	}
	// Growth is O(n log n): the longest word the text allows stays a small expression.
	assert.Less(t, len(withinOneEdit([]rune(strings.Repeat("ab", MaxSearchRunes/2)))), 12000)
}

// Without graph:read:pii only the public index is searched and addresses are dropped, so what
// such a caller's hits are scored on must never be personal data anywhere else.
func TestThePublicSearchIndexHoldsNoPersonalDataButAddressNames(t *testing.T) {
	for _, label := range migrations.SearchPublicLabels {
		for _, p := range kindOf(label).Props {
			if slices.Contains(migrations.SearchPublicProperties, p.Name) && p.PII.Personal {
				assert.True(t, conditionallyPersonal(p), "%s.%s", label, p.Name)
			}
		}
	}
}
