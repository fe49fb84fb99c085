// Package migrations creates the Neo4j schema of docs/graph-model.md: uniqueness constraints,
// range, point and full-text indexes. Every statement is idempotent (IF NOT EXISTS), so Apply
// runs at every start and after every upgrade.
package migrations

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	tg "github.com/traffikgraph/traffikgraph"
)

// Names of the full-text indexes, for the search feature. Personal data (Person.name and
// aliases, Identifier.value, Report.text) lives only in SearchPIIIndex, so a caller without
// graph:read:pii is searched against SearchPublicIndex alone and a PII field can never match.
// Location.name is personal only for kind ADDRESS; SearchPublicIndex holds it for every kind,
// so the search feature must drop ADDRESS hits for callers without graph:read:pii.
const (
	SearchPublicIndex = "search_public"
	SearchPIIIndex    = "search_pii"
)

// ErasureNamesIndex holds the free text a data subject's name may be written in (report text and
// dismissal note, history values (freeText, decoded) and reasons) for erasure and subject access, which look a person's names up in it rather
// than scanning every report and version. Lucene's simple analyzer cuts at every character that
// is not a letter, so a name written as a whole word ("Ann's", "Ann-Marie") is a run of the
// index's tokens, and the lookup finds a superset of the texts that name the person.
const ErasureNamesIndex = "erasure_names"

// The labels and properties each full-text index holds, from the model's Search properties;
// search scores a hit on the values of exactly these properties.
var (
	SearchPublicLabels, SearchPublicProperties = searchIndex(false)
	SearchPIILabels, SearchPIIProperties       = searchIndex(true)
)

// searchIndex returns the labels and properties of the model's searchable properties that are
// always personal data (pii) or not.
func searchIndex(pii bool) (labels, properties []string) {
	for _, l := range tg.Labels {
		for _, p := range l.Props {
			if !p.Search || (p.PII.Personal && p.PII.When == "") != pii {
				continue
			}
			if !slices.Contains(labels, l.Name) {
				labels = append(labels, l.Name)
			}
			if !slices.Contains(properties, p.Name) {
				properties = append(properties, p.Name)
			}
		}
	}
	return labels, properties
}

// awaitIndexesSeconds bounds how long Apply waits for new indexes to be populated; a populated
// index is what lets the first queries after a migration use it.
const awaitIndexesSeconds = 300

// statement is one schema or data change; name is the constraint or index it creates, or the
// change it makes to existing data.
type statement struct {
	name   string
	cypher string
}

// statements returns the whole schema in the order it is applied.
//
// Choices worth knowing:
//   - Entity.id is unique (the id every relationship write MATCHes on) and so is each label's
//     id (queries that name the label plan a seek on that label's own index).
//   - Entity(tlp, sourcePartner): every branch of the visibility predicate (one CASE on x.tlp,
//     store/visibility.go) but RED's `$viewer IN x.sharedWith` tests tlp, optionally with
//     sourcePartner, so a filter on them is one seek on this composite index; Entity(sourcePartner) serves "everything partner X contributed"
//     (imports, admin, erasure) where tlp is unknown.
//   - <Label>(createdAt) per label: listings are ordered by createdAt, and an index on the
//     listed label gives that order without sorting.
//   - Entity.externalRefs is a list. Neo4j 5.26 indexes a list only as a whole value (range)
//     and text indexes take strings only, so no index answers `$ref IN n.externalRefs`.
//     Refs are stored as "<partnerId>:<ref>" and upserts are per partner, so that lookup
//     seeks Entity(sourcePartner) and filters the partner's own nodes.
func statements() []statement {
	var all []statement
	add := func(name, cypher string) { all = append(all, statement{name: name, cypher: cypher}) }

	unique := func(label string) {
		name := snake(label) + "_id"
		add(name, fmt.Sprintf("CREATE CONSTRAINT %s IF NOT EXISTS FOR (n:%s) REQUIRE n.id IS UNIQUE", name, label))
	}
	nodeIndex := func(kind, label, property string) {
		name := snake(label) + "_" + snake(property)
		add(name, fmt.Sprintf("CREATE %sINDEX %s IF NOT EXISTS FOR (n:%s) ON (n.%s)", kind, name, label, property))
	}

	unique(tg.LabelEntity)
	for _, l := range tg.Labels {
		unique(l.Name)
	}
	unique(tg.LabelAuditEvent)
	unique(tg.LabelVersion)
	unique(tg.LabelMergeEvent)

	// The model's indexed properties, then those of the visibility predicate and the audit.
	for _, l := range tg.Labels {
		for _, p := range l.Props {
			switch p.Index {
			case tg.RangeIndex:
				nodeIndex("", l.Name, p.Name)
			case tg.PointIndex:
				nodeIndex("POINT ", l.Name, p.Name)
			}
		}
	}
	for _, r := range tg.Relationships {
		for _, p := range r.Props {
			if p.Index == tg.RangeIndex {
				name := strings.ToLower(r.Type) + "_" + snake(p.Name) // types are SCREAMING_SNAKE already
				add(name, fmt.Sprintf("CREATE INDEX %s IF NOT EXISTS FOR ()-[r:%s]-() ON (r.%s)", name, r.Type, p.Name))
			}
		}
	}
	nodeIndex("", tg.LabelEntity, "sourcePartner")
	add("entity_tlp_source_partner",
		"CREATE INDEX entity_tlp_source_partner IF NOT EXISTS FOR (n:"+tg.LabelEntity+") ON (n.tlp, n.sourcePartner)")
	nodeIndex("", tg.LabelAuditEvent, "at")
	nodeIndex("", tg.LabelAuditEvent, "partner")
	// history(id) reads an entity's versions newest first: one seek on the entity id, in time order.
	// Neo4j plans a composite index only with a predicate on each of its properties: the
	// statements say `v.at IS NOT NULL`, which every version is.
	add("version_entity_id_at",
		"CREATE INDEX version_entity_id_at IF NOT EXISTS FOR (n:"+tg.LabelVersion+") ON (n.entityId, n.at)")
	// An erasure finds the merges into the person it erases by their kept record (store/merge.go).
	nodeIndex("", tg.LabelMergeEvent, "keepId")

	add(SearchPublicIndex, fullTextIndex(SearchPublicIndex, SearchPublicLabels, SearchPublicProperties))
	add(SearchPIIIndex, fullTextIndex(SearchPIIIndex, SearchPIILabels, SearchPIIProperties))
	add(ErasureNamesIndex, fullTextIndex(ErasureNamesIndex, []string{tg.LabelReport, tg.LabelVersion}, []string{"text", "dismissNote", "freeText", "reason"})+
		"\nOPTIONS {indexConfig: {`fulltext.analyzer`: 'simple'}}")

	// Reports the public submitted before SubmitReport flagged them publicSubmission (which the
	// visibility rule reserves to the triage partner's reports:triage staff) carry its fingerprint:
	// AMBER_STRICT, a public channel, no external ref and a submission time equal, to the
	// nanosecond, to their creation time, which a partner's createReport does not give.
	add("report_public_submission", `MATCH (r:`+tg.LabelReport+`)
WHERE r.publicSubmission IS NULL AND r.tlp = 'AMBER_STRICT' AND r.channel IN ['APP', 'WEB', 'HOTLINE']
  AND r.externalRefs = [] AND r.submittedAt = r.createdAt
SET r.publicSubmission = true`)

	// Versions recorded before they kept their values' text for the erasure index get it from
	// the values themselves, with JSON's white-space escapes undone (enough for the index to cut
	// the words apart; store/history.go versionFreeText decodes exactly).
	add("version_free_text", `MATCH (v:`+tg.LabelVersion+`)
WHERE v.freeText IS NULL AND v.before IS NOT NULL
SET v.freeText = reduce(text = '', x IN v.before + v.after |
  text + '\n' + replace(replace(replace(x, '\\n', ' '), '\\t', ' '), '\\r', ' '))`)

	// Nodes that createX wrote before it stamped updatedAt (its SET read n.createdAt before
	// writing it) answer "last updated when created", which is what happened to them.
	add("entity_updated_at", `MATCH (n:`+tg.LabelEntity+`)
WHERE n.updatedAt IS NULL AND n.createdAt IS NOT NULL
SET n.updatedAt = n.createdAt`)
	return all
}

// fullTextIndex is the statement creating a full-text index of the properties of the labels.
func fullTextIndex(name string, labels, properties []string) string {
	each := make([]string, len(properties))
	for i, p := range properties {
		each[i] = "n." + p
	}
	return fmt.Sprintf("CREATE FULLTEXT INDEX %s IF NOT EXISTS\nFOR (n:%s)\nON EACH [%s]",
		name, strings.Join(labels, "|"), strings.Join(each, ", "))
}

// Apply creates every constraint and index that does not exist yet, then waits until all
// indexes are ONLINE. It is safe to run concurrently with reads and repeatedly.
func Apply(ctx context.Context, driver neo4j.DriverWithContext, database string) error {
	for _, s := range statements() {
		if _, err := neo4j.ExecuteQuery(ctx, driver, s.cypher, nil, neo4j.EagerResultTransformer,
			neo4j.ExecuteQueryWithDatabase(database)); err != nil {
			return fmt.Errorf("migrations: create %s: %w", s.name, err)
		}
	}
	if _, err := neo4j.ExecuteQuery(ctx, driver, "CALL db.awaitIndexes($seconds)",
		map[string]any{"seconds": awaitIndexesSeconds}, neo4j.EagerResultTransformer,
		neo4j.ExecuteQueryWithDatabase(database)); err != nil {
		return fmt.Errorf("migrations: await indexes online: %w", err)
	}
	return nil
}

// snake turns a camelCase or PascalCase name into snake_case for schema object names.
func snake(name string) string {
	out := make([]byte, 0, len(name)+4)
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c >= 'A' && c <= 'Z' {
			if i > 0 {
				out = append(out, '_')
			}
			c += 'a' - 'A'
		}
		out = append(out, c)
	}
	return string(out)
}
