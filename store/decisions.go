package store

import (
	"context"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	tg "github.com/traffikgraph/traffikgraph"
)

// The triage desk's decisions on a report (docs/triage.md). Each is one transaction that takes
// the writer's partner lock, finds the report among the caller's own partner's visible reports
// (another partner's report is NOT_FOUND, as a missing one, even when the caller may see it),
// does its work through the store's own write paths (createIn, linkIn, applyUpdate), and sets the
// report's status with a TRIAGED version carrying the decision's reason.

// MaxDismissNoteLength bounds a dismissal's note, in characters.
const MaxDismissNoteLength = 1000

// reportLinks are the relationships linkReport makes from a report.
var reportLinks = []string{tg.RelEvidences, tg.RelMentions, tg.RelAbout}

// triagedReport returns the properties of the report id if the caller sees it and its partner
// holds it; NOT_FOUND otherwise.
func (s *Store) triagedReport(ctx context.Context, tx neo4j.ManagedTransaction, id, viewer string) (map[string]any, error) {
	records, err := s.run(ctx, tx, viewerPrelude+`
MATCH (n:`+tg.LabelReport+` {id: $id})
WHERE `+visible("n")+` AND n.sourcePartner = $viewer
RETURN n {.*} AS node`, viewerParams(ctx, map[string]any{"id": id}))
	if err != nil {
		return nil, err
	}
	if len(records) == 0 {
		return nil, &tg.Error{Code: tg.NotFound, Message: "no report of your partner with this id", Field: "id"}
	}
	v, _ := records[0].Get("node")
	return v.(map[string]any), nil
}

// onTriagedReport runs a decision's work in one write transaction, on the report id of the
// caller's partner (NOT_FOUND otherwise), once the write is prepared with marking.
func onTriagedReport[T any](ctx context.Context, s *Store, viewer, id string, marking map[string]any,
	work func(tx neo4j.ManagedTransaction, report map[string]any) (T, error)) (T, error) {
	return writeTx(ctx, s, func(tx neo4j.ManagedTransaction) (T, error) {
		var none T
		if err := s.prepareWrite(ctx, tx, viewer, marking); err != nil {
			return none, err
		}
		report, err := s.triagedReport(ctx, tx, id, viewer)
		if err != nil {
			return none, err
		}
		return work(tx, report)
	})
}

// decide sets the report's status (and props, and a marking when not nil) with a TRIAGED version.
func (s *Store) decide(ctx context.Context, tx neo4j.ManagedTransaction, report map[string]any, status string, props, marking map[string]any, reason *string) (*Report, error) {
	set := map[string]any{"status": status}
	for k, v := range props {
		set[k] = v
	}
	n, err := s.applyUpdate(ctx, tx, kindOf(tg.LabelReport), report, set, marking, reason, tg.ChangeTriaged)
	if err != nil {
		return nil, err
	}
	return n.(*Report), nil
}

// DismissReport sets the report's status DISMISSED with the reason (a DismissReason; OTHER needs a
// note). The version's reason is the DismissReason; the note, which may quote the story, is
// personal data in its changes.
func (s *Store) DismissReport(ctx context.Context, id, reason string, note *string) (*Report, error) {
	viewer, err := writer(ctx)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(tg.Enums["DismissReason"], reason) {
		return nil, tg.InvalidField("reason", "must be one of %v", tg.Enums["DismissReason"])
	}
	var text any
	if note != nil && strings.TrimSpace(*note) != "" {
		trimmed := strings.TrimSpace(*note)
		if utf8.RuneCountInString(trimmed) > MaxDismissNoteLength {
			return nil, tg.InvalidField("note", "must be at most %d characters", MaxDismissNoteLength)
		}
		text = trimmed
	}
	if reason == "OTHER" && text == nil {
		return nil, tg.InvalidField("note", "is required when the reason is OTHER")
	}
	return onTriagedReport(ctx, s, viewer, id, nil, func(tx neo4j.ManagedTransaction, report map[string]any) (*Report, error) {
		return s.decide(ctx, tx, report, "DISMISSED", map[string]any{"dismissReason": reason, "dismissNote": text}, nil, &reason)
	})
}

// LinkReport links the report to the entity to (as EVIDENCES, MENTIONS or ABOUT, on Link's path:
// to must be visible and of a label the type joins) under the caller's marking, and sets its
// status LINKED.
func (s *Store) LinkReport(ctx context.Context, id, to, as string, m Marking, reason *string) (*Report, error) {
	viewer, err := writer(ctx)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(reportLinks, as) {
		return nil, tg.InvalidField("as", "must be one of %v", reportLinks)
	}
	rk, _ := tg.RelationshipOf(as)
	marking, err := checkMarking(m, "marking")
	if err != nil {
		return nil, err
	}
	return onTriagedReport(ctx, s, viewer, id, marking, func(tx neo4j.ManagedTransaction, report map[string]any) (*Report, error) {
		if _, err := s.linkIn(ctx, tx, rk, LinkParams{Type: as, From: id, To: to, Reason: reason}, map[string]any{}, marking); err != nil {
			return nil, err
		}
		return s.decide(ctx, tx, report, "LINKED", nil, nil, reason)
	})
}

// CreateIncidentFromReport creates an incident (Create's checks and path) that the report
// EVIDENCES and that is DERIVED_FROM it, all three under the caller's marking, and sets the
// report's status LINKED.
func (s *Store) CreateIncidentFromReport(ctx context.Context, id string, input Patch, m Marking, reason *string) (*Incident, error) {
	viewer, err := writer(ctx)
	if err != nil {
		return nil, err
	}
	k := kindOf(tg.LabelIncident)
	props, err := checkInput(k, input, true)
	if err != nil {
		return nil, err
	}
	if err := checkDateOrder(k.DateOrder, props); err != nil {
		return nil, err
	}
	marking, err := checkMarking(m, "marking")
	if err != nil {
		return nil, err
	}
	evidences, _ := tg.RelationshipOf(tg.RelEvidences)
	derived, _ := tg.RelationshipOf(tg.RelDerivedFrom)
	incidentID := uuid.NewString()
	return onTriagedReport(ctx, s, viewer, id, marking, func(tx neo4j.ManagedTransaction, report map[string]any) (*Incident, error) {
		// As Create's without an external ref; the links take the marking without one.
		incidentMarking := maps.Clone(marking)
		incidentMarking["externalRefs"] = []string{}
		created, err := s.createIn(ctx, tx, k, viewer, incidentID, props, incidentMarking)
		if err != nil {
			return nil, err
		}
		for _, link := range []struct {
			rk       *tg.Relationship
			from, to string
		}{{evidences, id, incidentID}, {derived, incidentID, id}} {
			if _, err := s.linkIn(ctx, tx, link.rk, LinkParams{Type: link.rk.Type, From: link.from, To: link.to, Reason: reason},
				map[string]any{}, marking); err != nil {
				return nil, err
			}
		}
		if _, err := s.decide(ctx, tx, report, "LINKED", nil, nil, reason); err != nil {
			return nil, err
		}
		return created.(*Incident), nil
	})
}

// EscalateReport shares what the desk derived from the report with the members of a sharing group
// of the caller's partner: the caller's incidents DERIVED_FROM it, and the caller's relationships
// from the report (EVIDENCES, MENTIONS, ABOUT) and from those incidents to it. A fact marked
// AMBER_STRICT becomes RED shared with the group's members; a RED one adds them to its
// sharedWith; CLEAR, GREEN and AMBER facts are seen by the group already (the caller's partner is
// a member, so the members are its peers) and stay as they are: an escalation never narrows who
// sees a fact. RED names the members rather than AMBER, which would reach every group the
// partner is in. The report itself is re-marked the same way only with shareText; either way its
// status becomes ESCALATED. Each re-marking records a MARKED version with the reason.
func (s *Store) EscalateReport(ctx context.Context, id, group string, reason *string, shareText bool) (*Report, error) {
	viewer, err := writer(ctx)
	if err != nil {
		return nil, err
	}
	return onTriagedReport(ctx, s, viewer, id, nil, func(tx neo4j.ManagedTransaction, report map[string]any) (*Report, error) {
		members, err := s.groupMembers(ctx, tx, group, viewer)
		if err != nil {
			return nil, err
		}
		if err := s.escalateIncidents(ctx, tx, id, viewer, members, reason); err != nil {
			return nil, err
		}
		if err := s.escalateLinks(ctx, tx, id, viewer, members, reason); err != nil {
			return nil, err
		}
		var marking map[string]any
		if shareText {
			marking = escalated(report, members)
		}
		return s.decide(ctx, tx, report, "ESCALATED", nil, marking, reason)
	})
}

// groupMembers returns the members of the sharing group but viewer: NOT_FOUND for no such group,
// FORBIDDEN when viewer is not a member (groups are directory data every partner may list).
func (s *Store) groupMembers(ctx context.Context, tx neo4j.ManagedTransaction, group, viewer string) ([]string, error) {
	records, err := s.run(ctx, tx, `
MATCH (g:`+tg.LabelSharingGroup+` {id: $group})
OPTIONAL MATCH (p:`+tg.LabelPartner+`)-[:`+tg.RelMemberOf+`]->(g)
RETURN g.id AS group, collect(p.id) AS members`, map[string]any{"group": group})
	if err != nil {
		return nil, err
	}
	if len(records) == 0 {
		return nil, &tg.Error{Code: tg.NotFound, Message: "no sharing group with this id", Field: "group"}
	}
	raw, _ := records[0].Get("members")
	members := stringList(raw)
	if !slices.Contains(members, viewer) {
		return nil, &tg.Error{Code: tg.Forbidden, Message: "your partner is not a member of this sharing group", Field: "group"}
	}
	members = slices.DeleteFunc(members, func(m string) bool { return m == viewer })
	slices.Sort(members)
	return members, nil
}

// escalated is the marking a fact with props takes when escalated to members, or nil when it
// keeps its own (see EscalateReport).
func escalated(props map[string]any, members []string) map[string]any {
	switch props["tlp"] {
	case tg.TlpAmberStrict:
		return map[string]any{"tlp": tg.TlpRed, "sharedWith": members}
	case tg.TlpRed:
		shared := append(stringList(props["sharedWith"]), members...)
		slices.Sort(shared)
		return map[string]any{"tlp": tg.TlpRed, "sharedWith": slices.Compact(shared)}
	}
	return nil
}

func (s *Store) escalateIncidents(ctx context.Context, tx neo4j.ManagedTransaction, report, viewer string, members []string, reason *string) error {
	records, err := s.run(ctx, tx, `
MATCH (i:`+tg.LabelIncident+`)-[:`+tg.RelDerivedFrom+`]->(:`+tg.LabelReport+` {id: $report})
WHERE i.sourcePartner = $viewer
RETURN DISTINCT i {.*} AS node`, map[string]any{"report": report, "viewer": viewer})
	if err != nil {
		return err
	}
	k := kindOf(tg.LabelIncident)
	for _, r := range records {
		raw, _ := r.Get("node")
		incident := raw.(map[string]any)
		if marking := escalated(incident, members); marking != nil {
			if _, err := s.applyUpdate(ctx, tx, k, incident, nil, marking, reason, ""); err != nil {
				return err
			}
		}
	}
	return nil
}

// escalateLinks re-marks the caller's relationships from the report (reportLinks) and to it
// (DERIVED_FROM), recording a MARKED version of each in both ends' histories.
func (s *Store) escalateLinks(ctx context.Context, tx neo4j.ManagedTransaction, report, viewer string, members []string, reason *string) error {
	records, err := s.run(ctx, tx, `
MATCH (r:`+tg.LabelReport+` {id: $report})-[l]-(other:`+tg.LabelEntity+`)
WHERE l.sourcePartner = $viewer AND l.tlp IN ['`+tg.TlpAmberStrict+`', '`+tg.TlpRed+`']
  AND ((startNode(l) = r AND type(l) IN $out) OR (endNode(l) = r AND type(l) = '`+tg.RelDerivedFrom+`'))
RETURN elementId(l) AS element, type(l) AS type, startNode(l).id AS from, endNode(l).id AS to, properties(l) AS props`,
		map[string]any{"report": report, "viewer": viewer, "out": reportLinks})
	if err != nil {
		return err
	}
	var versions []Version
	var rows []any
	for _, r := range records {
		m := r.AsMap()
		props := m["props"].(map[string]any)
		marking := escalated(props, members)
		before, after, err := diff(props, marking)
		if err != nil {
			return err
		}
		if len(after) == 0 {
			continue
		}
		rows = append(rows, map[string]any{"element": m["element"], "marking": marking})
		now := maps.Clone(props)
		maps.Copy(now, marking)
		typ, from, to := m["type"].(string), m["from"].(string), m["to"].(string)
		versions = append(versions, Version{EntityIDs: []string{from, to}, Label: typ, From: from, To: to, Change: tg.ChangeMarked,
			Reason: reason, Before: before, After: after, Marking: markingOf(now)})
	}
	if len(rows) == 0 {
		return nil
	}
	if _, err := s.run(ctx, tx, `
UNWIND $rows AS row
MATCH ()-[l]->() WHERE elementId(l) = row.element
SET l += row.marking, l.updatedAt = datetime()`, map[string]any{"rows": rows}); err != nil {
		return err
	}
	return s.recordVersion(ctx, tx, versions...)
}
