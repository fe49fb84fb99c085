package resolvers_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/traffikgraph/traffikgraph/bench"
	"github.com/traffikgraph/traffikgraph/internal/testkit"
	"github.com/traffikgraph/traffikgraph/resolvers"
)

// TestFanOutCostIsBoundedBeforeNeo4j: `first` multiplies into the cost of the fields under it, so
// a fan-out within the depth and field limits but whose answer would be the product of its pages
// is LIMIT_EXCEEDED, saying the estimate, before any Cypher runs; the README's queries pass.
func TestFanOutCostIsBoundedBeforeNeo4j(t *testing.T) {
	h := newHarness(t)
	six := "{"
	for i := range 6 {
		six += fmt.Sprintf(" a%d: %s", i, bench.LocationsFanOut(5))
	}
	six += " }"

	for name, query := range map[string]string{
		"FiveLevels":              "{ " + bench.LocationsFanOut(5) + " }",
		"SixAliasesOfIt":          six,
		"TwoLevelsOfDefaultPages": `{ people(first: 100) { edges { node { incidents { incident { people { person { id name } } } } } } } }`,
		"DefaultPagesMultiplyToo": `{ locations(first: 500) { edges { node { children { children { children { id } } } } } } }`,
	} {
		t.Run(name, func(t *testing.T) {
			queries := h.store.QueryCount()
			resp := h.do("a", query, nil)
			require.Equal(t, []string{"LIMIT_EXCEEDED"}, resp.Codes(), "%+v", resp.Errors)
			assert.Regexp(t, `^operation has an estimated cost of \d+, over the limit of 2000000: ask for smaller pages \(first, limit\)`, resp.Errors[0].Message)
			assert.Nil(t, resp.Data)
			assert.Equal(t, queries, h.store.QueryCount(), "refused before any Cypher ran")
		})
	}

	t.Run("TheEstimateIsTheProductOfThePages", func(t *testing.T) {
		// 1 + 100 x (edges 1 + node 1 + id 1 + children (1 + 1000 x (id 1 + name 1))) = 200401
		resp := h.do("a", `{ locations(first: 100) { edges { node { id children(first: 1000) { id name } } } } }`, nil)
		require.Empty(t, resp.Errors)
		// 1 + 500 x (1 + 1 + 1 + (1 + 1000 x (1 + 1 + (1 + 10 x 1)))) = 6502001
		resp = h.do("a", `{ locations(first: 500) { edges { node { id children(first: 1000) { id name children(first: 10) { id } } } } } }`, nil)
		require.Equal(t, []string{"LIMIT_EXCEEDED"}, resp.Codes())
		assert.Contains(t, resp.Errors[0].Message, "estimated cost of 6502001,")
	})

	// Every read example of the README and of docs/traversal.md, as written there, passes the
	// operation limits.
	for _, doc := range []string{"../README.md", "../docs/traversal.md"} {
		text, err := os.ReadFile(doc)
		require.NoError(t, err)
		examples := regexp.MustCompile("(?s)```graphql\n(.*?)```").FindAllStringSubmatch(string(text), -1)
		require.NotEmpty(t, examples)
		for i, example := range examples {
			query := example[1]
			if strings.HasPrefix(query, "mutation") {
				continue
			}
			t.Run(fmt.Sprintf("%s#%d", doc[3:], i), func(t *testing.T) {
				variables := map[string]any{}
				for _, name := range regexp.MustCompile(`\$(\w+):`).FindAllStringSubmatch(query, -1) {
					variables[name[1]] = "no-such-id"
				}
				// Answered or refused by the store (an id that does not exist), never by the
				// operation's shape or cost.
				for _, e := range h.do("a", query, variables).Errors {
					assert.NotContains(t, e.Message, "estimated cost")
					assert.NotContains(t, e.Message, "operation")
				}
			})
		}
	}
}

// graphiQLIntrospectionQuery is the introspection query GraphiQL sends, with every option it may
// turn on.
const graphiQLIntrospectionQuery = `query IntrospectionQuery {
  __schema {
    description queryType { name } mutationType { name } subscriptionType { name }
    types { ...FullType }
    directives { name description isRepeatable locations args(includeDeprecated: true) { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description specifiedByURL
  fields(includeDeprecated: true) { name description args(includeDeprecated: true) { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason }
  inputFields(includeDeprecated: true) { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue isDeprecated deprecationReason }
fragment TypeRef on __Type {
  kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name
  ofType { kind name ofType { kind name ofType { kind name } } } } } } } } }
}`

// explorerQueries are the GraphQL documents of the explorer's views, as its TypeScript builds them
// from its string constants.
func explorerQueries(t *testing.T) map[string]string {
	t.Helper()
	constant := regexp.MustCompile("(?s)const (\\w+) = (?:'([^']*)'|`([^`]*)`);")
	entities, err := os.ReadFile("../explorer/src/entities.ts")
	require.NoError(t, err)
	views, err := filepath.Glob("../explorer/src/views/*.ts")
	require.NoError(t, err)
	queries := map[string]string{}
	for _, view := range views {
		source, err := os.ReadFile(view)
		require.NoError(t, err)
		values := map[string]string{}
		for _, m := range constant.FindAllStringSubmatch(string(entities)+string(source), -1) {
			values[m[1]] = m[2] + m[3]
		}
		for name, value := range values {
			if !strings.Contains(value, "query ") {
				continue
			}
			expanded := regexp.MustCompile(`\$\{(\w+)\}`).ReplaceAllStringFunc(value, func(ref string) string {
				return values[ref[2:len(ref)-1]]
			})
			queries[filepath.Base(view)+":"+name] = expanded
		}
	}
	require.GreaterOrEqual(t, len(queries), 10, "the explorer's queries were found")
	return queries
}

// TestLegitimateDocumentsPassTheDocumentLimits: the bounds on a document before validation
// (tokens, selections, pairs of same-named fields) leave room for GraphiQL's introspection query,
// anonymous or not, and for every query of the explorer.
func TestLegitimateDocumentsPassTheDocumentLimits(t *testing.T) {
	h := newHarness(t)
	for _, token := range []string{"", "a"} {
		resp := h.do(token, graphiQLIntrospectionQuery, nil)
		require.Empty(t, resp.Errors, "caller %q", token)
		assert.NotEmpty(t, testkit.Dig(resp.Data, "__schema", "types"))
	}
	for name, query := range explorerQueries(t) {
		t.Run(name, func(t *testing.T) {
			require.NotContains(t, query, "${")
			// Answered, or refused for a missing variable: never by a limit.
			for _, e := range h.do("a", query, nil).Errors {
				assert.NotEqual(t, "LIMIT_EXCEEDED", e.Extensions["code"], e.Message)
				assert.Contains(t, e.Message, "must be defined")
			}
		})
	}
}

// TestSupplyChainCostCountsItsTiers: supplyChain and supplyChainRisk answer up to 1,000
// businesses, so their maxTier multiplies into the cost of the selection under them (10 per
// tier, the store's 1,000 from tier 3), like a page: lists asked of every supplier are counted
// once per supplier, not once. Refused before any Cypher; smaller pages under it pass.
func TestSupplyChainCostCountsItsTiers(t *testing.T) {
	h := newHarness(t)
	risk := func(maxTier, suppliersPage int) string {
		return fmt.Sprintf(`{ supplyChainRisk(businessId: "no-such-id", maxTier: %d) { suppliers { supplier {
			suppliers(first: %d) { business { customers(first: 100) { business { id } } } } } } } }`, maxTier, suppliersPage)
	}
	for name, tc := range map[string]struct {
		query    string
		estimate int
	}{
		// 1 + 10 x (suppliers 1 + supplier 1 + (1 + 1000 x (business 1 + (1 + 100 x (business 1 + id 1)))))
		"OneTierOfBigPages": {risk(1, 1000), 2_020_031},
		"ThreeTiers":        {risk(3, 100), 20_203_001},
		"SupplyChainToo": {`{ supplyChain(businessId: "no-such-id", maxTier: 2) { tiers { businesses {
			suppliers(first: 1000) { business { customers(first: 100) { business { id } } } } } } } }`, 20_200_301},
	} {
		t.Run(name, func(t *testing.T) {
			queries := h.store.QueryCount()
			resp := h.do("a", tc.query, nil)
			require.Equal(t, []string{"LIMIT_EXCEEDED"}, resp.Codes(), "%+v", resp.Errors)
			assert.Contains(t, resp.Errors[0].Message, fmt.Sprintf("estimated cost of %d,", tc.estimate))
			assert.Equal(t, queries, h.store.QueryCount(), "refused before any Cypher ran")
		})
	}
	t.Run("OneTierOfSmallerPagesPasses", func(t *testing.T) {
		// 1 + 10 x 20203 = 202031
		for _, e := range h.do("a", risk(1, 100), nil).Errors {
			assert.NotContains(t, e.Message, "estimated cost")
		}
	})
}

// TestEveryPageArgumentHasADefault: the cost estimate counts a page argument's default when a
// query leaves it out, so every `first` and `limit` of the schema must declare one.
func TestEveryPageArgumentHasADefault(t *testing.T) {
	checked := 0
	for _, typ := range resolvers.NewExecutableSchema(nil).Schema().Types {
		for _, field := range typ.Fields {
			for _, argument := range field.Arguments {
				if argument.Name == "first" || argument.Name == "limit" {
					checked++
					assert.NotNil(t, argument.DefaultValue, "%s.%s(%s:) needs a default", typ.Name, field.Name, argument.Name)
				}
			}
		}
	}
	assert.Greater(t, checked, 30)
}

// TestRelationshipFieldsPerQueryAreBounded: every relationship field a list or node asks is a
// subquery of that one Cypher query, and Neo4j's planning time grows faster than their number (a
// hundred aliased incidents fields did not plan in 30 s, twenty took 18-24 s, eight up to 7 s), so
// one query follows at most 6; beyond that it is LIMIT_EXCEEDED before any Cypher runs.
func TestRelationshipFieldsPerQueryAreBounded(t *testing.T) {
	h := newHarness(t)
	queries := h.store.QueryCount()
	resp := h.do("a", bench.AliasedRelationshipFields(7), nil)
	require.Equal(t, []string{"LIMIT_EXCEEDED"}, resp.Codes(), "%+v", resp.Errors)
	assert.Equal(t, "a query follows at most 6 relationship fields (each is a subquery Neo4j must plan); ask for fewer nested fields, or split the operation",
		resp.Errors[0].Message)
	assert.Equal(t, queries, h.store.QueryCount(), "refused before any Cypher ran")

	resp = h.do("a", bench.AliasedRelationshipFields(6), nil)
	assert.Empty(t, resp.Errors)
}

// TestEveryBenchAttackIsRefusedBeforeNeo4j: each attack `traffikgraph bench attack` measures is
// LIMIT_EXCEEDED, and no Cypher runs for it.
func TestEveryBenchAttackIsRefusedBeforeNeo4j(t *testing.T) {
	h := newHarness(t)
	for _, attack := range bench.Attacks() {
		if attack.Name == bench.ReferenceAttack {
			continue
		}
		t.Run(attack.Name, func(t *testing.T) {
			queries := h.store.QueryCount()
			resp := h.do("a", attack.Query, attack.Variables)
			require.NotEmpty(t, resp.Errors)
			for _, code := range resp.Codes() {
				assert.Equal(t, "LIMIT_EXCEEDED", code, "%+v", resp.Errors)
			}
			assert.Equal(t, queries, h.store.QueryCount(), "refused before any Cypher ran")
		})
	}
}
