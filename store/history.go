package store

import (
	"context"
	"encoding/base64"
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
//	erasedFields                 the fields whose values an erasure removed (store/erase.go): their
//	                             before and after are "null" for everyone

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
		"freeText":       versionFreeText(slices.Concat(before, after)),
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

// versionFreeText is the text in a version's values (JSON), decoded and one per line: what the
// erasure index (migrations.ErasureNamesIndex) reads, since in JSON an escape such as \n glues
// to the word after it. It is never answered: history reads the values themselves.
func versionFreeText(values []string) string {
	var lines []string
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case string:
			lines = append(lines, x)
		case []any:
			for _, item := range x {
				walk(item)
			}
		}
	}
	for _, raw := range values {
		var v any
		if json.Unmarshal([]byte(raw), &v) == nil {
			walk(v)
		}
	}
	return strings.Join(lines, "\n")
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

// requiredReason is checkReason's for a decision that needs a reason (erasure, merge, unmerge, SAME_AS).
func requiredReason(reason string) (*string, error) {
	trimmed, err := checkReason(&reason)
	if err != nil {
		return nil, err
	}
	if trimmed == nil {
		return nil, tg.InvalidField("reason", "is required")
	}
	return trimmed, nil
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

// HistoryEntry is one version of an entity's history as a caller may read it.
type HistoryEntry struct {
	ID      string
	At      time.Time
	Change  string
	Subject VersionSubject
	Actor   VersionActor
	Reason  *string
	// Changes are the properties the change touched, personal values withheld (Redacted) from
	// callers without graph:read:pii; RedactedFields names those.
	Changes        []FieldChange
	RedactedFields []string
	Marking        VersionMarking
}

// VersionSubject is what changed: a node (ID, its label) or a relationship (its type and ends;
// an end the caller cannot see now is nil).
type VersionSubject struct {
	ID       *string
	Label    string
	From, To *string
}

// VersionActor is who changed it: the partner, and the subject only for callers of that partner.
type VersionActor struct {
	PartnerID string
	Subject   *string
}

// FieldChange is one property's value before and after, as JSON (nil: absent, or redacted).
// Personal says the values are personal data (the audit records their reading); Erased that an
// erasure removed them (store/erase.go), for everyone.
type FieldChange struct {
	Field                      string
	Before, After              json.RawMessage
	Personal, Redacted, Erased bool
}

// HistoryParams selects a page of an entity's history, newest first.
type HistoryParams struct {
	ID        string
	First     *int
	After     *string
	WithTotal bool
}

// HistoryPage is one page of an entity's history with a cursor each.
type HistoryPage struct {
	Entries         []*HistoryEntry
	Cursors         []string
	HasNextPage     bool
	HasPreviousPage bool
	TotalCount      int
}

// historyEndings are the changes after which an entity is seen by no one: its history is then
// its source partner's (and the hub admins') alone. A merged record's MERGED version ends it
// until an unmerge brings it back.
var historyEndings = []string{tg.ChangeDeleted, tg.ChangeRetracted, tg.ChangeMerged}

// historyAccess says whether the caller may read the history of $id: it sees the entity now
// (the one visibility rule), or the entity is gone (deleted, or retracted) and the caller is an
// admin or of the partner whose version ended it. Anything else is answered like an id that
// never existed.
var historyAccess = viewerPrelude + `
OPTIONAL MATCH (n:` + tg.LabelEntity + ` {id: $id})
WITH peers, n,
     EXISTS { MATCH (ending:` + tg.LabelVersion + ` {entityId: $id})
              WHERE ending.at IS NOT NULL AND ending.change IN $endings AND ending.subjectFrom IS NULL AND ($admin OR ending.sourcePartner = $viewer) } AS mayReadEnded
WITH peers, ` + visible("n") + ` OR ((n IS NULL OR n.tlp = 'RETRACTED') AND mayReadEnded) AS allowed
`

// historyMatch selects the versions of $id the caller may see: those whose own marking the one
// visibility rule admits.
const historyMatch = `MATCH (v:` + tg.LabelVersion + ` {entityId: $id}) WHERE v.at IS NOT NULL AND allowed AND ` + "%s"

// historyProjection is a version as the caller may read it: personal values withheld without
// $pii, the actor's subject only for its own partner's callers, a relationship's other end only
// when the caller sees it now.
var historyProjection = `v {.id, .at, .change, .subjectLabel, .reason, .fields, .tlp, .sourcePartner, .sharedWith, .actorPartner,
      actorSubject: CASE WHEN v.actorPartner = $viewer THEN v.actorSubject END,
      subjectFrom: ` + historyEnd("v.subjectFrom") + `,
      subjectTo: ` + historyEnd("v.subjectTo") + `,
      personal: v.personalFields, erased: coalesce(v.erasedFields, []),
      redacted: [f IN v.fields WHERE f IN v.personalFields AND NOT $pii],
      before: [i IN range(0, size(v.fields) - 1) | CASE WHEN $pii OR NOT v.fields[i] IN v.personalFields THEN v.before[i] END],
      after: [i IN range(0, size(v.fields) - 1) | CASE WHEN $pii OR NOT v.fields[i] IN v.personalFields THEN v.after[i] END]}`

// historyEnd is a relationship version's end as the caller may read it.
func historyEnd(end string) string {
	return `CASE WHEN ` + end + ` IS NULL OR ` + end + ` = $id THEN ` + end +
		` ELSE head(COLLECT { MATCH (o:` + tg.LabelEntity + ` {id: ` + end + `}) WHERE ` + visible("o") + ` RETURN o.id }) END`
}

// History returns a page of the versions of entity id the caller may read, newest first. A
// caller that may not read the entity's history gets NOT_FOUND, as for an id that does not exist.
func (s *Store) History(ctx context.Context, p HistoryParams) (*HistoryPage, error) {
	limit, err := s.pageSize(p.First)
	if err != nil {
		return nil, err
	}
	params := viewerParams(ctx, map[string]any{
		"id": p.ID, "endings": historyEndings, "admin": auth.CallerFrom(ctx).Has(auth.ScopeAdmin),
		"afterAt": nil, "afterId": nil, "limit": limit + 1,
	})
	if p.After != nil {
		at, id, err := decodeHistoryCursor(*p.After, p.ID)
		if err != nil {
			return nil, err
		}
		// As text, read by datetime() like the stored instants (a driver time would carry a zone
		// name, and Neo4j tells a named zone from an offset even at the same instant).
		params["afterAt"], params["afterId"] = at.Format(time.RFC3339Nano), id
	}
	total := "0 AS total"
	if p.WithTotal {
		total = "COUNT { " + fmt.Sprintf(historyMatch, visible("v")) + " } AS total"
	}
	query := historyAccess + `
CALL {
    WITH peers, allowed
    ` + fmt.Sprintf(historyMatch, visible("v")) + `
      AND ($afterAt IS NULL OR v.at < datetime($afterAt) OR (v.at = datetime($afterAt) AND v.id < $afterId))
    WITH peers, v ORDER BY v.at DESC, v.id DESC
    LIMIT $limit
    RETURN collect(` + historyProjection + `) AS versions
}
RETURN allowed, versions, ` + total
	records, err := readTx(ctx, s, func(tx statementRunner) ([]*neo4j.Record, error) {
		return s.run(ctx, tx, query, params)
	})
	if err != nil {
		return nil, fmt.Errorf("read history: %w", err)
	}
	if allowed, _ := records[0].Get("allowed"); allowed != true {
		return nil, &tg.Error{Code: tg.NotFound, Message: "no entity with this id", Field: "id"}
	}
	page := &HistoryPage{HasPreviousPage: p.After != nil}
	rawTotal, _ := records[0].Get("total")
	n, _ := rawTotal.(int64)
	page.TotalCount = int(n)
	rawVersions, _ := records[0].Get("versions")
	versions, _ := rawVersions.([]any)
	if len(versions) > limit {
		page.HasNextPage, versions = true, versions[:limit]
	}
	for _, raw := range versions {
		e, err := decodeHistoryEntry(p.ID, raw.(map[string]any))
		if err != nil {
			return nil, err
		}
		page.Entries = append(page.Entries, e)
		page.Cursors = append(page.Cursors, encodeHistoryCursor(p.ID, e))
	}
	return page, nil
}

func decodeHistoryEntry(entityID string, m map[string]any) (*HistoryEntry, error) {
	e := &HistoryEntry{}
	e.ID, _ = m["id"].(string)
	at, ok := m["at"].(time.Time)
	if !ok {
		return nil, fmt.Errorf("version %s: at is %T", e.ID, m["at"])
	}
	e.At = at.UTC()
	e.Change, _ = m["change"].(string)
	e.Reason = optionalString(m["reason"])
	e.Subject = VersionSubject{Label: stringOf(m["subjectLabel"]), From: optionalString(m["subjectFrom"]), To: optionalString(m["subjectTo"])}
	if _, isNode := tg.LabelOf(e.Subject.Label); isNode {
		e.Subject.ID = &entityID
	}
	e.Actor = VersionActor{PartnerID: stringOf(m["actorPartner"]), Subject: optionalString(m["actorSubject"])}
	e.Marking = markingOf(m)
	e.RedactedFields = stringList(m["redacted"])
	fields, before, after, personal := stringList(m["fields"]), m["before"].([]any), m["after"].([]any), stringList(m["personal"])
	erased := stringList(m["erased"])
	for i, f := range fields {
		e.Changes = append(e.Changes, FieldChange{Field: f, Before: rawJSON(before[i]), After: rawJSON(after[i]),
			Personal: slices.Contains(personal, f), Redacted: slices.Contains(e.RedactedFields, f), Erased: slices.Contains(erased, f)})
	}
	return e, nil
}

func stringOf(v any) string {
	s, _ := v.(string)
	return s
}

// rawJSON is a stored JSON value, nil for a withheld or absent ("null") one.
func rawJSON(v any) json.RawMessage {
	s, ok := v.(string)
	if !ok || s == "null" {
		return nil
	}
	return json.RawMessage(s)
}

// historyCursor names the entity, so that one entity's cursor is refused for another's history.
type historyCursor struct {
	Entity string `json:"e"`
	At     string `json:"at"`
	ID     string `json:"id"`
}

func encodeHistoryCursor(entityID string, e *HistoryEntry) string {
	raw, _ := json.Marshal(historyCursor{Entity: entityID, At: e.At.Format(time.RFC3339Nano), ID: e.ID}) // strings always marshal
	return base64.RawURLEncoding.EncodeToString(raw)
}

func decodeHistoryCursor(after, entityID string) (time.Time, string, error) {
	bad := tg.InvalidField("after", "is not a cursor of this entity's history")
	raw, err := base64.RawURLEncoding.DecodeString(after)
	if err != nil {
		return time.Time{}, "", bad
	}
	var c historyCursor
	if err := json.Unmarshal(raw, &c); err != nil || c.Entity != entityID || strings.TrimSpace(c.ID) == "" {
		return time.Time{}, "", bad
	}
	at, err := time.Parse(time.RFC3339Nano, c.At)
	if err != nil {
		return time.Time{}, "", bad
	}
	return at, c.ID, nil
}
