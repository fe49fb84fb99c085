package store

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/google/uuid"
	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
	tg "github.com/traffikgraph/traffikgraph"
	"github.com/traffikgraph/traffikgraph/auth"
)

// Marking is the provenance a writer sets: the sharing marking and grading. The source
// partner is always the writer's own partner.
type Marking struct {
	Tlp        string   `json:"tlp"`
	SharedWith []string `json:"sharedWith"`
	Grading    *string  `json:"grading"`
}

// Patch is what a write sets on a node or relationship, by the input names of its properties
// in the model (Property.InputName): Set gives values (a string, int, float64, time.Time, Date,
// GeoPoint, or a []any or []string of them), Remove names the properties it removes. Every name
// is checked against the model; a refusal names the property ("name", "point.latitude").
type Patch struct {
	Set    map[string]any
	Remove []string
}

// values is the patch as one map, a removed property holding nil.
func (p Patch) values() map[string]any {
	out := make(map[string]any, len(p.Set)+len(p.Remove))
	for name, v := range p.Set {
		out[name] = v
	}
	for _, name := range p.Remove {
		out[name] = nil
	}
	return out
}

// CreateParams describes a node to create.
type CreateParams struct {
	// Properties are the label's properties (removals are ignored on create but for required
	// ones, which are refused).
	Properties Patch
	Marking    Marking
	// ExternalRef makes the create an upsert: the node this partner contributed under the same
	// ref is updated instead.
	ExternalRef *string
	// ID is set for directory entries (partners, groups) whose ids are chosen by an admin.
	ID string
}

var tlps = []string{"CLEAR", "GREEN", "AMBER", "AMBER_STRICT", "RED"}

// writer returns the partner the caller writes for; anonymous callers write nothing here.
func writer(ctx context.Context) (string, error) {
	caller := auth.CallerFrom(ctx)
	if caller.Anonymous() {
		return "", tg.Errorf(tg.Unauthenticated, "writing needs an authenticated partner")
	}
	return caller.PartnerID, nil
}

// checkMarking validates a marking and returns its properties. Partners named in sharedWith
// must exist (checked in the write's transaction).
func checkMarking(m Marking, path string) (map[string]any, error) {
	if !slices.Contains(tlps, m.Tlp) {
		return nil, tg.InvalidField(path+".tlp", "must be one of %v", tlps)
	}
	if len(m.SharedWith) > 0 && m.Tlp != "RED" {
		return nil, tg.InvalidField(path+".sharedWith", "is only for RED data")
	}
	if len(m.SharedWith) > 50 {
		return nil, tg.InvalidField(path+".sharedWith", "must name at most 50 partners")
	}
	props := map[string]any{"tlp": m.Tlp, "sharedWith": nonNil(m.SharedWith), "grading": nil}
	if m.Grading != nil {
		if !gradingPattern.MatchString(*m.Grading) {
			return nil, tg.InvalidField(path+".grading", "must be a 3x5x2 grading such as 1AP (source 1-3, intelligence A-E, handling P or C)")
		}
		props["grading"] = *m.Grading
	}
	return props, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// checkInput validates the writable properties of k the patch sets or removes; with create set
// it also requires the label's required properties. Removed properties are kept as nil.
func checkInput(k *tg.Label, patch Patch, create bool) (map[string]any, error) {
	input := patch.values()
	out := make(map[string]any, len(input))
	for _, key := range sortedKeys(input) {
		field := key
		p, ok := k.Prop(key)
		if !ok || p.ReadOnly {
			return nil, tg.InvalidField(field, "unknown field")
		}
		v := input[key]
		if v == nil {
			if p.Required {
				return nil, tg.InvalidField(field, "is required")
			}
			out[p.Name] = nil
			continue
		}
		converted, err := convertInput(p, v, field)
		if err != nil {
			return nil, err
		}
		out[p.Name] = converted
	}
	if create {
		for _, p := range k.Props {
			if p.Required && out[p.Name] == nil {
				return nil, tg.InvalidField(p.Name, "is required")
			}
		}
	}
	if k.Name == tg.LabelIdentifier {
		if v, ok := out["value"].(string); ok {
			kindValue, _ := out["kind"].(string)
			out["value"] = normaliseIdentifierValue(kindValue, v)
		}
	}
	if err := checkValues(k, out); err != nil {
		return nil, err
	}
	return out, nil
}

// lockPartner takes a write lock on the writer's Partner node, serialising a partner's upserts
// so that one external ref never yields two nodes. It also proves the partner is registered.
const lockPartner = `
MATCH (p:` + tg.LabelPartner + ` {id: $viewer})
SET p.lastWriteAt = datetime()
RETURN p.id AS id`

const checkSharedWith = `
UNWIND $sharedWith AS pid
OPTIONAL MATCH (p:` + tg.LabelPartner + ` {id: pid})
WITH pid, p WHERE p IS NULL
RETURN collect(pid) AS missing`

// prepareWrite locks the writer's partner and checks the partners a RED marking names.
func (s *Store) prepareWrite(ctx context.Context, tx neo4j.ManagedTransaction, viewer string, marking map[string]any) error {
	records, err := s.run(ctx, tx, lockPartner, map[string]any{"viewer": viewer})
	if err != nil {
		return err
	}
	if len(records) == 0 {
		return tg.Errorf(tg.Forbidden, "partner %q is not registered", viewer)
	}
	if shared, _ := marking["sharedWith"].([]string); len(shared) > 0 {
		records, err := s.run(ctx, tx, checkSharedWith, map[string]any{"sharedWith": shared})
		if err != nil {
			return err
		}
		if missing, _ := records[0].Get("missing"); len(missing.([]any)) > 0 {
			return tg.InvalidField("marking.sharedWith", "names unknown partners %v", missing)
		}
	}
	return nil
}

// Create creates a node of label (or, with an ExternalRef, updates this partner's node with
// that ref) in one transaction and returns it as the caller sees it.
func (s *Store) Create(ctx context.Context, label string, p CreateParams) (Node, error) {
	k := kindOf(label)
	viewer, err := writer(ctx)
	if err != nil {
		return nil, err
	}
	props, err := checkInput(k, p.Properties, p.ExternalRef == nil)
	if err != nil {
		return nil, err
	}
	if err := checkDateOrder(k.DateOrder, props); err != nil {
		return nil, err
	}
	marking, err := checkMarking(p.Marking, "marking")
	if err != nil {
		return nil, err
	}
	if k.Directory {
		marking["tlp"], marking["sharedWith"] = "CLEAR", []string{}
	}
	id := p.ID
	if id == "" {
		id = uuid.NewString()
	}
	return writeTx(ctx, s, func(tx neo4j.ManagedTransaction) (Node, error) {
		if err := s.prepareWrite(ctx, tx, viewer, marking); err != nil {
			return nil, err
		}
		if p.ExternalRef != nil {
			ref := externalRefKey(viewer, *p.ExternalRef)
			existing, err := s.run(ctx, tx, `
MATCH (n:`+k.Name+`)
WHERE n.sourcePartner = $viewer AND $ref IN n.externalRefs
RETURN n {.*} AS node LIMIT 1`, map[string]any{"viewer": viewer, "ref": ref})
			if err != nil {
				return nil, err
			}
			if len(existing) > 0 {
				current, _ := existing[0].Get("node")
				return s.applyUpdate(ctx, tx, k, current.(map[string]any), props, marking, nil, "")
			}
			if err := requireProps(k, props); err != nil {
				return nil, err
			}
			marking["externalRefs"] = []string{ref}
		} else {
			marking["externalRefs"] = []string{}
		}
		return s.createIn(ctx, tx, k, viewer, id, props, marking)
	})
}

// createIn creates the node id of kind k for the writer viewer in tx, with checked properties
// and marking (its externalRefs included), recording its CREATED version.
func (s *Store) createIn(ctx context.Context, tx neo4j.ManagedTransaction, k *tg.Label, viewer, id string, props, marking map[string]any) (Node, error) {
	// SET reads every right-hand side before it writes (n.updatedAt = n.createdAt would be
	// null); datetime() is the statement's clock, so both stamps are the same instant.
	records, err := s.run(ctx, tx, `
CREATE (n:`+tg.LabelEntity+`:`+k.Name+`)
SET n = $props, n += $marking,
    n.id = $id, n.sourcePartner = $viewer, n.createdAt = datetime(), n.updatedAt = datetime()
RETURN `+projection("n")+` AS node`, viewerParams(ctx, map[string]any{
		"props": withoutNil(props), "marking": marking, "id": id,
	}))
	if err != nil {
		return nil, mapWriteError(err, id)
	}
	created := versionedState(withoutNil(props), labelProps(k))
	maps.Copy(created, versionedState(marking, nil))
	if err := s.recordVersion(ctx, tx, Version{
		EntityIDs: []string{id}, Label: k.Name, Change: tg.ChangeCreated, After: created,
		Marking: VersionMarking{SourcePartner: viewer, Tlp: marking["tlp"].(string), SharedWith: stringList(marking["sharedWith"])},
	}); err != nil {
		return nil, err
	}
	v, _ := records[0].Get("node")
	return decodeNode(v)
}

func requireProps(k *tg.Label, props map[string]any) error {
	for _, p := range k.Props {
		if p.Required && props[p.Name] == nil {
			return tg.InvalidField(p.Name, "is required")
		}
	}
	return nil
}

func withoutNil(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		if v != nil {
			out[k] = v
		}
	}
	return out
}

// Update applies the patch to a node the caller's partner contributed and, with a marking, sets
// its marking, recording a version of what changed with the writer's reason (optional). One
// transaction.
func (s *Store) Update(ctx context.Context, label, id string, patch Patch, marking *Marking, reason *string) (Node, error) {
	k := kindOf(label)
	viewer, err := writer(ctx)
	if err != nil {
		return nil, err
	}
	props, err := checkInput(k, patch, false)
	if err != nil {
		return nil, err
	}
	var markingProps map[string]any
	if marking != nil {
		if markingProps, err = checkMarking(*marking, "marking"); err != nil {
			return nil, err
		}
		if k.Directory {
			markingProps["tlp"], markingProps["sharedWith"] = "CLEAR", []string{}
		}
	}
	updated, err := writeTx(ctx, s, func(tx neo4j.ManagedTransaction) (Node, error) {
		if err := s.prepareWrite(ctx, tx, viewer, markingProps); err != nil {
			return nil, err
		}
		current, err := s.ownedNode(ctx, tx, k, id, viewer)
		if err != nil {
			return nil, err
		}
		return s.applyUpdate(ctx, tx, k, current, props, markingProps, reason, "")
	})
	if err == nil && k.Name == tg.LabelPartner {
		s.partners.forget(id) // its issuer may have changed
	}
	return updated, err
}

// ownedNode returns the properties of the node id of kind k if the caller sees it and its
// partner contributed it: NOT_FOUND when it is not visible, FORBIDDEN when it is another's.
func (s *Store) ownedNode(ctx context.Context, tx neo4j.ManagedTransaction, k *tg.Label, id, viewer string) (map[string]any, error) {
	records, err := s.run(ctx, tx, viewerPrelude+`
MATCH (n:`+k.Name+` {id: $id})
WHERE `+visible("n")+`
RETURN n {.*} AS node`, viewerParams(ctx, map[string]any{"id": id}))
	if err != nil {
		return nil, err
	}
	if len(records) == 0 {
		return nil, &tg.Error{Code: tg.NotFound, Message: fmt.Sprintf("no %s with this id", k.Name), Field: "id"}
	}
	v, _ := records[0].Get("node")
	current := v.(map[string]any)
	if current["sourcePartner"] != viewer && !(k.Directory && auth.CallerFrom(ctx).Has(auth.ScopeAdmin)) {
		return nil, &tg.Error{Code: tg.Forbidden, Message: "only the contributing partner may change or delete it", Field: "id"}
	}
	return current, nil
}

// erasedField refuses to write personal data of an erased subject (field, when known).
func erasedField(field string) error {
	return &tg.Error{Code: tg.BadUserInput, Field: field,
		Message: "the subject was erased: its personal data is not written again"}
}

// applyUpdate sets props and marking on the node whose properties are current, and records a
// version of the keys whose values changed (none when nothing did), of the kind change (empty:
// what changed says, changeOf; given, the version is recorded even when nothing changed).
func (s *Store) applyUpdate(ctx context.Context, tx neo4j.ManagedTransaction, k *tg.Label, current, props, marking map[string]any,
	reason *string, change string) (Node, error) {
	merged := make(map[string]any, len(current)+len(props))
	for key, v := range current {
		merged[key] = v
	}
	for key, v := range props {
		merged[key] = v
	}
	// An erased subject's personal data is not written again (a partner's next sync would bring
	// it back); the statement below checks it again under the node's lock, for a concurrent erasure.
	// On an erased node a field that may be personal is refused whatever its condition now (an
	// erased address made a CITY would otherwise take its name back, then be made an ADDRESS).
	personal := false
	for key, v := range props {
		if v == nil {
			continue
		}
		mayBe := slices.ContainsFunc(k.Props, func(p tg.Property) bool { return p.Name == key && p.PII.Personal })
		if mayBe && current["erasedAt"] != nil {
			return nil, erasedField(key)
		}
		personal = personal || tg.IsPersonal(k.Name, key, func(q string) any { return merged[q] })
	}
	if err := requireProps(k, merged); err != nil {
		return nil, err
	}
	if err := checkDateOrder(k.DateOrder, merged); err != nil {
		return nil, err
	}
	set := make(map[string]any, len(props)+len(marking))
	for key, v := range props {
		set[key] = v
	}
	for key, v := range marking {
		if key != "externalRefs" {
			set[key] = v
		}
	}
	records, err := s.run(ctx, tx, `
MATCH (n:`+k.Name+` {id: $id})
SET n.updatedAt = datetime()
WITH n WHERE n.erasedAt IS NULL OR NOT $personal
SET n += $set
RETURN `+projection("n")+` AS node`, viewerParams(ctx, map[string]any{"id": current["id"], "set": set, "personal": personal}))
	if err != nil {
		return nil, err
	}
	if len(records) == 0 {
		return nil, erasedField("")
	}
	before, after, err := diff(current, set)
	if err != nil {
		return nil, err
	}
	// A decision (change given) is recorded even when it changed nothing: the decision is the fact.
	if len(after) > 0 || change != "" {
		maps.Copy(merged, set)
		id, _ := current["id"].(string)
		if change == "" {
			change = changeOf(after)
		}
		if err := s.recordVersion(ctx, tx, Version{
			EntityIDs: []string{id}, Label: k.Name, Change: change, Reason: reason,
			Before: before, After: after, Node: merged, Marking: markingOf(merged),
		}); err != nil {
			return nil, err
		}
	}
	v, _ := records[0].Get("node")
	return decodeNode(v)
}

// deleteEntity removes the node with the writer's own relationships. Other partners'
// relationships to it are their intelligence, which the writer may not even see: when any
// remain, the node is retracted instead of deleted. It keeps only its id and provenance, loses
// every other property (personal data included) and takes the marking RETRACTED, which no
// branch of the visibility rule admits, so no caller ever sees it again; the other partners'
// relationships stay in the graph for the hub to review. The caller's answer is the same either
// way, so it learns nothing of relationships it cannot see.
const deleteEntity = `
MATCH (n:` + tg.LabelEntity + ` {id: $id})
OPTIONAL MATCH (n)-[own]-() WHERE own.sourcePartner = $viewer
WITH n, collect(DISTINCT own) AS owns
WITH n, owns, [r IN owns | {type: type(r), from: startNode(r).id, to: endNode(r).id, props: properties(r)}] AS removed
FOREACH (r IN owns | DELETE r)
WITH n, removed
CALL {
    WITH n
    WITH n WHERE NOT EXISTS { (n)--() }
    DELETE n
    RETURN false AS retracted
  UNION
    WITH n
    WITH n WHERE EXISTS { (n)--() }
    SET n = {id: n.id, sourcePartner: n.sourcePartner, tlp: 'RETRACTED', sharedWith: [], externalRefs: [],
             createdAt: n.createdAt, updatedAt: datetime(), retractedAt: datetime()}
    RETURN true AS retracted
}
RETURN retracted, removed`

// deleteDirectoryEntry removes a partner or sharing group with its memberships.
const deleteDirectoryEntry = `MATCH (n:` + tg.LabelEntity + ` {id: $id}) DETACH DELETE n
RETURN false AS retracted, [] AS removed`

// Delete removes a node the caller's partner contributed (see deleteEntity), recording a
// DELETED or RETRACTED version of it with the writer's reason (optional), and an UNLINKED
// version of each of the writer's relationships it removed with it.
func (s *Store) Delete(ctx context.Context, label, id string, reason *string) error {
	k := kindOf(label)
	viewer, err := writer(ctx)
	if err != nil {
		return err
	}
	query := deleteEntity
	if k.Directory {
		query = deleteDirectoryEntry
	}
	_, err = writeTx(ctx, s, func(tx neo4j.ManagedTransaction) (struct{}, error) {
		current, err := s.ownedNode(ctx, tx, k, id, viewer)
		if err != nil {
			return struct{}{}, err
		}
		records, err := s.run(ctx, tx, query, map[string]any{"id": id, "viewer": viewer})
		if err != nil {
			return struct{}{}, err
		}
		change := tg.ChangeDeleted
		if retracted, _ := records[0].Get("retracted"); retracted == true {
			change = tg.ChangeRetracted
		}
		versions := []Version{{
			EntityIDs: []string{id}, Label: k.Name, Change: change, Reason: reason,
			Before: versionedState(current, labelProps(k)), Node: current, Marking: markingOf(current),
		}}
		removed, _ := records[0].Get("removed")
		for _, raw := range removed.([]any) {
			versions = append(versions, unlinkedVersion(raw.(map[string]any), reason))
		}
		return struct{}{}, s.recordVersion(ctx, tx, versions...)
	})
	if err == nil && k.Name == tg.LabelPartner {
		s.partners.forget(id)
	}
	return err
}

// mapWriteError turns a constraint violation into a client error; anything else stays internal.
func mapWriteError(err error, id string) error {
	if neoErr, ok := err.(*neo4j.Neo4jError); ok && neoErr.Code == "Neo.ClientError.Schema.ConstraintValidationFailed" {
		return &tg.Error{Code: tg.BadUserInput, Message: fmt.Sprintf("an entity with id %q exists already", id), Field: "id"}
	}
	return err
}
