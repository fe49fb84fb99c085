package store

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
	tg "github.com/traffikgraph/traffikgraph"
	"github.com/traffikgraph/traffikgraph/auth"
)

// LinkParams describes a relationship to create or update. Refusals name "type", "from", "to",
// a property by its input name (Patch) or a "marking." field.
type LinkParams struct {
	Type     string
	From, To string
	// Properties are set on the relationship (removals are ignored); they are the type's own.
	Properties Patch
	Marking    Marking
	// Reason is the writer's for the change, recorded in the history (optional).
	Reason *string
}

// Link creates the caller's partner's relationship of the given type between two nodes it can
// see, or updates it when the partner made it already, recording a LINKED version (or one of
// what changed) in both ends' histories. One transaction.
func (s *Store) Link(ctx context.Context, p LinkParams) (*Link, error) {
	viewer, err := writer(ctx)
	if err != nil {
		return nil, err
	}
	rk, ok := linkable(p.Type)
	if !ok && p.Type == tg.RelSameAs {
		return nil, tg.InvalidField("type", "SAME_AS is written by linkSameAs")
	}
	if !ok {
		return nil, tg.InvalidField("type", "cannot be linked through the API")
	}
	props, err := checkLinkProps(rk, p.Properties)
	if err != nil {
		return nil, err
	}
	marking, err := checkMarking(p.Marking, "marking")
	if err != nil {
		return nil, err
	}
	return writeTx(ctx, s, func(tx neo4j.ManagedTransaction) (*Link, error) {
		if err := s.prepareWrite(ctx, tx, viewer, marking); err != nil {
			return nil, err
		}
		return s.linkIn(ctx, tx, rk, p, props, marking)
	})
}

// linkIn is Link's work in tx, the writer's partner prepared (prepareWrite), with checked
// properties and marking: the ends must be visible and of the labels rk joins.
func (s *Store) linkIn(ctx context.Context, tx neo4j.ManagedTransaction, rk *tg.Relationship, p LinkParams, props, marking map[string]any) (*Link, error) {
	if err := s.checkEnds(ctx, tx, rk, p.From, p.To); err != nil {
		return nil, err
	}
	return s.writeLink(ctx, tx, rk, p, props, marking, false)
}

// writeLink creates the writer's relationship of type rk from p.From to p.To, or updates the one
// it made already, and records its version; the ends were checked. Undirected (SAME_AS, a
// symmetric claim), it updates every one of the writer's between the two, either way (a merge
// may leave two: docs/triage.md), and creates one from p.From to p.To only when there is none.
func (s *Store) writeLink(ctx context.Context, tx neo4j.ManagedTransaction, rk *tg.Relationship, p LinkParams, props, marking map[string]any, undirected bool) (*Link, error) {
	existing, found := `(a)-[existing:`+rk.Type+`]->(b)`, `head(collect(existing))`
	if undirected {
		existing, found = `(a)-[existing:`+rk.Type+`]-(b)`, `existing`
	}
	params := viewerParams(ctx, map[string]any{"from": p.From, "to": p.To, "props": props, "marking": marking})
	records, err := s.run(ctx, tx, `
MATCH (a:`+tg.LabelEntity+` {id: $from}), (b:`+tg.LabelEntity+` {id: $to})
OPTIONAL MATCH `+existing+`
WHERE existing.sourcePartner = $viewer
WITH a, b, `+found+` AS existing
WITH a, b, existing, properties(existing) AS before
ORDER BY elementId(existing)
CALL {
    WITH a, b, existing
    WITH a, b, existing WHERE existing IS NULL
    CREATE (a)-[r:`+rk.Type+`]->(b)
    SET r.sourcePartner = $viewer, r.createdAt = datetime(), r.externalRefs = []
    RETURN r
  UNION
    WITH existing
    WITH existing WHERE existing IS NOT NULL
    RETURN existing AS r
}
SET r += $props, r += $marking, r.updatedAt = datetime()
WITH r, before, startNode(r) AS start, endNode(r) AS end
RETURN `+relProjection("r")+` AS link, `+projection("start")+` AS from, `+projection("end")+` AS to,
       start.id AS fromId, end.id AS toId, before, properties(r) AS after`, params)
	if err != nil {
		return nil, err
	}
	for _, r := range records {
		fromID, _ := r.Get("fromId")
		toID, _ := r.Get("toId")
		q := p
		q.From, q.To = fromID.(string), toID.(string)
		if err := s.recordLinkVersion(ctx, tx, rk, q, r); err != nil {
			return nil, err
		}
	}
	return decodeLinkRecord(records[0])
}

// recordLinkVersion records what Link did: LINKED with the relationship's properties when it
// created it, else the properties that changed (nothing when none did).
func (s *Store) recordLinkVersion(ctx context.Context, tx neo4j.ManagedTransaction, rk *tg.Relationship, p LinkParams, r *neo4j.Record) error {
	rawBefore, _ := r.Get("before")
	rawAfter, _ := r.Get("after")
	now := rawAfter.(map[string]any)
	v := Version{EntityIDs: []string{p.From, p.To}, Label: rk.Type, From: p.From, To: p.To, Reason: p.Reason, Marking: markingOf(now)}
	state := versionedState(now, relProps(rk))
	if was, ok := rawBefore.(map[string]any); ok {
		before, after, err := diff(was, trackedState(now, relProps(rk)))
		if err != nil || len(after) == 0 {
			return err
		}
		v.Change, v.Before, v.After = changeOf(after), before, after
	} else {
		v.Change, v.After = tg.ChangeLinked, state
	}
	return s.recordVersion(ctx, tx, v)
}

// unlinkedVersion is the UNLINKED version of a removed relationship given as {type, from, to,
// props}.
func unlinkedVersion(removed map[string]any, reason *string) Version {
	typ, _ := removed["type"].(string)
	from, _ := removed["from"].(string)
	to, _ := removed["to"].(string)
	props, _ := removed["props"].(map[string]any)
	var own []string
	if rk, ok := tg.RelationshipOf(typ); ok {
		own = relProps(rk)
	}
	return Version{EntityIDs: []string{from, to}, Label: typ, From: from, To: to, Change: tg.ChangeUnlinked, Reason: reason,
		Before: versionedState(props, own), Marking: markingOf(props)}
}

func decodeLinkRecord(r *neo4j.Record) (*Link, error) {
	raw, _ := r.Get("link")
	link, err := decodeLink(raw)
	if err != nil {
		return nil, err
	}
	from, _ := r.Get("from")
	to, _ := r.Get("to")
	if link.From, err = decodeNode(from); err != nil {
		return nil, err
	}
	if link.To, err = decodeNode(to); err != nil {
		return nil, err
	}
	return link, nil
}

func checkLinkProps(rk *tg.Relationship, patch Patch) (map[string]any, error) {
	out := map[string]any{}
	input := patch.Set
	for _, key := range sortedKeys(input) {
		if input[key] == nil {
			continue
		}
		field := key
		p, ok := rk.Prop(key)
		if !ok {
			return nil, tg.InvalidField(field, "does not apply to %s", rk.Type)
		}
		v, err := convertInput(p, input[key], field)
		if err != nil {
			return nil, err
		}
		out[p.Name] = v
	}
	for _, p := range rk.Props {
		if p.Required && out[p.Name] == nil {
			return nil, tg.InvalidField(p.InputName(), "is required for %s", rk.Type)
		}
	}
	if n, ok := out["seq"].(int64); ok && n < 0 {
		return nil, tg.InvalidField("seq", "must not be negative")
	}
	if f, ok := out["share"].(float64); ok && (f < 0 || f > 1) {
		return nil, tg.InvalidField("share", "must be between 0 and 1")
	}
	return out, checkDateOrder(rk.DateOrder, out)
}

// checkEnds makes sure both ends exist, are visible to the caller, and have labels the
// relationship type joins. An invisible node is reported exactly like a missing one.
func (s *Store) checkEnds(ctx context.Context, tx neo4j.ManagedTransaction, rk *tg.Relationship, from, to string) error {
	fromLabels, toLabels, err := s.visibleLabels(ctx, tx, from, to)
	if err != nil {
		return err
	}
	for _, end := range []struct {
		labels  []any
		field   string
		allowed []string
	}{{fromLabels, "from", rk.From}, {toLabels, "to", rk.To}} {
		if end.labels == nil {
			return &tg.Error{Code: tg.NotFound, Message: "no entity with this id", Field: end.field}
		}
		if !hasAnyLabel(end.labels, end.allowed) {
			return tg.InvalidField(end.field, "%s does not join this entity (it takes %s)", rk.Type, strings.Join(end.allowed, " or "))
		}
	}
	return nil
}

// visibleLabels returns the labels of the nodes from and to, nil for one that is missing or that
// the caller cannot see (the two are not told apart).
func (s *Store) visibleLabels(ctx context.Context, tx neo4j.ManagedTransaction, from, to string) (fromLabels, toLabels []any, err error) {
	records, err := s.run(ctx, tx, viewerPrelude+`
OPTIONAL MATCH (a:`+tg.LabelEntity+` {id: $from}) WHERE `+visible("a")+`
OPTIONAL MATCH (b:`+tg.LabelEntity+` {id: $to}) WHERE `+visible("b")+`
RETURN labels(a) AS fromLabels, labels(b) AS toLabels`, viewerParams(ctx, map[string]any{"from": from, "to": to}))
	if err != nil {
		return nil, nil, err
	}
	rawFrom, _ := records[0].Get("fromLabels")
	rawTo, _ := records[0].Get("toLabels")
	fromLabels, _ = rawFrom.([]any)
	toLabels, _ = rawTo.([]any)
	return fromLabels, toLabels, nil
}

func hasAnyLabel(labels []any, allowed []string) bool {
	if allowed == nil {
		allowed = tg.IntelligenceLabels
	}
	for _, l := range labels {
		if s, ok := l.(string); ok && slices.Contains(allowed, s) {
			return true
		}
	}
	return false
}

// Unlink removes the caller's partner's relationships of the type between two nodes, recording
// an UNLINKED version of each with the writer's reason (optional); other partners'
// relationships stay.
func (s *Store) Unlink(ctx context.Context, typ, from, to string, reason *string) (int, error) {
	viewer, err := writer(ctx)
	if err != nil {
		return 0, err
	}
	rk, ok := linkable(typ)
	if !ok && typ == tg.RelSameAs {
		return 0, tg.InvalidField("type", "SAME_AS is removed by unlinkSameAs")
	}
	if !ok {
		return 0, tg.InvalidField("type", "cannot be unlinked through the API")
	}
	return writeTx(ctx, s, func(tx neo4j.ManagedTransaction) (int, error) {
		if err := s.checkEnds(ctx, tx, rk, from, to); err != nil {
			return 0, err
		}
		return s.removeLinks(ctx, tx, rk, viewer, from, to, reason, false)
	})
}

// removeLinks removes the viewer's relationships of type rk from from to to in tx (undirected:
// either way, for SAME_AS), recording an UNLINKED version of each; the ends were checked.
func (s *Store) removeLinks(ctx context.Context, tx neo4j.ManagedTransaction, rk *tg.Relationship, viewer, from, to string, reason *string, undirected bool) (int, error) {
	arrow := "->"
	if undirected {
		arrow = "-"
	}
	records, err := s.run(ctx, tx, `
MATCH (:`+tg.LabelEntity+` {id: $from})-[r:`+rk.Type+`]`+arrow+`(:`+tg.LabelEntity+` {id: $to})
WHERE r.sourcePartner = $viewer
WITH r, {type: type(r), from: startNode(r).id, to: endNode(r).id, props: properties(r)} AS removed
DELETE r
RETURN removed`, map[string]any{"from": from, "to": to, "viewer": viewer})
	if err != nil {
		return 0, err
	}
	versions := make([]Version, 0, len(records))
	for _, record := range records {
		removed, _ := record.Get("removed")
		versions = append(versions, unlinkedVersion(removed.(map[string]any), reason))
	}
	return len(records), s.recordVersion(ctx, tx, versions...)
}

// NeighborQuery selects the nodes one relationship away from a set of nodes.
type NeighborQuery struct {
	Type      string
	Direction tg.Direction
	// Labels restricts the nodes reached; empty means any entity.
	Labels []string
	// Roles and Kinds restrict by the relationship's role or kind property.
	Roles []string
	Kinds []string
	// Limit bounds the neighbours per node.
	Limit int
}

// Key identifies the query for per-operation loader caches.
func (q NeighborQuery) Key() string {
	return fmt.Sprintf("%s|%d|%v|%v|%v|%d", q.Type, q.Direction, q.Labels, q.Roles, q.Kinds, q.Limit)
}

// Neighbors returns, for each of ids, the visible neighbours over visible relationships of
// q.Type, in one query whatever the number of ids. STOP relationships come in seq order.
func (s *Store) Neighbors(ctx context.Context, q NeighborQuery, ids []string) (map[string][]Neighbor, error) {
	plan := &NeighborPlan{Query: q}
	found, err := s.NeighborTree(ctx, ids, []*NeighborPlan{plan})
	if err != nil {
		return nil, err
	}
	return found[plan], nil
}

// SetMembership adds (member true) or removes a partner from a sharing group, recording a
// LINKED or UNLINKED version when the membership changed. The schema lets only admins ask
// (@hasScope(scope: ADMIN) on addGroupMember and removeGroupMember).
func (s *Store) SetMembership(ctx context.Context, groupID, partnerID string, member bool) (*SharingGroup, error) {
	change := `MERGE (p)-[m:` + tg.RelMemberOf + `]->(g)
ON CREATE SET m.tlp = 'CLEAR', m.sourcePartner = $viewer, m.sharedWith = [], m.externalRefs = [], m.createdAt = datetime(), m.updatedAt = datetime()`
	if !member {
		change = `WITH p, g
OPTIONAL MATCH (p)-[m:` + tg.RelMemberOf + `]->(g)
DELETE m`
	}
	params := viewerParams(ctx, map[string]any{"group": groupID, "partner": partnerID})
	return writeTx(ctx, s, func(tx neo4j.ManagedTransaction) (*SharingGroup, error) {
		records, err := s.run(ctx, tx, `
OPTIONAL MATCH (g:`+tg.LabelSharingGroup+` {id: $group})
OPTIONAL MATCH (p:`+tg.LabelPartner+` {id: $partner})
RETURN g IS NOT NULL AS group, p IS NOT NULL AS partner, EXISTS { (p)-[:`+tg.RelMemberOf+`]->(g) } AS member`, params)
		if err != nil {
			return nil, err
		}
		if ok, _ := records[0].Get("group"); ok != true {
			return nil, &tg.Error{Code: tg.NotFound, Message: "no sharing group with this id", Field: "groupId"}
		}
		if ok, _ := records[0].Get("partner"); ok != true {
			return nil, &tg.Error{Code: tg.NotFound, Message: "no partner with this id", Field: "partnerId"}
		}
		if was, _ := records[0].Get("member"); was != member {
			v := Version{EntityIDs: []string{partnerID, groupID}, Label: tg.RelMemberOf, From: partnerID, To: groupID,
				Change: tg.ChangeUnlinked, Marking: VersionMarking{SourcePartner: auth.CallerFrom(ctx).PartnerID, Tlp: tg.TlpClear}}
			if member {
				v.Change = tg.ChangeLinked
			}
			if err := s.recordVersion(ctx, tx, v); err != nil {
				return nil, err
			}
		}
		records, err = s.run(ctx, tx, `
MATCH (g:`+tg.LabelSharingGroup+` {id: $group}), (p:`+tg.LabelPartner+` {id: $partner})
`+change+`
WITH DISTINCT g
RETURN `+projection("g")+` AS node`, params)
		if err != nil {
			return nil, err
		}
		v, _ := records[0].Get("node")
		node, err := decodeNode(v)
		if err != nil {
			return nil, err
		}
		return node.(*SharingGroup), nil
	})
}
