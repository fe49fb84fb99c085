package store

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	tg "github.com/traffikgraph/traffikgraph"
	"github.com/traffikgraph/traffikgraph/auth"
)

// Erasure of a data subject (issue 13, docs/stewardship.md): the person's personal data is
// removed from the node, from identifiers only they hold, from reports that name them and from
// every history version holding it, while the node and its relationships stay so that counts,
// hotspots and flows answer the same.

// Erasure is what EraseSubject did.
type Erasure struct {
	PersonID string
	// AlreadyErased: the person was erased before; nothing changed.
	AlreadyErased bool
	ErasedAt      time.Time
	// ErasedFields are the person's personal properties removed (the model's PII rule).
	ErasedFields []string
	// ErasedIdentifiers lost their value (the person was their only holder); SharedIdentifiers
	// are held by other entities too and kept for a steward's review.
	ErasedIdentifiers, SharedIdentifiers []string
	// ErasedAddresses are street addresses (Location of kind ADDRESS) only the person lived at:
	// their name becomes ErasedMarker (it is required) and their point is removed.
	// SharedAddresses are also another person's or a business's, kept for a steward's review.
	ErasedAddresses, SharedAddresses []string
	// RedactedReports had the person's names replaced by ErasedMarker; ReviewReports mention the
	// person without naming them and are flagged (erasureReviewAt).
	RedactedReports, ReviewReports []string
	// markings are the erased identifiers' and redacted reports' own, and reportFields the
	// fields redacted in each report, for their versions.
	markings     map[string]VersionMarking
	reportFields map[string][]string
	// mergedRecords are the records merged into the person (and into those, and so on) by
	// merges not undone: the same subject, whose versions lose the same fields.
	mergedRecords []string
	// ErasedVersions counts the history versions whose erased values were removed.
	ErasedVersions int
}

// ErasedMarker replaces a name in a report's text.
const ErasedMarker = "[erased]"

// erasureTarget reads the person with what the erasure needs: its identifiers and addresses
// (with whether another entity holds them), of partner $partner only unless it is null: then
// only its own entities count as other holders, so that the answer says nothing of others'.
const erasureTarget = `
MATCH (p:` + tg.LabelPerson + ` {id: $id})
RETURN p {.*} AS person,
       COLLECT { MATCH (p)-[:` + tg.RelHasIdentifier + `]->(i:` + tg.LabelIdentifier + `)
                 WHERE $partner IS NULL OR i.sourcePartner = $partner
                 RETURN {id: i.id, marking: i {.tlp, .sourcePartner, .sharedWith}, shared: EXISTS { (i)<-[:` + tg.RelHasIdentifier + `]-(o) WHERE o <> p AND ($partner IS NULL OR o.sourcePartner = $partner) }} } AS identifiers,
       COLLECT { MATCH (p)-[:` + tg.RelLivesAt + `]->(a:` + tg.LabelLocation + ` {kind: 'ADDRESS'})
                 WHERE $partner IS NULL OR a.sourcePartner = $partner
                 RETURN {id: a.id, marking: a {.tlp, .sourcePartner, .sharedWith},
                         shared: EXISTS { (a)<-[:` + tg.RelLivesAt + `|` + tg.RelLocatedAt + `]-(o) WHERE o <> p AND ($partner IS NULL OR o.sourcePartner = $partner) }} } AS addresses`

// reportTextFields are a report's free text, in which anyone may be named.
var reportTextFields = []string{"text", "dismissNote"}

// namingReports are the reports (of partner $partner only, unless it is null) that mention
// person $id or may hold a name ($phrases: the candidates of nameFinder, which decides), each
// with whether it mentions them.
var namingReports = `
CALL { MATCH (:` + tg.LabelPerson + ` {id: $id})<-[:` + tg.RelMentions + `]-(r:` + tg.LabelReport + `) RETURN r AS node
       UNION ` + namedCandidates(tg.LabelReport) + ` }
WITH node WHERE $partner IS NULL OR node.sourcePartner = $partner
RETURN node {.*} AS report, EXISTS { (node)-[:` + tg.RelMentions + `]->(:` + tg.LabelPerson + ` {id: $id}) } AS mentions`

// erasePerson removes the person's personal properties ($remove maps each to null) and leaves
// the tombstone; the identifiers only it holds lose their value.
const erasePerson = `
MATCH (p:` + tg.LabelPerson + ` {id: $id})
SET p += $remove, p.erasedAt = datetime(), p.erasureReason = $reason, p.updatedAt = datetime()
WITH p
OPTIONAL MATCH (i:` + tg.LabelIdentifier + `) WHERE i.id IN $identifiers
SET i.value = null, i.erasedAt = datetime(), i.updatedAt = datetime()
WITH DISTINCT p
OPTIONAL MATCH (a:` + tg.LabelLocation + `) WHERE a.id IN $addresses
SET a.name = $marker, a.point = null, a.erasedAt = datetime(), a.updatedAt = datetime()
RETURN DISTINCT p.erasedAt AS erasedAt`

const eraseReports = `
UNWIND $reports AS row
MATCH (r:` + tg.LabelReport + ` {id: row.id})
SET r.text = coalesce(row.text, r.text), r.dismissNote = coalesce(row.dismissNote, r.dismissNote),
    r.updatedAt = CASE WHEN r.status = 'DISMISSED' THEN r.updatedAt ELSE datetime() END,
    r.erasureReviewAt = CASE WHEN row.review THEN datetime() ELSE r.erasureReviewAt END`

// namingVersions are the versions (of entities of partner $partner only, unless it is null) of
// the entities $entities and those whose values or reason may hold a name ($phrases: the
// candidates of nameFinder, which decides).
var namingVersions = `
CALL { MATCH (v:` + tg.LabelVersion + `) WHERE v.entityId IN $entities AND v.at IS NOT NULL RETURN v AS node
       UNION ` + namedCandidates(tg.LabelVersion) + ` }
WITH node WHERE $partner IS NULL OR node.sourcePartner = $partner
RETURN node {.*} AS version`

// eraseVersions writes what erasedVersion left of each version.
const eraseVersions = `
UNWIND $versions AS row
MATCH (v:` + tg.LabelVersion + ` {id: row.id})
SET v.before = row.before, v.after = row.after, v.erasedFields = row.erasedFields, v.reason = row.reason,
    v.freeText = row.freeText`

// EraseSubject erases person id's personal data in one transaction (see Erasure), recording an
// ERASED version (field names and reason, no value) of the person and of each identifier and
// report it changed. An admin may erase anyone, everywhere in the hub; a writer only a person its
// partner contributed (FORBIDDEN otherwise; NOT_FOUND for an id it cannot see), and only in its
// partner's records: other partners' reports, identifiers, addresses and history are theirs
// (their own erasure, or an admin's), and are neither changed nor named in the answer. A person erased before is answered
// with AlreadyErased and left alone. The reason is required.
func (s *Store) EraseSubject(ctx context.Context, id, reason string) (*Erasure, error) {
	viewer, err := writer(ctx)
	if err != nil {
		return nil, err
	}
	trimmed, err := requiredReason(reason)
	if err != nil {
		return nil, err
	}
	k := kindOf(tg.LabelPerson)
	return writeTx(ctx, s, func(tx neo4j.ManagedTransaction) (*Erasure, error) {
		if err := s.prepareWrite(ctx, tx, viewer, nil); err != nil {
			return nil, err
		}
		var partner any // the partner whose records the erasure reaches; nil: all
		if !auth.CallerFrom(ctx).Has(auth.ScopeAdmin) {
			if _, err := s.ownedNode(ctx, tx, k, id, viewer); err != nil {
				return nil, err
			}
			partner = viewer
		}
		records, err := s.run(ctx, tx, erasureTarget, map[string]any{"id": id, "partner": partner})
		if err != nil {
			return nil, err
		}
		if len(records) == 0 {
			return nil, &tg.Error{Code: tg.NotFound, Message: "no Person with this id", Field: "id"}
		}
		raw, _ := records[0].Get("person")
		person := raw.(map[string]any)
		out := &Erasure{PersonID: id, ErasedFields: []string{}, ErasedIdentifiers: []string{}, SharedIdentifiers: []string{},
			ErasedAddresses: []string{}, SharedAddresses: []string{},
			RedactedReports: []string{}, ReviewReports: []string{}, markings: map[string]VersionMarking{}, reportFields: map[string][]string{}}
		if at, ok := person["erasedAt"].(time.Time); ok {
			out.AlreadyErased, out.ErasedAt = true, at.UTC()
			return out, nil
		}
		// What the person holds splits into what only they hold (erased) and what others hold too.
		split := func(key string, only, shared *[]string) {
			held, _ := records[0].Get(key)
			for _, raw := range held.([]any) {
				h := raw.(map[string]any)
				out.markings[h["id"].(string)] = markingOf(h["marking"].(map[string]any))
				if h["shared"] == true {
					*shared = append(*shared, h["id"].(string))
				} else {
					*only = append(*only, h["id"].(string))
				}
			}
		}
		split("identifiers", &out.ErasedIdentifiers, &out.SharedIdentifiers)
		split("addresses", &out.ErasedAddresses, &out.SharedAddresses)
		remove := map[string]any{}
		for _, p := range k.Props {
			if tg.IsPersonal(k.Name, p.Name, func(q string) any { return person[q] }) {
				out.ErasedFields = append(out.ErasedFields, p.Name)
				remove[p.Name] = nil
			}
		}
		names, err := s.subjectNames(ctx, tx, id, person)
		if err != nil {
			return nil, err
		}
		*trimmed = names.redact(*trimmed) // the reason is kept: it must not name them
		reports, err := s.redactReports(ctx, tx, id, partner, names, out)
		if err != nil {
			return nil, err
		}
		records, err = s.run(ctx, tx, erasePerson, map[string]any{"id": id, "remove": remove, "reason": *trimmed,
			"identifiers": out.ErasedIdentifiers, "addresses": out.ErasedAddresses, "marker": ErasedMarker})
		if err != nil {
			return nil, err
		}
		at, _ := records[0].Get("erasedAt")
		out.ErasedAt = at.(time.Time).UTC()
		if _, err := s.run(ctx, tx, eraseReports, map[string]any{"reports": reports}); err != nil {
			return nil, err
		}
		if out.mergedRecords, err = s.eraseMergeSnapshots(ctx, tx, id, partner, names); err != nil {
			return nil, err
		}
		if out.ErasedVersions, err = s.eraseVersions(ctx, tx, partner, names, out); err != nil {
			return nil, err
		}
		return out, s.recordVersion(ctx, tx, erasureVersions(person, out, trimmed)...)
	})
}

// erasureVersions are the ERASED versions of the person and of each identifier and report the
// erasure changed: the fields it erased, each "null" before and after, with the reason.
func erasureVersions(person map[string]any, e *Erasure, reason *string) []Version {
	nulls := func(fields ...string) map[string]any {
		m := map[string]any{}
		for _, f := range fields {
			m[f] = nil
		}
		return m
	}
	person["erasedAt"] = e.ErasedAt
	versions := []Version{{EntityIDs: []string{e.PersonID}, Label: tg.LabelPerson, Change: tg.ChangeErased, Reason: reason,
		Before: nulls(e.ErasedFields...), Node: person, Marking: markingOf(person)}}
	for _, id := range e.ErasedIdentifiers {
		versions = append(versions, Version{EntityIDs: []string{id}, Label: tg.LabelIdentifier, Change: tg.ChangeErased,
			Reason: reason, Before: nulls("value"), Marking: e.markings[id]})
	}
	for _, id := range e.ErasedAddresses {
		versions = append(versions, Version{EntityIDs: []string{id}, Label: tg.LabelLocation, Change: tg.ChangeErased,
			Reason: reason, Before: nulls("name", "point"), Marking: e.markings[id]})
	}
	for _, id := range e.RedactedReports {
		versions = append(versions, Version{EntityIDs: []string{id}, Label: tg.LabelReport, Change: tg.ChangeErased,
			Reason: reason, Before: nulls(e.reportFields[id]...), Marking: e.markings[id]})
	}
	return versions
}

// redactReports decides, for every report that mentions the person or whose text holds a name,
// what the erasure does to it: every name in it (nameFinder) is replaced by ErasedMarker; a
// report that mentions the person and holds no name is flagged for review (it may name them
// otherwise). It returns the rows for eraseReports.
func (s *Store) redactReports(ctx context.Context, tx neo4j.ManagedTransaction, id string, partner any, names nameFinder, e *Erasure) ([]any, error) {
	records, err := s.run(ctx, tx, namingReports, map[string]any{"id": id, "partner": partner, "phrases": names.phrases})
	if err != nil {
		return nil, err
	}
	rows := []any{}
	for _, rec := range records {
		raw, _ := rec.Get("report")
		report := raw.(map[string]any)
		mentions, _ := rec.Get("mentions")
		rid, _ := report["id"].(string)
		row := map[string]any{"id": rid, "text": nil, "dismissNote": nil}
		for _, field := range reportTextFields {
			text, _ := report[field].(string)
			if redacted := names.redact(text); redacted != text {
				row[field] = redacted
				e.reportFields[rid] = append(e.reportFields[rid], field)
			}
		}
		row["review"] = mentions == true && len(e.reportFields[rid]) == 0
		switch {
		case len(e.reportFields[rid]) > 0:
			e.RedactedReports = append(e.RedactedReports, rid)
		case row["review"] == true:
			e.ReviewReports = append(e.ReviewReports, rid)
		default:
			continue // a candidate of the index that does not name them
		}
		e.markings[rid] = markingOf(report)
		rows = append(rows, row)
	}
	return rows, nil
}

// eraseVersions removes the erased values from every version of the erased entities and every
// version whose values or reason hold a name: an erased entry becomes "null" and its field is
// listed in erasedFields, so that the history still says who changed what when; a name in a
// reason is replaced by ErasedMarker. It returns how many versions changed.
func (s *Store) eraseVersions(ctx context.Context, tx neo4j.ManagedTransaction, partner any, names nameFinder, e *Erasure) (int, error) {
	erasedField := func(entity, field string) bool {
		switch {
		case entity == e.PersonID, slices.Contains(e.mergedRecords, entity):
			return slices.Contains(e.ErasedFields, field)
		case slices.Contains(e.ErasedIdentifiers, entity):
			return field == "value"
		case slices.Contains(e.ErasedAddresses, entity):
			return field == "name" || field == "point"
		case slices.Contains(e.RedactedReports, entity):
			return slices.Contains(e.reportFields[entity], field)
		}
		return false
	}
	records, err := s.run(ctx, tx, namingVersions, map[string]any{"phrases": names.phrases, "partner": partner,
		"entities": slices.Concat([]string{e.PersonID}, e.mergedRecords, e.ErasedIdentifiers, e.ErasedAddresses, e.RedactedReports)})
	if err != nil {
		return 0, err
	}
	rows := []any{}
	for _, rec := range records {
		raw, _ := rec.Get("version")
		get := func(key string) any { return raw.(map[string]any)[key] }
		entity, _ := get("entityId").(string)
		fields := stringList(get("fields"))
		before, after := stringList(get("before")), stringList(get("after"))
		erased := stringList(get("erasedFields"))
		changed := false
		for i, f := range fields {
			if i >= len(before) || i >= len(after) {
				break
			}
			if (before[i] == "null" && after[i] == "null") || !(erasedField(entity, f) || names.holdsValue(before[i]) || names.holdsValue(after[i])) {
				continue
			}
			before[i], after[i], changed = "null", "null", true
			if !slices.Contains(erased, f) {
				erased = append(erased, f)
			}
		}
		reason, _ := get("reason").(string)
		if redacted := names.redact(reason); redacted != reason {
			reason, changed = redacted, true
		}
		if !changed {
			continue
		}
		row := map[string]any{"id": get("id"), "before": before, "after": after, "erasedFields": erased, "reason": nil,
			"freeText": versionFreeText(slices.Concat(before, after))}
		if reason != "" {
			row["reason"] = reason
		}
		rows = append(rows, row)
	}
	if len(rows) == 0 {
		return 0, nil
	}
	_, err = s.run(ctx, tx, eraseVersions, map[string]any{"versions": rows})
	return len(rows), err
}

// SubjectAccess is everything the hub holds about a person (SubjectAccessExport).
type SubjectAccess struct {
	PersonID string
	// Document is JSON: person, relationships, identifiers, reports, versions, auditEvents.
	Document json.RawMessage
	Summary  string
}

// subjectAccessCypher gathers, without visibility filtering, what names person $id.
const subjectAccessCypher = `
MATCH (p:` + tg.LabelPerson + ` {id: $id})
RETURN p {.*} AS person,
  COLLECT { MATCH (p)-[r]-(o) RETURN {type: type(r), outgoing: startNode(r) = p, properties: properties(r),
            other: o {.*, label: [l IN labels(o) WHERE l IN $labels][0]}} } AS relationships,
  COLLECT { MATCH (p)-[:` + tg.RelHasIdentifier + `]->(i:` + tg.LabelIdentifier + `) RETURN i {.*} } AS identifiers,
  COLLECT { MATCH (e:` + tg.LabelAuditEvent + `) WHERE $id IN e.entityIds RETURN e {.*} ORDER BY e.at } AS auditEvents`

// SubjectAccessExport gathers everything held about person id across all partners, personal
// data included: admins only (FORBIDDEN otherwise), NOT_FOUND for an unknown id. The other end
// of each relationship is given by its non-personal properties only (it is not the subject's),
// except the addresses the subject lives at.
func (s *Store) SubjectAccessExport(ctx context.Context, id string) (*SubjectAccess, error) {
	if !auth.CallerFrom(ctx).Has(auth.ScopeAdmin) {
		return nil, tg.Errorf(tg.Forbidden, "a subject access export is for admins")
	}
	// The audit events of responses already sent are in it, the spool's unshipped ones too.
	if err := s.audit.shipped(ctx); err != nil {
		return nil, err
	}
	return readTx(ctx, s, func(tx statementRunner) (*SubjectAccess, error) {
		person, err := s.run(ctx, tx, `MATCH (p:`+tg.LabelPerson+` {id: $id}) RETURN p {.*} AS person`, map[string]any{"id": id})
		if err != nil {
			return nil, err
		}
		if len(person) == 0 {
			return nil, &tg.Error{Code: tg.NotFound, Message: "no Person with this id", Field: "personId"}
		}
		raw, _ := person[0].Get("person")
		names, err := s.subjectNames(ctx, tx, id, raw.(map[string]any))
		if err != nil {
			return nil, err
		}
		records, err := s.run(ctx, tx, subjectAccessCypher, map[string]any{"id": id, "labels": tg.IntelligenceLabels})
		if err != nil {
			return nil, err
		}
		doc := map[string]any{}
		for _, key := range []string{"person", "relationships", "identifiers", "auditEvents"} {
			v, _ := records[0].Get(key)
			doc[key] = jsonValue(v)
		}
		// The reports and versions that name them: the index's candidates, narrowed here.
		reports, err := s.run(ctx, tx, namingReports, map[string]any{"id": id, "partner": nil, "phrases": names.phrases})
		if err != nil {
			return nil, err
		}
		doc["reports"] = []any{}
		for _, rec := range reports {
			report, _ := rec.Get("report")
			mentions, _ := rec.Get("mentions")
			if mentions == true || slices.ContainsFunc(reportTextFields, func(f string) bool {
				text, _ := report.(map[string]any)[f].(string)
				return names.holds(text)
			}) {
				doc["reports"] = append(doc["reports"].([]any), jsonValue(report))
			}
		}
		versions, err := s.run(ctx, tx, namingVersions, map[string]any{"entities": []string{id}, "partner": nil, "phrases": names.phrases})
		if err != nil {
			return nil, err
		}
		var named []map[string]any
		for _, rec := range versions {
			raw, _ := rec.Get("version")
			v := raw.(map[string]any)
			reason, _ := v["reason"].(string)
			if v["entityId"] == id || names.holds(reason) ||
				slices.ContainsFunc(slices.Concat(stringList(v["before"]), stringList(v["after"])), names.holdsValue) {
				delete(v, "freeText") // the values again, decoded for the index
				named = append(named, v)
			}
		}
		slices.SortFunc(named, func(a, b map[string]any) int {
			x, _ := a["at"].(time.Time)
			y, _ := b["at"].(time.Time)
			return x.Compare(y)
		})
		doc["versions"] = []any{}
		for _, v := range named {
			doc["versions"] = append(doc["versions"].([]any), jsonValue(v))
		}
		for _, r := range doc["relationships"].([]any) {
			if r.(map[string]any)["type"] == tg.RelLivesAt {
				continue // where the subject lives is the subject's data
			}
			other := r.(map[string]any)["other"].(map[string]any)
			label, _ := other["label"].(string)
			for k := range other {
				if tg.IsPersonal(label, k, func(q string) any { return other[q] }) {
					delete(other, k)
				}
			}
		}
		encoded, err := json.Marshal(doc)
		if err != nil {
			return nil, fmt.Errorf("subject access export: %w", err)
		}
		return &SubjectAccess{PersonID: id, Document: encoded, Summary: subjectAccessSummary(doc)}, nil
	})
}

// subjectAccessSummary is the export in a paragraph: counts per kind, partners, date range.
func subjectAccessSummary(doc map[string]any) string {
	partners := map[string]bool{}
	var first, last string
	note := func(m map[string]any) {
		if p, ok := m["sourcePartner"].(string); ok && p != "" {
			partners[p] = true
		}
		for _, key := range []string{"createdAt", "at"} {
			if at, ok := m[key].(string); ok {
				if first == "" || at < first {
					first = at
				}
				if at > last {
					last = at
				}
			}
		}
	}
	note(doc["person"].(map[string]any))
	counts := []string{}
	for _, key := range []string{"relationships", "identifiers", "reports", "versions", "auditEvents"} {
		items := doc[key].([]any)
		for _, item := range items {
			m := item.(map[string]any)
			if props, ok := m["properties"].(map[string]any); ok {
				m = props
			}
			if key != "auditEvents" {
				note(m)
			}
		}
		counts = append(counts, fmt.Sprintf("%d %s", len(items), key))
	}
	dated := ""
	if first != "" {
		dated = fmt.Sprintf(", dated %s to %s", first, last)
	}
	return fmt.Sprintf("The hub holds one person record with %s, contributed by %d partner(s) (%s)%s.",
		strings.Join(counts, ", "), len(partners), strings.Join(slices.Sorted(maps.Keys(partners)), ", "), dated)
}
