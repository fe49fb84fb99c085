package resolvers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/traffikgraph/traffikgraph/internal/testkit"
	"github.com/traffikgraph/traffikgraph/resolvers"
	"github.com/traffikgraph/traffikgraph/server"
	"github.com/traffikgraph/traffikgraph/store"
	"github.com/traffikgraph/traffikgraph/store/storetest"
)

// derivedWorld is a graph in which the intelligence of one marking (AMBER, AMBER_STRICT, RED or,
// for the counterpart, GREEN) can be learnt without a node of that marking being returned: a
// count, a page cut from an ordering, a hotspot, a route flow, a search hit's score, a path's
// length, an involvement's role. Everything of that marking is partner A's (RED shared with B).
type derivedWorld struct {
	// incident is the marked incident; green a GREEN one that sorts before it by title;
	// greenAtSecret a GREEN incident that occurred at the marked place secret.
	incident, green, greenAtSecret, secret string
	// origin is a GREEN place in PW where the marked route starts (it ends in FM).
	origin string
	// from and to are GREEN people linked only through the marked person middle.
	from, to string
	// witness is a GREEN person involved in the marked incident.
	witness string
}

// values are the property values of the marked data: none may appear in an audit event.
var derivedValues = []string{"Mexico", "Trafficking ring", "Secret Harbour", "Zyxwvut", "Middle Man", "Gleeport"}

func buildDerivedWorld(t *testing.T, h *harness, tlp string) derivedWorld {
	t.Helper()
	marking := fmt.Sprintf("{tlp: %s}", tlp)
	if tlp == "RED" {
		marking = fmt.Sprintf("{tlp: RED, sharedWith: [%q]}", h.B)
	}
	create := func(mutation, input, mark string) string {
		resp := h.do("a", fmt.Sprintf(`mutation { %s(input: %s, marking: %s) { id } }`, mutation, input, mark), nil)
		require.Empty(t, resp.Errors, mutation)
		return testkit.Dig(resp.Data, mutation, "id").(string)
	}
	link := func(typ, from, to, mark, props string) {
		if props != "" {
			props = ", properties: " + props
		}
		resp := h.do("a", fmt.Sprintf(`mutation { link(input: {type: %s, from: %q, to: %q%s}, marking: %s) { type } }`, typ, from, to, props, mark), nil)
		require.Empty(t, resp.Errors, typ)
	}
	const green = "{tlp: GREEN}"
	var w derivedWorld
	city := create("createLocation", `{name: "Gleeport (test)", kind: CITY, countryCode: "PW"}`, green)
	w.incident = create("createIncident", `{title: "Trafficking ring Mexico", victimCount: 25, occurredFrom: "2025-06-01"}`, marking)
	link("OCCURRED_AT", w.incident, city, marking, "")
	w.green = create("createIncident", `{title: "Aaa green case", occurredFrom: "2025-06-02"}`, green)
	w.secret = create("createLocation", `{name: "Secret Harbour (test)", kind: SITE, countryCode: "PW"}`, marking)
	w.greenAtSecret = create("createIncident", `{title: "Bbb green case", occurredFrom: "2025-06-03"}`, green)
	link("OCCURRED_AT", w.greenAtSecret, w.secret, green, "")

	w.origin = create("createLocation", `{name: "Origin (test)", kind: PORT, countryCode: "PW"}`, green)
	destination := create("createLocation", `{name: "Destination (test)", kind: PORT, countryCode: "FM"}`, green)
	route := create("createRoute", `{name: "Zyxwvut crossing"}`, marking)
	link("STOP", route, w.origin, green, `{seq: 0, stopRole: ORIGIN}`)
	link("STOP", route, destination, green, `{seq: 1, stopRole: DESTINATION}`)
	create("createBusiness", `{name: "Zyxwvut Freight"}`, marking)
	// A GREEN namesake that ranks first (its whole name is the word), so that a search cut at one
	// hit returns it and leaves the marked one out.
	create("createBusiness", `{name: "Zyxwvut"}`, green)

	w.from = create("createPerson", `{nationality: "PW"}`, green)
	w.to = create("createPerson", `{nationality: "FM"}`, green)
	middle := create("createPerson", `{name: "Middle Man"}`, marking)
	link("ASSOCIATE_OF", w.from, middle, green, "")
	link("ASSOCIATE_OF", middle, w.to, green, "")
	w.witness = create("createPerson", `{nationality: "PW"}`, green)
	link("INVOLVED_IN", w.witness, w.incident, green, `{role: WITNESS}`)
	return w
}

// derivedChannel is one way of learning marked data without a node of it being returned.
type derivedChannel struct {
	name, query string
	vars        func(w derivedWorld) map[string]any
	// answered checks that the answer did derive from the marked data (so the test cannot pass
	// by asking nothing).
	answered  func(t *testing.T, data map[string]any)
	aggregate string
}

var derivedChannels = []derivedChannel{
	{
		name:  "totalCount of a filtered list (the review's example)",
		query: `query Op($id: ID!) { incidents(where: {id_in: [$id], title_contains: "Mexico", victimCount_gte: 20}) { totalCount } }`,
		vars:  func(w derivedWorld) map[string]any { return map[string]any{"id": w.incident} },
		answered: func(t *testing.T, data map[string]any) {
			assert.EqualValues(t, json.Number("1"), testkit.Dig(data, "incidents", "totalCount"))
		},
		aggregate: "Query.incidents.totalCount(where.id_in,where.title_contains,where.victimCount_gte)",
	},
	{
		name:  "hasNextPage of an empty page",
		query: `query Op($id: ID!) { incidents(first: 0, where: {id_in: [$id]}) { pageInfo { hasNextPage } } }`,
		vars:  func(w derivedWorld) map[string]any { return map[string]any{"id": w.incident} },
		answered: func(t *testing.T, data map[string]any) {
			assert.Equal(t, true, testkit.Dig(data, "incidents", "pageInfo", "hasNextPage"))
		},
		aggregate: "Query.incidents.pageInfo.hasNextPage(first,where.id_in)",
	},
	{
		name: "a page cut from an ordering",
		query: `query Op($ids: [ID!]) { incidents(first: 1, orderBy: [{field: TITLE}], where: {id_in: $ids}) {
  edges { node { id } } } }`,
		vars: func(w derivedWorld) map[string]any { return map[string]any{"ids": []string{w.green, w.incident}} },
		answered: func(t *testing.T, data map[string]any) {
			assert.Len(t, testkit.Dig(data, "incidents", "edges"), 1)
		},
		aggregate: "Query.incidents(first,orderBy,where.id_in)",
	},
	{
		name:  "totalCount of routesThrough",
		query: `query Op($id: ID!) { routesThrough(locationId: $id) { totalCount } }`,
		vars:  func(w derivedWorld) map[string]any { return map[string]any{"id": w.origin} },
		answered: func(t *testing.T, data map[string]any) {
			assert.EqualValues(t, json.Number("1"), testkit.Dig(data, "routesThrough", "totalCount"))
		},
		aggregate: "Query.routesThrough.totalCount(locationId)",
	},
	{
		name:  "city-level hotspots (the review's example)",
		query: `query Op { hotspots(granularity: CITY, from: "2025-01-01", to: "2025-12-31", first: 500) { incidents victims } }`,
		vars:  func(derivedWorld) map[string]any { return nil },
		answered: func(t *testing.T, data map[string]any) {
			assert.NotEmpty(t, testkit.Dig(data, "hotspots"))
		},
		aggregate: "Query.hotspots(first,from,granularity,to)",
	},
	{
		name:  "routeFlows (the review's example)",
		query: `query Op { routeFlows(from: "PW") { routes incidents victims } }`,
		vars:  func(derivedWorld) map[string]any { return nil },
		answered: func(t *testing.T, data map[string]any) {
			assert.EqualValues(t, json.Number("1"), testkit.Dig(data, "routeFlows", 0, "routes"))
		},
		aggregate: "Query.routeFlows(from)",
	},
	{
		name:  "search { score type } (the review's example)",
		query: `query Op { search(query: "zyxwvut", types: [BUSINESS]) { score type } }`,
		vars:  func(derivedWorld) map[string]any { return nil },
		answered: func(t *testing.T, data map[string]any) {
			assert.Equal(t, "BUSINESS", testkit.Dig(data, "search", 0, "type"))
		},
		aggregate: "Query.search.score(query,types)",
	},
	{
		name:  "a search cut by first, that ranked a marked hit out",
		query: `query Op { search(query: "zyxwvut", types: [BUSINESS], first: 1) { node { id } } }`,
		vars:  func(derivedWorld) map[string]any { return nil },
		answered: func(t *testing.T, data map[string]any) {
			assert.Len(t, testkit.Dig(data, "search"), 1)
		},
		aggregate: "Query.search(first,query,types)",
	},
	{
		name:  "the length of a path through marked data",
		query: `query Op($from: ID!, $to: ID!) { shortestPath(from: $from, to: $to) { length } }`,
		vars:  func(w derivedWorld) map[string]any { return map[string]any{"from": w.from, "to": w.to} },
		answered: func(t *testing.T, data map[string]any) {
			assert.EqualValues(t, json.Number("2"), testkit.Dig(data, "shortestPath", "length"))
		},
		aggregate: "Query.shortestPath.length(from,to)",
	},
	{
		name:  "a role in a marked incident",
		query: `query Op($id: ID!) { node(id: $id) { ... on Person { incidents { role } } } }`,
		vars:  func(w derivedWorld) map[string]any { return map[string]any{"id": w.witness} },
		answered: func(t *testing.T, data map[string]any) {
			assert.Equal(t, "WITNESS", testkit.Dig(data, "node", "incidents", 0, "role"))
		},
		aggregate: "Query.node.incidents.role(id)",
	},
	{
		name:  "truncated of a network cut before a marked neighbour",
		query: `query Op($id: ID!) { network(id: $id, depth: 1, limit: 1) { truncated } }`,
		vars:  func(w derivedWorld) map[string]any { return map[string]any{"id": w.greenAtSecret} },
		answered: func(t *testing.T, data map[string]any) {
			assert.Equal(t, true, testkit.Dig(data, "network", "truncated"))
		},
		aggregate: "Query.network.truncated(depth,id,limit)",
	},
}

// TestAnswersDerivedFromMarkedDataAreAudited: a count, a ranking, a score, a length computed
// over AMBER, AMBER_STRICT or RED data is recorded like a read that returns that data: the
// answer asked for, with the names of its arguments, and the markings that contributed, never a
// value. The same questions over GREEN data leave no event.
func TestAnswersDerivedFromMarkedDataAreAudited(t *testing.T) {
	for _, m := range []struct{ tlp, reader string }{
		{"AMBER", "b"},        // a partner of the source's sharing group
		{"AMBER_STRICT", "a"}, // the source itself: AMBER_STRICT is seen by no one else
		{"RED", "b"},          // the partner it is shared with
	} {
		t.Run(m.tlp, func(t *testing.T) {
			h := newHarness(t)
			w := buildDerivedWorld(t, h, m.tlp)
			partner := map[string]string{"a": h.A, "b": h.B}[m.reader]
			for i, c := range derivedChannels {
				t.Run(c.name, func(t *testing.T) {
					op := fmt.Sprintf("Derived%d", i)
					resp := h.do(m.reader, renamed(c.query, op), c.vars(w))
					require.Empty(t, resp.Errors)
					c.answered(t, resp.Data)
					events := eventsOf(h.auditEvents(partner), op)
					require.Len(t, events, 1, "the derived answer is audited")
					assert.Contains(t, events[0]["aggregates"], c.aggregate)
					assert.Contains(t, events[0]["markings"], m.tlp)
					encoded, err := json.Marshal(events[0])
					require.NoError(t, err)
					for _, value := range derivedValues {
						assert.NotContains(t, string(encoded), value, "an audit event holds no property value")
					}
				})
			}
		})
	}
	t.Run("GREEN", func(t *testing.T) {
		h := newHarness(t)
		w := buildDerivedWorld(t, h, "GREEN")
		for i, c := range derivedChannels {
			t.Run(c.name, func(t *testing.T) {
				op := fmt.Sprintf("Derived%d", i)
				resp := h.do("b", renamed(c.query, op), c.vars(w))
				require.Empty(t, resp.Errors)
				c.answered(t, resp.Data)
				assert.Empty(t, eventsOf(h.auditEvents(h.B), op), "answers from CLEAR and GREEN data are not audited")
			})
		}
	})
}

// renamed gives a channel's operation (named Op) the name op.
func renamed(query, op string) string {
	return "query " + op + query[len("query Op"):]
}

// eventsOf keeps the events of the named operation.
func eventsOf(events []map[string]any, op string) []map[string]any {
	var out []map[string]any
	for _, e := range events {
		if e["operationName"] == op {
			out = append(out, e)
		}
	}
	return out
}

// TestADerivedAnswerThatCannotBeAuditedIsNotAnswered: as for a read that returns marked data, a
// count over it is withheld (UNAVAILABLE, no data) when its audit event cannot be committed; a
// count over GREEN data needs no event and is answered.
func TestADerivedAnswerThatCannotBeAuditedIsNotAnswered(t *testing.T) {
	h := newHarness(t)
	w := buildDerivedWorld(t, h, "RED")
	broken, err := store.Open(context.Background(), storetest.Config(t))
	require.NoError(t, err)
	require.NoError(t, broken.Close(context.Background()))
	discard := slog.New(slog.NewTextHandler(io.Discard, nil))
	unauditable := httptest.NewServer(server.New(server.DefaultConfig(), server.Deps{
		Schema: resolvers.NewExecutableSchema(h.store), Auth: h.callers, Ready: h.store.Ping,
		PerOperation: resolvers.PerOperation(h.store), Logger: discard,
		Extensions: []graphql.HandlerExtension{resolvers.Audit(broken, discard)},
	}))
	t.Cleanup(unauditable.Close)
	h.url = unauditable.URL + "/graphql"

	const count = `query($id: ID!) { incidents(where: {id_in: [$id]}) { totalCount } }`
	resp := h.do("b", count, map[string]any{"id": w.incident})
	assert.Equal(t, []string{"UNAVAILABLE"}, resp.Codes())
	assert.Nil(t, resp.Data)
	resp = h.do("b", count, map[string]any{"id": w.green})
	require.Empty(t, resp.Errors)
	assert.EqualValues(t, json.Number("1"), testkit.Dig(resp.Data, "incidents", "totalCount"))
}

// TestOnlyTheDerivedFieldsAskedAreAudited: what the store computed for a field the client did
// not select (hasNextPage, truncated) leaves no event, so reads of GREEN data stay unaudited.
func TestOnlyTheDerivedFieldsAskedAreAudited(t *testing.T) {
	h := newHarness(t)
	w := buildDerivedWorld(t, h, "RED")
	for name, c := range map[string]struct {
		query string
		vars  map[string]any
	}{
		"a page without hasNextPage": {`query Op($id: ID!) { incidents(first: 0, where: {id_in: [$id]}) { edges { node { id } } } }`,
			map[string]any{"id": w.incident}},
		"a network without truncated": {`query Op($id: ID!) { network(id: $id, depth: 1, limit: 1) { nodes { id } } }`,
			map[string]any{"id": w.greenAtSecret}},
	} {
		t.Run(name, func(t *testing.T) {
			resp := h.do("b", c.query, c.vars)
			require.Empty(t, resp.Errors)
			assert.Empty(t, eventsOf(h.auditEvents(h.B), "Op"))
		})
	}
}
