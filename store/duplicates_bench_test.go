package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
	"github.com/stretchr/testify/require"

	tg "github.com/traffikgraph/traffikgraph"
	"github.com/traffikgraph/traffikgraph/auth"
	"github.com/traffikgraph/traffikgraph/store"
)

// BenchmarkDuplicateCandidates measures duplicateCandidates(PERSON) over benchPeople people of
// 270,000 possible names and 60 birth years drawn at random (names repeat, and many are one
// letter apart), one in twenty another partner's record of the one before it with a letter
// dropped, for a caller who sees them all; half of them live at one of 10,000 addresses. Beside it,
// in the same loop, the floor: the one statement that reads the records compared, alone. The
// ratio is what blocking, scoring and the page cost on top of reading. docs/triage.md has the
// figures and the command.
func BenchmarkDuplicateCandidates(b *testing.B) {
	const benchPeople = 100000
	s := mustOpen(b)
	w := newWorld(b, s)
	syllables := []string{"bra", "cor", "dun", "fel", "gor", "hal", "jin", "kel", "lom", "mar", "nev", "ost", "pel", "quin",
		"ros", "sal", "tam", "ulv", "ven", "wil", "yor", "zan", "bel", "cas", "dor", "fin", "gil", "hel", "ivo", "jas"}
	endings := []string{"a", "o", "en", "ix", "ora", "ud", "el", "an", "is", "et"}
	person := func(i int) (string, int) {
		r := rand.New(rand.NewPCG(uint64(i), 7))
		return syllables[r.IntN(30)] + endings[r.IntN(10)] + " " + syllables[r.IntN(30)] + syllables[r.IntN(30)] + "sen", 1950 + r.IntN(60)
	}
	b.Cleanup(func() { // before the world's own, which deletes in one transaction
		for {
			res, err := neo4j.ExecuteQuery(context.Background(), s.Driver(), `
MATCH (n:`+tg.LabelEntity+`) WHERE n.id STARTS WITH $prefix
WITH n LIMIT 10000
DETACH DELETE n
RETURN count(*) AS deleted`, map[string]any{"prefix": w.A + "-p-"}, neo4j.EagerResultTransformer, neo4j.ExecuteQueryWithDatabase(s.Database()))
			require.NoError(b, err)
			if deleted, _ := res.Records[0].Get("deleted"); deleted == int64(0) {
				return
			}
		}
	})
	run(b, s, `
UNWIND range(0, 9999) AS i
CREATE (:Entity:Location {id: $prefix + 'a-' + i, name: i + ' Bench Street', kind: 'ADDRESS', tlp: 'GREEN', sourcePartner: $a,
        sharedWith: [], externalRefs: [], createdAt: datetime(), updatedAt: datetime()})`, map[string]any{"prefix": w.A + "-p-", "a": w.A})
	for start := 0; start < benchPeople; start += 5000 {
		rows := []any{}
		for i := start; i < start+5000; i++ {
			n, year := person(i)
			partner := w.A
			if i%20 == 19 { // the record before, by another partner, with a letter dropped
				n, year = person(i - 1)
				n, partner = n[:2]+n[3:], w.B
			}
			rows = append(rows, map[string]any{"id": fmt.Sprintf("%s-p-%d", w.A, i), "name": n, "year": year, "partner": partner,
				"address": fmt.Sprintf("%s-p-a-%d", w.A, (i/2)%10000), "lives": i%2 == 0 || i%20 == 19})
		}
		run(b, s, `
UNWIND $rows AS row
CREATE (p:Entity:Person {id: row.id, name: row.name, aliases: [], birthYear: row.year, tlp: 'GREEN', sourcePartner: row.partner,
        sharedWith: [], externalRefs: [], createdAt: datetime(), updatedAt: datetime()})
WITH p, row WHERE row.lives
MATCH (a:`+tg.LabelEntity+` {id: row.address})
CREATE (p)-[:LIVES_AT {tlp: 'GREEN', sourcePartner: row.partner, sharedWith: [], externalRefs: [], createdAt: datetime(), updatedAt: datetime()}]->(a)`,
			map[string]any{"rows": rows})
	}
	ctx := as(w.A, auth.ScopeGraphRead, auth.ScopeGraphReadPII)
	floor := func() time.Duration {
		began := time.Now()
		res, err := neo4j.ExecuteQuery(context.Background(), s.Driver(), store.ViewerPrelude+`
MATCH (n:`+tg.LabelPerson+`)
WHERE `+store.Visible("n")+`
RETURN [n.id, n.tlp, EXISTS { (n)-[:`+tg.RelLivesAt+`]->() }, n.name, n.aliases, n.birthYear] AS r`,
			map[string]any{"viewer": w.A, "pii": true, "triage": false}, neo4j.EagerResultTransformer, neo4j.ExecuteQueryWithDatabase(s.Database()))
		require.NoError(b, err)
		require.GreaterOrEqual(b, len(res.Records), benchPeople)
		return time.Since(began)
	}
	var candidates, floors time.Duration
	var page *store.DuplicatePage
	b.ResetTimer()
	for range b.N {
		began := time.Now()
		var err error
		page, err = s.DuplicateCandidates(ctx, store.DuplicateParams{Label: tg.LabelPerson})
		require.NoError(b, err)
		candidates += time.Since(began)
		floors += floor()
	}
	b.StopTimer()
	require.NotEmpty(b, page.Candidates)
	n := float64(b.N)
	b.ReportMetric(float64(candidates.Milliseconds())/n, "candidates-ms")
	b.ReportMetric(float64(floors.Milliseconds())/n, "read-only-ms")
	b.ReportMetric(float64(candidates)/float64(floors), "ratio")
	b.ReportMetric(float64(page.TotalCount), "pairs>=0.5")
	b.ReportMetric(float64(page.SkippedKeys), "skipped-keys")
}
