package resolvers_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/traffikgraph/traffikgraph/auth"
	"github.com/traffikgraph/traffikgraph/internal/testkit"
)

// personalWorld is GREEN data of partner A whose personal data can be used without being
// returned: two people (their names and birth years order them), each holding a phone of the
// same value recorded separately, one living at a street address (whose name is personal data)
// in a city.
type personalWorld struct {
	people, identifiers, places []string
	holder                      string
}

// personalValues are the personal data of the world: none may appear in an audit event.
var personalValues = []string{"Zed Quill", "Ann Quill", "Quill Street", "1980", "1990"}

func buildPersonalWorld(t *testing.T, h *harness) personalWorld {
	t.Helper()
	create := func(mutation, input string) string {
		resp := h.do("a", fmt.Sprintf(`mutation { %s(input: %s, marking: {tlp: GREEN}) { id } }`, mutation, input), nil)
		require.Empty(t, resp.Errors, mutation)
		return testkit.Dig(resp.Data, mutation, "id").(string)
	}
	link := func(typ, from, to string) {
		resp := h.do("a", fmt.Sprintf(`mutation { link(input: {type: %s, from: %q, to: %q}, marking: {tlp: GREEN}) { type } }`, typ, from, to), nil)
		require.Empty(t, resp.Errors, typ)
	}
	phone := fmt.Sprintf("+4470%09d", time.Now().UnixNano()%1_000_000_000)
	var w personalWorld
	w.holder = create("createPerson", `{name: "Zed Quill", birthYear: 1980, nationality: "PW"}`)
	other := create("createPerson", `{name: "Ann Quill", birthYear: 1990, nationality: "FM"}`)
	w.people = []string{w.holder, other}
	for _, holder := range w.people {
		id := create("createIdentifier", fmt.Sprintf(`{kind: PHONE, value: %q}`, phone))
		link("HAS_IDENTIFIER", holder, id)
		w.identifiers = append(w.identifiers, id)
	}
	address := create("createLocation", `{name: "12 Quill Street", kind: ADDRESS, countryCode: "PW"}`)
	city := create("createLocation", `{name: "Quillport", kind: CITY, countryCode: "PW"}`)
	w.places = []string{address, city}
	link("LIVES_AT", w.holder, address)
	return w
}

// personalUse is a request that uses personal data to select, order, match or score its answer
// without returning any, and the same request without that use.
type personalUse struct {
	name string
	// token and query use personal data; piiField is the audit's name for that use.
	token, query, piiField string
	// plainToken and plainQuery ask the same without using personal data.
	plainToken, plainQuery string
	vars                   func(w personalWorld) map[string]any
	// answered checks that the request did select something, so that the test cannot pass by
	// asking nothing.
	answered func(t *testing.T, data map[string]any)
}

func hasEdges(root string) func(t *testing.T, data map[string]any) {
	return func(t *testing.T, data map[string]any) { assert.NotEmpty(t, testkit.Dig(data, root, "edges"), root) }
}

func counts(root string, n int) func(t *testing.T, data map[string]any) {
	return func(t *testing.T, data map[string]any) {
		assert.EqualValues(t, json.Number(fmt.Sprint(n)), testkit.Dig(data, root, "totalCount"), root)
	}
}

var personalUses = []personalUse{
	{
		name:       "people ordered by name",
		token:      "b",
		query:      `query Op($ids: [ID!]) { people(where: {id_in: $ids}, orderBy: [{field: NAME}]) { edges { node { id } } } }`,
		piiField:   "Query.people(orderBy,where.id_in):Person.name",
		plainToken: "b",
		plainQuery: `query Op($ids: [ID!]) { people(where: {id_in: $ids}, orderBy: [{field: NATIONALITY}]) { edges { node { id } } } }`,
		vars:       func(w personalWorld) map[string]any { return map[string]any{"ids": w.people} },
		answered:   hasEdges("people"),
	},
	{
		name:       "people ordered by birth year, one page after another",
		token:      "b",
		query:      `query Op($ids: [ID!]) { people(first: 1, where: {id_in: $ids}, orderBy: [{field: BIRTH_YEAR, direction: DESC}]) { edges { node { id } } } }`,
		piiField:   "Query.people(first,orderBy,where.id_in):Person.birthYear",
		plainToken: "b",
		plainQuery: `query Op($ids: [ID!]) { people(first: 1, where: {id_in: $ids}, orderBy: [{field: CREATED_AT, direction: DESC}]) { edges { node { id } } } }`,
		vars:       func(w personalWorld) map[string]any { return map[string]any{"ids": w.people} },
		answered:   hasEdges("people"),
	},
	{
		name:       "identifiers ordered by value",
		token:      "b",
		query:      `query Op($ids: [ID!]) { identifiers(where: {id_in: $ids}, orderBy: [{field: VALUE}]) { edges { node { id } } } }`,
		piiField:   "Query.identifiers(orderBy,where.id_in):Identifier.value",
		plainToken: "b",
		plainQuery: `query Op($ids: [ID!]) { identifiers(where: {id_in: $ids}, orderBy: [{field: KIND}]) { edges { node { id } } } }`,
		vars:       func(w personalWorld) map[string]any { return map[string]any{"ids": w.identifiers} },
		answered:   hasEdges("identifiers"),
	},
	{
		name:       "places ordered by name, a street address among them",
		token:      "b",
		query:      `query Op($ids: [ID!]) { locations(where: {id_in: $ids}, orderBy: [{field: NAME}]) { edges { node { id } } } }`,
		piiField:   "Query.locations(orderBy,where.id_in):Location.name",
		plainToken: "b-no-pii", // without graph:read:pii an address's name does not order it
		plainQuery: `query Op($ids: [ID!]) { locations(where: {id_in: $ids}, orderBy: [{field: NAME}]) { edges { node { id } } } }`,
		vars:       func(w personalWorld) map[string]any { return map[string]any{"ids": w.places} },
		answered:   hasEdges("locations"),
	},
	{
		name:       "places filtered by name, a street address among them",
		token:      "b",
		query:      `query Op($ids: [ID!]) { locations(where: {id_in: $ids, name_contains: "quill"}) { totalCount } }`,
		piiField:   "Query.locations(where.id_in,where.name_contains):Location.name",
		plainToken: "b",
		plainQuery: `query Op($ids: [ID!]) { locations(where: {id_in: $ids, countryCode_in: ["PW"]}) { totalCount } }`,
		vars:       func(w personalWorld) map[string]any { return map[string]any{"ids": w.places} },
		answered:   counts("locations", 2),
	},
	{
		name:       "people filtered by the name of where they live",
		token:      "b",
		query:      `query Op($ids: [ID!]) { people(where: {id_in: $ids, livesAt_some: {name_contains: "quill street"}}) { totalCount } }`,
		piiField:   "Query.people(where.id_in,where.livesAt_some.name_contains):Location.name",
		plainToken: "b",
		plainQuery: `query Op($ids: [ID!]) { people(where: {id_in: $ids, livesAt_some: {countryCode_in: ["PW"]}}) { totalCount } }`,
		vars:       func(w personalWorld) map[string]any { return map[string]any{"ids": w.people} },
		answered:   counts("people", 1),
	},
	{
		name:       "a search of people",
		token:      "b",
		query:      `query Op { search(query: "zed quill", types: [PERSON]) { node { id } } }`,
		piiField:   "Query.search(query,types):Person.name",
		plainToken: "b-no-pii", // without graph:read:pii personal data is not searched
		plainQuery: `query Op { search(query: "zed quill", types: [PERSON]) { node { id } } }`,
		vars:       func(personalWorld) map[string]any { return nil },
		answered:   func(t *testing.T, data map[string]any) { assert.NotEmpty(t, testkit.Dig(data, "search")) },
	},
	{
		name:       "a search of places, street addresses included",
		token:      "b",
		query:      `query Op { search(query: "quill street", types: [LOCATION]) { score } }`,
		piiField:   "Query.search(query,types):Location.name",
		plainToken: "b",
		plainQuery: `query Op { search(query: "quill street", types: [BUSINESS, INCIDENT]) { score } }`,
		vars:       func(personalWorld) map[string]any { return nil },
		answered:   func(t *testing.T, data map[string]any) { assert.NotEmpty(t, testkit.Dig(data, "search")) },
	},
	{
		name:       "people tied by the values of their identifiers",
		token:      "b",
		query:      `query Op($id: ID!) { linkedByIdentifiers(id: $id) { sharedValues } }`,
		piiField:   "Query.linkedByIdentifiers(id):Identifier.value",
		plainToken: "b-no-pii", // without graph:read:pii identifiers tie by the same node only
		plainQuery: `query Op($id: ID!) { linkedByIdentifiers(id: $id) { sharedValues } }`,
		vars:       func(w personalWorld) map[string]any { return map[string]any{"id": w.holder} },
		answered: func(t *testing.T, data map[string]any) {
			assert.EqualValues(t, json.Number("1"), testkit.Dig(data, "linkedByIdentifiers", 0, "sharedValues"))
		},
	},
}

// TestEveryUseOfPersonalDataIsAudited: an answer selected, ordered, matched or scored on personal
// data tells of it even when no personal field is returned, so, like a filter on a name, it is
// recorded with the personal-data field it used (never a value). The same request without that
// use leaves no personal-data entry.
func TestEveryUseOfPersonalDataIsAudited(t *testing.T) {
	h := newHarness(t)
	h.callers["b-no-pii"] = auth.Caller{Issuer: "test", Subject: "bea", PartnerID: h.B, Scopes: []auth.Scope{auth.ScopeGraphRead}}
	w := buildPersonalWorld(t, h)
	for i, use := range personalUses {
		t.Run(use.name, func(t *testing.T) {
			op := fmt.Sprintf("UsesPII%d", i)
			resp := h.do(use.token, renamed(use.query, op), use.vars(w))
			require.Empty(t, resp.Errors)
			use.answered(t, resp.Data)
			events := eventsOf(h.auditEvents(h.B), op)
			require.Len(t, events, 1, "the use of personal data is audited")
			assert.Contains(t, events[0]["piiFields"], use.piiField)
			encoded, err := json.Marshal(events[0])
			require.NoError(t, err)
			for _, value := range personalValues {
				assert.NotContains(t, string(encoded), value, "an audit event holds no personal data")
			}

			plain := fmt.Sprintf("NoPII%d", i)
			resp = h.do(use.plainToken, renamed(use.plainQuery, plain), use.vars(w))
			require.Empty(t, resp.Errors)
			for _, e := range eventsOf(h.auditEvents(h.B), plain) {
				assert.Empty(t, e["piiFields"], "no personal data was used")
			}
		})
	}
}
