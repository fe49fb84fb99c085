package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
	"github.com/stretchr/testify/require"

	tg "github.com/traffikgraph/traffikgraph"
	"github.com/traffikgraph/traffikgraph/auth"
	"github.com/traffikgraph/traffikgraph/store"
)

func TestParsePeriod(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want store.Period
	}{
		{"0", store.Period{}},
		{"12mo", store.Period{Months: 12}},
		{"6y", store.Period{Years: 6}},
		{"90d", store.Period{Days: 90}},
		{"1y6mo2d", store.Period{Years: 1, Months: 6, Days: 2}},
	} {
		got, err := store.ParsePeriod(tc.in)
		require.NoError(t, err, tc.in)
		require.Equal(t, tc.want, got)
		require.Equal(t, tc.in, got.String())
	}
	for _, bad := range []string{"", "12", "12m", "-1y", "6 y", "1d1y", "forever"} {
		_, err := store.ParsePeriod(bad)
		require.Error(t, err, bad)
	}
}

// TestRetention runs the default policy at a "now" of 1990, over facts dated before it that no
// other test has, so what is due is exactly this world's.
func TestRetention(t *testing.T) {
	s := mustOpen(t)
	w := newWorld(t, s)
	now := time.Date(1990, 6, 1, 0, 0, 0, 0, time.UTC)
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	t.Cleanup(func() {
		run(t, s, `MATCH (e:AuditEvent) WHERE e.partner = $a OR (e.subject = 'retention' AND e.at >= $start) DELETE e`,
			map[string]any{"a": w.A, "start": time.Now().UTC().Add(-time.Hour)})
	})

	ids := map[string]string{}
	report := func(name string, public bool, status string, submitted *time.Time, created time.Time) string {
		id := uuid.NewString()
		ids[name] = id
		props := map[string]any{"id": id, "text": "story naming someone " + name, "channel": "WEB", "status": status,
			"tlp": tg.TlpAmberStrict, "sourcePartner": w.A, "sharedWith": []string{}, "externalRefs": []string{},
			"createdAt": created, "updatedAt": created}
		if public {
			props["publicSubmission"] = true
		}
		if submitted != nil {
			props["submittedAt"] = *submitted
		}
		run(t, s, `CREATE (r:Entity:Report) SET r = $props
CREATE (:Version {id: randomUUID(), changeId: randomUUID(), entityId: $props.id, at: $props.createdAt, change: 'CREATED',
        subjectLabel: 'Report', fields: ['text'], before: ['null'], after: [$text], personalFields: ['text'],
        tlp: $props.tlp, sourcePartner: $props.sourcePartner, sharedWith: [], actorPartner: $props.sourcePartner})`,
			map[string]any{"props": props, "text": `"` + props["text"].(string) + `"`})
		return id
	}
	at := func(t time.Time) *time.Time { return &t }
	// Due: 13 months old and unlinked; without submittedAt, 17 months by createdAt; dismissed 4 months ago.
	report("oldAnonymous", true, "NEW", at(day(1989, 5, 1)), day(1989, 5, 1))
	report("oldAnonymousNoSubmittedAt", true, "NEW", nil, day(1989, 1, 1))
	report("oldDismissed", false, "DISMISSED", at(day(1990, 2, 1)), day(1990, 2, 1))
	// Kept: too young, linked, a partner's own report, dismissed too recently.
	report("youngAnonymous", true, "NEW", at(day(1989, 7, 1)), day(1989, 7, 1))
	report("linkedAnonymous", true, "TRIAGED", at(day(1988, 1, 1)), day(1988, 1, 1))
	report("oldPartnerReport", false, "NEW", at(day(1980, 1, 1)), day(1980, 1, 1))
	report("youngDismissed", false, "DISMISSED", at(day(1990, 4, 15)), day(1990, 4, 15))
	// Submitted long ago, dismissed a month ago: its three months run from the dismissal.
	run(t, s, `MATCH (r:Report {id: $id}) SET r.updatedAt = $dismissed`, map[string]any{
		"id": report("recentlyDismissedOldReport", false, "DISMISSED", at(day(1988, 1, 1)), day(1988, 1, 1)), "dismissed": day(1990, 5, 1)})
	incident := uuid.NewString()
	run(t, s, `
CREATE (i:Entity:Incident {id: $incident, title: 'retention test', tlp: 'AMBER', sourcePartner: $a, sharedWith: [], externalRefs: [],
        createdAt: datetime(), updatedAt: datetime()})
WITH i
MATCH (linked:Report {id: $linked}), (dismissed:Report {id: $dismissed})
CREATE (linked)-[:EVIDENCES {tlp: 'AMBER', sourcePartner: $a, sharedWith: []}]->(i)
CREATE (dismissed)-[:EVIDENCES {tlp: 'AMBER', sourcePartner: $a, sharedWith: []}]->(i)`,
		map[string]any{"incident": incident, "a": w.A, "linked": ids["linkedAnonymous"], "dismissed": ids["oldDismissed"]})
	oldEvent := &store.AuditEvent{At: day(1984, 1, 1), Partner: &w.A, OperationType: "query", RootFields: []string{"people"}, Complete: true}
	youngEvent := &store.AuditEvent{At: day(1985, 1, 1), Partner: &w.A, OperationType: "query", RootFields: []string{"people"}, Complete: true}
	require.NoError(t, s.RecordAudit(context.Background(), oldEvent))
	require.NoError(t, s.RecordAudit(context.Background(), youngEvent))

	remaining := func(t *testing.T) []string {
		t.Helper()
		res, err := neo4j.ExecuteQuery(context.Background(), s.Driver(), `
MATCH (n) WHERE (n:Report AND n.sourcePartner = $a) OR (n:AuditEvent AND n.partner = $a)
RETURN coalesce(n.text, n.id) AS key ORDER BY key`, map[string]any{"a": w.A},
			neo4j.EagerResultTransformer, neo4j.ExecuteQueryWithDatabase(s.Database()))
		require.NoError(t, err)
		var keys []string
		for _, r := range res.Records {
			key, _ := r.Get("key")
			keys = append(keys, key.(string))
		}
		return keys
	}
	before := remaining(t)
	summary := func(rules []store.RetentionRule) map[string][2]int {
		out := map[string][2]int{}
		for _, r := range rules {
			out[r.Name] = [2]int{r.Due, r.Removed}
		}
		return out
	}
	policy := store.DefaultRetention()

	t.Run("ADryRunCountsAndChangesNothing", func(t *testing.T) {
		rules, err := s.Retention(context.Background(), policy, now, false, 2)
		require.NoError(t, err)
		require.Equal(t, map[string][2]int{"unlinkedAnonymousReports": {2, 0}, "dismissedReports": {1, 0}, "auditEvents": {1, 0}}, summary(rules))
		require.Equal(t, before, remaining(t))
	})

	t.Run("ApplyRemovesExactlyWhatIsDue", func(t *testing.T) {
		// A batch of 1 makes every rule take several transactions.
		rules, err := s.Retention(context.Background(), policy, now, true, 1)
		require.NoError(t, err)
		require.Equal(t, map[string][2]int{"unlinkedAnonymousReports": {2, 2}, "dismissedReports": {1, 1}, "auditEvents": {1, 1}}, summary(rules))
		require.Equal(t, []string{
			youngEvent.ID,
			"story naming someone linkedAnonymous", "story naming someone oldPartnerReport",
			"story naming someone recentlyDismissedOldReport",
			"story naming someone youngAnonymous", "story naming someone youngDismissed",
		}, remaining(t))
	})

	t.Run("ARemovedReportsHistoryKeepsOnlyThatItWasRemoved", func(t *testing.T) {
		ctx := as(w.A, auth.ScopeGraphRead, auth.ScopeGraphReadPII)
		for _, name := range []string{"oldAnonymous", "oldAnonymousNoSubmittedAt", "oldDismissed"} {
			res, err := neo4j.ExecuteQuery(ctx, s.Driver(), `
MATCH (v:Version {entityId: $id}) RETURN v.change AS change, v.reason AS reason, v.before + v.after AS values ORDER BY change`,
				map[string]any{"id": ids[name]}, neo4j.EagerResultTransformer, neo4j.ExecuteQueryWithDatabase(s.Database()))
			require.NoError(t, err)
			var changes []string
			for _, r := range res.Records {
				change, _ := r.Get("change")
				reason, _ := r.Get("reason")
				values, _ := r.Get("values")
				require.Equal(t, "retention", reason, name)
				require.NotContains(t, values, `"story naming someone `+name+`"`, name)
				changes = append(changes, change.(string))
			}
			want := []string{tg.ChangeDeleted}
			if name == "oldDismissed" {
				want = append(want, tg.ChangeUnlinked)
			}
			require.Equal(t, want, changes, name)
		}
	})

	t.Run("TheRunIsAudited", func(t *testing.T) {
		page, err := s.AuditEvents(as("hub", auth.ScopeAuditRead, auth.ScopeAdmin), store.AuditParams{
			First: ptr(1), Where: &store.AuditEventWhere{Subject: ptr("retention")},
		})
		require.NoError(t, err)
		require.Len(t, page.Events, 1)
		require.Equal(t, []string{"retention"}, page.Events[0].RootFields)
		require.ElementsMatch(t, []string{ids["oldAnonymous"], ids["oldAnonymousNoSubmittedAt"], ids["oldDismissed"]}, page.Events[0].EntityIDs)
	})

	t.Run("ASecondRunRemovesNothing", func(t *testing.T) {
		kept := remaining(t)
		rules, err := s.Retention(context.Background(), policy, now, true, 1)
		require.NoError(t, err)
		require.Equal(t, map[string][2]int{"unlinkedAnonymousReports": {0, 0}, "dismissedReports": {0, 0}, "auditEvents": {0, 0}}, summary(rules))
		require.Equal(t, kept, remaining(t))
	})

	t.Run("APeriodOfZeroKeepsForEver", func(t *testing.T) {
		rules, err := s.Retention(context.Background(), store.RetentionPolicy{}, now.AddDate(100, 0, 0), false, 1)
		require.NoError(t, err)
		require.Equal(t, map[string][2]int{"unlinkedAnonymousReports": {0, 0}, "dismissedReports": {0, 0}, "auditEvents": {0, 0}}, summary(rules))
	})
}

func TestMarkedPeriod(t *testing.T) {
	var m store.MarkedPeriod
	require.NoError(t, m.Set("3mo,RED=1mo,GREEN=0"))
	require.Equal(t, store.MarkedPeriod{Period: store.Period{Months: 3}, Marked: map[string]store.Period{"RED": {Months: 1}, "GREEN": {}}}, m)
	require.Equal(t, "3mo,GREEN=0,RED=1mo", m.String())
	for _, bad := range []string{"", "3mo,PURPLE=1mo", "3mo,RED", "3mo,RED=x", "x,RED=1mo", "3mo,red=1mo"} {
		require.Error(t, m.Set(bad), bad)
	}
}

// TestRetentionByMarking: a report rule keeps each marking it names for that marking's period
// (0: for ever), and every other marking for its default.
func TestRetentionByMarking(t *testing.T) {
	s := mustOpen(t)
	w := newWorld(t, s)
	now := time.Date(1991, 6, 1, 0, 0, 0, 0, time.UTC)
	t.Cleanup(func() {
		run(t, s, `MATCH (e:AuditEvent) WHERE e.subject = 'retention' AND e.at >= $start DELETE e`,
			map[string]any{"start": time.Now().UTC().Add(-time.Hour)})
	})
	dismissed := func(name, tlp string, at time.Time) {
		run(t, s, `CREATE (r:Entity:Report) SET r = $props`, map[string]any{"props": map[string]any{
			"id": uuid.NewString(), "text": name, "channel": "PARTNER", "status": "DISMISSED", "tlp": tlp, "sourcePartner": w.A,
			"sharedWith": []string{}, "externalRefs": []string{}, "submittedAt": at, "createdAt": at, "updatedAt": at}})
	}
	dismissed("red two months ago", tg.TlpRed, time.Date(1991, 4, 1, 0, 0, 0, 0, time.UTC))
	dismissed("amber two months ago", tg.TlpAmber, time.Date(1991, 4, 1, 0, 0, 0, 0, time.UTC))
	dismissed("amber four months ago", tg.TlpAmber, time.Date(1991, 2, 1, 0, 0, 0, 0, time.UTC))
	dismissed("green five years ago", tg.TlpGreen, time.Date(1986, 6, 1, 0, 0, 0, 0, time.UTC))
	policy := store.DefaultRetention()
	require.NoError(t, policy.DismissedReports.Set("3mo,RED=1mo,GREEN=0"))

	rules, err := s.Retention(context.Background(), policy, now, true, 10)
	require.NoError(t, err)
	got := map[string][2]int{}
	for _, r := range rules {
		if r.Name == "dismissedReports" {
			got[r.Title()] = [2]int{r.Due, r.Removed}
		}
	}
	require.Equal(t, map[string][2]int{"dismissedReports GREEN": {0, 0}, "dismissedReports RED": {1, 1}, "dismissedReports": {1, 1}}, got)
	res, err := neo4j.ExecuteQuery(context.Background(), s.Driver(), `MATCH (r:Report {sourcePartner: $a}) RETURN r.text AS text ORDER BY text`,
		map[string]any{"a": w.A}, neo4j.EagerResultTransformer, neo4j.ExecuteQueryWithDatabase(s.Database()))
	require.NoError(t, err)
	var left []string
	for _, r := range res.Records {
		text, _ := r.Get("text")
		left = append(left, text.(string))
	}
	require.Equal(t, []string{"amber two months ago", "green five years ago"}, left)
}
