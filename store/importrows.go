package store

import (
	"fmt"
	"strings"
	"time"

	tg "github.com/traffikgraph/traffikgraph"
)

// The seeder and the importers write in large batches on their own transactions, but what they
// write passes the same checks as the API's writes: each row is checked here against the model
// (its own properties as checkInput checks a create, its provenance as checkMarking checks a
// marking), then written by an UNWIND query built from the model's tables.

// ImportRow is one node to import: the label's own properties (by their model names), and its
// provenance.
type ImportRow struct {
	ID            string
	SourcePartner string
	Marking       Marking
	ExternalRefs  []string
	CreatedAt     time.Time
	UpdatedAt     time.Time
	Props         map[string]any
}

// CheckImportNode checks a node of the label to import and returns the properties to store.
func CheckImportNode(label string, row ImportRow) (map[string]any, error) {
	k := kindOf(label)
	props, err := checkInput(k, Patch{Set: row.Props}, true)
	if err == nil {
		err = checkDateOrder(k.DateOrder, props)
	}
	if err != nil {
		return nil, rowPropertyRefused(err)
	}
	prov, err := checkImportProvenance(row.SourcePartner, row.Marking, row.CreatedAt, row.UpdatedAt)
	if err != nil {
		return nil, err
	}
	if k.Directory {
		prov["tlp"], prov["sharedWith"] = tg.TlpClear, []string{}
	}
	if row.ID == "" {
		return nil, tg.InvalidField("id", "is required")
	}
	prov["id"], prov["externalRefs"] = row.ID, nonNil(row.ExternalRefs)
	out := withoutNil(props)
	for key, v := range prov {
		out[key] = v
	}
	return out, nil
}

// rowPropertyRefused names a refused property of an import row as the importers report it:
// "input.<property>", the row's input, beside its "id" and its "marking." fields.
func rowPropertyRefused(err error) error {
	refused := asError(err)
	return &tg.Error{Code: refused.Code, Message: refused.Message, Field: "input." + refused.Field}
}

// CheckImportLink checks the properties of a relationship of type typ to import (by their
// model names, STOP's role as "role") and returns the properties to store.
func CheckImportLink(typ, sourcePartner string, marking Marking, createdAt, updatedAt time.Time, props map[string]any) (map[string]any, error) {
	rk, ok := tg.RelationshipOf(typ)
	if !ok {
		return nil, tg.InvalidField("type", "%q is not a relationship type", typ)
	}
	input := make(map[string]any, len(props))
	for name, v := range props {
		found := false
		for _, p := range rk.Props {
			if p.Name == name {
				input[p.InputName()], found = v, true
			}
		}
		if !found {
			return nil, tg.InvalidField("properties."+name, "does not apply to %s", typ)
		}
	}
	out, err := checkLinkProps(rk, Patch{Set: input})
	if err != nil {
		return nil, err
	}
	prov, err := checkImportProvenance(sourcePartner, marking, createdAt, updatedAt)
	if err != nil {
		return nil, err
	}
	prov["externalRefs"] = []string{}
	for key, v := range prov {
		out[key] = v
	}
	return out, nil
}

func checkImportProvenance(sourcePartner string, m Marking, createdAt, updatedAt time.Time) (map[string]any, error) {
	if sourcePartner == "" {
		return nil, tg.InvalidField("sourcePartner", "is required")
	}
	if createdAt.IsZero() || updatedAt.Before(createdAt) {
		return nil, tg.InvalidField("updatedAt", "must not be before createdAt")
	}
	prov, err := checkMarking(m, "marking")
	if err != nil {
		return nil, err
	}
	if prov["grading"] == nil {
		delete(prov, "grading")
	}
	prov["sourcePartner"], prov["createdAt"], prov["updatedAt"] = sourcePartner, createdAt.UTC(), updatedAt.UTC()
	return prov, nil
}

// ImportNodesCypher creates the checked rows ($rows) as nodes of the label.
func ImportNodesCypher(label string) string {
	return fmt.Sprintf("UNWIND $rows AS row\nCREATE (n:%s:%s)\nSET n = row", tg.LabelEntity, kindOf(label).Name)
}

// MergeNodesCypher creates the checked rows ($rows) as nodes of the label unless a node with
// the row's id exists, which it leaves untouched (the seed's demo directory, say).
func MergeNodesCypher(label string) string {
	return fmt.Sprintf("UNWIND $rows AS row\nMERGE (n:%s:%s {id: row.id})\nON CREATE SET n = row", tg.LabelEntity, kindOf(label).Name)
}

// MergeLinksCypher is ImportLinksCypher that leaves an existing relationship of the type
// between the two nodes untouched.
func MergeLinksCypher(typ string) string {
	return strings.Replace(strings.Replace(ImportLinksCypher(typ), "CREATE (a)", "MERGE (a)", 1), "SET r = row.props", "ON CREATE SET r = row.props", 1)
}

// ImportLinksCypher creates relationships of type typ between the nodes with ids row.from and
// row.to, with the checked properties row.props.
func ImportLinksCypher(typ string) string {
	rk, ok := tg.RelationshipOf(typ)
	if !ok {
		panic("store: unknown relationship type " + typ)
	}
	return fmt.Sprintf(`UNWIND $rows AS row
MATCH (a:%[1]s {id: row.from})
MATCH (b:%[1]s {id: row.to})
CREATE (a)-[r:%[2]s]->(b)
SET r = row.props`, tg.LabelEntity, rk.Type)
}
