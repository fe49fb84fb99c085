package store_test

import (
	"context"
	"strings"
	"testing"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	tg "github.com/traffikgraph/traffikgraph"
	"github.com/traffikgraph/traffikgraph/auth"
	"github.com/traffikgraph/traffikgraph/store"
)

// versionsOf reads the stored versions of an entity's history, newest first, as Neo4j holds them.
func versionsOf(t *testing.T, s *store.Store, id string) []map[string]any {
	t.Helper()
	res, err := neo4j.ExecuteQuery(context.Background(), s.Driver(),
		`MATCH (v:Version {entityId: $id}) RETURN v {.*} AS v ORDER BY v.at DESC, v.change`,
		map[string]any{"id": id}, neo4j.EagerResultTransformer, neo4j.ExecuteQueryWithDatabase(s.Database()))
	require.NoError(t, err)
	out := make([]map[string]any, 0, len(res.Records))
	for _, r := range res.Records {
		v, _ := r.Get("v")
		out = append(out, v.(map[string]any))
	}
	return out
}

// changesOf is each of a version's fields with its JSON values before and after.
func changesOf(v map[string]any) map[string][2]string {
	out := map[string][2]string{}
	fields, before, after := v["fields"].([]any), v["before"].([]any), v["after"].([]any)
	for i, f := range fields {
		out[f.(string)] = [2]string{before[i].(string), after[i].(string)}
	}
	return out
}

// TestEveryWriteKeepsAVersion: every write path records, in its own transaction, a version of
// what it changed (who, partner, when, reason, before and after, the governing marking) in the
// history of every entity it touched; a write that changes nothing records nothing.
func TestEveryWriteKeepsAVersion(t *testing.T) {
	s := mustOpen(t)
	w := newWorld(t, s)
	ctxA, ctxB := as(w.A, readerScopes...), as(w.B, readerScopes...)
	business := func(t *testing.T, ctx context.Context, name string, tlp string) string {
		n, err := s.Create(ctx, tg.LabelBusiness, store.CreateParams{Properties: store.Patch{Set: map[string]any{"name": name}}, Marking: store.Marking{Tlp: tlp}})
		require.NoError(t, err)
		return n.NodeID()
	}
	link := func(t *testing.T, ctx context.Context, from, to, product string, reason *string) {
		_, err := s.Link(ctx, store.LinkParams{Type: tg.RelSupplies, From: from, To: to, Reason: reason,
			Properties: store.Patch{Set: map[string]any{"product": product}}, Marking: store.Marking{Tlp: "GREEN"}})
		require.NoError(t, err)
	}

	type want struct {
		change  string
		changes map[string][2]string // field -> JSON before, after
		reason  string
		tlp     string
		// ends: a relationship's version is in both ends' histories.
		from, to string
	}
	cases := []struct {
		name  string
		write func(t *testing.T) (id string, versionsBefore int)
		want  want
	}{
		{"Create", func(t *testing.T) (string, int) {
			return business(t, ctxA, "Created Ltd", "AMBER"), 0
		}, want{change: tg.ChangeCreated, tlp: "AMBER", changes: map[string][2]string{
			"name": {"null", `"Created Ltd"`}, "tlp": {"null", `"AMBER"`}, "sharedWith": {"null", `[]`}}}},
		{"UpsertOfAnExistingExternalRef", func(t *testing.T) (string, int) {
			create := func(name string) string {
				n, err := s.Create(ctxA, tg.LabelBusiness, store.CreateParams{ExternalRef: ptr("case-1"),
					Properties: store.Patch{Set: map[string]any{"name": name}}, Marking: store.Marking{Tlp: "GREEN"}})
				require.NoError(t, err)
				return n.NodeID()
			}
			before := len(versionsOf(t, s, create("Upserted Ltd")))
			return create("Upserted Holdings Ltd"), before
		}, want{change: tg.ChangeUpdated, tlp: "GREEN", changes: map[string][2]string{"name": {`"Upserted Ltd"`, `"Upserted Holdings Ltd"`}}}},
		{"UpdateOfProperties", func(t *testing.T) (string, int) {
			id := business(t, ctxA, "Before Ltd", "GREEN")
			_, err := s.Update(ctxA, tg.LabelBusiness, id, store.Patch{Set: map[string]any{"name": "After Ltd", "website": "https://after.example"}}, nil, ptr("  renamed at registry  "))
			require.NoError(t, err)
			return id, 1
		}, want{change: tg.ChangeUpdated, tlp: "GREEN", reason: "renamed at registry", changes: map[string][2]string{
			"name": {`"Before Ltd"`, `"After Ltd"`}, "website": {"null", `"https://after.example"`}}}},
		{"UpdateOfTheMarking", func(t *testing.T) (string, int) {
			id := business(t, ctxA, "Marked Ltd", "GREEN")
			_, err := s.Update(ctxA, tg.LabelBusiness, id, store.Patch{Set: map[string]any{"name": "Marked Ltd"}},
				&store.Marking{Tlp: "RED", SharedWith: []string{w.C}, Grading: ptr("2BP")}, nil)
			require.NoError(t, err)
			return id, 1
		}, want{change: tg.ChangeMarked, tlp: "RED", changes: map[string][2]string{
			"tlp": {`"GREEN"`, `"RED"`}, "sharedWith": {`[]`, `["` + w.C + `"]`}, "grading": {"null", `"2BP"`}}}},
		{"DeleteOfANodeNoOneElseLinked", func(t *testing.T) (string, int) {
			id := business(t, ctxA, "Gone Ltd", "AMBER")
			require.NoError(t, s.Delete(ctxA, tg.LabelBusiness, id, ptr("duplicate")))
			return id, 1
		}, want{change: tg.ChangeDeleted, tlp: "AMBER", reason: "duplicate", changes: map[string][2]string{
			"name": {`"Gone Ltd"`, "null"}, "tlp": {`"AMBER"`, "null"}, "sharedWith": {`[]`, "null"}}}},
		{"DeleteOfANodeAnotherPartnerLinkedRetractsIt", func(t *testing.T) (string, int) {
			id, theirs := business(t, ctxA, "Retracted Ltd", "GREEN"), business(t, ctxB, "Their Ltd", "GREEN")
			link(t, ctxB, theirs, id, "rice", nil)
			before := len(versionsOf(t, s, id))
			require.NoError(t, s.Delete(ctxA, tg.LabelBusiness, id, nil))
			return id, before
		}, want{change: tg.ChangeRetracted, tlp: "GREEN", changes: map[string][2]string{
			"name": {`"Retracted Ltd"`, "null"}, "tlp": {`"GREEN"`, "null"}, "sharedWith": {`[]`, "null"}}}},
		{"Link", func(t *testing.T) (string, int) {
			from, to := business(t, ctxA, "Supplier Ltd", "GREEN"), business(t, ctxB, "Customer Ltd", "GREEN")
			link(t, ctxA, from, to, "cotton", ptr("invoice seen"))
			return from, 1
		}, want{change: tg.ChangeLinked, tlp: "GREEN", reason: "invoice seen", from: "from", to: "to", changes: map[string][2]string{
			"product": {"null", `"cotton"`}, "tlp": {"null", `"GREEN"`}, "sharedWith": {"null", `[]`}}}},
		{"LinkAgainWithOtherProperties", func(t *testing.T) (string, int) {
			from, to := business(t, ctxA, "Supplier Two Ltd", "GREEN"), business(t, ctxA, "Customer Two Ltd", "GREEN")
			link(t, ctxA, from, to, "cotton", nil)
			link(t, ctxA, from, to, "cotton", nil) // the same again: nothing changed, no version
			link(t, ctxA, from, to, "wool", nil)
			return from, 2
		}, want{change: tg.ChangeUpdated, tlp: "GREEN", from: "from", to: "to", changes: map[string][2]string{"product": {`"cotton"`, `"wool"`}}}},
		{"Unlink", func(t *testing.T) (string, int) {
			from, to := business(t, ctxA, "Former Supplier Ltd", "GREEN"), business(t, ctxA, "Former Customer Ltd", "GREEN")
			link(t, ctxA, from, to, "tea", nil)
			removed, err := s.Unlink(ctxA, tg.RelSupplies, from, to, ptr("contract ended"))
			require.NoError(t, err)
			require.Equal(t, 1, removed)
			return to, 2
		}, want{change: tg.ChangeUnlinked, tlp: "GREEN", reason: "contract ended", from: "from", to: "to", changes: map[string][2]string{
			"product": {`"tea"`, "null"}, "tlp": {`"GREEN"`, "null"}, "sharedWith": {`[]`, "null"}}}},
		{"DeleteRemovesTheWritersRelationshipsWithAVersionInTheNeighboursHistory", func(t *testing.T) (string, int) {
			gone, stays := business(t, ctxA, "Leaving Ltd", "GREEN"), business(t, ctxA, "Staying Ltd", "GREEN")
			link(t, ctxA, gone, stays, "salt", nil)
			require.NoError(t, s.Delete(ctxA, tg.LabelBusiness, gone, ptr("closed")))
			return stays, 2
		}, want{change: tg.ChangeUnlinked, tlp: "GREEN", reason: "closed", from: "from", to: "to", changes: map[string][2]string{
			"product": {`"salt"`, "null"}, "tlp": {`"GREEN"`, "null"}, "sharedWith": {`[]`, "null"}}}},
		{"SetMembership", func(t *testing.T) (string, int) {
			_, err := s.SetMembership(as(w.A, auth.ScopeAdmin), w.group, w.C, true)
			require.NoError(t, err)
			_, err = s.SetMembership(as(w.A, auth.ScopeAdmin), w.group, w.C, true) // a member already: no version
			require.NoError(t, err)
			return w.C, 0
		}, want{change: tg.ChangeLinked, tlp: "CLEAR", changes: map[string][2]string{}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			id, earlier := c.write(t)
			versions := versionsOf(t, s, id)
			require.Len(t, versions, earlier+1, "one version more")
			v := versions[0]
			assert.Equal(t, c.want.change, v["change"])
			assert.Equal(t, c.want.changes, changesOf(v))
			assert.Equal(t, c.want.tlp, v["tlp"], "the governing marking")
			assert.Equal(t, w.A, v["actorPartner"])
			assert.Equal(t, "s-"+w.A, v["actorSubject"])
			assert.NotNil(t, v["at"])
			if c.want.reason != "" {
				assert.Equal(t, c.want.reason, v["reason"])
			} else {
				assert.Nil(t, v["reason"])
			}
			if c.want.from != "" {
				from, to := v["subjectFrom"].(string), v["subjectTo"].(string)
				assert.Equal(t, tg.RelSupplies, v["subjectLabel"])
				other := from
				if other == id {
					other = to
				}
				var mirrored []any
				for _, m := range versionsOf(t, s, other) {
					if m["changeId"] == v["changeId"] {
						mirrored = append(mirrored, m["change"])
					}
				}
				assert.Equal(t, []any{c.want.change}, mirrored, "the same change is in the other end's history")
			}
		})
	}

	t.Run("SubmitReportByAnAnonymousCallerIsTheTriagePartners", func(t *testing.T) {
		triage := openWithTriagePartner(t, w.A)
		receipt, err := triage.SubmitReport(anonymous, store.Submission{Text: "They keep our passports.", Language: "en", Channel: "WEB"})
		require.NoError(t, err)
		versions := versionsOf(t, s, receipt.ReceiptID)
		require.Len(t, versions, 1)
		v := versions[0]
		assert.Equal(t, tg.ChangeCreated, v["change"])
		assert.Equal(t, w.A, v["actorPartner"], "an anonymous submitter's partner is the triage partner")
		assert.Nil(t, v["actorSubject"], "and it has no subject")
		assert.Equal(t, true, v["publicSubmission"], "only the triage staff may see it, as the report")
		assert.Equal(t, "AMBER_STRICT", v["tlp"])
		assert.Equal(t, [2]string{"null", `"They keep our passports."`}, changesOf(v)["text"])
		assert.Equal(t, []any{"text"}, v["personalFields"])
	})

	t.Run("AnUpdateThatChangesNothingKeepsNoVersion", func(t *testing.T) {
		id := business(t, ctxA, "Same Ltd", "GREEN")
		_, err := s.Update(ctxA, tg.LabelBusiness, id, store.Patch{Set: map[string]any{"name": "Same Ltd"}}, &store.Marking{Tlp: "GREEN"}, ptr("no-op"))
		require.NoError(t, err)
		assert.Len(t, versionsOf(t, s, id), 1, "the creation only")
	})

	t.Run("ATooLongReasonIsRefusedAndNothingIsWritten", func(t *testing.T) {
		id := business(t, ctxA, "Kept Ltd", "GREEN")
		_, err := s.Update(ctxA, tg.LabelBusiness, id, store.Patch{Set: map[string]any{"name": "Changed Ltd"}}, nil,
			ptr(strings.Repeat("x", store.MaxReasonLength+1)))
		var refused *tg.Error
		require.ErrorAs(t, err, &refused)
		assert.Equal(t, tg.BadUserInput, refused.Code)
		assert.Equal(t, "reason", refused.Field)
		got, err := s.Get(ctxA, id)
		require.NoError(t, err)
		assert.Equal(t, "Kept Ltd", *got.(*store.Business).Name, "the update rolled back with its version")
		assert.Len(t, versionsOf(t, s, id), 1)
	})

	t.Run("PersonalFieldsFollowTheModelsRuleIncludingTheAddressCondition", func(t *testing.T) {
		place := func(kind string) string {
			n, err := s.Create(ctxA, tg.LabelLocation, store.CreateParams{Properties: store.Patch{Set: map[string]any{"name": "1 High St", "kind": kind}}, Marking: store.Marking{Tlp: "GREEN"}})
			require.NoError(t, err)
			_, err = s.Update(ctxA, tg.LabelLocation, n.NodeID(), store.Patch{Set: map[string]any{"name": "2 High St"}}, nil, nil)
			require.NoError(t, err)
			return n.NodeID()
		}
		for kind, want := range map[string][]any{"ADDRESS": {"name"}, "SITE": {}} {
			versions := versionsOf(t, s, place(kind))
			require.Len(t, versions, 2)
			assert.Equal(t, want, versions[0]["personalFields"], "%s: an update naming only the name", kind)
		}
		person, err := s.Create(ctxA, tg.LabelPerson, store.CreateParams{Properties: store.Patch{Set: map[string]any{"name": "Ana", "birthYear": 1990, "gender": "FEMALE"}}, Marking: store.Marking{Tlp: "GREEN"}})
		require.NoError(t, err)
		assert.Equal(t, []any{"birthYear", "name"}, versionsOf(t, s, person.NodeID())[0]["personalFields"])
	})
}

// TestHistoryReadsTheVersionsThroughTheIndex: history(id) seeks the entity's versions on the
// index Version(entityId, at) rather than reading every version of every entity.
func TestHistoryReadsTheVersionsThroughTheIndex(t *testing.T) {
	s := mustOpen(t)
	w := newWorld(t, s)
	e := newErasureSubject(t, s, w)
	var log []store.Statement
	_, err := s.History(store.WithStatementLog(as(w.A, auth.ScopeGraphRead), &log), store.HistoryParams{ID: e.person})
	require.NoError(t, err)
	require.NotEmpty(t, log)
	require.NotContains(t, scans(t, s, log), tg.LabelVersion)
}
