package store_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
	"github.com/stretchr/testify/require"

	tg "github.com/traffikgraph/traffikgraph"
	"github.com/traffikgraph/traffikgraph/auth"
	"github.com/traffikgraph/traffikgraph/store"
)

// BenchmarkEraseSubject measures an erasure over a world of benchReports reports, each with a
// version holding its text, for a person with one name (base) and for one with a hundred aliases
// of 200 characters (the most the model allows), alternately in the same loop. It reports both
// latencies and their ratio, and, for reference, the statement erasure used before the full-text
// index (one Java regular expression per name over every report's text) on the same world.
// docs/stewardship.md has the figures and the command.
func BenchmarkEraseSubject(b *testing.B) {
	const benchReports = 20000
	s := mustOpen(b)
	w := newWorld(b, s)
	ctx := as(w.A, readerScopes...)
	words := strings.Fields("the woman was seen near the port with two men who took her passport and phone " +
		"she said they promised work in a restaurant but kept her in a house on the edge of town")
	for start := 0; start < benchReports; start += 2000 {
		rows := []any{}
		for i := start; i < start+2000; i++ {
			var text strings.Builder
			for j := range 60 {
				text.WriteString(words[(i*7+j*13)%len(words)])
				text.WriteString(" ")
			}
			fmt.Fprintf(&text, "report %d.", i)
			rows = append(rows, map[string]any{"id": fmt.Sprintf("%s-report-%d", w.A, i), "text": text.String()})
		}
		run(b, s, `
UNWIND $rows AS row
CREATE (:Entity:Report {id: row.id, text: row.text, channel: 'PARTNER', status: 'NEW', tlp: 'AMBER', sourcePartner: $a,
        sharedWith: [], externalRefs: [], submittedAt: datetime(), createdAt: datetime(), updatedAt: datetime()})
CREATE (:Version {id: row.id + '-v', entityId: row.id, at: datetime(), change: 'CREATED', subjectLabel: 'Report',
        fields: ['text'], before: ['null'], after: ['"' + row.text + '"'], freeText: row.text, personalFields: ['text'],
        tlp: 'AMBER', sourcePartner: $a, sharedWith: [], actorPartner: $a})`, map[string]any{"rows": rows, "a": w.A})
	}
	aliases := make([]string, 100)
	for i := range aliases {
		aliases[i] = strings.TrimSpace(fmt.Sprintf("Alias %03d %s", i, strings.Repeat("Quorvex ", 30))[:200])
	}
	person := func(n int, aliases []string) string {
		name := fmt.Sprintf("Ysolde Brannagh %d", n)
		p, err := s.Create(ctx, tg.LabelPerson, store.CreateParams{Properties: store.Patch{Set: map[string]any{"name": name, "aliases": aliases}},
			Marking: store.Marking{Tlp: "AMBER"}})
		require.NoError(b, err)
		_, err = s.Create(ctx, tg.LabelReport, store.CreateParams{Properties: store.Patch{Set: map[string]any{"channel": "PARTNER",
			"text": "Seen with " + name + "."}}, Marking: store.Marking{Tlp: "AMBER"}})
		require.NoError(b, err)
		return p.NodeID()
	}
	admin := as(w.C, auth.ScopeAdmin)
	erase := func(id string) time.Duration {
		began := time.Now()
		_, err := s.EraseSubject(admin, id, "benchmark")
		require.NoError(b, err)
		return time.Since(began)
	}
	// The statement erasure ran before: every report, one pattern per name.
	patterns := []string{}
	for _, n := range append([]string{"Ysolde Brannagh"}, aliases...) {
		patterns = append(patterns, `(?isu).*\b`+strings.ReplaceAll(regexp.QuoteMeta(n), " ", `\s+`)+`\b.*`)
	}
	regexScan := func() time.Duration {
		began := time.Now()
		_, err := neo4j.ExecuteQuery(context.Background(), s.Driver(),
			`MATCH (r:Report) WHERE any(name IN $names WHERE r.text =~ name) RETURN count(r) AS n`,
			map[string]any{"names": patterns}, neo4j.EagerResultTransformer, neo4j.ExecuteQueryWithDatabase(s.Database()))
		require.NoError(b, err)
		return time.Since(began)
	}

	erase(person(-2, nil)) // plans the statements, so that neither variant pays for it
	erase(person(-1, aliases))
	var one, hundred, scan time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		single, many := person(2*i, nil), person(2*i+1, aliases)
		b.StartTimer()
		one += erase(single)
		hundred += erase(many)
		if i < 3 { // it is slow: a few runs say enough
			b.StopTimer()
			scan += regexScan()
			b.StartTimer()
		}
	}
	n := float64(b.N)
	b.ReportMetric(float64(one.Milliseconds())/n, "one-name-ms")
	b.ReportMetric(float64(hundred.Milliseconds())/n, "hundred-aliases-ms")
	b.ReportMetric(float64(hundred)/float64(one), "ratio")
	b.ReportMetric(float64(scan.Milliseconds())/float64(min(b.N, 3)), "regex-scan-ms")
}
