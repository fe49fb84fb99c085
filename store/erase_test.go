package store_test

import (
	"context"
	"encoding/json"
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

// erasureSubject is a person of partner A with everything an erasure must reach: a name changed
// once (so history holds the old one), aliases (one in Cyrillic), a birth year, an identifier
// only they hold, one they share with a business, a report naming them, one mentioning them
// without their name, one that named them until it was edited (only its history holds the
// name), and an incident they are a victim in.
type erasureSubject struct {
	person, ownIdentifier, sharedIdentifier, namingReport, mentioningReport, editedReport string
	dismissedReport                                                                       string
	incident, country, home, sharedAddress                                                string
	values                                                                                []string // every erased text value
}

func newErasureSubject(t *testing.T, s *store.Store, w *world) erasureSubject {
	t.Helper()
	ctx := as(w.A, readerScopes...)
	digits := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, w.A)
	tag := digits[len(digits)-6:] // unique to the world, so the values are found nowhere else
	old, name, alias, cyrillic := "Orlanda Quintrell"+tag, "Zephyrine Vasquello"+tag, "Zephy"+tag, "Олена Квітка"+tag
	phone, shared := "+4479"+tag+"01", "+4479"+tag+"02"
	create := func(label string, props map[string]any) string {
		n, err := s.Create(ctx, label, store.CreateParams{Properties: store.Patch{Set: props}, Marking: store.Marking{Tlp: "AMBER"}})
		require.NoError(t, err)
		return n.NodeID()
	}
	link := func(typ, from, to string, props map[string]any) {
		_, err := s.Link(ctx, store.LinkParams{Type: typ, From: from, To: to, Properties: store.Patch{Set: props}, Marking: store.Marking{Tlp: "AMBER"}})
		require.NoError(t, err)
	}
	street := "17 Quarry Lane " + tag
	e := erasureSubject{values: []string{old, name, alias, cyrillic, phone, street}}
	e.person = create(tg.LabelPerson, map[string]any{"name": old, "aliases": []string{alias, cyrillic}, "birthYear": 1987, "gender": "FEMALE"})
	_, err := s.Update(ctx, tg.LabelPerson, e.person, store.Patch{Set: map[string]any{"name": name}}, nil, ptr("corrected spelling"))
	require.NoError(t, err)
	e.ownIdentifier = create(tg.LabelIdentifier, map[string]any{"kind": "PHONE", "value": phone})
	e.sharedIdentifier = create(tg.LabelIdentifier, map[string]any{"kind": "PHONE", "value": shared})
	business := create(tg.LabelBusiness, map[string]any{"name": "Erasure Test Ltd " + tag})
	link(tg.RelHasIdentifier, e.person, e.ownIdentifier, nil)
	link(tg.RelHasIdentifier, e.person, e.sharedIdentifier, nil)
	link(tg.RelHasIdentifier, business, e.sharedIdentifier, nil)
	e.namingReport = create(tg.LabelReport, map[string]any{"channel": "PARTNER",
		"text": "A woman called " + strings.ToUpper(name) + " (known as " + alias + ", " + cyrillic + ") was held near the port."})
	e.editedReport = create(tg.LabelReport, map[string]any{"channel": "PARTNER", "text": "Statement of\n" + old + "'s neighbour."})
	_, err = s.Update(ctx, tg.LabelReport, e.editedReport, store.Patch{Set: map[string]any{"text": "Statement of a neighbour."}}, nil, ptr("anonymised"))
	require.NoError(t, err)
	// Dismissed with a note naming her (a dismissal's note is personal data too), long ago.
	e.dismissedReport = create(tg.LabelReport, map[string]any{"channel": "PARTNER", "text": "A duplicate."})
	run(t, s, `MATCH (r:Report {id: $id}) SET r.status = 'DISMISSED', r.dismissNote = $note, r.updatedAt = datetime('2020-01-01T00:00:00Z')`,
		map[string]any{"id": e.dismissedReport, "note": "Same as what " + alias + " told us."})
	e.mentioningReport = create(tg.LabelReport, map[string]any{"channel": "PARTNER", "text": "Her sister was seen too."})
	link(tg.RelMentions, e.mentioningReport, e.person, nil)
	e.incident = create(tg.LabelIncident, map[string]any{"title": "Erasure incident " + tag, "victimCount": 1, "occurredFrom": "2025-05-01"})
	link(tg.RelInvolvedIn, e.person, e.incident, map[string]any{"role": "VICTIM"})
	// The incident counts in a hotspot and a route flow of their own: Niue and Tokelau, which
	// neither the seed nor other tests use, so the comparison before and after sees only it.
	e.country = create(tg.LabelLocation, map[string]any{"name": "Niue " + tag, "kind": "COUNTRY", "countryCode": "NU"})
	city := create(tg.LabelLocation, map[string]any{"name": "Alofi " + tag, "kind": "CITY", "countryCode": "NU"})
	destination := create(tg.LabelLocation, map[string]any{"name": "Fakaofo " + tag, "kind": "CITY", "countryCode": "TK"})
	route := create(tg.LabelRoute, map[string]any{"name": "Erasure route " + tag})
	link(tg.RelWithin, city, e.country, nil)
	link(tg.RelOccurredAt, e.incident, city, nil)
	link(tg.RelLivesAt, e.person, city, nil)
	link(tg.RelStop, route, city, map[string]any{"seq": 0, "stopRole": "ORIGIN"})
	link(tg.RelStop, route, destination, map[string]any{"seq": 1, "stopRole": "DESTINATION"})
	link(tg.RelUsedRoute, e.incident, route, nil)
	// A home address only they live at (personal: it identifies them) and a workplace address a
	// business is located at too (kept, for review).
	e.home = create(tg.LabelLocation, map[string]any{"name": street, "kind": "ADDRESS", "countryCode": "NU",
		"point": neo4j.Point2D{X: -169.92, Y: -19.05, SpatialRefId: 4326}})
	e.sharedAddress = create(tg.LabelLocation, map[string]any{"name": "Erasure Test Ltd yard " + tag, "kind": "ADDRESS", "countryCode": "NU"})
	link(tg.RelLivesAt, e.person, e.home, nil)
	link(tg.RelWithin, e.home, city, nil)
	link(tg.RelLivesAt, e.person, e.sharedAddress, nil)
	link(tg.RelLocatedAt, business, e.sharedAddress, nil)
	return e
}

// holdersOf returns every node and relationship of the whole database with a string (or string
// list) property holding any of the values, as "label-or-type.property".
func holdersOf(t *testing.T, s *store.Store, values []string) []string {
	t.Helper()
	needles := make([]string, len(values))
	for i, v := range values {
		needles[i] = strings.ToLower(v)
	}
	const walk = `
CALL {
    MATCH (n) UNWIND keys(n) AS key RETURN head(labels(n)) + '.' + key AS at, n[key] AS value
  UNION ALL
    MATCH ()-[r]->() UNWIND keys(r) AS key RETURN type(r) + '.' + key AS at, r[key] AS value
}
WITH at, CASE WHEN valueType(value) STARTS WITH 'LIST' THEN [x IN value | toString(x)] ELSE [toString(value)] END AS texts
WHERE any(x IN texts WHERE any(needle IN $needles WHERE toLower(x) CONTAINS needle))
RETURN DISTINCT at`
	res, err := neo4j.ExecuteQuery(context.Background(), s.Driver(), walk, map[string]any{"needles": needles},
		neo4j.EagerResultTransformer, neo4j.ExecuteQueryWithDatabase(s.Database()))
	require.NoError(t, err)
	out := []string{}
	for _, r := range res.Records {
		at, _ := r.Get("at")
		out = append(out, at.(string))
	}
	return out
}

// TestEraseSubjectLeavesNoValueAnywhere: after an erasure no property of any node or
// relationship in the database holds an erased value (history versions included), while the
// node, its relationships and every count stay.
func TestEraseSubjectLeavesNoValueAnywhere(t *testing.T) {
	s := mustOpen(t)
	w := newWorld(t, s)
	e := newErasureSubject(t, s, w)
	require.NotEmpty(t, holdersOf(t, s, e.values), "the walk finds the values before the erasure")
	admin := as(w.C, auth.ScopeAdmin, auth.ScopeGraphRead, auth.ScopeGraphReadPII)
	ctxA := as(w.A, auth.ScopeGraphRead, auth.ScopeGraphReadPII, auth.ScopeGraphWrite)
	from, to, origin := store.Date(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)), store.Date(time.Date(2025, 12, 31, 0, 0, 0, 0, time.UTC)), "NU"
	counts := func() string {
		hot, err := s.Hotspots(ctxA, store.HotspotsParams{Within: &e.country, From: &from, To: &to, Granularity: "CITY"})
		require.NoError(t, err)
		require.Len(t, hot, 1, "the subject's incident makes a hotspot")
		require.Equal(t, [2]int{1, 1}, [2]int{hot[0].Incidents, hot[0].Victims})
		flows, err := s.RouteFlows(ctxA, store.RouteFlowsParams{From: &origin})
		require.NoError(t, err)
		require.Len(t, flows, 1, "and a route flow")
		require.Equal(t, [2]int{1, 1}, [2]int{flows[0].Incidents, flows[0].Victims})
		incidents, err := s.List(ctxA, tg.LabelIncident, store.ListParams{WithTotal: true, CountOnly: true})
		require.NoError(t, err)
		victims, err := s.List(ctxA, tg.LabelPerson, store.ListParams{WithTotal: true, CountOnly: true,
			Filter: filterOf(&store.Relation{Field: "incidents", Filter: filterOf(cond("id", tg.OpIn, []any{e.incident}))})})
		require.NoError(t, err)
		raw, _ := json.Marshal([]any{hot, flows, incidents.TotalCount, victims.TotalCount})
		return string(raw)
	}
	before := counts()

	got, err := s.EraseSubject(admin, e.person, "subject's request, ticket 42, for "+e.values[1])
	require.NoError(t, err)
	require.False(t, got.AlreadyErased)
	require.ElementsMatch(t, []string{"name", "aliases", "birthYear"}, got.ErasedFields)
	require.Equal(t, []string{e.ownIdentifier}, got.ErasedIdentifiers)
	require.Equal(t, []string{e.sharedIdentifier}, got.SharedIdentifiers)
	require.ElementsMatch(t, []string{e.namingReport, e.dismissedReport}, got.RedactedReports)
	require.Equal(t, []string{e.mentioningReport}, got.ReviewReports)
	require.Equal(t, []string{e.home}, got.ErasedAddresses)
	require.Equal(t, []string{e.sharedAddress}, got.SharedAddresses)
	require.Positive(t, got.ErasedVersions)

	require.Empty(t, holdersOf(t, s, e.values), "no string property of any node or relationship holds an erased value")
	require.Equal(t, before, counts(), "hotspots, route flows, incident and victim counts answer the same")

	n, err := s.Get(ctxA, e.person)
	require.NoError(t, err)
	p := n.(*store.Person)
	require.Nil(t, p.Name)
	require.Nil(t, p.Aliases)
	require.Nil(t, p.BirthYear)
	require.NotNil(t, p.ErasedAt)
	require.Equal(t, "FEMALE", *p.Gender, "what is not personal stays")
	home, err := s.Get(ctxA, e.home)
	require.NoError(t, err)
	require.Equal(t, store.ErasedMarker, *home.(*store.Location).Name, "the home address's name (required) is the marker")
	require.Nil(t, home.(*store.Location).Point)
	require.NotNil(t, home.(*store.Location).ErasedAt)
	r, err := s.Get(ctxA, e.namingReport)
	require.NoError(t, err)
	require.Equal(t, "A woman called [erased] (known as [erased], [erased]) was held near the port.", *r.(*store.Report).Text)
	r, err = s.Get(ctxA, e.editedReport)
	require.NoError(t, err)
	require.Equal(t, "Statement of a neighbour.", *r.(*store.Report).Text, "a report that no longer names them is left as it is")
	r, err = s.Get(ctxA, e.dismissedReport)
	require.NoError(t, err)
	require.Equal(t, "Same as what [erased] told us.", *r.(*store.Report).DismissNote)
	require.Equal(t, time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), r.(*store.Report).Provenance.UpdatedAt.UTC(),
		"redacting a dismissed report does not restart its retention period")
	r, err = s.Get(ctxA, e.mentioningReport)
	require.NoError(t, err)
	require.NotNil(t, r.(*store.Report).ErasureReviewAt)

	versions := versionsOf(t, s, e.person)
	require.Equal(t, tg.ChangeErased, versions[0]["change"])
	require.Equal(t, "subject's request, ticket 42, for [erased]", versions[0]["reason"], "a reason naming them is redacted too")
	for _, v := range versions {
		for field, values := range changesOf(v) {
			if field == "birthYear" {
				require.Equal(t, [2]string{"null", "null"}, values, "%s of %s", field, v["change"])
			}
		}
	}
	history, err := s.History(ctxA, store.HistoryParams{ID: e.person})
	require.NoError(t, err)
	var erased int
	for _, entry := range history.Entries {
		for _, c := range entry.Changes {
			if c.Erased {
				erased++
				require.Nil(t, c.Before)
				require.Nil(t, c.After)
			}
		}
	}
	require.Positive(t, erased, "history says which values were erased")
}

// TestEraseSubjectRefusals: a writer of another partner may not erase (FORBIDDEN, nothing
// changes), an unknown id is NOT_FOUND, a blank reason is refused, and a second erasure changes
// nothing and says so.
func TestEraseSubjectRefusals(t *testing.T) {
	s := mustOpen(t)
	w := newWorld(t, s)
	e := newErasureSubject(t, s, w)
	held := holdersOf(t, s, e.values)
	codeOf := func(err error) tg.Code {
		var te *tg.Error
		require.ErrorAs(t, err, &te)
		return te.Code
	}
	cases := []struct {
		name string
		ctx  context.Context
		id   string
		want tg.Code
	}{
		{"PeerThatIsNotTheSource", as(w.B, auth.ScopeGraphRead, auth.ScopeGraphWrite, auth.ScopeGraphReadPII), e.person, tg.Forbidden},
		{"PartnerThatCannotSeeIt", as(w.C, auth.ScopeGraphRead, auth.ScopeGraphWrite), e.person, tg.NotFound},
		{"UnknownID", as(w.C, auth.ScopeAdmin), "no-such-person", tg.NotFound},
		{"NotAPerson", as(w.C, auth.ScopeAdmin), e.incident, tg.NotFound},
		{"Anonymous", anonymous, e.person, tg.Unauthenticated},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := s.EraseSubject(c.ctx, c.id, "no")
			require.Equal(t, c.want, codeOf(err))
		})
	}
	_, err := s.EraseSubject(as(w.A, auth.ScopeGraphWrite), e.person, "  ")
	require.Equal(t, tg.BadUserInput, codeOf(err))
	require.ElementsMatch(t, held, holdersOf(t, s, e.values), "a refused erasure changes nothing")
	n, err := s.Get(as(w.A, auth.ScopeGraphRead, auth.ScopeGraphReadPII), e.person)
	require.NoError(t, err)
	require.NotNil(t, n.(*store.Person).Name, "a refused erasure changes nothing")
	require.Nil(t, n.(*store.Person).ErasedAt)

	first, err := s.EraseSubject(as(w.A, auth.ScopeGraphWrite), e.person, "own record")
	require.NoError(t, err, "the source partner erases its own record")
	versions := len(versionsOf(t, s, e.person))
	again, err := s.EraseSubject(as(w.A, auth.ScopeGraphWrite), e.person, "own record")
	require.NoError(t, err)
	require.True(t, again.AlreadyErased)
	require.Equal(t, first.ErasedAt, again.ErasedAt)
	require.Len(t, versionsOf(t, s, e.person), versions, "a second erasure records nothing")
	require.Empty(t, holdersOf(t, s, e.values))
}

// TestSubjectAccessExport: the export holds every node and relationship that names the person,
// as a direct walk of the graph finds them, across partners; only admins may ask.
func TestSubjectAccessExport(t *testing.T) {
	s := mustOpen(t)
	w := newWorld(t, s)
	e := newErasureSubject(t, s, w)
	ctxB := as(w.B, readerScopes...)
	location, err := s.Create(ctxB, tg.LabelLocation, store.CreateParams{Properties: store.Patch{Set: map[string]any{"name": "12 Quay Street", "kind": "ADDRESS"}},
		Marking: store.Marking{Tlp: "RED"}})
	require.NoError(t, err)
	_, err = s.Link(ctxB, store.LinkParams{Type: tg.RelLivesAt, From: e.person, To: location.NodeID(), Marking: store.Marking{Tlp: "RED"}})
	require.NoError(t, err)

	_, err = s.SubjectAccessExport(as(w.A, auth.ScopeGraphRead, auth.ScopeGraphReadPII, auth.ScopeGraphWrite), e.person)
	require.Equal(t, tg.Forbidden, func() tg.Code { var te *tg.Error; require.ErrorAs(t, err, &te); return te.Code }(), "graph:read:pii is not enough")

	got, err := s.SubjectAccessExport(as(w.D, auth.ScopeAdmin), e.person)
	require.NoError(t, err)
	var doc struct {
		Person        map[string]any
		Relationships []struct {
			Type  string
			Other map[string]any
		}
		Identifiers, Reports, Versions []map[string]any
	}
	require.NoError(t, json.Unmarshal(got.Document, &doc))
	require.Equal(t, e.person, doc.Person["id"])
	require.Contains(t, doc.Person["name"], "Zephyrine Vasquello", "the subject's own data is included")

	res, err := neo4j.ExecuteQuery(context.Background(), s.Driver(), `
MATCH (p:Person {id: $id})
RETURN COLLECT { MATCH (p)-[r]-(o) RETURN type(r) + ':' + o.id } AS rels,
       COLLECT { MATCH (r:Report) WHERE (r)-[:MENTIONS]->(p)
                    OR any(n IN $names WHERE toLower(r.text + ' ' + coalesce(r.dismissNote, '')) CONTAINS toLower(n)) RETURN r.id } AS reports,
       COLLECT { MATCH (v:Version) WHERE v.entityId = $id OR any(x IN v.before + v.after WHERE any(n IN $names WHERE toLower(x) CONTAINS toLower(n)))
                 RETURN v.id } AS versions`, map[string]any{"id": e.person, "names": e.values[:4]},
		neo4j.EagerResultTransformer, neo4j.ExecuteQueryWithDatabase(s.Database()))
	require.NoError(t, err)
	var rels, reports, versions []string
	for _, r := range doc.Relationships {
		rels = append(rels, r.Type+":"+r.Other["id"].(string))
		switch r.Other["id"] {
		case location.NodeID():
			require.Equal(t, "12 Quay Street", r.Other["name"], "where the subject lives is the subject's data")
		case e.mentioningReport:
			require.NotContains(t, r.Other, "text", "other ends are given without personal data (reports come whole in their own list)")
		}
	}
	for _, r := range doc.Reports {
		reports = append(reports, r["id"].(string))
	}
	for _, v := range doc.Versions {
		versions = append(versions, v["id"].(string))
	}
	want := func(key string) []any { v, _ := res.Records[0].Get(key); return v.([]any) }
	require.ElementsMatch(t, want("rels"), rels)
	require.ElementsMatch(t, want("reports"), reports)
	require.ElementsMatch(t, want("versions"), versions)
	require.Contains(t, reports, e.namingReport)
	require.Contains(t, fmt.Sprint(doc.Versions), e.editedReport, "the history of a report that named them is theirs too")
	require.ElementsMatch(t, []any{e.ownIdentifier, e.sharedIdentifier}, func() []any {
		out := []any{}
		for _, i := range doc.Identifiers {
			out = append(out, i["id"])
		}
		return out
	}())
	require.Contains(t, got.Summary, w.A)
	require.Contains(t, got.Summary, w.B)
}

// planScan is a line of a plan's text (its root's "string-representation": the driver's
// Children() loses all but the last child of each operator) that reads every node of a label, a
// whole index of one, or every node.
var planScan = regexp.MustCompile(`\+(AllNodesScan|NodeByLabelScan|NodeIndexScan)\S*\s*\|\s*\d+\s*\|([^|]*)\|`)

// planLabel is the label in a plan line's details ("r:Report", "RANGE INDEX r:Report(createdAt) ...").
var planLabel = regexp.MustCompile(`:(\w+)`)

// scans returns the labels that the plans of the statements read by scanning every node of the
// label or a whole index of it ("*" for every node): work that grows with the whole graph rather
// than with what the statement is after.
func scans(t *testing.T, s *store.Store, statements []store.Statement) []string {
	t.Helper()
	out := []string{}
	for _, st := range statements {
		res, err := neo4j.ExecuteQuery(context.Background(), s.Driver(), "EXPLAIN "+st.Cypher, st.Params,
			neo4j.EagerResultTransformer, neo4j.ExecuteQueryWithDatabase(s.Database()))
		require.NoError(t, err, st.Cypher)
		plan, _ := res.Summary.Plan().Arguments()["string-representation"].(string)
		require.Contains(t, plan, "+ProduceResults", "the plan of %s", st.Cypher)
		for _, m := range planScan.FindAllStringSubmatch(plan, -1) {
			label := "*"
			if l := planLabel.FindStringSubmatch(m[2]); l != nil {
				label = l[1]
			}
			out = append(out, label)
		}
	}
	return out
}

// TestErasureFindsWhatNamesAPersonThroughIndexes: erasure and subject access find the reports
// and history versions that name a person through indexes, never by reading every report or
// version (which took a person with a hundred long aliases past the transaction timeout). Audit
// events naming the person are the one scan left, in subject access: see docs/stewardship.md.
func TestErasureFindsWhatNamesAPersonThroughIndexes(t *testing.T) {
	s := mustOpen(t)
	w := newWorld(t, s)
	e := newErasureSubject(t, s, w)
	admin := as(w.C, auth.ScopeAdmin)
	for _, c := range []struct {
		name string
		call func(context.Context) error
	}{
		{"SubjectAccessExport", func(ctx context.Context) error { _, err := s.SubjectAccessExport(ctx, e.person); return err }},
		{"EraseSubject", func(ctx context.Context) error {
			_, err := s.EraseSubject(ctx, e.person, "subject's request")
			return err
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var log []store.Statement
			require.NoError(t, c.call(store.WithStatementLog(admin, &log)))
			require.NotEmpty(t, log)
			for _, label := range scans(t, s, log) {
				require.Contains(t, []string{tg.LabelAuditEvent}, label, "a statement of %s scans every %s", c.name, label)
			}
		})
	}
}

// TestEraseSubjectWithAHundredLongAliases: the most names a person can have (a hundred aliases
// of 200 characters) are all found and erased in one transaction, in a report (as a possessive),
// in the history of a report edited since, and in the person's own history.
func TestEraseSubjectWithAHundredLongAliases(t *testing.T) {
	s := mustOpen(t)
	w := newWorld(t, s)
	ctx := as(w.A, readerScopes...)
	tag := w.A[len(w.A)-8:]
	aliases := make([]string, 100)
	for i := range aliases {
		aliases[i] = fmt.Sprintf("Alias%s %03d %s", tag, i, strings.Repeat("Quorvex ", 30))
		aliases[i] = strings.TrimSpace(aliases[i][:200])
	}
	person, err := s.Create(ctx, tg.LabelPerson, store.CreateParams{Properties: store.Patch{Set: map[string]any{
		"name": "Ysolde Brannagh" + tag, "aliases": aliases}}, Marking: store.Marking{Tlp: "AMBER"}})
	require.NoError(t, err)
	report := func(text string) string {
		r, err := s.Create(ctx, tg.LabelReport, store.CreateParams{Properties: store.Patch{Set: map[string]any{"channel": "PARTNER", "text": text}},
			Marking: store.Marking{Tlp: "AMBER"}})
		require.NoError(t, err)
		return r.NodeID()
	}
	naming := report("Seen with " + aliases[57] + "'s brother.")
	edited := report("Called by " + aliases[3] + ".")
	_, err = s.Update(ctx, tg.LabelReport, edited, store.Patch{Set: map[string]any{"text": "Called by someone."}}, nil, ptr("anonymised"))
	require.NoError(t, err)
	require.NotEmpty(t, holdersOf(t, s, []string{aliases[3], aliases[57]}))

	got, err := s.EraseSubject(as(w.C, auth.ScopeAdmin), person.NodeID(), "subject's request")
	require.NoError(t, err)
	require.Equal(t, []string{naming}, got.RedactedReports)
	require.Empty(t, holdersOf(t, s, append(aliases, "Ysolde Brannagh"+tag)), "no alias is left anywhere")
	r, err := s.Get(as(w.A, auth.ScopeGraphRead, auth.ScopeGraphReadPII), naming)
	require.NoError(t, err)
	require.Equal(t, "Seen with [erased]'s brother.", *r.(*store.Report).Text)
}

// TestSubjectAccessSummaryOfAnUndatedRecord: a record without dates (written before the hub
// stamped them) is summed up without an empty date range.
func TestSubjectAccessSummaryOfAnUndatedRecord(t *testing.T) {
	s := mustOpen(t)
	w := newWorld(t, s)
	id := "undated-" + w.A
	run(t, s, `CREATE (:Entity:Person {id: $id, tlp: 'AMBER', sourcePartner: $a, sharedWith: [], externalRefs: []})`,
		map[string]any{"id": id, "a": w.A})
	got, err := s.SubjectAccessExport(as(w.C, auth.ScopeAdmin), id)
	require.NoError(t, err)
	require.Equal(t, "The hub holds one person record with 0 relationships, 0 identifiers, 0 reports, 0 versions, 0 auditEvents, contributed by 1 partner(s) ("+w.A+").", got.Summary)
}

// TestAPartnersErasureReachesOnlyItsOwnRecords: the source partner erasing its own person
// changes its own records only. Another partner's report, identifier and history that name the
// person stay as that partner wrote them (it is that partner's to erase, or the hub's admin's),
// and the answer names none of them: a writer cannot blank words in everyone's reports by giving
// its person an alias, nor learn which of others' records hold a name.
func TestAPartnersErasureReachesOnlyItsOwnRecords(t *testing.T) {
	s := mustOpen(t)
	w := newWorld(t, s)
	e := newErasureSubject(t, s, w)
	ctxB := as(w.B, auth.ScopeGraphRead, auth.ScopeGraphReadPII, auth.ScopeGraphWrite)
	name := e.values[1]
	text := "B's own note: " + name + " was seen again."
	create := func(label string, props map[string]any) string {
		n, err := s.Create(ctxB, label, store.CreateParams{Properties: store.Patch{Set: props}, Marking: store.Marking{Tlp: "RED"}})
		require.NoError(t, err)
		return n.NodeID()
	}
	othersReport := create(tg.LabelReport, map[string]any{"channel": "PARTNER", "text": text})
	othersLinked := create(tg.LabelReport, map[string]any{"channel": "PARTNER", "text": "Linked: " + name + "."})
	othersIdentifier := create(tg.LabelIdentifier, map[string]any{"kind": "EMAIL", "value": "b-" + w.B + "@example.org"})
	_, err := s.Link(ctxB, store.LinkParams{Type: tg.RelMentions, From: othersLinked, To: e.person, Marking: store.Marking{Tlp: "RED"}})
	require.NoError(t, err)
	_, err = s.Link(ctxB, store.LinkParams{Type: tg.RelHasIdentifier, From: e.person, To: othersIdentifier, Marking: store.Marking{Tlp: "RED"}})
	require.NoError(t, err)
	othersVersions := func() string {
		res, err := neo4j.ExecuteQuery(context.Background(), s.Driver(),
			`MATCH (v:Version) WHERE v.sourcePartner = $b AND v.at IS NOT NULL RETURN v.id AS id, v.before AS before, v.after AS after, v.reason AS reason ORDER BY id`,
			map[string]any{"b": w.B}, neo4j.EagerResultTransformer, neo4j.ExecuteQueryWithDatabase(s.Database()))
		require.NoError(t, err)
		raw, _ := json.Marshal(res.Records)
		return string(raw)
	}
	before := othersVersions()
	require.Contains(t, before, name, "B's history holds the name")

	got, err := s.EraseSubject(as(w.A, auth.ScopeGraphWrite), e.person, "subject's request to A")
	require.NoError(t, err)
	require.ElementsMatch(t, []string{e.namingReport, e.dismissedReport}, got.RedactedReports, "A's own reports are redacted")
	for _, id := range []string{othersReport, othersLinked, othersIdentifier} {
		require.NotContains(t, fmt.Sprint(got), id, "the answer names none of B's records")
	}
	for id, want := range map[string]string{othersReport: text, othersLinked: "Linked: " + name + "."} {
		r, err := s.Get(ctxB, id)
		require.NoError(t, err)
		require.Equal(t, want, *r.(*store.Report).Text, "B's report is B's")
		require.Nil(t, r.(*store.Report).ErasureReviewAt)
	}
	i, err := s.Get(ctxB, othersIdentifier)
	require.NoError(t, err)
	require.NotNil(t, i.(*store.Identifier).Value, "B's identifier is B's")
	require.Equal(t, before, othersVersions(), "B's history is B's")
}

// TestAnErasedSubjectsPersonalDataCannotBeWrittenAgain: after an erasure, an update (or an
// import's upsert) setting a personal field of the person, of an erased identifier or of an
// erased address is refused (BAD_USER_INPUT, nothing written), so that a partner's next sync
// cannot bring the erased values back; what is not personal can still change.
func TestAnErasedSubjectsPersonalDataCannotBeWrittenAgain(t *testing.T) {
	s := mustOpen(t)
	w := newWorld(t, s)
	e := newErasureSubject(t, s, w)
	ctxA := as(w.A, auth.ScopeGraphRead, auth.ScopeGraphReadPII, auth.ScopeGraphWrite)
	_, err := s.EraseSubject(ctxA, e.person, "subject's request")
	require.NoError(t, err)
	cases := []struct {
		name, label, id string
		set             map[string]any
	}{
		{"PersonName", tg.LabelPerson, e.person, map[string]any{"name": e.values[1]}},
		{"PersonAliases", tg.LabelPerson, e.person, map[string]any{"aliases": []string{e.values[2]}}},
		{"PersonBirthYear", tg.LabelPerson, e.person, map[string]any{"birthYear": 1987}},
		{"IdentifierValue", tg.LabelIdentifier, e.ownIdentifier, map[string]any{"value": e.values[4]}},
		{"AddressName", tg.LabelLocation, e.home, map[string]any{"name": e.values[5]}},
		// An address made a city first would take its name back, then be made an address again.
		{"AddressNameAsACity", tg.LabelLocation, e.home, map[string]any{"kind": "CITY", "name": e.values[5]}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := s.Update(ctxA, c.label, c.id, store.Patch{Set: c.set}, nil, nil)
			var te *tg.Error
			require.ErrorAs(t, err, &te)
			require.Equal(t, tg.BadUserInput, te.Code)
		})
	}
	require.Empty(t, holdersOf(t, s, e.values), "nothing was written back")
	_, err = s.Update(ctxA, tg.LabelPerson, e.person, store.Patch{Set: map[string]any{"gender": "MALE"}}, nil, nil)
	require.NoError(t, err, "what is not personal can change")
}
