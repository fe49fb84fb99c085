package ctdc

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	tg "github.com/traffikgraph/traffikgraph"
	"github.com/traffikgraph/traffikgraph/store"
)

// idNamespace makes the importer's UUIDs (version 5) its own: the same partner and record
// always give the same ids, which is what makes a second import create nothing.
var idNamespace = uuid.NewSHA1(uuid.NameSpaceURL, []byte("https://github.com/traffikgraph/traffikgraph/seed/ctdc"))

func incidentID(partner, ref string) string {
	return uuid.NewSHA1(idNamespace, []byte(partner+":"+ref+"/incident")).String()
}

func victimID(partner, ref string) string {
	return uuid.NewSHA1(idNamespace, []byte(partner+":"+ref+"/victim")).String()
}

// countryID is the id of a COUNTRY Location the importer creates. It is the same for every
// partner, so that imports never create two of one country.
func countryID(code string) string {
	return uuid.NewSHA1(idNamespace, []byte("country/"+code)).String()
}

// writer writes batches of cases in one session; countries caches the Location id of each
// country code resolved by an earlier, committed batch.
type writer struct {
	session   neo4j.SessionWithContext
	opts      Options
	now       time.Time
	countries map[string]string
}

// The oldest CLEAR country of a code is the one incidents link to: a country everyone can see
// does not hide the incidents' place from the readers of the incidents.
const findCountriesCypher = `
UNWIND $codes AS code
MATCH (l:` + tg.LabelLocation + ` {kind: 'COUNTRY', countryCode: code})
WHERE l.tlp = 'CLEAR'
WITH code, l
ORDER BY l.createdAt, l.id
RETURN code, collect(l.id)[0] AS id`

const existingIncidentsCypher = `
UNWIND $ids AS id
MATCH (i:` + tg.LabelIncident + ` {id: id})
RETURN i.id AS id`

const createCasesCypher = `
UNWIND $rows AS row
CREATE (i:` + tg.LabelEntity + `:` + tg.LabelIncident + `)
SET i = row.incident
CREATE (p:` + tg.LabelEntity + `:` + tg.LabelPerson + `)
SET p = row.victim
CREATE (p)-[v:` + tg.RelInvolvedIn + `]->(i)
SET v = $involvement`

const linkCountriesCypher = `
UNWIND $rows AS row
MATCH (i:` + tg.LabelIncident + ` {id: row.incident})
MATCH (l:` + tg.LabelLocation + ` {id: row.country})
CREATE (i)-[o:` + tg.RelOccurredAt + `]->(l)
SET o = $occurredAt`

// batchResult is what one committed batch wrote.
type batchResult struct {
	countries                               map[string]string
	incidents, countriesCreated, rels, seen int
}

// write writes the cases not imported before, with the countries they need, in one managed
// (retried) transaction; the function only reads its inputs, so a retry starts over cleanly.
func (w *writer) write(ctx context.Context, cases []Case, stats *Stats) error {
	res, err := neo4j.ExecuteWrite(ctx, w.session, func(tx neo4j.ManagedTransaction) (batchResult, error) {
		res := batchResult{countries: map[string]string{}}
		if err := w.resolveCountries(ctx, tx, cases, &res); err != nil {
			return res, err
		}
		fresh, err := w.notImported(ctx, tx, cases)
		if err != nil {
			return res, err
		}
		res.seen = len(cases) - len(fresh)
		if len(fresh) == 0 {
			return res, nil
		}
		involvement, err := w.link(tg.RelInvolvedIn, map[string]any{"role": "VICTIM"})
		if err != nil {
			return res, err
		}
		occurredAt, err := w.link(tg.RelOccurredAt, nil)
		if err != nil {
			return res, err
		}
		rows := make([]any, 0, len(fresh))
		links := make([]any, 0, len(fresh))
		for _, c := range fresh {
			incident, err := w.incident(c)
			if err != nil {
				return res, err
			}
			victim, err := w.victim(c)
			if err != nil {
				return res, err
			}
			rows = append(rows, map[string]any{"incident": incident, "victim": victim})
			if c.CountryOfExploitation != "" {
				country, ok := w.countries[c.CountryOfExploitation]
				if !ok {
					country = res.countries[c.CountryOfExploitation]
				}
				links = append(links, map[string]any{"incident": incidentID(w.opts.Partner, c.Ref), "country": country})
			}
		}
		created, err := run(ctx, tx, createCasesCypher, map[string]any{"rows": rows, "involvement": involvement})
		if err != nil {
			return res, fmt.Errorf("create cases: %w", err)
		}
		linked, err := run(ctx, tx, linkCountriesCypher, map[string]any{"rows": links, "occurredAt": occurredAt})
		if err != nil {
			return res, fmt.Errorf("link countries: %w", err)
		}
		if linked.RelationshipsCreated() != len(links) {
			return res, fmt.Errorf("link countries: %d of %d incidents linked", linked.RelationshipsCreated(), len(links))
		}
		res.incidents = len(fresh)
		res.rels = created.RelationshipsCreated() + linked.RelationshipsCreated()
		return res, nil
	})
	if err != nil {
		return fmt.Errorf("ctdc: write records of lines %d-%d: %w", cases[0].Line, cases[len(cases)-1].Line, err)
	}
	for code, id := range res.countries {
		w.countries[code] = id
	}
	stats.Incidents += res.incidents
	stats.Victims += res.incidents
	stats.Countries += res.countriesCreated
	stats.Relationships += res.rels
	stats.AlreadyImported += res.seen
	return nil
}

// resolveCountries finds, or creates, the COUNTRY Location of every country of exploitation
// in cases that no earlier batch resolved.
func (w *writer) resolveCountries(ctx context.Context, tx neo4j.ManagedTransaction, cases []Case, res *batchResult) error {
	var codes []any
	for _, c := range cases {
		code := c.CountryOfExploitation
		if _, done := w.countries[code]; code != "" && !done && !slices.Contains(codes, any(code)) {
			codes = append(codes, code)
		}
	}
	if len(codes) == 0 {
		return nil
	}
	found, err := tx.Run(ctx, findCountriesCypher, map[string]any{"codes": codes})
	if err != nil {
		return fmt.Errorf("find countries: %w", err)
	}
	records, err := found.Collect(ctx)
	if err != nil {
		return fmt.Errorf("find countries: %w", err)
	}
	for _, rec := range records {
		code, _, err := neo4j.GetRecordValue[string](rec, "code")
		if err != nil {
			return fmt.Errorf("find countries: %w", err)
		}
		id, _, err := neo4j.GetRecordValue[string](rec, "id")
		if err != nil {
			return fmt.Errorf("find countries: %w", err)
		}
		res.countries[code] = id
	}
	var missing []any
	for _, code := range codes {
		code := code.(string)
		if _, ok := res.countries[code]; ok {
			continue
		}
		id := countryID(code)
		res.countries[code] = id
		// Countries are public knowledge: CLEAR whatever the import's marking.
		row, err := store.CheckImportNode(tg.LabelLocation, store.ImportRow{
			ID: id, SourcePartner: w.opts.Partner, Marking: store.Marking{Tlp: tg.TlpClear},
			ExternalRefs: []string{w.opts.Partner + ":iso3166-1/" + code}, CreatedAt: w.now, UpdatedAt: w.now,
			Props: map[string]any{"name": countryName(code), "kind": "COUNTRY", "countryCode": code},
		})
		if err != nil {
			return fmt.Errorf("country %s: %w", code, err)
		}
		missing = append(missing, row)
	}
	if len(missing) == 0 {
		return nil
	}
	merged, err := run(ctx, tx, store.MergeNodesCypher(tg.LabelLocation), map[string]any{"rows": missing})
	if err != nil {
		return fmt.Errorf("create countries: %w", err)
	}
	res.countriesCreated = merged.NodesCreated()
	return nil
}

// notImported returns the cases whose incident does not exist yet. A case is written whole in
// one transaction, so an existing incident means its victim and relationships exist too.
func (w *writer) notImported(ctx context.Context, tx neo4j.ManagedTransaction, cases []Case) ([]Case, error) {
	ids := make([]any, len(cases))
	for i, c := range cases {
		ids[i] = incidentID(w.opts.Partner, c.Ref)
	}
	result, err := tx.Run(ctx, existingIncidentsCypher, map[string]any{"ids": ids})
	if err != nil {
		return nil, fmt.Errorf("find imported incidents: %w", err)
	}
	records, err := result.Collect(ctx)
	if err != nil {
		return nil, fmt.Errorf("find imported incidents: %w", err)
	}
	existing := make(map[string]bool, len(records))
	for _, rec := range records {
		id, _, err := neo4j.GetRecordValue[string](rec, "id")
		if err != nil {
			return nil, fmt.Errorf("find imported incidents: %w", err)
		}
		existing[id] = true
	}
	fresh := make([]Case, 0, len(cases))
	for i, c := range cases {
		if !existing[ids[i].(string)] {
			fresh = append(fresh, c)
		}
	}
	return fresh, nil
}

func run(ctx context.Context, tx neo4j.ManagedTransaction, cypher string, params map[string]any) (neo4j.Counters, error) {
	result, err := tx.Run(ctx, cypher, params)
	if err != nil {
		return nil, err
	}
	summary, err := result.Consume(ctx)
	if err != nil {
		return nil, err
	}
	return summary.Counters(), nil
}

// marking is the import's marking, on every incident, victim and relationship it creates.
func (w *writer) marking() store.Marking {
	return store.Marking{Tlp: w.opts.TLP, SharedWith: w.opts.SharedWith}
}

// link is the checked properties of every relationship of the type the import creates.
func (w *writer) link(typ string, props map[string]any) (map[string]any, error) {
	checked, err := store.CheckImportLink(typ, w.opts.Partner, w.marking(), w.now, w.now, props)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", typ, err)
	}
	return checked, nil
}

// node is a node created for the case ref with its own properties, checked as the API checks
// a create.
func (w *writer) node(label, id, ref string, props map[string]any) (map[string]any, error) {
	row, err := store.CheckImportNode(label, store.ImportRow{
		ID: id, SourcePartner: w.opts.Partner, Marking: w.marking(), ExternalRefs: []string{w.opts.Partner + ":" + ref},
		CreatedAt: w.now, UpdatedAt: w.now, Props: props,
	})
	if err != nil {
		return nil, fmt.Errorf("case %s: %w", ref, err)
	}
	return row, nil
}

func (w *writer) incident(c Case) (map[string]any, error) {
	props := map[string]any{
		"title":             title(c),
		"summary":           summary(c),
		"exploitationTypes": c.ExploitationTypes,
		"meansOfControl":    c.MeansOfControl,
		"victimCount":       int64(1),
	}
	// CTDC publishes only the year the case was registered; the exploitation began in or
	// before it, so its first day is the earliest date the record supports.
	if c.Year != 0 {
		props["occurredFrom"] = neo4j.DateOf(time.Date(c.Year, time.January, 1, 0, 0, 0, 0, time.UTC))
	}
	return w.node(tg.LabelIncident, incidentID(w.opts.Partner, c.Ref), c.Ref, props)
}

// victim is the case's Person: k-anonymised, so never a name or birth year.
func (w *writer) victim(c Case) (map[string]any, error) {
	props := map[string]any{"gender": c.Gender, "ageBand": c.AgeBand}
	if c.Citizenship != "" {
		props["nationality"] = c.Citizenship
	}
	return w.node(tg.LabelPerson, victimID(w.opts.Partner, c.Ref), c.Ref+"/victim", props)
}

// title is "CTDC case <year> <country>", leaving out what the record does not say.
func title(c Case) string {
	parts := []string{"CTDC case"}
	if c.Year != 0 {
		parts = append(parts, fmt.Sprint(c.Year))
	}
	if c.CountryOfExploitation != "" {
		parts = append(parts, c.CountryOfExploitation)
	}
	return strings.Join(parts, " ")
}

// summary keeps, in words, what the record says that the model has no property for.
func summary(c Case) string {
	var b strings.Builder
	b.WriteString("Victim case from the CTDC global k-anonymised dataset")
	if c.Datasource != "" {
		fmt.Fprintf(&b, " (data source: %s)", c.Datasource)
	}
	b.WriteString(".")
	if c.MajorityStatus != "" {
		fmt.Fprintf(&b, " Majority status: %s.", c.MajorityStatus)
	}
	if len(c.TypesOfLabour) > 0 {
		fmt.Fprintf(&b, " Type of labour: %s.", strings.Join(c.TypesOfLabour, ", "))
	}
	if len(c.TypesOfSex) > 0 {
		fmt.Fprintf(&b, " Type of sexual exploitation: %s.", strings.Join(c.TypesOfSex, ", "))
	}
	if len(c.RecruiterRelations) > 0 {
		fmt.Fprintf(&b, " Recruiter: %s.", strings.Join(c.RecruiterRelations, ", "))
	}
	if c.Abduction != nil {
		fmt.Fprintf(&b, " Abduction: %s.", map[bool]string{true: "yes", false: "no"}[*c.Abduction])
	}
	return b.String()
}

func countryName(code string) string {
	name, _ := store.CountryName(code)
	return name
}
