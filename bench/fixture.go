package bench

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	tg "github.com/traffikgraph/traffikgraph"
	"github.com/traffikgraph/traffikgraph/store"
)

// Fixture holds ids sampled from the benchmark graph, so that every request asks about
// something that exists, spread over the graph rather than one hot node.
type Fixture struct {
	Incidents        []string
	SupplyBusinesses []string
	RouteLocations   []string
	Linked           []string // people holding identifiers
	GreenPeople      []string // GREEN people: reading their id alone is not audited
	PathPairs        [][2]string
	SearchTerms      []string
	Countries        []string
	// Partner is the bench caller's partner, whose visibility the hand-written Cypher applies.
	Partner string
	// Peers are the partners sharing a sharing group with Partner, itself included: what
	// @neo4j/graphql's queries take as variables to apply the same visibility to relationships.
	Peers []string
}

const fixtureSize = 200

var fixtureQueries = map[string]string{
	"incidents": `MATCH (n:` + tg.LabelIncident + `) WHERE n.tlp IN ['CLEAR', 'GREEN'] RETURN n.id AS v LIMIT $n`,
	"supply": `MATCH (b:` + tg.LabelBusiness + `)<-[:` + tg.RelSupplies + `]-(:` + tg.LabelBusiness + `)<-[:` + tg.RelSupplies + `]-(:` + tg.LabelBusiness + `)
WHERE b.tlp IN ['CLEAR', 'GREEN'] RETURN DISTINCT b.id AS v LIMIT $n`,
	"routeLocations": `MATCH (:` + tg.LabelRoute + `)-[:` + tg.RelStop + `]->(l:` + tg.LabelLocation + `) WHERE l.tlp IN ['CLEAR', 'GREEN'] RETURN DISTINCT l.id AS v LIMIT $n`,
	"linked": `MATCH (p:` + tg.LabelPerson + `)-[:` + tg.RelHasIdentifier + `]->(:` + tg.LabelIdentifier + `)<-[:` + tg.RelHasIdentifier + `]-(:` + tg.LabelPerson + `)
WHERE p.tlp IN ['CLEAR', 'GREEN'] RETURN DISTINCT p.id AS v LIMIT $n`,
	"greenPeople": `MATCH (p:` + tg.LabelPerson + ` {tlp: 'GREEN'}) RETURN p.id AS v LIMIT $n`,
	"terms":       `MATCH (l:` + tg.LabelLocation + ` {kind: 'CITY'}) RETURN DISTINCT l.name AS v LIMIT $n`,
	"countries":   `MATCH (l:` + tg.LabelLocation + ` {kind: 'COUNTRY'}) RETURN l.countryCode AS v LIMIT $n`,
}

// LoadFixture samples the graph.
func LoadFixture(ctx context.Context, driver neo4j.DriverWithContext, database, partner string) (*Fixture, error) {
	f := &Fixture{Partner: partner}
	targets := map[string]*[]string{
		"incidents": &f.Incidents, "supply": &f.SupplyBusinesses, "routeLocations": &f.RouteLocations,
		"linked": &f.Linked, "greenPeople": &f.GreenPeople, "terms": &f.SearchTerms, "countries": &f.Countries,
	}
	for name, query := range fixtureQueries {
		res, err := neo4j.ExecuteQuery(ctx, driver, query, map[string]any{"n": fixtureSize}, neo4j.EagerResultTransformer,
			neo4j.ExecuteQueryWithDatabase(database), neo4j.ExecuteQueryWithReadersRouting())
		if err != nil {
			return nil, fmt.Errorf("fixture %s: %w", name, err)
		}
		for _, r := range res.Records {
			v, _ := r.Get("v")
			if s, ok := v.(string); ok {
				*targets[name] = append(*targets[name], s)
			}
		}
		if len(*targets[name]) == 0 {
			return nil, fmt.Errorf("fixture %s: %w", name, errNoFixture)
		}
	}
	peers, err := neo4j.ExecuteQuery(ctx, driver, store.ViewerPrelude+"RETURN peers", map[string]any{"viewer": partner},
		neo4j.EagerResultTransformer, neo4j.ExecuteQueryWithDatabase(database), neo4j.ExecuteQueryWithReadersRouting())
	if err != nil {
		return nil, fmt.Errorf("fixture peers: %w", err)
	}
	ids, _, err := neo4j.GetRecordValue[[]any](peers.Records[0], "peers")
	if err != nil {
		return nil, fmt.Errorf("fixture peers: %w", err)
	}
	for _, id := range ids {
		f.Peers = append(f.Peers, str(id))
	}
	for i := range f.Linked {
		f.PathPairs = append(f.PathPairs, [2]string{f.Linked[i], f.Incidents[i%len(f.Incidents)]})
	}
	return f, nil
}

func pick(r *rand.Rand, from []string) string { return from[r.IntN(len(from))] }
