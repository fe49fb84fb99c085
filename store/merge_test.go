package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
	"github.com/stretchr/testify/require"

	tg "github.com/traffikgraph/traffikgraph"
	"github.com/traffikgraph/traffikgraph/auth"
	"github.com/traffikgraph/traffikgraph/store"
	"github.com/traffikgraph/traffikgraph/store/storetest"
)

// mergeWorld is two person records of partner A that are one person: keep and merge, each with
// a name, aliases, an external ref and history; merge with an identifier, an incident, two
// associates (one each way), a home address, a relationship partner B made under its own
// marking, a relationship to keep, and one that keep has already (same type, other end,
// direction and partner); and B's GREEN incident X, to which B links merge under GREEN and keep
// under AMBER_STRICT (hidden from A: a duplicate A must not learn of, nor delete B's visible one).
type mergeWorld struct {
	*world
	keep, merge, identifier, incident, associate, home, incidentB, incidentX string
	// values are the personal values of keep and merge.
	values []string
}

var writerScopes = []auth.Scope{auth.ScopeGraphRead, auth.ScopeGraphReadPII, auth.ScopeGraphWrite}

func newMergeWorld(t *testing.T, s *store.Store) *mergeWorld {
	t.Helper()
	w := &mergeWorld{world: newWorld(t, s)}
	ctxA, ctxB := as(w.A, writerScopes...), as(w.B, writerScopes...)
	tag := worldTag(w.world)
	create := func(ctx context.Context, label string, props map[string]any, m store.Marking, ref *string) string {
		n, err := s.Create(ctx, label, store.CreateParams{Properties: store.Patch{Set: props}, Marking: m, ExternalRef: ref})
		require.NoError(t, err)
		return n.NodeID()
	}
	link := func(ctx context.Context, typ, from, to string, props map[string]any, m store.Marking) {
		_, err := s.Link(ctx, store.LinkParams{Type: typ, From: from, To: to, Properties: store.Patch{Set: props}, Marking: m})
		require.NoError(t, err)
	}
	amber, green := store.Marking{Tlp: tg.TlpAmber}, store.Marking{Tlp: tg.TlpGreen, Grading: ptr("2BP")}
	keepName, mergeName := "Ilvana Moretsky"+tag, "Ilvana Moretskaya"+tag
	w.values = []string{keepName, mergeName, "Vana" + tag, "Ily" + tag}
	w.keep = create(ctxA, tg.LabelPerson, map[string]any{"name": keepName, "aliases": []string{"Vana" + tag}, "birthYear": 1990},
		amber, ptr("case-17"))
	w.merge = create(ctxA, tg.LabelPerson, map[string]any{"name": mergeName, "aliases": []string{"Ily" + tag, "Vana" + tag},
		"gender": "FEMALE", "nationality": "UA"}, green, ptr("case-18"))
	_, err := s.Update(ctxA, tg.LabelPerson, w.merge, store.Patch{Set: map[string]any{"ageBand": "AGE_30_49"}}, nil, ptr("from the interview"))
	require.NoError(t, err)
	w.identifier = create(ctxA, tg.LabelIdentifier, map[string]any{"kind": "PHONE", "value": "+3809" + tag[:6]}, amber, nil)
	w.incident = create(ctxA, tg.LabelIncident, map[string]any{"title": "Merge incident " + tag, "occurredFrom": "2025-03-01"}, amber, nil)
	w.associate = create(ctxA, tg.LabelPerson, map[string]any{"name": "Associate " + tag}, amber, nil)
	w.home = create(ctxA, tg.LabelLocation, map[string]any{"name": "3 Canal Row " + tag, "kind": "ADDRESS", "countryCode": "UA",
		"point": neo4j.Point2D{X: 30.52, Y: 50.45, SpatialRefId: 4326}}, amber, nil)
	link(ctxA, tg.RelHasIdentifier, w.merge, w.identifier, nil, amber)
	link(ctxA, tg.RelInvolvedIn, w.merge, w.incident, map[string]any{"role": "VICTIM"}, amber)
	link(ctxA, tg.RelAssociateOf, w.merge, w.associate, map[string]any{"kind": "FRIEND"}, amber)
	link(ctxA, tg.RelAssociateOf, w.associate, w.merge, map[string]any{"kind": "FAMILY"}, green)
	link(ctxA, tg.RelLivesAt, w.merge, w.home, nil, store.Marking{Tlp: tg.TlpRed, SharedWith: []string{w.B}})
	// B's own intelligence on merge, under B's marking.
	w.incidentB = create(ctxB, tg.LabelIncident, map[string]any{"title": "B's incident " + tag}, amber, nil)
	link(ctxB, tg.RelInvolvedIn, w.merge, w.incidentB, map[string]any{"role": "WITNESS"}, store.Marking{Tlp: tg.TlpAmberStrict, Grading: ptr("1AP")})
	// keep and merge are linked (a self-loop once merged), and keep is already in the incident.
	link(ctxA, tg.RelAssociateOf, w.keep, w.merge, map[string]any{"kind": "OTHER"}, amber)
	link(ctxA, tg.RelInvolvedIn, w.keep, w.incident, map[string]any{"role": "SUSPECT"}, amber)
	w.incidentX = create(ctxB, tg.LabelIncident, map[string]any{"title": "B's public incident " + tag}, store.Marking{Tlp: tg.TlpGreen}, nil)
	link(ctxB, tg.RelInvolvedIn, w.merge, w.incidentX, map[string]any{"role": "VICTIM"}, store.Marking{Tlp: tg.TlpGreen})
	link(ctxB, tg.RelInvolvedIn, w.keep, w.incidentX, map[string]any{"role": "SUSPECT"}, store.Marking{Tlp: tg.TlpAmberStrict})
	return w
}

// graphRel is a relationship of a dump: its type, ends and properties (canonical text).
type graphRel struct{ Type, From, To, Props string }

// graphDump is every intelligence node of the world's partners (labels and all properties) and
// every relationship touching one, each property as its type and its text (datetimes included).
type graphDump struct {
	Nodes map[string]string
	Rels  []graphRel
}

const canonicalProps = `[k IN keys(%[1]s) | [k, valueType(%[1]s[k]),
  CASE WHEN valueType(%[1]s[k]) STARTS WITH 'LIST' THEN [x IN %[1]s[k] | toString(x)] ELSE [toString(%[1]s[k])] END]]`

func dumpGraph(t *testing.T, s *store.Store, w *world) graphDump {
	t.Helper()
	params := map[string]any{"partners": []string{w.A, w.B, w.C, w.D}, "labels": tg.IntelligenceLabels}
	query := func(cypher string) []*neo4j.Record {
		res, err := neo4j.ExecuteQuery(context.Background(), s.Driver(), cypher, params, neo4j.EagerResultTransformer,
			neo4j.ExecuteQueryWithDatabase(s.Database()))
		require.NoError(t, err)
		return res.Records
	}
	canonical := func(v any) string {
		raw, err := json.Marshal(v)
		require.NoError(t, err)
		return string(raw)
	}
	d := graphDump{Nodes: map[string]string{}}
	for _, r := range query(`MATCH (n:Entity) WHERE n.sourcePartner IN $partners AND any(l IN labels(n) WHERE l IN $labels)
RETURN n.id AS id, labels(n) AS labels, ` + strings.ReplaceAll(canonicalProps, "%[1]s", "n") + ` AS props`) {
		id, _ := r.Get("id")
		labels, _ := r.Get("labels")
		props, _ := r.Get("props")
		sorted := slices.Clone(labels.([]any))
		slices.SortFunc(sorted, func(a, b any) int { return strings.Compare(a.(string), b.(string)) })
		d.Nodes[id.(string)] = canonical([]any{sorted, sortedProps(props)})
	}
	for _, r := range query(`MATCH (a:Entity)-[r]->(b:Entity)
WHERE (a.sourcePartner IN $partners OR b.sourcePartner IN $partners OR r.sourcePartner IN $partners)
  AND any(l IN labels(a) WHERE l IN $labels) AND any(l IN labels(b) WHERE l IN $labels)
RETURN type(r) AS type, a.id AS from, b.id AS to, ` + strings.ReplaceAll(canonicalProps, "%[1]s", "r") + ` AS props`) {
		typ, _ := r.Get("type")
		from, _ := r.Get("from")
		to, _ := r.Get("to")
		props, _ := r.Get("props")
		d.Rels = append(d.Rels, graphRel{typ.(string), from.(string), to.(string), canonical(sortedProps(props))})
	}
	slices.SortFunc(d.Rels, compareRels)
	return d
}

func sortedProps(v any) []any {
	props := slices.Clone(v.([]any))
	slices.SortFunc(props, func(a, b any) int { return strings.Compare(a.([]any)[0].(string), b.([]any)[0].(string)) })
	return props
}

func compareRels(a, b graphRel) int {
	return strings.Compare(a.Type+a.From+a.To+a.Props, b.Type+b.From+b.To+b.Props)
}

// TestMergeThenUnmergeRestoresTheGraphExactly: the merge moves every relationship of merge (any
// partner's, with its own provenance) to keep, but the one between them (a self-loop), even those
// of a key keep has already (A's to the incident, and B's GREEN one to X where keep has B's hidden
// AMBER_STRICT one: A learns nothing of it and B's visible fact stays), unites aliases (merge's name among them) and external refs, removes merge
// (NOT_FOUND) and says so in both histories; the unmerge puts every node, property and
// relationship back exactly as it was.
func TestMergeThenUnmergeRestoresTheGraphExactly(t *testing.T) {
	s := mustOpen(t)
	w := newMergeWorld(t, s)
	ctxA := as(w.A, writerScopes...)
	before := dumpGraph(t, s, w.world)
	changes := func(id string) []string {
		page, err := s.History(ctxA, store.HistoryParams{ID: id})
		require.NoError(t, err)
		var out []string
		for _, e := range page.Entries {
			out = append(out, e.Change)
		}
		return out
	}
	keepHistory, mergeHistory := changes(w.keep), changes(w.merge)

	merged, err := s.MergeEntities(ctxA, w.keep, w.merge, "the same woman, two intakes")
	require.NoError(t, err)
	require.Equal(t, w.keep, merged.Kept.NodeID())
	require.Equal(t, w.keep, merged.MergeEvent.KeepID)
	require.Equal(t, w.merge, merged.MergeEvent.MergedID)
	require.Equal(t, "the same woman, two intakes", merged.MergeEvent.Reason)
	require.Equal(t, 6, merged.MergeEvent.MovedRelationships,
		"seven moved, of which A sees six: B's AMBER_STRICT one is not counted, B's GREEN one to X is, whatever keep has hidden")
	kept := merged.Kept.(*store.Person)
	tag := worldTag(w.world)
	require.Equal(t, []string{"Vana" + tag, "Ily" + tag, "Ilvana Moretskaya" + tag}, kept.Aliases, "aliases united, merge's name among them")
	require.Equal(t, []string{w.A + ":case-17", w.A + ":case-18"}, kept.Provenance.ExternalRefs)
	gone, err := s.Get(ctxA, w.merge)
	require.NoError(t, err)
	require.Nil(t, gone, "the merged record is gone")

	mergedGraph := dumpGraph(t, s, w.world)
	want := graphDump{Nodes: map[string]string{}}
	for id, n := range before.Nodes {
		if id != w.merge && id != w.keep {
			want.Nodes[id] = n
		}
	}
	for _, r := range before.Rels {
		switch {
		case r.From != w.merge && r.To != w.merge:
			want.Rels = append(want.Rels, r)
		case r.From == w.keep || r.To == w.keep:
			// between keep and merge: dropped
		default:
			if r.From == w.merge {
				r.From = w.keep
			} else {
				r.To = w.keep
			}
			want.Rels = append(want.Rels, r)
		}
	}
	slices.SortFunc(want.Rels, compareRels)
	delete(mergedGraph.Nodes, w.keep)
	require.Equal(t, want, mergedGraph, "merge gone; its relationships on keep with their own properties and provenance")
	require.Len(t, want.Rels, len(before.Rels)-1, "one relationship dropped: the self-loop")
	involved := func(to string) int {
		n := 0
		for _, r := range mergedGraph.Rels {
			if r.Type == tg.RelInvolvedIn && r.From == w.keep && r.To == to {
				n++
			}
		}
		return n
	}
	require.Equal(t, 2, involved(w.incident), "keep holds A's two INVOLVED_IN to the incident, its own and merge's")
	require.Equal(t, 2, involved(w.incidentX), "keep holds B's hidden one to X and B's GREEN one, moved")

	require.Equal(t, append([]string{tg.ChangeMerged}, keepHistory...), changes(w.keep))
	require.Equal(t, append([]string{tg.ChangeMerged}, mergeHistory...), changes(w.merge), "the merged record's history is its partner's still")

	restored, err := s.UnmergeEntities(ctxA, merged.MergeEvent.ID, "two women after all")
	require.NoError(t, err)
	require.Equal(t, w.keep, restored.Kept.NodeID())
	require.Equal(t, w.merge, restored.Restored.NodeID())
	require.Equal(t, before, dumpGraph(t, s, w.world), "every node, property and relationship as before the merge")

	require.Equal(t, append([]string{tg.ChangeUnmerged, tg.ChangeMerged}, keepHistory...), changes(w.keep))
	require.Equal(t, append([]string{tg.ChangeUnmerged, tg.ChangeMerged}, mergeHistory...), changes(w.merge),
		"merge's own versions are its history again")
}

// mergeEvents returns every MergeEvent node's properties (as text) of the world's partners.
func mergeEventsText(t *testing.T, s *store.Store, w *world) string {
	t.Helper()
	res, err := neo4j.ExecuteQuery(context.Background(), s.Driver(), `MATCH (e:MergeEvent) WHERE e.partner IN $partners RETURN e {.*} AS e`,
		map[string]any{"partners": []string{w.A, w.B}}, neo4j.EagerResultTransformer, neo4j.ExecuteQueryWithDatabase(s.Database()))
	require.NoError(t, err)
	require.NotEmpty(t, res.Records)
	var events []any
	for _, r := range res.Records {
		e, _ := r.Get("e")
		events = append(events, e)
	}
	raw, err := json.Marshal(events)
	require.NoError(t, err)
	return string(raw)
}

// TestMergeRefusals: each refusal has its code and writes nothing.
func TestMergeRefusals(t *testing.T) {
	s := mustOpen(t)
	w := newMergeWorld(t, s)
	ctxA := as(w.A, writerScopes...)
	create := func(ctx context.Context, label string, props map[string]any, tlp string) string {
		n, err := s.Create(ctx, label, store.CreateParams{Properties: store.Patch{Set: props}, Marking: store.Marking{Tlp: tlp}})
		require.NoError(t, err)
		return n.NodeID()
	}
	peersPerson := create(as(w.B, writerScopes...), tg.LabelPerson, map[string]any{"name": "B's record"}, tg.TlpGreen)
	hiddenPerson := create(as(w.C, writerScopes...), tg.LabelPerson, map[string]any{"name": "C's record"}, tg.TlpAmber)
	business := create(ctxA, tg.LabelBusiness, map[string]any{"name": "Moretsky Ltd"}, tg.TlpAmber)
	otherIncident := create(ctxA, tg.LabelIncident, map[string]any{"title": "another"}, tg.TlpAmber)
	route1 := create(ctxA, tg.LabelRoute, map[string]any{"name": "r1"}, tg.TlpAmber)
	route2 := create(ctxA, tg.LabelRoute, map[string]any{"name": "r2"}, tg.TlpAmber)
	before := dumpGraph(t, s, w.world)
	for _, c := range []struct {
		name        string
		ctx         context.Context
		keep, merge string
		code        tg.Code
		field       string
	}{
		{"KeepOfAnotherPartnerEvenVisible", ctxA, peersPerson, w.merge, tg.Forbidden, "keep"},
		{"MergeOfAnotherPartnerEvenVisible", ctxA, w.keep, peersPerson, tg.Forbidden, "merge"},
		{"InvisibleKeep", ctxA, hiddenPerson, w.merge, tg.NotFound, "keep"},
		{"InvisibleMerge", ctxA, w.keep, hiddenPerson, tg.NotFound, "merge"},
		{"MissingMerge", ctxA, w.keep, "no-such-id", tg.NotFound, "merge"},
		{"DifferentLabels", ctxA, w.keep, business, tg.BadUserInput, "merge"},
		{"TheSameRecord", ctxA, w.keep, w.keep, tg.BadUserInput, "merge"},
		{"IncidentsAreNotMerged", ctxA, w.incident, otherIncident, tg.BadUserInput, "keep"},
		{"RoutesAreNotMerged", ctxA, route1, route2, tg.BadUserInput, "keep"},
		{"AnonymousCaller", anonymous, w.keep, w.merge, tg.Unauthenticated, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := s.MergeEntities(c.ctx, c.keep, c.merge, "same person")
			require.Error(t, err)
			require.Equal(t, c.code, tg.ErrorCode(err), err.Error())
			var e *tg.Error
			require.ErrorAs(t, err, &e)
			require.Equal(t, c.field, e.Field)
			require.Equal(t, before, dumpGraph(t, s, w.world), "nothing written")
		})
	}
	t.Run("AReasonIsRequired", func(t *testing.T) {
		_, err := s.MergeEntities(ctxA, w.keep, w.merge, "  ")
		require.Equal(t, tg.BadUserInput, tg.ErrorCode(err))
	})
}

// TestUnmergeRefusals: another partner's event is NOT_FOUND; an event beyond the window, one
// already undone, and one whose kept record changed since are refused with BAD_USER_INPUT (a
// relationship moved to it that changed since is not a reason: it goes back as it is); a step
// that fails half way leaves nothing written.
func TestUnmergeRefusals(t *testing.T) {
	s := mustOpen(t)
	ctxOf := func(w *mergeWorld) context.Context { return as(w.A, writerScopes...) }
	mergedWorld := func(t *testing.T) (*mergeWorld, string) {
		w := newMergeWorld(t, s)
		merged, err := s.MergeEntities(ctxOf(w), w.keep, w.merge, "same person")
		require.NoError(t, err)
		return w, merged.MergeEvent.ID
	}
	refused := func(t *testing.T, ctx context.Context, event string, code tg.Code, message string) {
		t.Helper()
		_, err := s.UnmergeEntities(ctx, event, "not the same")
		require.Error(t, err)
		require.Equal(t, code, tg.ErrorCode(err), err.Error())
		require.Contains(t, err.Error(), message)
	}

	t.Run("AnotherPartnersEventIsNotFound", func(t *testing.T) {
		w, event := mergedWorld(t)
		refused(t, as(w.B, writerScopes...), event, tg.NotFound, "no merge event")
		refused(t, ctxOf(w), "no-such-event", tg.NotFound, "no merge event")
	})
	t.Run("BeyondTheWindow", func(t *testing.T) {
		w, event := mergedWorld(t)
		run(t, s, `MATCH (e:MergeEvent {id: $id}) SET e.at = e.at - duration('P31D')`, map[string]any{"id": event})
		refused(t, ctxOf(w), event, tg.BadUserInput, "beyond the unmerge window of 720h0m0s")
	})
	t.Run("TheWindowIsTheStoresConfiguration", func(t *testing.T) {
		short := storetest.Open(t, func(cfg *store.Config) { cfg.UnmergeWindow = time.Nanosecond })
		w := newMergeWorld(t, short)
		merged, err := short.MergeEntities(ctxOf(w), w.keep, w.merge, "same person")
		require.NoError(t, err)
		_, err = short.UnmergeEntities(ctxOf(w), merged.MergeEvent.ID, "not the same")
		require.Equal(t, tg.BadUserInput, tg.ErrorCode(err))
		require.Contains(t, err.Error(), "beyond the unmerge window of 1ns")
	})
	t.Run("Twice", func(t *testing.T) {
		w, event := mergedWorld(t)
		_, err := s.UnmergeEntities(ctxOf(w), event, "not the same")
		require.NoError(t, err)
		refused(t, ctxOf(w), event, tg.BadUserInput, "undone already")
	})
	t.Run("KeepChangedSince", func(t *testing.T) {
		w, event := mergedWorld(t)
		_, err := s.Update(ctxOf(w), tg.LabelPerson, w.keep, store.Patch{Set: map[string]any{"birthYear": 1991}}, nil, nil)
		require.NoError(t, err)
		refused(t, ctxOf(w), event, tg.BadUserInput, "changed since the merge")
	})
	t.Run("AMovedRelationshipChangedSinceGoesBackAsItIsNow", func(t *testing.T) {
		// B changes the relationship it holds hidden from A: refusing A's unmerge for it would tell
		// A of it (found by the outsider test of issue 10), and putting the snapshot back would
		// undo B's change. It goes back to merge as it is now.
		w, event := mergedWorld(t)
		_, err := s.Link(as(w.B, writerScopes...), store.LinkParams{Type: tg.RelInvolvedIn, From: w.keep, To: w.incidentB,
			Properties: store.Patch{Set: map[string]any{"role": "SUSPECT"}}, Marking: store.Marking{Tlp: tg.TlpAmberStrict}})
		require.NoError(t, err)
		_, err = s.UnmergeEntities(ctxOf(w), event, "not the same")
		require.NoError(t, err, "a change A cannot see does not refuse A's unmerge")
		res, err := neo4j.ExecuteQuery(context.Background(), s.Driver(), `
MATCH (:Entity {id: $merge})-[r:`+tg.RelInvolvedIn+`]->(:Entity {id: $incident}) RETURN collect(r.role) AS roles`,
			map[string]any{"merge": w.merge, "incident": w.incidentB}, neo4j.EagerResultTransformer, neo4j.ExecuteQueryWithDatabase(s.Database()))
		require.NoError(t, err)
		roles, _ := res.Records[0].Get("roles")
		require.Equal(t, []any{"SUSPECT"}, roles, "back on merge with B's change")
	})
	t.Run("AFailingStepLeavesNothingWritten", func(t *testing.T) {
		w, event := mergedWorld(t)
		// Something took merge's id since: recreating it fails after keep's properties were put back.
		run(t, s, `CREATE (:Entity:Business {id: $id, sourcePartner: $a, tlp: 'AMBER_STRICT', name: 'squatter'})`,
			map[string]any{"id": w.merge, "a": w.A})
		before := dumpGraph(t, s, w.world)
		_, err := s.UnmergeEntities(ctxOf(w), event, "not the same")
		require.Error(t, err)
		require.Equal(t, before, dumpGraph(t, s, w.world), "nothing written")
		run(t, s, `MATCH (n:Business {id: $id}) DELETE n`, map[string]any{"id": w.merge})
		_, err = s.UnmergeEntities(ctxOf(w), event, "not the same")
		require.NoError(t, err, "the event is still to undo")
	})
}

// TestMergeEventsHoldNoErasedValue: erasing the kept person after a merge removes both records'
// personal values from the merge's snapshot (and from the merged record's history), so that no
// property anywhere holds one; an erased person is never the record kept (it would hold the
// merged record's identifiers, out of the erasure's reach), but may be merged into another.
func TestMergeEventsHoldNoErasedValue(t *testing.T) {
	s := mustOpen(t)
	t.Run("MergedThenErased", func(t *testing.T) {
		w := newMergeWorld(t, s)
		ctxA := as(w.A, writerScopes...)
		_, err := s.MergeEntities(ctxA, w.keep, w.merge, "same person")
		require.NoError(t, err)
		require.Contains(t, mergeEventsText(t, s, w.world), w.values[1], "the snapshot holds merge's name until the erasure")
		_, err = s.EraseSubject(ctxA, w.keep, "the subject's request")
		require.NoError(t, err)
		require.Empty(t, holdersOf(t, s, w.values), "no node or relationship holds an erased value, merge events and versions included")
	})
	t.Run("AnErasedKeepIsRefused", func(t *testing.T) {
		w := newMergeWorld(t, s)
		ctxA := as(w.A, writerScopes...)
		_, err := s.EraseSubject(ctxA, w.keep, "the subject's request")
		require.NoError(t, err)
		before := dumpGraph(t, s, w.world)
		_, err = s.MergeEntities(ctxA, w.keep, w.merge, "same person")
		require.Error(t, err)
		require.Equal(t, tg.BadUserInput, tg.ErrorCode(err), err.Error())
		var e *tg.Error
		require.ErrorAs(t, err, &e)
		require.Equal(t, "keep", e.Field)
		require.Contains(t, err.Error(), "erased")
		require.Contains(t, err.Error(), "merge the erased record into the other one")
		require.Equal(t, before, dumpGraph(t, s, w.world), "nothing written: keep holds none of merge's identifiers")

		merged, err := s.MergeEntities(ctxA, w.merge, w.keep, "same person")
		require.NoError(t, err, "the erased record merges into the other one")
		require.Empty(t, holdersOf(t, s, w.values[:1]), "keep's erased name is nowhere")
		_, err = s.UnmergeEntities(ctxA, merged.MergeEvent.ID, "not the same")
		require.NoError(t, err)
		require.Equal(t, before, dumpGraph(t, s, w.world))
	})
}

// TestMergeEventsAreNoEntities: a merge event is reached by no list, search or workspace export.
func TestMergeEventsAreNoEntities(t *testing.T) {
	s := mustOpen(t)
	w := newMergeWorld(t, s)
	ctxA := as(w.A, writerScopes...)
	merged, err := s.MergeEntities(ctxA, w.keep, w.merge, "same person")
	require.NoError(t, err)
	export, err := s.ExportWorkspace(ctxA, store.ExportParams{Scope: store.ExportScope{Around: []string{w.keep}}})
	require.NoError(t, err)
	require.NotEmpty(t, export.Nodes)
	for _, n := range export.Nodes {
		require.NotEqual(t, merged.MergeEvent.ID, n.NodeID())
		require.NotEqual(t, w.merge, n.NodeID())
	}
	for _, id := range []string{merged.MergeEvent.ID, w.merge} {
		n, err := s.Get(ctxA, id)
		require.NoError(t, err)
		require.Nil(t, n)
	}
	hits, err := s.Search(ctxA, store.SearchParams{Query: w.values[1], Labels: []string{tg.LabelPerson}})
	require.NoError(t, err)
	var found []string
	for _, h := range hits.Hits {
		found = append(found, h.Node.NodeID())
	}
	require.Contains(t, found, w.keep, "merge's name finds keep, its alias now")
	require.NotContains(t, found, w.merge)
	require.NotContains(t, found, merged.MergeEvent.ID)
}

// worldTag is the digits of the world's partner id: unique to it, so its values are nowhere else.
func worldTag(w *world) string {
	digits := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, w.A)
	return digits[len(digits)-8:]
}

// sameAsClaims returns the SAME_AS between a and b of partner, each as its direction ("a->b" or
// "b->a") and TLP, sorted, read directly from the graph.
func sameAsClaims(t *testing.T, s *store.Store, partner, a, b string) []string {
	t.Helper()
	res, err := neo4j.ExecuteQuery(context.Background(), s.Driver(), `
MATCH (x:Entity {id: $a})-[r:SAME_AS]-(y:Entity {id: $b}) WHERE r.sourcePartner = $partner
RETURN CASE WHEN startNode(r) = x THEN 'a->b' ELSE 'b->a' END + ' ' + r.tlp AS claim ORDER BY claim`,
		map[string]any{"a": a, "b": b, "partner": partner}, neo4j.EagerResultTransformer, neo4j.ExecuteQueryWithDatabase(s.Database()))
	require.NoError(t, err)
	out := []string{}
	for _, r := range res.Records {
		claim, _ := r.Get("claim")
		out = append(out, claim.(string))
	}
	return out
}

// TestMergeKeepsSameAsCanonical: B claims SAME_AS between A's record M and B's record X, with ids
// ordered M < X < K, and A merges M into K. The claim moves onto keep in the stored order (the
// smaller id to the larger: X -> K), so that B can still re-mark and withdraw it, naming the pair
// in either order; the unmerge puts it back exactly. When B had a claim X -> K already, it holds
// two after the merge: linkSameAs re-marks both and unlinkSameAs withdraws both.
func TestMergeKeepsSameAsCanonical(t *testing.T) {
	s := mustOpen(t)
	setup := func(t *testing.T) (w *world, m, x, k string) {
		w = newWorld(t, s)
		ctxA, ctxB := as(w.A, writerScopes...), as(w.B, writerScopes...)
		create := func(ctx context.Context, name string) string {
			n, err := s.Create(ctx, tg.LabelPerson, store.CreateParams{Properties: store.Patch{Set: map[string]any{"name": name}},
				Marking: store.Marking{Tlp: tg.TlpGreen}})
			require.NoError(t, err)
			return n.NodeID()
		}
		x = create(ctxB, "B's record")
		for i := 0; m == "" || k == ""; i++ {
			require.Less(t, i, 200, "ids on both sides of x")
			id := create(ctxA, fmt.Sprintf("A's record %d", i))
			switch {
			case id < x && m == "":
				m = id
			case id > x && k == "":
				k = id
			default:
				require.NoError(t, s.Delete(ctxA, tg.LabelPerson, id, nil))
			}
		}
		_, err := s.LinkSameAs(ctxB, store.SameAsParams{A: m, B: x, Marking: marking(tg.TlpAmber), Reason: "one passport"})
		require.NoError(t, err)
		require.Equal(t, []string{"a->b AMBER"}, sameAsClaims(t, s, w.B, m, x))
		return w, m, x, k
	}
	t.Run("MovedInTheStoredOrderAndRestoredExactly", func(t *testing.T) {
		w, m, x, k := setup(t)
		ctxA, ctxB := as(w.A, writerScopes...), as(w.B, writerScopes...)
		before := dumpGraph(t, s, w)
		merged, err := s.MergeEntities(ctxA, k, m, "one person")
		require.NoError(t, err)
		require.Equal(t, []string{"a->b AMBER"}, sameAsClaims(t, s, w.B, x, k), "stored from the smaller id to the larger")
		_, err = s.UnmergeEntities(ctxA, merged.MergeEvent.ID, "two after all")
		require.NoError(t, err)
		require.Equal(t, before, dumpGraph(t, s, w), "the claim back on M, as it was")

		_, err = s.MergeEntities(ctxA, k, m, "one person after all")
		require.NoError(t, err)
		removed, err := s.UnlinkSameAs(ctxB, k, x, "not the same")
		require.NoError(t, err)
		require.Equal(t, 1, removed, "B withdraws its claim naming the pair keep first")
		require.Empty(t, sameAsClaims(t, s, w.B, x, k))
	})
	t.Run("TwoClaimsOfAPartnerAreRemarkedAndWithdrawnTogether", func(t *testing.T) {
		w, m, x, k := setup(t)
		ctxA, ctxB := as(w.A, writerScopes...), as(w.B, writerScopes...)
		_, err := s.LinkSameAs(ctxB, store.SameAsParams{A: k, B: x, Marking: marking(tg.TlpRed), Reason: "one face"})
		require.NoError(t, err)
		_, err = s.MergeEntities(ctxA, k, m, "one person")
		require.NoError(t, err)
		require.Equal(t, []string{"a->b AMBER", "a->b RED"}, sameAsClaims(t, s, w.B, x, k), "both of B's claims, in the stored order")
		link, err := s.LinkSameAs(ctxB, store.SameAsParams{A: k, B: x, Marking: marking(tg.TlpGreen), Reason: "confirmed"})
		require.NoError(t, err)
		require.Equal(t, tg.TlpGreen, link.Provenance.Tlp)
		require.Equal(t, []string{"a->b GREEN", "a->b GREEN"}, sameAsClaims(t, s, w.B, x, k), "re-marked, no third one")
		removed, err := s.UnlinkSameAs(ctxB, x, k, "not the same")
		require.NoError(t, err)
		require.Equal(t, 2, removed)
		require.Empty(t, sameAsClaims(t, s, w.B, x, k))
	})
}

// TestUnlinkSameAsFindsEitherDirection: a claim stored against the canonical order (as a merge
// made before the order was kept left it) is still the partner's to re-mark and withdraw.
func TestUnlinkSameAsFindsEitherDirection(t *testing.T) {
	s := mustOpen(t)
	w := newWorld(t, s)
	ctxB := as(w.B, writerScopes...)
	var ids []string
	for _, name := range []string{"one", "two"} {
		n, err := s.Create(ctxB, tg.LabelPerson, store.CreateParams{Properties: store.Patch{Set: map[string]any{"name": name}},
			Marking: store.Marking{Tlp: tg.TlpGreen}})
		require.NoError(t, err)
		ids = append(ids, n.NodeID())
	}
	low, high := min(ids[0], ids[1]), max(ids[0], ids[1])
	_, err := s.LinkSameAs(ctxB, store.SameAsParams{A: low, B: high, Marking: marking(tg.TlpAmber), Reason: "one passport"})
	require.NoError(t, err)
	run(t, s, `MATCH (a:Entity {id: $low})-[r:SAME_AS]->(b:Entity {id: $high})
CREATE (b)-[n:SAME_AS]->(a) SET n = properties(r) DELETE r`, map[string]any{"low": low, "high": high})
	require.Equal(t, []string{"b->a AMBER"}, sameAsClaims(t, s, w.B, low, high))
	_, err = s.LinkSameAs(ctxB, store.SameAsParams{A: low, B: high, Marking: marking(tg.TlpGreen), Reason: "confirmed"})
	require.NoError(t, err)
	require.Equal(t, []string{"b->a GREEN"}, sameAsClaims(t, s, w.B, low, high), "re-marked where it is, no second one")
	removed, err := s.UnlinkSameAs(ctxB, high, low, "not the same")
	require.NoError(t, err)
	require.Equal(t, 1, removed)
	require.Empty(t, sameAsClaims(t, s, w.B, low, high))
}
