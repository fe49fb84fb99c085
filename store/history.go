package store

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
	"github.com/neo4j/neo4j-go-driver/v5/neo4j/dbtype"

	tg "github.com/traffikgraph/traffikgraph"
	"github.com/traffikgraph/traffikgraph/auth"
)

// The history of every fact. Every write path records, in its own transaction, a Version for
// each change of a node's or relationship's properties, marking or grading (recordVersion).
//
// A version is stored as a (:Version) node, never an Entity, so no entity query (node, lists,
// search, traversals, workspace exports) reaches it; one node per entity whose history it
// belongs to (a node's change: one; a relationship's: one per end, sharing changeId), so that
// history(id) is one seek on the index Version(entityId, at). Its properties:
//
//	id, changeId                 the version's own id (per end), the change's (shared by the ends)
//	entityId, at                 whose history, when (the transaction's clock)
//	change                       a ChangeKind (tg.Enums["ChangeKind"])
//	subjectLabel                 the node's label or the relationship's type
//	subjectFrom, subjectTo       a relationship's ends (absent for a node)
//	actorPartner, actorSubject,  who: the caller's partner, subject and issuer (an anonymous
//	actorIssuer                  submitter: the triage partner, no subject, no issuer)
//	reason                       optional, at most MaxReasonLength characters
//	fields                       the properties the change touched, by Neo4j name
//	before, after                aligned with fields: each value JSON-encoded ("null": absent)
//	personalFields               those of fields holding personal data under the model's PII rule
//	tlp, sourcePartner,          the marking that decides who may see the version: the entity's
//	sharedWith, publicSubmission after the change (before it, for a deletion), read by visible()
//
// Personal values live in before and after at the positions personalFields names: erasing a
// person (issue 13) must rewrite those entries of every Version whose entityId is the person's
// (and whose personalFields is not empty), not only the node.

// MaxReasonLength bounds the reason a writer gives for a change, in characters.
const MaxReasonLength = 1000

// markingKeys are the provenance properties a version records like the entity's own: a change
// of any of them is a change of marking or grading (tg.ChangeMarked).
var markingKeys = []string{"tlp", "sharedWith", "grading"}

// VersionMarking is the marking that governs who may see a version.
type VersionMarking struct {
	SourcePartner    string
	Tlp              string
	SharedWith       []string
	PublicSubmission bool
}

// markingOf reads the marking of a node's or relationship's properties.
func markingOf(props map[string]any) VersionMarking {
	m := VersionMarking{}
	m.SourcePartner, _ = props["sourcePartner"].(string)
	m.Tlp, _ = props["tlp"].(string)
	m.SharedWith = stringList(props["sharedWith"])
	m.PublicSubmission, _ = props["publicSubmission"].(bool)
	return m
}

// Version is one change to record (recordVersion).
type Version struct {
	// EntityIDs are the entities whose history the change belongs to: a node's id, or a
	// relationship's two ends.
	EntityIDs []string
	// Label is the node's label or the relationship's type; From and To are a relationship's
	// ends (empty for a node).
	Label    string
	From, To string
	// Change is a value of tg.Enums["ChangeKind"].
	Change string
	// Reason is the writer's, when it gave one (nil or blank: none).
	Reason *string
	// Before and After hold, by Neo4j property name, what changed: for an update only the
	// changed properties, for a creation (After) or a deletion (Before) all the entity's own
	// properties and its marking (versionedState).
	Before, After map[string]any
	// Node is a node's properties after the change (before it, for a deletion), read for the PII
	// rule's condition (a location's kind) when Before and After do not hold it; with neither, a
	// conditionally personal field counts as personal.
	Node map[string]any
	// Marking governs who may see the version: the entity's after the change, before it for a
	// deletion.
	Marking VersionMarking
}

// recordVersion stores the versions in tx, the write's own transaction, so that a change and its
// history commit together or not at all. Who comes from the caller of ctx, when from the
// transaction's clock. It refuses a reason longer than MaxReasonLength (BAD_USER_INPUT, field
// "reason") and an unknown change kind.
func (s *Store) recordVersion(ctx context.Context, tx neo4j.ManagedTransaction, versions ...Version) error {
	if len(versions) == 0 {
		return nil
	}
	actor := map[string]any{"actorPartner": s.cfg.TriagePartner}
	if caller := auth.CallerFrom(ctx); !caller.Anonymous() {
		actor = map[string]any{"actorPartner": caller.PartnerID, "actorSubject": caller.Subject, "actorIssuer": caller.Issuer}
	}
	rows := make([]any, 0, len(versions))
	for _, v := range versions {
		row, err := versionRow(v, actor)
		if err != nil {
			return err
		}
		rows = append(rows, row)
	}
	_, err := s.run(ctx, tx, recordVersionsCypher, map[string]any{"rows": rows})
	return err
}

// recordVersionsCypher creates one Version per row and entity id; datetime() is the
// transaction's clock, the instant the write's own updatedAt holds.
const recordVersionsCypher = `
UNWIND $rows AS row
UNWIND row.entityIds AS entityId
CREATE (v:` + tg.LabelVersion + `)
SET v = row.props, v.id = randomUUID(), v.entityId = entityId, v.at = datetime()`

// versionRow checks v and returns its row for recordVersionsCypher.
func versionRow(v Version, actor map[string]any) (map[string]any, error) {
	if !slices.Contains(tg.Enums["ChangeKind"], v.Change) {
		return nil, fmt.Errorf("record version: unknown change kind %q", v.Change)
	}
	if len(v.EntityIDs) == 0 {
		return nil, fmt.Errorf("record version: no entity")
	}
	reason, err := checkReason(v.Reason)
	if err != nil {
		return nil, err
	}
	touched := maps.Clone(v.Before)
	if touched == nil {
		touched = map[string]any{}
	}
	maps.Copy(touched, v.After)
	fields := slices.Sorted(maps.Keys(touched))
	before, after := make([]string, len(fields)), make([]string, len(fields))
	for i, f := range fields {
		if before[i], err = encodeVersionValue(v.Before[f]); err != nil {
			return nil, err
		}
		if after[i], err = encodeVersionValue(v.After[f]); err != nil {
			return nil, err
		}
	}
	props := map[string]any{
		"changeId":       uuid.NewString(),
		"change":         v.Change,
		"subjectLabel":   v.Label,
		"fields":         fields,
		"before":         before,
		"after":          after,
		"personalFields": personalFields(v.Label, fields, v.After, v.Before, v.Node),
		"tlp":            v.Marking.Tlp,
		"sourcePartner":  v.Marking.SourcePartner,
		"sharedWith":     nonNil(v.Marking.SharedWith),
	}
	if v.From != "" {
		props["subjectFrom"], props["subjectTo"] = v.From, v.To
	}
	if reason != nil {
		props["reason"] = *reason
	}
	if v.Marking.PublicSubmission {
		props["publicSubmission"] = true
	}
	for k, val := range actor {
		props[k] = val
	}
	return map[string]any{"entityIds": v.EntityIDs, "props": props}, nil
}

// checkReason trims a writer's reason: blank is none, longer than MaxReasonLength is refused.
func checkReason(reason *string) (*string, error) {
	if reason == nil {
		return nil, nil
	}
	trimmed := strings.TrimSpace(*reason)
	if trimmed == "" {
		return nil, nil
	}
	if utf8.RuneCountInString(trimmed) > MaxReasonLength {
		return nil, tg.InvalidField("reason", "must be at most %d characters", MaxReasonLength)
	}
	return &trimmed, nil
}

// personalFields returns the fields of a node of the label that hold personal data under the
// model's PII rule (tg.IsPersonal), reading a conditional rule's condition from the first state
// that holds it; when none does, the field counts as personal. A relationship's properties are
// never personal (its label is no node label: IsPersonal says false).
func personalFields(label string, fields []string, states ...map[string]any) []string {
	l, ok := tg.LabelOf(label)
	out := []string{}
	if !ok {
		return out
	}
	for _, f := range fields {
		p, ok := l.Prop(f)
		if !ok || !p.PII.Personal {
			continue
		}
		personal := true
		for _, state := range states {
			if _, known := state[p.PII.When]; known || p.PII.When == "" {
				personal = tg.IsPersonal(label, f, func(q string) any { return state[q] })
				break
			}
		}
		if personal {
			out = append(out, f)
		}
	}
	return out
}

// encodeVersionValue is a property value as JSON: dates as "2006-01-02", date-times as RFC 3339
// in UTC, points as {"latitude", "longitude"}, lists element by element; nil is "null".
func encodeVersionValue(v any) (string, error) {
	b, err := json.Marshal(jsonValue(v))
	if err != nil {
		return "", fmt.Errorf("record version: %w", err)
	}
	return string(b), nil
}

func jsonValue(v any) any {
	switch x := v.(type) {
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	case dbtype.Date:
		return time.Time(x).Format(time.DateOnly)
	case Date:
		return time.Time(x).Format(time.DateOnly)
	case dbtype.Point2D:
		return map[string]float64{"latitude": x.Y, "longitude": x.X}
	case []any:
		out := make([]any, len(x))
		for i, item := range x {
			out[i] = jsonValue(item)
		}
		return out
	}
	return v
}

// versionedState is what a version records of a node's or relationship's properties when it
// records all of them (a creation, a deletion): its own properties (the names of the label's or
// type's, own) and its marking, without the absent ones.
func versionedState(props map[string]any, own []string) map[string]any {
	return withoutNil(trackedState(props, own))
}

// trackedState is every property a version tracks of props, nil when absent: what diff compares
// a relationship's state with, so that a property removed shows as a change.
func trackedState(props map[string]any, own []string) map[string]any {
	out := map[string]any{}
	for _, name := range append(slices.Clone(own), markingKeys...) {
		out[name] = props[name]
	}
	return out
}

// labelProps is the names of a label's own (writable) properties.
func labelProps(k *tg.Label) []string {
	var out []string
	for _, p := range k.Props {
		if !p.ReadOnly {
			out = append(out, p.Name)
		}
	}
	return out
}

// relProps is the names of a relationship type's own properties.
func relProps(rk *tg.Relationship) []string {
	out := make([]string, 0, len(rk.Props))
	for _, p := range rk.Props {
		out = append(out, p.Name)
	}
	return out
}

// diff returns, of the keys set, those whose value differs from current's (a nil value: the
// property removed), with their values before and after; both are empty when nothing changed.
// Values are compared as a version stores them, so a list read back ([]any) equals the same
// list written ([]string).
func diff(current, set map[string]any) (before, after map[string]any, err error) {
	before, after = map[string]any{}, map[string]any{}
	for key, v := range set {
		was, err := encodeVersionValue(current[key])
		if err != nil {
			return nil, nil, err
		}
		is, err := encodeVersionValue(v)
		if err != nil {
			return nil, nil, err
		}
		if was != is {
			before[key], after[key] = current[key], v
		}
	}
	return before, after, nil
}

// changeOf is the kind of an update that changed the keys of after: MARKED when the marking or
// grading is among them.
func changeOf(after map[string]any) string {
	for _, key := range markingKeys {
		if _, ok := after[key]; ok {
			return tg.ChangeMarked
		}
	}
	return tg.ChangeUpdated
}
