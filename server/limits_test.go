package server_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/traffikgraph/traffikgraph/server"
)

// nestedNodes is a query whose fields nest depth levels deep: node { child { ... { id } } }.
func nestedNodes(depth int) string {
	// node and id are two levels; each child adds one.
	children := depth - 2
	return "{ node { " + strings.Repeat("child { ", children) + "id" + strings.Repeat(" }", children) + " } }"
}

func TestDepthLimit(t *testing.T) {
	h := startServer(t, withConfig(func(cfg *server.Config) { cfg.DepthLimit = 5 }))

	t.Run("AtTheLimitRuns", func(t *testing.T) {
		_, got := h.post(t, nestedNodes(5), nil, nil)
		assert.Empty(t, got.Errors)
		assert.JSONEq(t, `{"node":{"child":{"child":{"child":{"id":"4"}}}}}`, string(got.Data))
	})

	t.Run("BeyondTheLimitIsRefusedBeforeExecution", func(t *testing.T) {
		_, got := h.post(t, nestedNodes(6), nil, nil)
		assert.False(t, got.hasData)
		require.Equal(t, []string{"LIMIT_EXCEEDED"}, got.codes())
		assert.Equal(t, "operation has depth 6, which exceeds the limit of 5", got.Errors[0].Message)
	})

	t.Run("FragmentsAddNoDepthButTheirFieldsDo", func(t *testing.T) {
		within := `{ node { ...Two } } fragment Two on Node { child { ... on Node { child { id } } } }`
		_, got := h.post(t, within, nil, nil)
		assert.Empty(t, got.Errors, "depth 4")

		beyond := `{ node { ...Deep } } fragment Deep on Node { child { ...Deeper } } fragment Deeper on Node { child { child { child { id } } } }`
		_, got = h.post(t, beyond, nil, nil)
		require.Equal(t, []string{"LIMIT_EXCEEDED"}, got.codes())
		assert.Contains(t, got.Errors[0].Message, "depth 6")
	})

	t.Run("ManySpreadsOfOneFragmentAddNoDepth", func(t *testing.T) {
		_, got := h.post(t, fragmentBomb(4), nil, nil)
		assert.Empty(t, got.Errors)
		assert.JSONEq(t, `{"node":{"id":"1"}}`, string(got.Data))
	})
}

// fragmentBomb is a small document whose fragments each spread the next one twice: n fragments
// expand to 2^(n-1) fields.
func fragmentBomb(n int) string {
	var doc strings.Builder
	doc.WriteString("{ node { ...F0 } }\n")
	for i := range n {
		next := "id"
		if i < n-1 {
			next = "...F" + strconv.Itoa(i+1) + " ...F" + strconv.Itoa(i+1)
		}
		doc.WriteString("fragment F" + strconv.Itoa(i) + " on Node { " + next + " }\n")
	}
	return doc.String()
}

func TestCostLimit(t *testing.T) {
	h := startServer(t, withConfig(func(cfg *server.Config) { cfg.CostLimit = 100 }))

	t.Run("WithinTheLimitRuns", func(t *testing.T) {
		_, got := h.post(t, "{ hello echo(text: \"x\") }", nil, http.Header{"Authorization": {analystToken}})
		assert.Empty(t, got.Errors)
	})

	t.Run("BeyondTheLimitIsLimitExceeded", func(t *testing.T) {
		res, got := h.post(t, "{ expensive }", nil, http.Header{"Accept": {graphQLResponseType}})
		assert.Equal(t, http.StatusBadRequest, res.status)
		assert.False(t, got.hasData)
		require.Equal(t, []string{"LIMIT_EXCEEDED"}, got.codes())
		assert.Equal(t, "operation has an estimated cost of 5000, over the limit of 100: ask for smaller pages (first, limit), "+
			"above all on lists nested in lists, whose pages multiply", got.Errors[0].Message)
	})
}

func TestFieldLimit(t *testing.T) {
	h := startServer(t, withConfig(func(cfg *server.Config) { cfg.FieldLimit = 100 }))

	t.Run("FragmentBombIsRefusedWithoutExpandingIt", func(t *testing.T) {
		start := time.Now()
		_, got := h.post(t, fragmentBomb(40), nil, nil)

		require.Equal(t, []string{"LIMIT_EXCEEDED"}, got.codes())
		assert.Equal(t, "the query has more than 100 selections (fields and fragments) once fragments are expanded", got.Errors[0].Message)
		assert.Less(t, time.Since(start), 5*time.Second, "2^39 fields were never walked")
	})
}

// repeated is s, n times, spaced.
func repeated(n int, s string) string {
	return strings.Repeat(s+" ", n)
}

// spreadOverFragments is a query spreading count fragments, each selecting body.
func spreadOverFragments(count int, body string) string {
	var doc strings.Builder
	doc.WriteString("{ ")
	for i := range count {
		doc.WriteString("...F" + strconv.Itoa(i) + " ")
	}
	doc.WriteString("unknownField }\n")
	for i := range count {
		doc.WriteString("fragment F" + strconv.Itoa(i) + " on Query { " + body + "}\n")
	}
	return doc.String()
}

// TestDocumentIsBoundedBeforeValidation: gqlparser's validation compares every pair of fields of
// the same response name in a selection set, fragments merged in, and every pair of fragments
// spread into it, so it is quadratic in them (17,000 `a: __typename` cost 26 s of CPU). The
// document is bounded before validation, whatever the caller: its tokens, its fields once
// fragments are expanded, the pairs validation would compare, however they are spread over
// fragments, inline fragments or the sub-selections of same-named fields. Each document below also selects a field the schema lacks:
// the answer being LIMIT_EXCEEDED, not that validation error, shows validation never ran.
func TestDocumentIsBoundedBeforeValidation(t *testing.T) {
	h := startServer(t)
	const (
		tooManyTokens = "the query has more than 10000 tokens (names, values and punctuation)"
		tooManyFields = "the query has more than 2000 selections (fields and fragments) once fragments are expanded"
		tooManyPairs  = "the query repeats response names or spreads fragments too often: validating it would compare " +
			"more than 10000 pairs of fields of the same name or of fragments spread into one selection set; give repeated fields " +
			"distinct aliases, and spread fewer fragments into one place"
	)
	for name, tc := range map[string]struct{ query, message string }{
		"17,000 duplicate fields":                         {"{ " + repeated(17_000, "a: __typename") + "unknownField }", tooManyTokens},
		"17,000 duplicate fields over 170 fragments":      {spreadOverFragments(170, repeated(100, "a: __typename")), tooManyTokens},
		"17,000 duplicate fields over inline fragments":   {"{ " + repeated(170, "... on Query { "+repeated(100, "a: __typename")+"}") + "unknownField }", tooManyTokens},
		"1,000 duplicate fields":                          {"{ " + repeated(1000, "a: __typename") + "unknownField }", tooManyPairs},
		"1,000 duplicate fields over 10 fragments":        {spreadOverFragments(10, repeated(100, "a: __typename")), tooManyPairs},
		"1,000 duplicate fields over 20 inline fragments": {"{ " + repeated(20, "... on Query { "+repeated(50, "a: __typename")+"}") + "unknownField }", tooManyPairs},
		"1,000 duplicate fields in an unused fragment":    {"{ unknownField } fragment Unused on Query { " + repeated(1000, "a: __typename") + "}", tooManyPairs},
		// Each pair of the 20 `a` is compared, and for each pair their 50 `b` pairwise.
		"20 same-named fields of 50 same-named fields each": {"{ " + repeated(20, "a: node { "+repeated(50, "b: id")+"}") + "unknownField }", tooManyPairs},
		// Validation compares each pair of fragments spread into one selection set, whatever their
		// fields: 600 took 700 ms.
		"600 fragments of a distinct field each": {spreadOverFragmentsWithDistinctFields(600), tooManyPairs},
		"2,001 distinct fields":                  {"{ " + distinctAliases(2001, "hello") + "unknownField }", tooManyFields},
		"2,001 fields over 3 operations":         {"query A { " + distinctAliases(700, "hello") + "} query B { " + distinctAliases(700, "hello") + "} query C { " + distinctAliases(601, "hello") + "unknownField }", tooManyFields},
	} {
		t.Run(name, func(t *testing.T) {
			for _, header := range []http.Header{nil, {"Authorization": {analystToken}}} {
				_, got := h.post(t, tc.query, nil, header)
				assert.False(t, got.hasData)
				require.Equal(t, []string{"LIMIT_EXCEEDED"}, got.codes(), "%+v", got.Errors)
				assert.Equal(t, tc.message, got.Errors[0].Message)
			}
		})
	}

	t.Run("TwoThousandDistinctFieldsRun", func(t *testing.T) {
		_, got := h.post(t, "{ "+distinctAliases(2000, "hello")+"}", nil, http.Header{"Authorization": {analystToken}})
		require.Empty(t, got.Errors)
		assert.Contains(t, string(got.Data), `"a1999":"world"`)
	})

	t.Run("ACycleOfFragmentsIsReportedByValidation", func(t *testing.T) {
		_, got := h.post(t, "{ node { ...A } } fragment A on Node { child { ...B } } fragment B on Node { id ...A }", nil, nil)
		require.Equal(t, []string{"GRAPHQL_VALIDATION_FAILED"}, got.codes(), "%+v", got.Errors)
		assert.Contains(t, got.Errors[0].Message, "Cannot spread fragment")
	})
}

// spreadOverFragmentsWithDistinctFields spreads count fragments, each selecting a field of its own.
func spreadOverFragmentsWithDistinctFields(count int) string {
	var doc strings.Builder
	doc.WriteString("{ ")
	for i := range count {
		doc.WriteString("...F" + strconv.Itoa(i) + " ")
	}
	doc.WriteString("unknownField }\n")
	for i := range count {
		doc.WriteString("fragment F" + strconv.Itoa(i) + " on Query { a" + strconv.Itoa(i) + ": hello }\n")
	}
	return doc.String()
}

// distinctAliases selects field n times under the aliases a0, a1, ...
func distinctAliases(n int, field string) string {
	var fields strings.Builder
	for i := range n {
		fields.WriteString("a" + strconv.Itoa(i) + ": " + field + " ")
	}
	return fields.String()
}

func TestBodyLimit(t *testing.T) {
	h := startServer(t, withConfig(func(cfg *server.Config) { cfg.MaxBodyBytes = 64 }))
	small := `{"query":"{ hello }"}`
	large := `{"query":"{ echo(text: \"` + strings.Repeat("x", 100) + `\") }"}`

	t.Run("WithinTheLimitRuns", func(t *testing.T) {
		res := h.do(t, http.MethodPost, "/graphql", http.Header{"Content-Type": {jsonType}}, small)
		assert.Equal(t, http.StatusOK, res.status)
	})

	t.Run("DeclaredTooLargeIs413", func(t *testing.T) {
		res := h.do(t, http.MethodPost, "/graphql", http.Header{"Content-Type": {jsonType}}, large)
		assert.Equal(t, http.StatusRequestEntityTooLarge, res.status)
		got := decodeGraphQL(t, res.body)
		assert.Equal(t, []string{"LIMIT_EXCEEDED"}, got.codes())
		assert.Equal(t, "request body exceeds 64 bytes", got.Errors[0].Message)
	})

	t.Run("StreamedTooLargeIs413", func(t *testing.T) {
		// No Content-Length: the limit is found while reading.
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, h.url+"/graphql", io.MultiReader(strings.NewReader(large)))
		require.NoError(t, err)
		req.Header.Set("Content-Type", jsonType)
		req.ContentLength = -1
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		body, err := io.ReadAll(res.Body)
		require.NoError(t, err)

		assert.Equal(t, http.StatusRequestEntityTooLarge, res.StatusCode)
		assert.Equal(t, []string{"LIMIT_EXCEEDED"}, decodeGraphQL(t, body).codes())
	})
}

// nestedLists is a JSON value of depth nested lists around a string.
func nestedLists(depth int) any {
	var v any = "x"
	for range depth - 1 {
		v = []any{v}
	}
	return v
}

// TestVariablesAreBoundedBeforeCoercion: variables holding more than 2,000 values, or nesting
// more than 20 levels, are LIMIT_EXCEEDED naming the variable, before gqlparser spends time
// coercing them.
func TestVariablesAreBoundedBeforeCoercion(t *testing.T) {
	h := startServer(t)
	const query = `query($text: String!) { echo(text: $text) }`
	many := make([]any, 2000)
	for i := range many {
		many[i] = i
	}

	for name, tc := range map[string]struct {
		variables map[string]any
		message   string
		field     string
	}{
		"TooManyValues": {map[string]any{"text": "x", "tooMany": many}, "variables hold more than 2000 values", "variables.tooMany"},
		"TooDeep":       {map[string]any{"deep": nestedLists(21), "text": "x"}, "variable $deep nests more than 20 levels deep", "variables.deep"},
	} {
		t.Run(name, func(t *testing.T) {
			res, got := h.post(t, query, tc.variables, http.Header{"Accept": {graphQLResponseType}})
			assert.Equal(t, http.StatusBadRequest, res.status)
			assert.False(t, got.hasData)
			require.Equal(t, []string{"LIMIT_EXCEEDED"}, got.codes())
			assert.Equal(t, tc.message, got.Errors[0].Message)
			assert.Equal(t, tc.field, got.Errors[0].Extensions["field"])
		})
	}

	t.Run("TooDeepInAGet", func(t *testing.T) {
		deep, err := json.Marshal(map[string]any{"deep": nestedLists(21)})
		require.NoError(t, err)
		res := h.do(t, http.MethodGet, "/graphql?"+url.Values{"query": {"{ hello }"}, "variables": {string(deep)}}.Encode(),
			http.Header{"Accept": {graphQLResponseType}}, "")
		assert.Equal(t, http.StatusBadRequest, res.status)
		got := decodeGraphQL(t, res.body)
		require.Equal(t, []string{"LIMIT_EXCEEDED"}, got.codes())
		assert.Equal(t, "variables.deep", got.Errors[0].Extensions["field"])
	})

	t.Run("AtTheLimitsRuns", func(t *testing.T) {
		// 1 + 20 + 1 + 1978 = 2000 values.
		_, got := h.post(t, query, map[string]any{"text": "x", "deep": nestedLists(20), "many": many[:1978]}, nil)
		assert.Empty(t, got.Errors)
		assert.JSONEq(t, `{"echo":"x"}`, string(got.Data))
	})
}
