package bench

import (
	"context"
	"maps"
	"math/rand/v2"
	"strings"

	tg "github.com/traffikgraph/traffikgraph"
	"github.com/traffikgraph/traffikgraph/store"
)

// hand fills a hand-written query's {{vis x}} placeholders with the visibility predicate, so
// that the baseline filters exactly as the API does.
func hand(query string) string {
	var b strings.Builder
	b.WriteString(store.ViewerPrelude)
	for {
		i := strings.Index(query, "{{vis ")
		if i < 0 {
			b.WriteString(query)
			return b.String()
		}
		j := strings.Index(query[i:], "}}")
		b.WriteString(query[:i])
		b.WriteString(store.Visible(query[i+6 : i+j]))
		query = query[i+j+2:]
	}
}

// neo4jGraphQLEdgeVisible is our visibility rule on a relationship's marking, as @neo4j/graphql
// takes it in a connection's where: its @authorization rules cannot sit on relationship
// properties (neo4jgraphql/typedefs.mjs), so the query carries it, with the caller's partner and
// peers as variables. Nodes need none: their types carry the rule.
const neo4jGraphQLEdgeVisible = `{ OR: [
    { tlp: { eq: "CLEAR" } }
    { tlp: { eq: "GREEN" } }
    { tlp: { eq: "AMBER" }, sourcePartner: { in: $peers } }
    { tlp: { in: ["AMBER_STRICT", "RED"] }, sourcePartner: { eq: $viewer } }
    { tlp: { eq: "RED" }, sharedWith: { includes: $viewer } }
  ] }`

// neo4jGraphQL fills an @neo4j/graphql operation's {{edge vis}} placeholders with
// neo4jGraphQLEdgeVisible.
func neo4jGraphQL(query string) string {
	return strings.ReplaceAll(query, "{{edge vis}}", neo4jGraphQLEdgeVisible)
}

// neo4jGraphQLViewer is the variables every @neo4j/graphql operation needs for the bench
// caller's edge visibility, merged with the case's own.
func neo4jGraphQLViewer(vars map[string]any, f *Fixture) map[string]any {
	out := map[string]any{"viewer": f.Partner, "peers": f.Peers}
	maps.Copy(out, vars)
	return out
}

// viewer is the parameters every hand-written query needs for the bench caller.
func viewer(f *Fixture, extra map[string]any) map[string]any {
	params := map[string]any{"viewer": f.Partner, "pii": true, "triage": true}
	for k, v := range extra {
		params[k] = v
	}
	return params
}

// BaseCases are the lists and nested fields every GraphQL layer over Neo4j offers.
func BaseCases() []Case {
	return []Case{
		{
			Name: "incidents page with nested fields",
			GraphQL: `query { incidents(first: 20, orderBy: [{field: OCCURRED_FROM, direction: DESC}]) {
  totalCount edges { node { id title occurredFrom location { name } people { role person { name } } } } } }`,
			Variables: func(*Fixture, *rand.Rand) map[string]any { return nil },
			Cypher: hand(`
CALL {
    WITH peers
    MATCH (n:` + tg.LabelIncident + `) WHERE {{vis n}}
    RETURN collect(n) AS matched
}
CALL {
    WITH peers, matched
    UNWIND matched AS n
    WITH n, peers ORDER BY coalesce(n.occurredFrom, date('0001-01-01')) DESC, n.id DESC LIMIT 20
    CALL {
        WITH n, peers
        OPTIONAL MATCH (n)-[r:` + tg.RelOccurredAt + `]->(l:` + tg.LabelLocation + `) WHERE {{vis r}} AND {{vis l}}
        RETURN l.name AS location LIMIT 1
    }
    CALL {
        WITH n, peers
        OPTIONAL MATCH (n)<-[r:` + tg.RelInvolvedIn + `]-(p:` + tg.LabelPerson + `) WHERE {{vis r}} AND {{vis p}}
        RETURN collect({role: r.role, name: CASE WHEN $pii THEN p.name END}) AS people
    }
    RETURN collect({id: n.id, title: n.title, occurredFrom: n.occurredFrom, location: location, people: people}) AS rows
}
RETURN size(matched) AS total, rows`),
			Params: func(_ map[string]any, f *Fixture) map[string]any { return viewer(f, nil) },
			Neo4jGraphQL: neo4jGraphQL(`query($viewer: String!, $peers: [String!]!) {
  incidentsConnection(first: 20, sort: [{occurredFrom: DESC}, {id: DESC}]) { totalCount edges { node { id title occurredFrom
    locationConnection(first: 1, where: {edge: {{edge vis}}}) { edges { node { name } } }
    peopleConnection(where: {edge: {{edge vis}}}) { edges { properties { role } node { name } } } } } } }`),
			Neo4jGraphQLVariables: neo4jGraphQLViewer,
		},
		{
			// No Neo4j on our side, one trivial statement on the baseline's: what a request costs
			// before any query (HTTP, the token, GraphQL, JSON) against one Bolt round trip, the
			// floor under the point reads' ratios.
			Name:      "__typename alone (no Neo4j)",
			GraphQL:   `{ __typename }`,
			Variables: func(*Fixture, *rand.Rand) map[string]any { return nil },
			Cypher:    `RETURN 1`,
			Params:    func(map[string]any, *Fixture) map[string]any { return nil },
		},
		{
			// No personal data and no marked data: no audit record is written, so the ratio is the
			// cost of HTTP, the token, GraphQL and the store's query.
			Name:      "node by id alone (not audited)",
			GraphQL:   `query($id: ID!) { node(id: $id) { id } }`,
			Variables: func(f *Fixture, r *rand.Rand) map[string]any { return map[string]any{"id": pick(r, f.GreenPeople)} },
			Cypher:    hand(`MATCH (n:` + tg.LabelEntity + ` {id: $id}) WHERE {{vis n}} RETURN n.id`),
			Params: func(vars map[string]any, f *Fixture) map[string]any {
				return viewer(f, map[string]any{"id": vars["id"]})
			},
		},
		{
			Name:      "node by id with nested fields",
			GraphQL:   nestedNodeQuery,
			Variables: idVar(func(f *Fixture) []string { return f.Incidents }),
			Cypher: hand(`
MATCH (n:` + tg.LabelEntity + ` {id: $id}) WHERE {{vis n}}
CALL {
    WITH n, peers
    OPTIONAL MATCH (n)-[r:` + tg.RelOccurredAt + `]->(l:` + tg.LabelLocation + `) WHERE {{vis r}} AND {{vis l}}
    OPTIONAL MATCH (l)-[w:` + tg.RelWithin + `]->(parent:` + tg.LabelLocation + `) WHERE {{vis w}} AND {{vis parent}}
    RETURN l.name AS location, parent.name AS parent LIMIT 1
}
CALL {
    WITH n, peers
    OPTIONAL MATCH (n)<-[r:` + tg.RelInvolvedIn + `]-(p:` + tg.LabelPerson + `) WHERE {{vis r}} AND {{vis p}}
    RETURN collect({role: r.role, name: CASE WHEN $pii THEN p.name END, nationality: p.nationality}) AS people
}
RETURN n.id, n.title, n.victimCount, location, parent, people`),
			Params: func(vars map[string]any, f *Fixture) map[string]any {
				return viewer(f, map[string]any{"id": vars["id"]})
			},
			Neo4jGraphQL: neo4jGraphQL(`query($id: ID!, $viewer: String!, $peers: [String!]!) {
  incidents(where: {id: {eq: $id}}) { id title victimCount
    locationConnection(first: 1, where: {edge: {{edge vis}}}) { edges { node { name
      parentConnection(first: 1, where: {edge: {{edge vis}}}) { edges { node { name } } } } } }
    peopleConnection(where: {edge: {{edge vis}}}) { edges { properties { role } node { name nationality } } } } }`),
			Neo4jGraphQLVariables: neo4jGraphQLViewer,
		},
		{
			// The same question against the statement the store sends for it, replayed through the
			// driver: ours over this baseline is everything around Neo4j's work for the question
			// (HTTP, the token, GraphQL, the audit record and its trail in Neo4j), and this baseline
			// over the hand-written one is the cost of the store's query shape.
			Name:      "node by id with nested fields (the store's statement)",
			GraphQL:   nestedNodeQuery,
			Variables: idVar(func(f *Fixture) []string { return f.Incidents }),
			Store: func(ctx context.Context, s *store.Store, v map[string]any) error {
				_, _, err := s.GetWithTree(ctx, str(v["id"]), []*store.NeighborPlan{
					{FromLabel: tg.LabelIncident, Query: store.NeighborQuery{Type: tg.RelOccurredAt, Direction: tg.Outgoing, Labels: []string{tg.LabelLocation}, Limit: 1},
						Children: []*store.NeighborPlan{{FromLabel: tg.LabelLocation,
							Query: store.NeighborQuery{Type: tg.RelWithin, Direction: tg.Outgoing, Labels: []string{tg.LabelLocation}, Limit: 1}}}},
					{FromLabel: tg.LabelIncident, Query: store.NeighborQuery{Type: tg.RelInvolvedIn, Direction: tg.Incoming, Labels: []string{tg.LabelPerson}, Limit: 100}},
				})
				return err
			},
		},
	}
}

// nestedNodeQuery is an incident read by id with its location, the location's parent and its
// people: the audited point read (the people's names are personal data).
const nestedNodeQuery = `query($id: ID!) { node(id: $id) { ... on Incident { id title victimCount
  location { name parent { name } } people { role person { name nationality } } } } }`
