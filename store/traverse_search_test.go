package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	tg "github.com/traffikgraph/traffikgraph"
	"github.com/traffikgraph/traffikgraph/auth"
	"github.com/traffikgraph/traffikgraph/store"
)

// uniqueWords returns n words that no other data holds: "zq" and eight random letters.
func uniqueWords(n int) []string {
	words := make([]string, n)
	for i := range words {
		word := []byte("zq")
		for len(word) < 10 {
			word = append(word, byte('a'+rand.N(26)))
		}
		words[i] = string(word)
	}
	return words
}

// typo replaces the word's fourth letter: one edit away.
func typo(word string) string {
	b := []byte(word)
	b[3] = 'a' + (b[3]-'a'+13)%26
	return string(b)
}

// searchAnswer is everything one search tells its caller, written out: each hit in order with
// its type and score.
func searchAnswer(t *testing.T, s *store.Store, ctx context.Context, p store.SearchParams) string {
	t.Helper()
	result, err := s.Search(ctx, p)
	hits := result.Hits
	require.NoError(t, err, p.Query)
	var b strings.Builder
	for _, h := range hits {
		fmt.Fprintf(&b, "%s %s %v\n", h.Node.NodeID(), h.Label, h.Score)
	}
	return b.String()
}

// TestSearchScoresAndOrderDependOnlyOnWhatTheCallerMaySee is the differential test of search: the
// answers of a fixed set of queries (ids, order, types, scores) are recorded for each caller,
// documents containing the same words are added under every marking (and scope) that hides them
// from that caller, more of them than any candidate limit, and every answer must be exactly the
// same. Adding documents the caller may see must change its answers, so the comparison can fail.
func TestSearchScoresAndOrderDependOnlyOnWhatTheCallerMaySee(t *testing.T) {
	w := newWorld(t, mustOpen(t))
	s := openWithTriagePartner(t, w.D)
	words := uniqueWords(5)
	biz, inc, per, idv, rep := words[0], words[1], words[2], words[3], words[4]

	create := func(partner, label, tlp string, sharedWith []string, input map[string]any) string {
		t.Helper()
		n, err := s.Create(as(partner, readerScopes...), label, store.CreateParams{
			Properties: store.Patch{Set: input}, Marking: store.Marking{Tlp: tlp, SharedWith: sharedWith}})
		require.NoError(t, err)
		return n.NodeID()
	}
	// Every label of the public index, then of the personal-data index, each holding the words.
	createPublic := func(partner, tlp string, sharedWith []string, tag string) {
		t.Helper()
		create(partner, tg.LabelBusiness, tlp, sharedWith, map[string]any{"name": biz + " " + tag})
		create(partner, tg.LabelIncident, tlp, sharedWith, map[string]any{"title": inc + " " + tag, "summary": biz + " workers " + tag})
		create(partner, tg.LabelLocation, tlp, sharedWith, map[string]any{"name": biz + " " + tag, "kind": "CITY"})
		create(partner, tg.LabelRoute, tlp, sharedWith, map[string]any{"name": biz + " corridor " + tag})
	}
	createPersonal := func(partner, tlp string, sharedWith []string, tag string) {
		t.Helper()
		create(partner, tg.LabelPerson, tlp, sharedWith, map[string]any{"name": per + " " + tag, "aliases": []string{per + "o", tag}})
		create(partner, tg.LabelIdentifier, tlp, sharedWith, map[string]any{"kind": "EMAIL", "value": idv + "@" + tag + ".example"})
		create(partner, tg.LabelReport, tlp, sharedWith, map[string]any{"text": "saw " + per + " at the " + biz + " site, " + rep + " " + tag, "channel": "APP"})
		create(partner, tg.LabelLocation, tlp, sharedWith, map[string]any{"name": "1 " + biz + " Street " + tag, "kind": "ADDRESS"})
	}
	createAll := func(partner, tlp string, sharedWith []string, tag string) {
		t.Helper()
		createPublic(partner, tlp, sharedWith, tag)
		createPersonal(partner, tlp, sharedWith, tag)
	}

	// What the callers may see: data of every partner, under every marking.
	createAll(w.A, "CLEAR", nil, "clear")
	createAll(w.A, "GREEN", nil, "green holdings")
	createAll(w.A, "AMBER", nil, "amber")
	createAll(w.A, "AMBER_STRICT", nil, "strict")
	createAll(w.C, "GREEN", nil, "freight holdings")
	createAll(w.C, "RED", []string{w.B}, "red")
	createAll(w.C, "AMBER_STRICT", nil, "own")
	create(w.B, tg.LabelBusiness, "AMBER", nil, map[string]any{"name": biz})

	// The queries, each a question a caller with graph:read:pii (personal) or any caller asks;
	// every visible hit is returned unless First says otherwise.
	queries := []struct {
		store.SearchParams
		personal bool
	}{
		{store.SearchParams{Query: biz}, false},
		{store.SearchParams{Query: typo(biz)}, false},
		{store.SearchParams{Query: biz + " holdings"}, false},
		{store.SearchParams{Query: strings.ToUpper(biz) + " Corridor"}, false},
		{store.SearchParams{Query: biz, Labels: []string{tg.LabelBusiness}}, false},
		{store.SearchParams{Query: biz, Labels: []string{tg.LabelLocation, tg.LabelRoute}}, false},
		{store.SearchParams{Query: inc}, false},
		{store.SearchParams{Query: inc + " " + typo(biz)}, false},
		{store.SearchParams{Query: per}, true},
		{store.SearchParams{Query: typo(per)}, true},
		{store.SearchParams{Query: per, Labels: []string{tg.LabelPerson}}, true},
		{store.SearchParams{Query: idv}, true},
		{store.SearchParams{Query: rep}, true},
		{store.SearchParams{Query: per + " " + biz}, true},
		{store.SearchParams{Query: biz, First: intp(3)}, false},
	}
	pii := []auth.Scope{auth.ScopeGraphRead, auth.ScopeGraphReadPII}
	callers := []struct {
		name string
		ctx  context.Context
		pii  bool
		// hide adds data the caller may not see.
		hide func(tag string)
		// show adds data the caller may see.
		show func(tag string)
	}{
		{"police-like partner with graph:read:pii", as(w.A, pii...), true, func(tag string) {
			createAll(w.B, "AMBER_STRICT", nil, tag) // a partner of its own group
			createAll(w.C, "AMBER", nil, tag)        // outside its groups
			createAll(w.C, "RED", []string{w.D}, tag)
			createAll(w.D, "RED", []string{w.B}, tag) // shared with its group's partner only
			createAll(w.D, "AMBER_STRICT", nil, tag)
			_, err := s.SubmitReport(anonymous, store.Submission{Text: "saw " + per + " at the " + biz + " site, " + rep, Language: "en", Channel: "WEB"})
			require.NoError(t, err) // the triage partner's alone
		}, func(tag string) { createAll(w.B, "AMBER", nil, tag) }},
		{"bank-like partner without graph:read:pii", as(w.B, auth.ScopeGraphRead), false, func(tag string) {
			createAll(w.A, "AMBER_STRICT", nil, tag) // a partner of its own group
			createAll(w.A, "RED", []string{w.C}, tag)
			createAll(w.C, "AMBER", nil, tag)
			createAll(w.D, "AMBER", nil, tag)
			// Personal data under markings it may see: people, identifiers, reports, addresses.
			createPersonal(w.A, "GREEN", nil, tag)
			createPersonal(w.B, "AMBER_STRICT", nil, tag)
		}, func(tag string) { createAll(w.C, "RED", []string{w.B}, tag) }},
		{"partner outside every group", as(w.C, pii...), true, func(tag string) {
			createAll(w.A, "AMBER", nil, tag)
			createAll(w.A, "AMBER_STRICT", nil, tag)
			createAll(w.B, "RED", []string{w.A}, tag)
			createAll(w.D, "AMBER_STRICT", nil, tag)
		}, func(tag string) { createAll(w.D, "GREEN", nil, tag) }},
		{"anonymous caller", anonymous, false, func(tag string) {
			createAll(w.A, "GREEN", nil, tag)
			createAll(w.B, "AMBER", nil, tag)
			createAll(w.C, "RED", []string{w.A}, tag)
		}, func(tag string) { createAll(w.D, "CLEAR", nil, tag) }},
	}
	answers := func(ctx context.Context) []string {
		out := make([]string, len(queries))
		for i, q := range queries {
			p := q.SearchParams
			if p.First == nil {
				p.First = intp(500)
			}
			out[i] = searchAnswer(t, s, ctx, p)
		}
		return out
	}

	for i, c := range callers {
		t.Run(c.name, func(t *testing.T) {
			before := answers(c.ctx)
			require.NotEmpty(t, before[0], "the caller finds something to compare")

			c.hide(fmt.Sprintf("hidden%d holdings corridor", i))
			// Copies named by the words alone, which Lucene ranks above every visible hit, more of
			// them in each index than any candidate limit; D's, hidden from every caller here.
			for _, label := range []string{tg.LabelBusiness, tg.LabelPerson} {
				name := biz
				if label == tg.LabelPerson {
					name = per
				}
				template := create(w.D, label, "AMBER_STRICT", nil, map[string]any{"name": name})
				run(t, s, `MATCH (t:Entity {id: $id}) UNWIND range(1, $n) AS i
CREATE (c) SET c = t {.*, id: randomUUID()} SET c:$(labels(t))`, map[string]any{"id": template, "n": 1100})
			}
			assert.Equal(t, before, answers(c.ctx), "data the caller may not see changes nothing in its answers")

			c.show(fmt.Sprintf("shown%d holdings corridor", i))
			after := answers(c.ctx)
			for q, query := range queries {
				if query.First != nil {
					continue // the best hits may stay the best
				}
				if query.personal && !c.pii {
					assert.Empty(t, after[q], "personal data never matches without graph:read:pii: %q", query.Query)
				} else {
					assert.NotEqual(t, before[q], after[q], "data the caller may see changes the answer to %q", query.Query)
				}
			}
		})
	}
}

// oneEditAway returns every word one letter inserted into or replaced in word (a to z).
func oneEditAway(word string) []string {
	var out []string
	for i := 0; i <= len(word); i++ {
		for c := byte('a'); c <= 'z'; c++ {
			out = append(out, word[:i]+string(c)+word[i:])
			if i < len(word) && word[i] != c {
				out = append(out, word[:i]+string(c)+word[i+1:])
			}
		}
	}
	return out
}

// TestSearchTypoMatchingDoesNotDependOnHiddenTerms: a typo finds a visible word however many
// terms near it hidden data holds. Lucene's fuzzy queries keep only the 50 index terms nearest
// the word, so hidden terms could push the visible one out and tell that they exist.
func TestSearchTypoMatchingDoesNotDependOnHiddenTerms(t *testing.T) {
	s := mustOpen(t)
	w := newWorld(t, s)
	b := builder{t, s, w}
	words := uniqueWords(2)
	biz, per := words[0], words[1]
	business := b.nodeAs(w.A, tg.LabelBusiness, "GREEN", map[string]any{"name": biz + " Holdings"})
	person := b.nodeAs(w.A, tg.LabelPerson, "GREEN", map[string]any{"name": per + " Smith"})
	ctx := as(w.B, auth.ScopeGraphRead, auth.ScopeGraphReadPII)
	found := func(query, id string) bool {
		t.Helper()
		result, err := s.Search(ctx, store.SearchParams{Query: query, First: intp(500)})
		hits := result.Hits
		require.NoError(t, err)
		for _, h := range hits {
			if h.Node.NodeID() == id {
				return true
			}
		}
		return false
	}
	require.True(t, found(typo(biz), business))
	require.True(t, found(typo(per), person))

	// C's AMBER_STRICT names holding every word one edit from each typo, in the field the visible
	// word is in: over 500 terms as near to the typo as the visible word is.
	for label, near := range map[string][]string{tg.LabelBusiness: oneEditAway(typo(biz)), tg.LabelPerson: oneEditAway(typo(per))} {
		for len(near) > 0 {
			n := min(len(near), 15)
			b.nodeAs(w.C, label, "AMBER_STRICT", map[string]any{"name": strings.Join(near[:n], " ")})
			near = near[n:]
		}
	}

	assert.True(t, found(typo(biz), business), "a typo of a business name still finds it")
	assert.True(t, found(typo(per), person), "a typo of a person's name still finds them")
}

// TestSearchScoreRestsOnTheHitsOwnText: the score is 1 per query word the hit's text holds as a
// word, 0.5 per word it holds within one edit only, plus 0.1 times the share of its text the
// query covers; hits come best first, then by id.
func TestSearchScoreRestsOnTheHitsOwnText(t *testing.T) {
	s := mustOpen(t)
	w := newWorld(t, s)
	b := builder{t, s, w}
	words := uniqueWords(3)
	u, v, x := words[0], words[1], words[2]
	exactly := b.node(tg.LabelBusiness, "GREEN", map[string]any{"name": u})
	twin := b.node(tg.LabelBusiness, "GREEN", map[string]any{"name": strings.ToUpper(u)})
	longer := b.node(tg.LabelBusiness, "GREEN", map[string]any{"name": u + " " + v})
	typoed := b.node(tg.LabelBusiness, "GREEN", map[string]any{"name": typo(u)})
	incident := b.node(tg.LabelIncident, "GREEN", map[string]any{"title": v + " raid", "summary": "O'" + x + " and " + u})
	joined := b.node(tg.LabelBusiness, "GREEN", map[string]any{"name": x + "." + u[:3]})
	joinedAndTypo := b.node(tg.LabelBusiness, "GREEN", map[string]any{"name": typo(x) + " " + x + "." + u[:3]})
	person := b.node(tg.LabelPerson, "GREEN", map[string]any{"name": x + " Smith", "aliases": []string{v}})
	pii := as(w.A, auth.ScopeGraphRead, auth.ScopeGraphReadPII)

	type hit struct {
		id    string
		score float64
	}
	search := func(t *testing.T, ctx context.Context, query string) []hit {
		t.Helper()
		result, err := s.Search(ctx, store.SearchParams{Query: query})
		hits := result.Hits
		require.NoError(t, err)
		out := make([]hit, len(hits))
		for i, h := range hits {
			out[i] = hit{h.Node.NodeID(), h.Score}
		}
		return out
	}
	assertHits := func(t *testing.T, want, got []hit) {
		t.Helper()
		require.Len(t, got, len(want), "%v", got)
		for i := range want {
			assert.Equal(t, want[i].id, got[i].id, "hit %d", i)
			assert.InDelta(t, want[i].score, got[i].score, 1e-9, "score of hit %d", i)
		}
	}
	first, second := exactly, twin
	if second < first {
		first, second = second, first
	}
	ten := float64(len(u))
	incidentText := float64(len(v + " raid o'" + x + " and " + u))

	t.Run("exact words first, the shorter text first, then by id; a typo counts half", func(t *testing.T) {
		assertHits(t, []hit{
			{first, 1.1}, {second, 1.1},
			{longer, 1 + 0.1*ten/float64(len(u+" "+v))},
			{incident, 1 + 0.1*ten/incidentText},
			{typoed, 0.5 + 0.1},
		}, search(t, as(w.A, readerScopes...), u))
	})
	t.Run("every word must match; the query's length counts its words", func(t *testing.T) {
		both := float64(len(u + " " + v))
		assertHits(t, []hit{{longer, 2.1}, {incident, 2 + 0.1*both/incidentText}}, search(t, as(w.A, readerScopes...), u+"  "+v))
		assertHits(t, []hit{{longer, 1.5 + 0.1}, {incident, 1.5 + 0.1*both/incidentText}}, search(t, as(w.A, readerScopes...), typo(u)+" "+v))
	})
	t.Run("punctuation that joins letters makes one word", func(t *testing.T) {
		assertHits(t, []hit{{incident, 1 + 0.1*float64(len("o'"+x))/incidentText}},
			search(t, as(w.A, readerScopes...), "o'"+x))
		assertHits(t, []hit{{joined, 1.1}, {joinedAndTypo, 1 + 0.1*float64(len(x)+4)/float64(len(x)*2+5)}},
			search(t, as(w.A, readerScopes...), x+"."+u[:3]))
		// The word inside another is not held exactly; a word one edit from it is.
		assertHits(t, []hit{{joinedAndTypo, 0.5 + 0.1*float64(len(x))/float64(len(x)*2+5)}}, search(t, as(w.A, readerScopes...), x))
	})
	t.Run("a person's name and aliases are one text, for callers with graph:read:pii", func(t *testing.T) {
		assertHits(t, []hit{{person, 2 + 0.1*float64(len(x+" "+v))/float64(len(x+" smith "+v))}}, search(t, pii, x+" "+v))
		assertHits(t, nil, search(t, as(w.A, readerScopes...), x+" "+v))
	})
}

func TestSearchTheLongestTextsAreAnswered(t *testing.T) {
	s := mustOpen(t)
	w := newWorld(t, s)
	ctx := as(w.A, auth.ScopeGraphRead, auth.ScopeGraphReadPII)
	long := strings.Repeat("abcdefghijklmnopqrstuvwxy", 8)
	// 64 characters: a word of 40 and one of 23; eight words of 7.
	for _, query := range []string{long[:40] + " " + long[40:63], strings.TrimSpace(strings.Repeat(long[:7]+" ", 8))} {
		_, err := s.Search(ctx, store.SearchParams{Query: query})
		assert.NoError(t, err, "%d characters", len(query))
	}
}

// TestSearchTextIsBoundedBeforeLucene: every word of 3 letters or more is an automaton Lucene runs
// over every indexed term, its size growing with the word (one 200-letter word did not answer in
// 10 s, 8 words of 24 took 3.2-3.8 s), so a word of more than 40 characters, more than 8 words or
// more than 64 characters is LIMIT_EXCEEDED naming the query, before any Cypher; the bounds
// themselves are answered.
func TestSearchTextIsBoundedBeforeLucene(t *testing.T) {
	s := mustOpen(t)
	w := newWorld(t, s)
	ctx := as(w.A, auth.ScopeGraphRead, auth.ScopeGraphReadPII)
	word := func(n int) string { return strings.Repeat("harbour", 10)[:n] }
	for _, tc := range []struct {
		name, query, refusal string
	}{
		{"WordOf41", word(41), "a search word must be at most 40 characters"},
		{"WordOf41AmongShortOnes", "harbour " + word(41) + " logistics", "a search word must be at most 40 characters"},
		{"NineWords", strings.Repeat("ab ", 9), "the search text must have at most 8 words"},
		{"65Characters", strings.Repeat("harbour ", 8) + "x", "the search text must be at most 64 characters"},
		{"64Characters", strings.Repeat("harbour ", 7) + "harbourx", ""},
		{"WordOf40", word(40), ""},
		{"EightWords", strings.Repeat("harbour ", 8), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := s.QueryCount()
			_, err := s.Search(ctx, store.SearchParams{Query: tc.query})
			if tc.refusal == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Equal(t, &tg.Error{Code: tg.LimitExceeded, Message: tc.refusal, Field: "query"}, err)
			assert.Equal(t, before, s.QueryCount(), "refused before any Cypher ran")
		})
	}
}

func TestSearchTheReadmeExampleFindsATypo(t *testing.T) {
	s := mustOpen(t)
	w := newWorld(t, s)
	b := builder{t, s, w}
	harbour := b.node(tg.LabelBusiness, "GREEN", map[string]any{"name": "Harbour Logistics"})
	result, err := s.Search(as(w.B, auth.ScopeGraphRead), store.SearchParams{
		Query: "harbur logistics", Labels: []string{tg.LabelBusiness, tg.LabelLocation}, First: intp(500)})
	require.NoError(t, err)
	var score float64
	for _, h := range result.Hits {
		if h.Node.NodeID() == harbour {
			score = h.Score
		}
	}
	assert.InDelta(t, 1.5+0.1*16.0/17.0, score, 1e-9, "one word exactly, one within an edit")
}
