package store_test

import (
	"context"
	"crypto/rand"
	"slices"
	"testing"

	"github.com/google/uuid"
	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	tg "github.com/traffikgraph/traffikgraph"
	"github.com/traffikgraph/traffikgraph/auth"
	"github.com/traffikgraph/traffikgraph/seed"
	"github.com/traffikgraph/traffikgraph/store"
)

// uniqueWord is a made-up word no other test's data holds, so that a test's records pair only
// with each other.
func uniqueWord(t *testing.T) string {
	t.Helper()
	const letters = "bcdfghjklmnpqrstvwxz"
	b := make([]byte, 9)
	_, err := rand.Read(b)
	require.NoError(t, err)
	for i := range b {
		b[i] = letters[int(b[i])%len(letters)]
	}
	b[0] -= 'a' - 'A'
	return string(b[:4]) + "o" + string(b[4:])
}

// allCandidates pages through every candidate of the type for the caller.
func allCandidates(t *testing.T, s *store.Store, ctx context.Context, typ string) []*store.DuplicateCandidate {
	t.Helper()
	var out []*store.DuplicateCandidate
	var after *string
	for {
		page, err := s.DuplicateCandidates(ctx, store.DuplicateParams{Type: typ, First: intp(500), After: after})
		require.NoError(t, err)
		out = append(out, page.Candidates...)
		if !page.HasNextPage {
			return out
		}
		after = &page.Cursors[len(page.Cursors)-1]
	}
}

// among returns the candidates both of whose records are in ids, as "a|b" keys, a < b.
func among(candidates []*store.DuplicateCandidate, ids map[string]bool) map[string]*store.DuplicateCandidate {
	out := map[string]*store.DuplicateCandidate{}
	for _, c := range candidates {
		if ids[c.A.NodeID()] && ids[c.B.NodeID()] {
			out[pairKey(c.A.NodeID(), c.B.NodeID())] = c
		}
	}
	return out
}

func pairKey(a, b string) string {
	if a > b {
		a, b = b, a
	}
	return a + "|" + b
}

func reasonKindsOf(c *store.DuplicateCandidate) []string {
	var out []string
	for _, r := range c.Reasons {
		out = append(out, r.Kind)
	}
	slices.Sort(out)
	return out
}

// TestDuplicateCandidatesFindTheSeededNearDuplicates measures recall and precision against the
// seed's ground truth on a world of the demo's size, for each demo partner (docs/triage.md).
func TestDuplicateCandidatesFindTheSeededNearDuplicates(t *testing.T) {
	s := mustOpen(t)
	ctx := context.Background()
	_, err := seed.EnsureDemoPartners(ctx, s.Driver(), s.Database())
	require.NoError(t, err)
	// A seed of its own: worlds of one seed hold the same names, and would pair with each other.
	opts := seed.Options{Seed: 20261203, Namespace: "dup-" + uuid.NewString(), Force: true}
	_, err = seed.Generate(ctx, s.Driver(), s.Database(), opts)
	require.NoError(t, err)
	t.Cleanup(func() {
		_, err := seed.Remove(context.Background(), s.Driver(), s.Database(), opts)
		require.NoError(t, err)
	})
	truth, err := seed.DuplicatePairs(opts)
	require.NoError(t, err)
	require.NotEmpty(t, truth[tg.LabelPerson])
	require.NotEmpty(t, truth[tg.LabelBusiness])

	for _, partner := range []string{seed.PartnerSTT, seed.PartnerNorthshirePolice, seed.PartnerMeridianBank} {
		caller := as(partner, auth.ScopeGraphRead, auth.ScopeGraphReadPII)
		for _, tc := range []struct{ typ, label string }{{"PERSON", tg.LabelPerson}, {"BUSINESS", tg.LabelBusiness}} {
			t.Run(partner+"/"+tc.typ, func(t *testing.T) {
				world := worldRecords(t, s, caller, tc.label, opts.Namespace)
				expected := map[string]bool{}
				for _, pair := range truth[tc.label] {
					if world[pair[0]] && world[pair[1]] { // both visible to the caller
						expected[pairKey(pair[0], pair[1])] = true
					}
				}
				require.NotEmpty(t, expected)
				found := among(allCandidates(t, s, caller, tc.typ), world)
				hits := 0
				for key := range found {
					if expected[key] {
						hits++
					}
				}
				recall, precision := float64(hits)/float64(len(expected)), float64(hits)/float64(max(1, len(found)))
				t.Logf("%s %s: %d seeded pairs visible, %d found, %d right: recall %.3f, precision %.3f",
					partner, tc.typ, len(expected), len(found), hits, recall, precision)
				assert.GreaterOrEqual(t, recall, 0.9, "recall")
				assert.GreaterOrEqual(t, precision, 0.9, "precision")
			})
		}
	}
}

// worldRecords returns the ids of the records of the label in the seeded world namespace that
// the caller may see, by the store's own visibility rule.
func worldRecords(t *testing.T, s *store.Store, caller context.Context, label, namespace string) map[string]bool {
	t.Helper()
	c := auth.CallerFrom(caller)
	res, err := neo4j.ExecuteQuery(context.Background(), s.Driver(), store.ViewerPrelude+`
MATCH (n:`+label+`)
WHERE any(ref IN n.externalRefs WHERE ref CONTAINS $marker) AND `+store.Visible("n")+`
RETURN collect(n.id) AS ids`, map[string]any{"viewer": c.PartnerID, "pii": true, "triage": false, "marker": "/" + namespace + "/"},
		neo4j.EagerResultTransformer, neo4j.ExecuteQueryWithDatabase(s.Database()))
	require.NoError(t, err)
	out := map[string]bool{}
	for _, id := range res.Records[0].Values[0].([]any) {
		out[id.(string)] = true
	}
	return out
}
