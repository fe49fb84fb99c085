// Command modeldoc writes docs/graph-model.md from the model's table (model.go), so that the
// document cannot drift from what the store, the migrations and the schema use. Run by
// `go generate` at the module root; `make check` fails when the committed file differs.
package main

import (
	"fmt"
	"os"
	"strings"

	tg "github.com/traffikgraph/traffikgraph"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: modeldoc <output.md>")
		os.Exit(2)
	}
	if err := os.WriteFile(os.Args[1], []byte(render()), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "modeldoc:", err)
		os.Exit(1)
	}
}

func render() string {
	var b strings.Builder
	b.WriteString(`# The graph model as stored in Neo4j

<!-- Generated from model.go by internal/modeldoc (go generate ./...): edit the table, not this file. -->

This is the contract between the store, the seed/importers, and analysts who read the graph in
their workspace in Neo4j Bloom or Browser (docs/analysts.md: a workspace holds the same labels,
relationship types and properties, personal data the analyst may not read absent). Property names are camelCase; enum values are SCREAMING_CASE strings.
The table it is generated from (` + "`model.go`" + `) is also what the store's allowlists, the
migrations and the relationship fields of the API are built from.

## Every domain node

Every domain node carries the label ` + "`Entity`" + ` plus its own label (` + labelList() + `),
and these properties:

| property | type | meaning |
|---|---|---|
`)
	for _, p := range tg.Labels[0].Props {
		if p.Provenance || p.Name == "id" {
			fmt.Fprintf(&b, "| `%s` | %s | %s |\n", p.Name, typeOf(p), p.Doc)
		}
	}
	b.WriteString(`
` + "`Partner` and `SharingGroup`" + ` nodes are the hub's directory: they carry the same provenance, but
their marking is always ` + "`CLEAR`" + ` (the store forces it; everyone authenticated may learn partner
names) and their ids are chosen by the admin who registers them (the partner id is the value its
tokens carry).

## Labels

Personal data is marked *; it is null (and listed in ` + "`extensions.redacted`" + `) for callers without
` + "`graph:read:pii`" + `, and cannot be used by them to filter, order or search. Filters are the ` + "`<Label>Where`" + `
fields of the API; sort fields are ` + "`<Label>SortField`" + `.

| label | meaning | properties |
|---|---|---|
`)
	for _, l := range tg.Labels {
		var props []string
		for _, p := range l.Props {
			if !p.Provenance && p.Name != "id" {
				props = append(props, propertyDoc(p))
			}
		}
		fmt.Fprintf(&b, "| %s | %s | %s |\n", l.Name, l.Doc, strings.Join(props, "; "))
	}
	b.WriteString(`
The store also sets ` + "`publicSubmission`" + ` (true) on the reports the public submitted, by
` + "`submitReport`" + ` only: the visibility rule reserves them to the triage partner's ` + "`reports:triage`" + `
staff. It is not in the API.

## Relationships

Every relationship that carries intelligence has the provenance properties above (` + "`sourcePartner`" + `,
` + "`tlp`, `sharedWith`, `grading`, `createdAt`, `updatedAt`" + `); the store gives it to every relationship
it writes, so the one visibility predicate applies to every relationship too. A many-to-one type
is read as one node from its from end (the API's field there is single-valued).

| type | from → to | cardinality | properties | API fields |
|---|---|---|---|---|
`)
	for _, r := range tg.Relationships {
		to := "any intelligence node"
		if r.To != nil {
			to = strings.Join(r.To, " or ")
		}
		ends := strings.Join(r.From, " or ") + " → " + to
		if r.Doc != "" {
			ends += " (" + r.Doc + ")"
		}
		card := "many-to-many"
		if r.Cardinality == tg.ManyToOne {
			card = "many-to-one"
		}
		var props, fields []string
		for _, p := range r.Props {
			props = append(props, propertyDoc(p))
		}
		for _, f := range r.Fields {
			fields = append(fields, "`"+f.On+"."+f.Name+"`")
		}
		switch {
		case r.Type == tg.RelSameAs:
			card += "; written by linkSameAs, traversed only with followSameAs"
		case !r.Linkable:
			card += "; the admin's, not linkable"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s |\n", r.Type, ends, card, strings.Join(props, "; "), strings.Join(fields, ", "))
	}
	b.WriteString(`
## Who sees a node or relationship

With the caller's partner id ` + "`$partner`" + ` (null when anonymous) and ` + "`$peers`" + ` (ids of partners that
share at least one SharingGroup with the caller's partner, the caller's own included):

` + "```" + `
x.tlp = 'CLEAR'
OR ($partner IS NOT NULL AND (
     x.tlp = 'GREEN'
  OR (x.tlp = 'AMBER' AND x.sourcePartner IN $peers)
  OR (x.tlp IN ['AMBER_STRICT', 'RED'] AND x.sourcePartner = $partner)
  OR (x.tlp = 'RED' AND $partner IN x.sharedWith)))
` + "```" + `

` + "`store/visibility.go`" + ` writes the same rule as one ` + "`CASE`" + ` on ` + "`x.tlp`" + ` (a large ` + "`OR`" + ` makes the Cypher
planner scan a label twice and test a dozen normalised clauses per node); the tests in
` + "`store/visibility_test.go`" + ` and ` + "`e2e/`" + ` hold it to this table.
`)
	return b.String()
}

func labelList() string {
	names := make([]string, len(tg.Labels))
	for i, l := range tg.Labels {
		names[i] = "`" + l.Name + "`"
	}
	return strings.Join(names, ", ")
}

// propertyDoc is one property in a table cell: name, PII mark, type, bounds, filters, sort field.
func propertyDoc(p tg.Property) string {
	s := "`" + p.Name + "`"
	if p.PII.Personal {
		s += "*"
	}
	details := []string{typeOf(p)}
	if p.PII.When != "" {
		details = append(details, fmt.Sprintf("* when `%s` is `%s`", p.PII.When, p.PII.Is))
	}
	if p.Input != "" {
		details = append(details, "`"+p.Input+"` in the API")
	}
	if p.Required {
		details = append(details, "required")
	}
	if p.MaxLen != 0 {
		details = append(details, fmt.Sprintf("at most %d characters", p.MaxLen))
	}
	if len(p.Filters) > 0 {
		ops := make([]string, len(p.Filters))
		for i, op := range p.Filters {
			ops[i] = string(op)
		}
		details = append(details, "filter "+strings.Join(ops, ", "))
	}
	if p.SortField != "" {
		details = append(details, "sort "+p.SortField)
	}
	if p.Doc != "" {
		details = append(details, p.Doc)
	}
	return s + " (" + strings.Join(details, ", ") + ")"
}

func typeOf(p tg.Property) string {
	switch p.Type {
	case tg.String:
		return "string"
	case tg.StringList:
		return "list of string"
	case tg.Enum:
		return "`" + strings.Join(tg.Enums[p.Enum], "`, `") + "`"
	case tg.EnumList:
		return "list of `" + strings.Join(tg.Enums[p.Enum], "`, `") + "`"
	case tg.Int:
		return "int"
	case tg.Float:
		return "float"
	case tg.Date:
		return "Date"
	case tg.DateTime:
		return "DateTime (UTC)"
	case tg.Point:
		return "point (WGS-84 `point({latitude, longitude})`)"
	case tg.Country:
		return "ISO 3166-1 alpha-2"
	}
	return "?"
}
