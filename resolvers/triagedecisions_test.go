package resolvers_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/traffikgraph/traffikgraph/internal/testkit"
)

// The decisions' documents, by name; each takes $id and the variables of its own.
var decisions = map[string]string{
	"dismissReport":            `mutation($id: ID!, $reason: DismissReason!, $note: String) { dismissReport(id: $id, reason: $reason, note: $note) { id status dismissReason dismissNote } }`,
	"linkReport":               `mutation($id: ID!, $to: ID!, $as: ReportLinkType!, $reason: String) { linkReport(id: $id, to: $to, as: $as, marking: {tlp: AMBER_STRICT}, reason: $reason) { id status } }`,
	"createIncidentFromReport": `mutation($id: ID!, $title: String, $reason: String) { createIncidentFromReport(id: $id, input: {title: $title, exploitationTypes: [FORCED_LABOUR]}, marking: {tlp: AMBER_STRICT}, reason: $reason) { id title derivedFromReport { id } } }`,
	"escalateReport":           `mutation($id: ID!, $group: ID!, $reason: String, $shareText: Boolean) { escalateReport(id: $id, group: $group, reason: $reason, shareText: $shareText) { id status } }`,
}

// groupOf is the sharing group the harness's partners A and B share.
func (d *triageDesk) groupOf() string {
	res := d.cypher(`MATCH (:Partner {id: $a})-[:MEMBER_OF]->(g:SharingGroup) RETURN g.id AS id`, map[string]any{"a": d.A})
	id, _ := res.Records[0].Get("id")
	return id.(string)
}

// auditOf is A's latest audit event of an operation whose root field is field.
func (d *triageDesk) auditOf(field string) map[string]any {
	d.t.Helper()
	for _, e := range d.auditEvents(d.A) {
		if fields, _ := e["rootFields"].([]any); len(fields) == 1 && fields[0] == field {
			return e
		}
	}
	d.t.Fatalf("no audit event of %s", field)
	return nil
}

func (d *triageDesk) statusOf(id string) any {
	res := d.cypher(`MATCH (r:Report {id: $id}) RETURN r.status AS status`, map[string]any{"id": id})
	status, _ := res.Records[0].Get("status")
	return status
}

func (d *triageDesk) versionCount(id string) int64 {
	res := d.cypher(`MATCH (v:Version {entityId: $id}) RETURN count(v) AS n`, map[string]any{"id": id})
	n, _ := res.Records[0].Get("n")
	return n.(int64)
}

// TestTriageDecisionsAreTheDesksAlone: each decision needs reports:triage (FORBIDDEN without it),
// and applies only to the caller's own partner's reports: another partner's report is NOT_FOUND,
// as a missing one, even when the caller may see it; nothing is written either way.
func TestTriageDecisionsAreTheDesksAlone(t *testing.T) {
	d := newTriageDesk(t)
	report := d.submitted("Men locked in the packing plant", "en", "APP", nil)
	place := testkit.Dig(d.mutate("a", `mutation { createLocation(input: {name: "Packing plant (test)", kind: SITE}, marking: {tlp: GREEN}) { id } }`, nil),
		"createLocation", "id").(string)
	greenOfB := testkit.Dig(d.mutate("b", `mutation { createReport(input: {text: "B's own", channel: PARTNER, status: NEW}, marking: {tlp: GREEN}) { id } }`, nil),
		"createReport", "id").(string)
	vars := func(id string) map[string]any {
		return map[string]any{"id": id, "reason": "DUPLICATE", "to": place, "as": "ABOUT", "title": "Locked in (test)", "group": d.groupOf()}
	}
	for name, doc := range decisions {
		t.Run(name, func(t *testing.T) {
			before := d.versionCount(report)
			resp := d.do("a", doc, vars(report))
			assert.Equal(t, []string{"FORBIDDEN"}, resp.Codes(), "without reports:triage")
			resp = d.do("b-triage", doc, vars(report))
			assert.Equal(t, []string{"NOT_FOUND"}, resp.Codes(), "another partner's desk")
			resp = d.do("a-triage", doc, vars(greenOfB))
			assert.Equal(t, []string{"NOT_FOUND"}, resp.Codes(), "another partner's report, visible to the caller")
			resp = d.do("a-triage", doc, vars("no-such-report"))
			assert.Equal(t, []string{"NOT_FOUND"}, resp.Codes(), "a missing report")
			assert.Equal(t, "NEW", d.statusOf(report))
			assert.Equal(t, before, d.versionCount(report), "nothing written")
			assert.Equal(t, "NEW", d.statusOf(greenOfB))
			events := d.auditEvents(d.A)
			require.NotEmpty(t, events)
			assert.Equal(t, []any{name}, events[0]["rootFields"], "a refused decision is audited")
			assert.Contains(t, events[0]["entityIds"], "no-such-report")
		})
	}
}

// TestDismissReport: a dismissal sets DISMISSED with its reason and note (personal data, redacted
// without graph:read:pii), records a TRIAGED version whose reason is the DismissReason, and is
// audited; OTHER without a note, an unknown reason or an overlong note is BAD_USER_INPUT and
// writes nothing.
func TestDismissReport(t *testing.T) {
	d := newTriageDesk(t)
	report := d.submitted("Win a prize, click here", "en", "WEB", nil)
	for _, bad := range []struct {
		name string
		vars map[string]any
		want []string
	}{
		{"ErrOtherWithoutNote", map[string]any{"reason": "OTHER"}, []string{"BAD_USER_INPUT"}},
		{"ErrOtherWithABlankNote", map[string]any{"reason": "OTHER", "note": "  "}, []string{"BAD_USER_INPUT"}},
		{"ErrAnOverlongNote", map[string]any{"reason": "SPAM", "note": fmt.Sprintf("%01001d", 0)}, []string{"BAD_USER_INPUT"}},
		{"ErrAnUnknownReason", map[string]any{"reason": "BORING"}, []string{"GRAPHQL_VALIDATION_FAILED"}},
	} {
		t.Run(bad.name, func(t *testing.T) {
			bad.vars["id"] = report
			resp := d.do("a-triage", decisions["dismissReport"], bad.vars)
			assert.Equal(t, bad.want, resp.Codes())
			assert.Equal(t, "NEW", d.statusOf(report), "status unchanged")
			assert.Equal(t, int64(1), d.versionCount(report), "no version but the submission's")
		})
	}
	data := d.mutate("a-triage", decisions["dismissReport"], map[string]any{"id": report, "reason": "SPAM", "note": "A prize scam, not a story"})
	assert.Equal(t, map[string]any{"id": report, "status": "DISMISSED", "dismissReason": "SPAM", "dismissNote": "A prize scam, not a story"},
		data["dismissReport"])

	latest := versions(t, d.historyOf("a-triage-no-pii", report, nil))[0]
	assert.Equal(t, "TRIAGED", latest["change"])
	assert.Equal(t, "SPAM", latest["reason"])
	assert.Equal(t, map[string]any{"partnerId": d.A, "subject": "tess"}, latest["actor"])
	_, status, _ := changeOf(t, latest, "status")
	assert.Equal(t, "DISMISSED", status)
	_, note, redacted := changeOf(t, latest, "dismissNote")
	assert.Nil(t, note, "the note is personal data")
	assert.True(t, redacted)
	assert.Contains(t, d.auditOf("dismissReport")["entityIds"], report)
}

// TestLinkReport: a link follows Link's rules (the target visible to the caller, EVIDENCES only
// to an incident, ABOUT only to a location) under the analyst's marking, sets LINKED and records
// the link and the decision in the report's history; a refused link writes nothing.
func TestLinkReport(t *testing.T) {
	d := newTriageDesk(t)
	report := d.submitted("Boys selling flowers at the crossing every night", "en", "HOTLINE", nil)
	place := testkit.Dig(d.mutate("a", `mutation { createLocation(input: {name: "Crossing (test)", kind: SITE}, marking: {tlp: GREEN}) { id } }`, nil),
		"createLocation", "id").(string)
	hidden := testkit.Dig(d.mutate("c", `mutation { createLocation(input: {name: "C's place (test)", kind: SITE}, marking: {tlp: AMBER_STRICT}) { id } }`, nil),
		"createLocation", "id").(string)
	for _, bad := range []struct {
		name, to, as, code string
	}{
		{"ErrEvidencesOnlyAnIncident", place, "EVIDENCES", "BAD_USER_INPUT"},
		{"ErrATargetTheCallerCannotSee", hidden, "ABOUT", "NOT_FOUND"},
	} {
		t.Run(bad.name, func(t *testing.T) {
			resp := d.do("a-triage", decisions["linkReport"], map[string]any{"id": report, "to": bad.to, "as": bad.as})
			require.Equal(t, []string{bad.code}, resp.Codes())
			assert.Equal(t, "to", resp.Errors[0].Extensions["field"])
			assert.Equal(t, "NEW", d.statusOf(report))
			assert.Equal(t, int64(1), d.versionCount(report))
		})
	}
	data := d.mutate("a-triage", decisions["linkReport"], map[string]any{"id": report, "to": place, "as": "ABOUT", "reason": "the crossing it names"})
	assert.Equal(t, "LINKED", testkit.Dig(data, "linkReport", "status"))
	resp := d.do("a-triage", `query($id: ID!) { node(id: $id) { ... on Report { about { id } } } }`, map[string]any{"id": report})
	require.Empty(t, resp.Errors)
	assert.Equal(t, place, testkit.Dig(resp.Data, "node", "about", "id"))
	history := versions(t, d.historyOf("a-triage", report, nil))
	require.Len(t, history, 3, "submitted, linked, triaged")
	assert.Equal(t, []any{"TRIAGED", "LINKED"}, []any{history[0]["change"], history[1]["change"]})
	assert.Equal(t, "the crossing it names", history[0]["reason"])
	assert.Equal(t, "the crossing it names", history[1]["reason"])
}

// TestEscalateReport: an incident created from a report is derived from it for whoever may see
// the report only; escalating the report shares the incident and the report's relationships with
// the group's members (RED, named), not the report's text unless shareText; a partner outside the
// group sees neither; a group the caller's partner is not in is FORBIDDEN, an unknown one
// NOT_FOUND.
func TestEscalateReport(t *testing.T) {
	d := newTriageDesk(t)
	report := d.submitted("Pickers at the berry farm work for no pay", "en", "APP", nil)
	data := d.mutate("a-triage", decisions["createIncidentFromReport"], map[string]any{"id": report, "title": "Unpaid pickers (test)", "reason": "credible, specific"})
	incident := testkit.Dig(data, "createIncidentFromReport", "id").(string)
	assert.Equal(t, report, testkit.Dig(data, "createIncidentFromReport", "derivedFromReport", "id"))
	assert.Equal(t, "LINKED", d.statusOf(report))

	const seen = `query($incident: ID!, $report: ID!) {
  incident: node(id: $incident) { ... on Incident { id derivedFromReport { id } reports { id } provenance { tlp sharedWith } } }
  report: node(id: $report) { ... on Report { id text } }
}`
	look := func(token string) map[string]any {
		t.Helper()
		return d.mutate(token, seen, map[string]any{"incident": incident, "report": report})
	}
	t.Run("ErrDerivedFromReportIsNullForCallersWhoCannotSeeTheReport", func(t *testing.T) {
		got := look("a") // A's own incident; the public's report is the desk's
		assert.Equal(t, incident, testkit.Dig(got, "incident", "id"))
		assert.Nil(t, testkit.Dig(got, "incident", "derivedFromReport"))
		assert.Equal(t, []any{}, testkit.Dig(got, "incident", "reports"))
		assert.Nil(t, got["report"])
	})
	t.Run("ErrBeforeEscalationTheGroupSeesNothing", func(t *testing.T) {
		got := look("b")
		assert.Nil(t, got["incident"])
		assert.Nil(t, got["report"])
	})
	t.Run("ErrNotAMembersGroupIsForbidden", func(t *testing.T) {
		d.cypher(`MATCH (c:Partner {id: $c}) CREATE (c)-[:MEMBER_OF {tlp: 'CLEAR', sourcePartner: $c, sharedWith: []}]->(:Entity:SharingGroup {id: $g, name: $g, tlp: 'CLEAR', sourcePartner: $c, sharedWith: [], externalRefs: []})`,
			map[string]any{"c": d.C, "g": d.C + "-group"})
		for group, code := range map[string]string{d.C + "-group": "FORBIDDEN", "no-such-group": "NOT_FOUND"} {
			resp := d.do("a-triage", decisions["escalateReport"], map[string]any{"id": report, "group": group})
			require.Equal(t, []string{code}, resp.Codes(), group)
			assert.Equal(t, "group", resp.Errors[0].Extensions["field"])
			assert.Equal(t, "LINKED", d.statusOf(report), "status unchanged")
		}
	})

	data = d.mutate("a-triage", decisions["escalateReport"], map[string]any{"id": report, "group": d.groupOf(), "reason": "for the labour inspectors"})
	assert.Equal(t, "ESCALATED", testkit.Dig(data, "escalateReport", "status"))
	t.Run("AfterEscalationTheGroupSeesTheIncidentButNotTheReport", func(t *testing.T) {
		got := look("b")
		assert.Equal(t, incident, testkit.Dig(got, "incident", "id"))
		assert.Equal(t, map[string]any{"tlp": "RED", "sharedWith": []any{d.B}}, testkit.Dig(got, "incident", "provenance"))
		assert.Nil(t, testkit.Dig(got, "incident", "derivedFromReport"), "the report's id does not leak")
		assert.Equal(t, []any{}, testkit.Dig(got, "incident", "reports"))
		assert.Nil(t, got["report"])
		latest := versions(t, d.historyOf("b", incident, nil))[0]
		assert.Equal(t, "MARKED", latest["change"])
		assert.Equal(t, "for the labour inspectors", latest["reason"])
		for _, v := range versions(t, d.historyOf("b", incident, nil)) {
			assert.NotEqual(t, report, testkit.Dig(v, "subject", "from"), "no version names the report")
			assert.NotEqual(t, report, testkit.Dig(v, "subject", "to"), "no version names the report")
		}
	})
	t.Run("ErrAPartnerOutsideTheGroupSeesNeither", func(t *testing.T) {
		got := look("c")
		assert.Nil(t, got["incident"])
		assert.Nil(t, got["report"])
	})
	t.Run("TheDecisionIsInTheHistoryAndTheAudit", func(t *testing.T) {
		latest := versions(t, d.historyOf("a-triage", report, nil))[0]
		assert.Equal(t, "TRIAGED", latest["change"])
		assert.Equal(t, "for the labour inspectors", latest["reason"])
		assert.Subset(t, d.auditOf("escalateReport")["entityIds"], []any{report, d.groupOf()})
	})
	t.Run("ShareTextSharesTheReport", func(t *testing.T) {
		d.mutate("a-triage", decisions["escalateReport"], map[string]any{"id": report, "group": d.groupOf(), "shareText": true})
		got := look("b")
		assert.Equal(t, report, testkit.Dig(got, "report", "id"))
		assert.Equal(t, "Pickers at the berry farm work for no pay", testkit.Dig(got, "report", "text"))
		assert.Equal(t, report, testkit.Dig(got, "incident", "derivedFromReport", "id"))
		assert.Nil(t, look("c")["report"])
	})
}
