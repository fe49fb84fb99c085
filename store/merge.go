package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
	"github.com/neo4j/neo4j-go-driver/v5/neo4j/dbtype"

	tg "github.com/traffikgraph/traffikgraph"
	"github.com/traffikgraph/traffikgraph/auth"
)

// Entity resolution (issue 10, docs/triage.md "Merging two records of one partner"): a partner
// merges two of its records of one person, business or place into one, and may undo it within
// Config.UnmergeWindow. Each is one write transaction.
//
// A merge is kept as a (:MergeEvent) node, never an Entity, so that no list, search, traversal
// or workspace export reaches it, holding who, when, why and an exact snapshot of what the merge
// changed: the merged record's labels and properties, the kept record's properties before, and
// every relationship of the merged record with its type, direction, other end and properties.
// Values are typed JSON (snapshotValue), so that a datetime's zone, a date and a point come back
// as they were. The snapshot is read by nothing but the unmerge (and the erasure, which removes
// a person's values from it), and removed by the unmerge. Its properties:
//
//	id, partner, subject, issuer   the event's id; who merged (only its partner may unmerge)
//	at, reason                     when (the kept record's updatedAt the merge set), why
//	label, keepId, mergedId        the records' label and ids
//	mergedLabels                   the merged record's labels
//	mergedProperties               the merged record's properties (snapshot JSON)
//	keepProperties                 the kept record's properties before the merge (snapshot JSON)
//	relationships                  the merged record's relationships (JSON list of snapshotRel)
//	movedRelationships             how many moved to the kept record
//	unmergedAt, unmergeReason,     set by the unmerge, which removes the snapshot
//	unmergedBy

// MergeEvent is a merge of two records as its partner may read it: never its snapshot.
type MergeEvent struct {
	ID       string
	At       time.Time
	Reason   string
	KeepID   string
	MergedID string
	// MovedRelationships counts the relationships moved to the kept record that the caller sees.
	MovedRelationships int
}

// MergePayload is what MergeEntities did.
type MergePayload struct {
	Kept       Node
	MergeEvent *MergeEvent
}

// UnmergePayload is what UnmergeEntities did.
type UnmergePayload struct {
	Kept, Restored Node
}

// DefaultUnmergeWindow is how long a merge may be undone when the configuration says nothing.
const DefaultUnmergeWindow = 30 * 24 * time.Hour

// snapshotRel is a relationship of the merged record in the snapshot. Moved ones were recreated
// on the kept record (Element names the copy, so that the unmerge finds exactly it, even among
// others of one type, other end and partner); the others were dropped: a relationship between the
// two records (a self-loop once merged). Nothing else is dropped: whether the kept record has one
// of the same key already may be hidden from the caller, and the merge neither tells of it nor
// deletes a fact the caller did not make.
type snapshotRel struct {
	Type string `json:"type"`
	// Outgoing: the merged record is its start.
	Outgoing   bool                     `json:"outgoing"`
	Other      string                   `json:"other"`
	Properties map[string]snapshotValue `json:"properties"`
	Moved      bool                     `json:"moved"`
	Element    string                   `json:"element,omitempty"`
}

// sameAsShape is the shape of a relationship of type typ moved from the merged record onto keep
// with other end other, outgoing from the merged record or not: a SAME_AS is stored from the
// smaller id to the larger (store/sameas.go), so that its partner finds it again naming the pair
// in either order; every other type keeps its direction.
func sameAsShape(typ string, outgoing bool, keep, other string) relShape {
	if typ == tg.RelSameAs {
		return relShape{typ, keep < other}
	}
	return relShape{typ, outgoing}
}

// mergeRecords reads the labels of $keep and $merge when the caller sees them.
var mergeRecords = viewerPrelude + `
OPTIONAL MATCH (k:` + tg.LabelEntity + ` {id: $keep}) WHERE ` + visible("k") + `
OPTIONAL MATCH (m:` + tg.LabelEntity + ` {id: $merge}) WHERE ` + visible("m") + `
RETURN labels(k) AS keep, labels(m) AS merge`

// lockRecords takes the write locks of the nodes $ids and of their relationships (a write, even
// of the same value, locks), so that no other write changes them between what a merge or an
// unmerge reads of them and its commit.
const lockRecords = `
MATCH (n:` + tg.LabelEntity + `) WHERE n.id IN $ids
SET n.updatedAt = n.updatedAt
WITH n
OPTIONAL MATCH (n)-[r]-()
SET r.sourcePartner = r.sourcePartner`

// mergeSnapshot reads the two records and every relationship of the merged one, each with
// whether it is dropped and whether the caller sees it (and its other end).
func mergeSnapshot(label string) string {
	return viewerPrelude + `
MATCH (k:` + label + ` {id: $keep}), (m:` + label + ` {id: $merge})
RETURN properties(k) AS keep, properties(m) AS merged, labels(m) AS labels,
  COLLECT { MATCH (m)-[r]-(o)
            RETURN DISTINCT {element: elementId(r), type: type(r), outgoing: startNode(r) = m, other: o.id, properties: properties(r),
              seen: ` + visible("r") + ` AND ` + visible("o") + `,
              dropped: o = k OR o = m} } AS relationships`
}

// MergeEntities merges the record merge into keep: both the caller's partner's (FORBIDDEN
// otherwise; NOT_FOUND for one it cannot see), of one label among Person, Business and Location
// (BAD_USER_INPUT otherwise), keep not an erased person (BAD_USER_INPUT). Every relationship of
// merge, any partner's, moves to keep with its own properties, but one between the two
// (snapshotRel), and a SAME_AS in the stored order (sameAsShape); keep's aliases (a person's, merge's
// name among them) and external refs become the union of both's, and merge is removed. The
// MergeEvent keeps what UnmergeEntities needs; both records' histories get a MERGED version.
func (s *Store) MergeEntities(ctx context.Context, keep, merge, reason string) (*MergePayload, error) {
	viewer, err := writer(ctx)
	if err != nil {
		return nil, err
	}
	why, err := requiredReason(reason)
	if err != nil {
		return nil, err
	}
	if keep == merge {
		return nil, tg.InvalidField("merge", "is the record to keep: a merge takes two records")
	}
	return writeTx(ctx, s, func(tx neo4j.ManagedTransaction) (*MergePayload, error) {
		if err := s.prepareWrite(ctx, tx, viewer, nil); err != nil {
			return nil, err
		}
		// Locked first, so that everything read below stays true until the commit.
		if _, err := s.run(ctx, tx, lockRecords, map[string]any{"ids": []string{keep, merge}}); err != nil {
			return nil, err
		}
		k, err := s.mergeLabel(ctx, tx, keep, merge)
		if err != nil {
			return nil, err
		}
		for _, end := range []struct{ id, field string }{{keep, "keep"}, {merge, "merge"}} {
			if _, err := s.ownedNode(ctx, tx, k, end.id, viewer); err != nil {
				return nil, prefixField(end.field, err)
			}
		}
		records, err := s.run(ctx, tx, mergeSnapshot(k.Name), viewerParams(ctx, map[string]any{"keep": keep, "merge": merge}))
		if err != nil {
			return nil, err
		}
		snapshot := records[0].AsMap()
		keepProps, mergedProps := snapshot["keep"].(map[string]any), snapshot["merged"].(map[string]any)
		if keepProps["erasedAt"] != nil {
			return nil, tg.InvalidField("keep", "is an erased person: it would hold the merged record's identifiers, out of the "+
				"erasure's reach; merge the erased record into the other one, or erase after merging")
		}
		rels, seen, err := s.moveRelationships(ctx, tx, keep, merge, snapshot["relationships"].([]any))
		if err != nil {
			return nil, err
		}
		set := unitedProperties(k, keepProps, mergedProps)
		records, err = s.run(ctx, tx, `
MATCH (k:`+k.Name+` {id: $keep})
SET k += $set, k.updatedAt = datetime()
WITH k
MATCH (m:`+k.Name+` {id: $merge})
DELETE m
RETURN `+projection("k")+` AS node`, viewerParams(ctx, map[string]any{"keep": keep, "merge": merge, "set": set}))
		if err != nil {
			return nil, err
		}
		event, err := s.recordMergeEvent(ctx, tx, k, keep, merge, *why, snapshot["labels"], keepProps, mergedProps, rels)
		if err != nil {
			return nil, err
		}
		event.MovedRelationships = seen
		before, after, err := diff(keepProps, set)
		if err != nil {
			return nil, err
		}
		if err := s.recordVersion(ctx, tx,
			Version{EntityIDs: []string{keep}, Label: k.Name, Change: tg.ChangeMerged, Reason: why, Before: before, After: after,
				Node: keepProps, Marking: markingOf(keepProps)},
			Version{EntityIDs: []string{merge}, Label: k.Name, Change: tg.ChangeMerged, Reason: why,
				Before: versionedState(mergedProps, labelProps(k)), Node: mergedProps, Marking: markingOf(mergedProps)},
		); err != nil {
			return nil, err
		}
		kept, err := decodeNode(records[0].AsMap()["node"])
		if err != nil {
			return nil, err
		}
		return &MergePayload{Kept: kept, MergeEvent: event}, nil
	})
}

// mergeLabel returns the label of the records keep and merge: NOT_FOUND for one the caller
// cannot see, BAD_USER_INPUT for labels that are not merged or differ.
func (s *Store) mergeLabel(ctx context.Context, tx neo4j.ManagedTransaction, keep, merge string) (*tg.Label, error) {
	records, err := s.run(ctx, tx, mergeRecords, viewerParams(ctx, map[string]any{"keep": keep, "merge": merge}))
	if err != nil {
		return nil, err
	}
	var found [2]string
	for i, field := range []string{"keep", "merge"} {
		raw, _ := records[0].Get(field)
		labels, _ := raw.([]any)
		if labels == nil {
			return nil, &tg.Error{Code: tg.NotFound, Message: "no entity with this id", Field: field}
		}
		for _, l := range stringList(labels) {
			if slices.Contains(tg.ResolvedLabels, l) {
				found[i] = l
			}
		}
		if found[i] == "" {
			return nil, tg.InvalidField(field, "only records of %s are merged", strings.Join(tg.ResolvedLabels, ", "))
		}
	}
	if found[0] != found[1] {
		return nil, tg.InvalidField("merge", "is a %s, the record to keep a %s: only records of one label are merged", found[1], found[0])
	}
	return kindOf(found[0]), nil
}

// moveRelationships recreates each relationship of the merged record (rows of mergeSnapshot)
// that is not dropped on the kept record with identical properties, deletes every one from the
// merged record, and returns them as the snapshot holds them, with how many moved that the
// caller sees. Neo4j cannot re-point a relationship.
func (s *Store) moveRelationships(ctx context.Context, tx neo4j.ManagedTransaction, keep, merge string, rows []any) ([]snapshotRel, int, error) {
	rels := make([]snapshotRel, 0, len(rows))
	moves := map[relShape][]string{}
	var dropped []string
	byElement := map[string]int{}
	seen := 0
	for _, raw := range rows {
		row := raw.(map[string]any)
		rel := snapshotRel{Type: row["type"].(string), Outgoing: row["outgoing"] == true, Other: row["other"].(string), Moved: row["dropped"] != true}
		if _, ok := tg.RelationshipOf(rel.Type); !ok {
			return nil, 0, fmt.Errorf("merge: relationship type %q is not in the model", rel.Type)
		}
		props, err := snapshotOf(row["properties"].(map[string]any))
		if err != nil {
			return nil, 0, err
		}
		rel.Properties = props
		element := row["element"].(string)
		if rel.Moved {
			shape := sameAsShape(rel.Type, rel.Outgoing, keep, rel.Other)
			moves[shape] = append(moves[shape], element)
			byElement[element] = len(rels)
			if row["seen"] == true {
				seen++
			}
		} else {
			dropped = append(dropped, element)
		}
		rels = append(rels, rel)
	}
	for shape, elements := range moves {
		records, err := s.run(ctx, tx, `
UNWIND $elements AS element
MATCH (m:`+tg.LabelEntity+` {id: $merge})-[r]-(o) WHERE elementId(r) = element
MATCH (k:`+tg.LabelEntity+` {id: $keep})
CREATE `+shape.pattern("k", "o")+`
SET n = properties(r)
DELETE r
RETURN element, elementId(n) AS copy`, map[string]any{"elements": elements, "keep": keep, "merge": merge})
		if err != nil {
			return nil, 0, err
		}
		for _, r := range records {
			element, _ := r.Get("element")
			copied, _ := r.Get("copy")
			rels[byElement[element.(string)]].Element = copied.(string)
		}
	}
	_, err := s.run(ctx, tx, `
UNWIND $elements AS element
MATCH (:`+tg.LabelEntity+` {id: $merge})-[r]-() WHERE elementId(r) = element
WITH DISTINCT r
DELETE r`, map[string]any{"elements": dropped, "merge": merge})
	return rels, seen, err
}

// relShape is a relationship's type (one of the model's: Cypher cannot take it as a parameter)
// and direction from the merged record.
type relShape struct {
	Type     string
	Outgoing bool
}

// pattern is the relationship n of the shape from node to other.
func (sh relShape) pattern(node, other string) string {
	if sh.Outgoing {
		return "(" + node + ")-[n:" + sh.Type + "]->(" + other + ")"
	}
	return "(" + node + ")<-[n:" + sh.Type + "]-(" + other + ")"
}

// unitedProperties are what the merge sets on the kept record: its external refs united with the
// merged record's and, for a person, its aliases with the merged record's and its name (when it
// differs), unless the kept person was erased: an erased subject takes no personal data again.
func unitedProperties(k *tg.Label, keep, merged map[string]any) map[string]any {
	set := map[string]any{"externalRefs": union(stringList(keep["externalRefs"]), stringList(merged["externalRefs"]))}
	if k.Name == tg.LabelPerson && keep["erasedAt"] == nil {
		aliases := union(stringList(keep["aliases"]), stringList(merged["aliases"]))
		if name, ok := merged["name"].(string); ok && name != keep["name"] {
			aliases = union(aliases, []string{name})
		}
		if len(aliases) > 0 {
			set["aliases"] = aliases
		}
	}
	return set
}

// union is a followed by the items of b it lacks, in order.
func union(a, b []string) []string {
	out := slices.Clone(nonNil(a))
	for _, item := range b {
		if !slices.Contains(out, item) {
			out = append(out, item)
		}
	}
	return out
}

// recordMergeEvent creates the MergeEvent of a merge with its snapshot.
func (s *Store) recordMergeEvent(ctx context.Context, tx neo4j.ManagedTransaction, k *tg.Label, keep, merge, reason string,
	labels any, keepProps, mergedProps map[string]any, rels []snapshotRel) (*MergeEvent, error) {
	keepSnapshot, err := encodeSnapshot(keepProps)
	if err != nil {
		return nil, err
	}
	mergedSnapshot, err := encodeSnapshot(mergedProps)
	if err != nil {
		return nil, err
	}
	relsSnapshot, err := json.Marshal(rels)
	if err != nil {
		return nil, fmt.Errorf("merge snapshot: %w", err)
	}
	moved := 0
	for _, r := range rels {
		if r.Moved {
			moved++
		}
	}
	caller := auth.CallerFrom(ctx)
	event := &MergeEvent{ID: uuid.NewString(), Reason: reason, KeepID: keep, MergedID: merge}
	records, err := s.run(ctx, tx, `
MATCH (k:`+k.Name+` {id: $keep})
CREATE (e:`+tg.LabelMergeEvent+`)
SET e = $event, e.at = k.updatedAt
RETURN e.at AS at`, map[string]any{"keep": keep, "event": map[string]any{
		"id": event.ID, "partner": caller.PartnerID, "subject": caller.Subject, "issuer": caller.Issuer, "reason": reason,
		"label": k.Name, "keepId": keep, "mergedId": merge, "mergedLabels": labels,
		"mergedProperties": mergedSnapshot, "keepProperties": keepSnapshot, "relationships": string(relsSnapshot),
		"movedRelationships": moved,
	}})
	if err != nil {
		return nil, err
	}
	at, _ := records[0].Get("at")
	event.At = at.(time.Time).UTC()
	return event, nil
}

// pendingMerge reads the caller's partner's merge event $id with whether it was undone and
// whether it is older than $window.
const pendingMerge = `
MATCH (e:` + tg.LabelMergeEvent + ` {id: $id}) WHERE e.partner = $viewer
RETURN e {.*} AS event, e.at + $window < datetime() AS expired`

// UnmergeEntities undoes the caller's partner's merge event id (NOT_FOUND for any other) within
// Config.UnmergeWindow of it: the merged record comes back with its id, labels and properties,
// each relationship moved or dropped comes back on it with its properties, and the kept record's
// properties are those it had before. It is refused (BAD_USER_INPUT) beyond the window, when
// undone already, and when the kept record or a relationship moved to it changed since the
// merge, which undoing would undo too. Both records' histories get an UNMERGED version.
func (s *Store) UnmergeEntities(ctx context.Context, id, reason string) (*UnmergePayload, error) {
	viewer, err := writer(ctx)
	if err != nil {
		return nil, err
	}
	why, err := requiredReason(reason)
	if err != nil {
		return nil, err
	}
	window := s.cfg.UnmergeWindow
	return writeTx(ctx, s, func(tx neo4j.ManagedTransaction) (*UnmergePayload, error) {
		if err := s.prepareWrite(ctx, tx, viewer, nil); err != nil {
			return nil, err
		}
		records, err := s.run(ctx, tx, pendingMerge, map[string]any{"id": id, "viewer": viewer,
			"window": dbtype.Duration{Seconds: int64(window / time.Second), Nanos: int(window % time.Second)}})
		if err != nil {
			return nil, err
		}
		if len(records) == 0 {
			return nil, &tg.Error{Code: tg.NotFound, Message: "no merge event of your partner with this id", Field: "mergeEventId"}
		}
		raw, _ := records[0].Get("event")
		event := raw.(map[string]any)
		if at, done := event["unmergedAt"].(time.Time); done {
			return nil, tg.InvalidField("mergeEventId", "this merge was undone already, at %s", at.UTC().Format(time.RFC3339))
		}
		if expired, _ := records[0].Get("expired"); expired == true {
			return nil, tg.InvalidField("mergeEventId", "this merge is beyond the unmerge window of %s: it cannot be undone", window)
		}
		snapshot, err := decodeMergeEvent(event)
		if err != nil {
			return nil, err
		}
		if err := s.checkUnchanged(ctx, tx, snapshot); err != nil {
			return nil, err
		}
		return s.restoreMerged(ctx, tx, snapshot, why)
	})
}

// mergeSnapshotOf is a pending merge event as the unmerge reads it.
type mergeSnapshotOf struct {
	id, keep, merge string
	at              time.Time
	label           *tg.Label
	// labels are the merged record's, each one of the model's.
	labels      []string
	keepProps   map[string]snapshotValue
	mergedProps map[string]snapshotValue
	rels        []snapshotRel
}

func decodeMergeEvent(e map[string]any) (*mergeSnapshotOf, error) {
	snap := &mergeSnapshotOf{id: stringOf(e["id"]), keep: stringOf(e["keepId"]), merge: stringOf(e["mergedId"])}
	snap.at, _ = e["at"].(time.Time)
	label, ok := tg.LabelOf(stringOf(e["label"]))
	if !ok || !slices.Contains(tg.ResolvedLabels, label.Name) {
		return nil, fmt.Errorf("merge event %s: label %v", snap.id, e["label"])
	}
	snap.label = label
	for _, l := range stringList(e["mergedLabels"]) {
		if _, known := tg.LabelOf(l); !known && l != tg.LabelEntity {
			return nil, fmt.Errorf("merge event %s: label %q is not in the model", snap.id, l)
		}
		snap.labels = append(snap.labels, l)
	}
	for key, target := range map[string]any{"keepProperties": &snap.keepProps, "mergedProperties": &snap.mergedProps, "relationships": &snap.rels} {
		if err := json.Unmarshal([]byte(stringOf(e[key])), target); err != nil {
			return nil, fmt.Errorf("merge event %s: %s: %w", snap.id, key, err)
		}
	}
	for _, r := range snap.rels {
		if _, ok := tg.RelationshipOf(r.Type); !ok {
			return nil, fmt.Errorf("merge event %s: relationship type %q is not in the model", snap.id, r.Type)
		}
	}
	return snap, nil
}

// checkUnchanged locks the kept record and its relationships and refuses the unmerge when the
// record was written since the merge (its updatedAt is the merge's instant): putting its
// properties back would undo that write. A relationship moved to it that changed since is no
// reason: restoreMerged moves it back as it is, and refusing for it would tell the caller of a
// change it may not see (found by the outsider test of issue 10).
func (s *Store) checkUnchanged(ctx context.Context, tx neo4j.ManagedTransaction, snap *mergeSnapshotOf) error {
	if _, err := s.run(ctx, tx, lockRecords, map[string]any{"ids": []string{snap.keep}}); err != nil {
		return err
	}
	records, err := s.run(ctx, tx, `
MATCH (k:`+snap.label.Name+` {id: $keep}) WHERE k.updatedAt = $at
RETURN k.id AS id`, map[string]any{"keep": snap.keep, "at": snap.at})
	if err != nil {
		return err
	}
	if len(records) == 0 {
		return tg.InvalidField("mergeEventId", "the kept record changed since the merge: undoing the merge would undo that change too, so it is refused")
	}
	return nil
}

// restoreMerged puts the kept record's properties back, recreates the merged record, moves the
// moved relationships back to it, recreates the dropped ones, marks the event undone (removing
// its snapshot) and records both UNMERGED versions.
func (s *Store) restoreMerged(ctx context.Context, tx neo4j.ManagedTransaction, snap *mergeSnapshotOf, why *string) (*UnmergePayload, error) {
	keepProps, err := decodeSnapshot(snap.keepProps)
	if err != nil {
		return nil, err
	}
	mergedProps, err := decodeSnapshot(snap.mergedProps)
	if err != nil {
		return nil, err
	}
	records, err := s.run(ctx, tx, `
MATCH (k:`+snap.label.Name+` {id: $keep})
WITH k, properties(k) AS current
SET k = $props
RETURN current`, map[string]any{"keep": snap.keep, "props": keepProps})
	if err != nil {
		return nil, err
	}
	raw, _ := records[0].Get("current")
	current := raw.(map[string]any)
	if _, err := s.run(ctx, tx, `CREATE (m:`+strings.Join(snap.labels, ":")+`) SET m = $props`,
		map[string]any{"props": mergedProps}); err != nil {
		return nil, mapWriteError(err, snap.merge)
	}
	back, again := map[relShape][]string{}, map[relShape][]any{}
	for _, r := range snap.rels {
		shape := relShape{r.Type, r.Outgoing}
		if r.Moved {
			back[shape] = append(back[shape], r.Element)
			continue
		}
		props, err := decodeSnapshot(r.Properties)
		if err != nil {
			return nil, err
		}
		again[shape] = append(again[shape], map[string]any{"other": r.Other, "properties": props})
	}
	for shape, elements := range back {
		if _, err := s.run(ctx, tx, `
UNWIND $elements AS element
MATCH (k:`+tg.LabelEntity+` {id: $keep})-[x]-(o) WHERE elementId(x) = element
MATCH (m:`+tg.LabelEntity+` {id: $merge})
CREATE `+shape.pattern("m", "o")+`
SET n = properties(x)
DELETE x`, map[string]any{"elements": elements, "keep": snap.keep, "merge": snap.merge}); err != nil {
			return nil, err
		}
	}
	for shape, rows := range again {
		records, err := s.run(ctx, tx, `
UNWIND $rows AS row
MATCH (m:`+tg.LabelEntity+` {id: $merge}), (o:`+tg.LabelEntity+` {id: row.other})
CREATE `+shape.pattern("m", "o")+`
SET n = row.properties
RETURN count(n) AS created`, map[string]any{"rows": rows, "merge": snap.merge})
		if err != nil {
			return nil, err
		}
		if created, _ := records[0].Get("created"); created != int64(len(rows)) {
			return nil, tg.InvalidField("mergeEventId", "a record a relationship of the merged record led to is gone: it cannot be restored")
		}
	}
	caller := auth.CallerFrom(ctx)
	if _, err := s.run(ctx, tx, `
MATCH (e:`+tg.LabelMergeEvent+` {id: $id})
SET e.unmergedAt = datetime(), e.unmergeReason = $reason, e.unmergedBy = $subject
REMOVE e.mergedProperties, e.keepProperties, e.relationships`,
		map[string]any{"id": snap.id, "reason": *why, "subject": caller.Subject}); err != nil {
		return nil, err
	}
	restore := map[string]any{}
	for key := range current {
		restore[key] = nil
	}
	for key, v := range keepProps {
		restore[key] = v
	}
	delete(restore, "updatedAt")
	before, after, err := diff(current, restore)
	if err != nil {
		return nil, err
	}
	if err := s.recordVersion(ctx, tx,
		Version{EntityIDs: []string{snap.keep}, Label: snap.label.Name, Change: tg.ChangeUnmerged, Reason: why, Before: before, After: after,
			Node: keepProps, Marking: markingOf(keepProps)},
		Version{EntityIDs: []string{snap.merge}, Label: snap.label.Name, Change: tg.ChangeUnmerged, Reason: why,
			After: versionedState(mergedProps, labelProps(snap.label)), Node: mergedProps, Marking: markingOf(mergedProps)},
	); err != nil {
		return nil, err
	}
	records, err = s.run(ctx, tx, `
MATCH (k:`+tg.LabelEntity+` {id: $keep}), (m:`+tg.LabelEntity+` {id: $merge})
RETURN `+projection("k")+` AS kept, `+projection("m")+` AS restored`, viewerParams(ctx, map[string]any{"keep": snap.keep, "merge": snap.merge}))
	if err != nil {
		return nil, err
	}
	out := &UnmergePayload{}
	if out.Kept, err = decodeNode(records[0].AsMap()["kept"]); err != nil {
		return nil, err
	}
	if out.Restored, err = decodeNode(records[0].AsMap()["restored"]); err != nil {
		return nil, err
	}
	return out, nil
}

// mergesInto reads the merge events not undone whose kept record is one of $ids, of partner
// $partner only unless it is null.
const mergesInto = `
MATCH (e:` + tg.LabelMergeEvent + `) WHERE e.keepId IN $ids AND e.unmergedAt IS NULL AND ($partner IS NULL OR e.partner = $partner)
RETURN e {.id, .label, .mergedId, .keepProperties, .mergedProperties, .reason} AS event`

// eraseMergeSnapshots removes the erased person's values from the snapshots of the merges into
// it, and into the records merged into it, and so on (of partner only, unless it is nil): their
// personal properties, and a name in their reason. Such a merge can no longer be undone (the
// erasure changed the kept record). It returns the merged records.
func (s *Store) eraseMergeSnapshots(ctx context.Context, tx neo4j.ManagedTransaction, personID string, partner any, names nameFinder) ([]string, error) {
	var merged []string
	rows := []any{}
	for ids := []string{personID}; len(ids) > 0; {
		records, err := s.run(ctx, tx, mergesInto, map[string]any{"ids": ids, "partner": partner})
		if err != nil {
			return nil, err
		}
		ids = nil
		for _, rec := range records {
			raw, _ := rec.Get("event")
			e := raw.(map[string]any)
			row := map[string]any{"id": e["id"], "reason": names.redact(stringOf(e["reason"]))}
			for _, key := range []string{"keepProperties", "mergedProperties"} {
				var snap map[string]snapshotValue
				if err := json.Unmarshal([]byte(stringOf(e[key])), &snap); err != nil {
					return nil, fmt.Errorf("merge event %v: %s: %w", e["id"], key, err)
				}
				for field := range snap {
					if tg.IsPersonal(stringOf(e["label"]), field, func(q string) any { v, _ := fromSnapshotValue(snap[q]); return v }) {
						delete(snap, field)
					}
				}
				scrubbed, err := json.Marshal(snap)
				if err != nil {
					return nil, fmt.Errorf("merge event %v: %w", e["id"], err)
				}
				row[key] = string(scrubbed)
			}
			rows = append(rows, row)
			merged = append(merged, stringOf(e["mergedId"]))
			ids = append(ids, stringOf(e["mergedId"]))
		}
	}
	_, err := s.run(ctx, tx, `
UNWIND $rows AS row
MATCH (e:`+tg.LabelMergeEvent+` {id: row.id})
SET e.keepProperties = row.keepProperties, e.mergedProperties = row.mergedProperties, e.reason = row.reason`, map[string]any{"rows": rows})
	return merged, err
}

// snapshotValue is a property value as the snapshot keeps it: its Neo4j type and its value in
// JSON, exact (an integer as text, a datetime with its zone).
type snapshotValue struct {
	Type  string          `json:"t"`
	Value json.RawMessage `json:"v"`
}

// The types a snapshotValue holds: every type the model's properties are stored as.
const (
	snapString   = "string"
	snapBool     = "bool"
	snapInt      = "int"
	snapFloat    = "float"
	snapDate     = "date"
	snapDateTime = "datetime"
	snapPoint    = "point"
	snapList     = "list"
)

// snapshotDateTime is a datetime with its zone: an offset (the driver's zone "Offset") or a
// named zone.
type snapshotDateTime struct {
	At   string `json:"at"`
	Zone string `json:"zone"`
}

func snapshotOf(props map[string]any) (map[string]snapshotValue, error) {
	out := make(map[string]snapshotValue, len(props))
	for key, v := range props {
		sv, err := toSnapshotValue(v)
		if err != nil {
			return nil, fmt.Errorf("merge snapshot of %s: %w", key, err)
		}
		out[key] = sv
	}
	return out, nil
}

func encodeSnapshot(props map[string]any) (string, error) {
	snap, err := snapshotOf(props)
	if err != nil {
		return "", err
	}
	raw, err := json.Marshal(snap)
	return string(raw), err
}

func toSnapshotValue(v any) (snapshotValue, error) {
	var typ string
	var value any
	switch x := v.(type) {
	case string:
		typ, value = snapString, x
	case bool:
		typ, value = snapBool, x
	case int64:
		typ, value = snapInt, fmt.Sprint(x)
	case float64:
		typ, value = snapFloat, x
	case dbtype.Date:
		typ, value = snapDate, time.Time(x).Format(time.DateOnly)
	case time.Time:
		zone, _ := x.Zone()
		if zone != "Offset" {
			zone = x.Location().String()
		}
		typ, value = snapDateTime, snapshotDateTime{At: x.Format(time.RFC3339Nano), Zone: zone}
	case dbtype.Point2D:
		typ, value = snapPoint, [3]float64{float64(x.SpatialRefId), x.X, x.Y}
	case []any:
		items := make([]snapshotValue, len(x))
		for i, item := range x {
			sv, err := toSnapshotValue(item)
			if err != nil {
				return snapshotValue{}, err
			}
			items[i] = sv
		}
		typ, value = snapList, items
	default:
		return snapshotValue{}, fmt.Errorf("a value of type %T", v)
	}
	raw, err := json.Marshal(value)
	return snapshotValue{Type: typ, Value: raw}, err
}

// decodeSnapshot turns snapshot values back into what the driver writes as the same Neo4j values.
func decodeSnapshot(snap map[string]snapshotValue) (map[string]any, error) {
	out := make(map[string]any, len(snap))
	for key, sv := range snap {
		v, err := fromSnapshotValue(sv)
		if err != nil {
			return nil, fmt.Errorf("merge snapshot of %s: %w", key, err)
		}
		out[key] = v
	}
	return out, nil
}

func fromSnapshotValue(sv snapshotValue) (any, error) {
	switch sv.Type {
	case snapString:
		var s string
		return s, json.Unmarshal(sv.Value, &s)
	case snapBool:
		var b bool
		return b, json.Unmarshal(sv.Value, &b)
	case snapInt:
		var text string
		if err := json.Unmarshal(sv.Value, &text); err != nil {
			return nil, err
		}
		return strconv.ParseInt(text, 10, 64)
	case snapFloat:
		var f float64
		return f, json.Unmarshal(sv.Value, &f)
	case snapDate:
		var text string
		if err := json.Unmarshal(sv.Value, &text); err != nil {
			return nil, err
		}
		d, err := time.Parse(time.DateOnly, text)
		return dbtype.Date(d), err
	case snapDateTime:
		var dt snapshotDateTime
		if err := json.Unmarshal(sv.Value, &dt); err != nil {
			return nil, err
		}
		t, err := time.Parse(time.RFC3339Nano, dt.At)
		if err != nil {
			return nil, err
		}
		if dt.Zone == "Offset" {
			_, offset := t.Zone()
			return t.In(time.FixedZone("Offset", offset)), nil
		}
		loc, err := time.LoadLocation(dt.Zone)
		if err != nil {
			return nil, err
		}
		return t.In(loc), nil
	case snapPoint:
		var p [3]float64
		return dbtype.Point2D{SpatialRefId: uint32(p[0]), X: p[1], Y: p[2]}, json.Unmarshal(sv.Value, &p)
	case snapList:
		var items []snapshotValue
		if err := json.Unmarshal(sv.Value, &items); err != nil {
			return nil, err
		}
		out := make([]any, len(items))
		for i, item := range items {
			v, err := fromSnapshotValue(item)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	}
	return nil, fmt.Errorf("a value of type %q", sv.Type)
}
