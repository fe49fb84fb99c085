package server_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/traffikgraph/traffikgraph/server"
)

const (
	jsonType            = "application/json"
	graphQLResponseType = "application/graphql-response+json"
)

func TestPOSTTransport(t *testing.T) {
	h := startServer(t, withConfig(func(cfg *server.Config) { cfg.Introspection = true }))

	tests := []struct {
		name        string
		contentType string
		accept      string
		body        string
		wantStatus  int
		wantType    string
		wantData    bool     // whether the body has a data entry
		wantCodes   []string // extensions.code of each error
	}{
		{"JSONAcceptGetsJSON", jsonType, jsonType, `{"query":"{ hello }"}`, 200, jsonType, true, []string{}},
		{"GraphQLResponseAcceptGetsGraphQLResponse", jsonType, graphQLResponseType, `{"query":"{ hello }"}`, 200, graphQLResponseType, true, []string{}},
		{"MissingAcceptGetsJSON", jsonType, "", `{"query":"{ hello }"}`, 200, jsonType, true, []string{}},
		{"WildcardAcceptGetsJSON", jsonType, "*/*", `{"query":"{ hello }"}`, 200, jsonType, true, []string{}},
		{"ApplicationWildcardGetsJSON", jsonType, "application/*", `{"query":"{ hello }"}`, 200, jsonType, true, []string{}},
		{"HigherQualityWins", jsonType, "application/json;q=0.5, application/graphql-response+json", `{"query":"{ hello }"}`, 200, graphQLResponseType, true, []string{}},
		{"FirstListedWinsATie", jsonType, "application/json, application/graphql-response+json", `{"query":"{ hello }"}`, 200, jsonType, true, []string{}},
		{"UnsupportedAcceptFallsBackToJSON", jsonType, "text/html", `{"query":"{ hello }"}`, 200, jsonType, true, []string{}},
		{"RefusedMediaTypeIsSkipped", jsonType, "application/graphql-response+json;q=0, */*", `{"query":"{ hello }"}`, 200, jsonType, true, []string{}},
		{"UTF8CharsetAccepted", "application/json; charset=utf-8", jsonType, `{"query":"{ echo(text: \"Run🏃Swim🏊\") }"}`, 200, jsonType, true, []string{}},
		{"UppercaseCharsetAccepted", "application/json; charset=UTF-8", jsonType, `{"query":"{ hello }"}`, 200, jsonType, true, []string{}},
		{"NullOptionalParametersAccepted", jsonType, graphQLResponseType, `{"query":"{ hello }","operationName":null,"variables":null,"extensions":null}`, 200, graphQLResponseType, true, []string{}},

		{"OtherCharsetUnsupported", "application/json; charset=latin1", jsonType, `{"query":"{ hello }"}`, 415, jsonType, false, []string{"BAD_USER_INPUT"}},
		{"MissingContentTypeUnsupported", "", jsonType, `{"query":"{ hello }"}`, 415, jsonType, false, []string{"BAD_USER_INPUT"}},
		{"PlainTextUnsupported", "text/plain", jsonType, `{"query":"{ hello }"}`, 415, jsonType, false, []string{"BAD_USER_INPUT"}},
		{"GraphQLBodyUnsupported", "application/graphql", jsonType, `{ hello }`, 415, jsonType, false, []string{"BAD_USER_INPUT"}},

		{"EmptyBodyIsBadRequest", jsonType, jsonType, ``, 400, jsonType, false, []string{"BAD_USER_INPUT"}},
		{"MalformedJSONIsBadRequest", jsonType, jsonType, `{ "not a JSON`, 400, jsonType, false, []string{"BAD_USER_INPUT"}},
		{"MalformedJSONIsBadRequestForGraphQLResponse", jsonType, graphQLResponseType, `{ "not a JSON`, 400, graphQLResponseType, false, []string{"BAD_USER_INPUT"}},
		{"ArrayBodyIsBadRequest", jsonType, jsonType, `[{"query":"{ hello }"}]`, 400, jsonType, false, []string{"BAD_USER_INPUT"}},
		{"NullBodyIsBadRequest", jsonType, jsonType, `null`, 400, jsonType, false, []string{"BAD_USER_INPUT"}},
		{"TrailingDataIsBadRequest", jsonType, jsonType, `{"query":"{ hello }"} {}`, 400, jsonType, false, []string{"BAD_USER_INPUT"}},
		{"MissingQueryIsBadRequest", jsonType, graphQLResponseType, `{"qeury":"{ hello }"}`, 400, graphQLResponseType, false, []string{"BAD_USER_INPUT"}},
		{"NumericQueryIsBadRequest", jsonType, jsonType, `{"query":0}`, 400, jsonType, false, []string{"BAD_USER_INPUT"}},
		{"ObjectOperationNameIsBadRequest", jsonType, jsonType, `{"query":"{ hello }","operationName":{}}`, 400, jsonType, false, []string{"BAD_USER_INPUT"}},
		{"StringVariablesIsBadRequest", jsonType, jsonType, `{"query":"{ hello }","variables":"{}"}`, 400, jsonType, false, []string{"BAD_USER_INPUT"}},
		{"ArrayExtensionsIsBadRequest", jsonType, jsonType, `{"query":"{ hello }","extensions":[]}`, 400, jsonType, false, []string{"BAD_USER_INPUT"}},

		{"ParseErrorIs200ForJSON", jsonType, jsonType, `{"query":"{"}`, 200, jsonType, false, []string{"GRAPHQL_PARSE_FAILED"}},
		{"ParseErrorIs400ForGraphQLResponse", jsonType, graphQLResponseType, `{"query":"{"}`, 400, graphQLResponseType, false, []string{"GRAPHQL_PARSE_FAILED"}},
		{"ValidationErrorIs200ForJSON", jsonType, jsonType, `{"query":"{ nope }"}`, 200, jsonType, false, []string{"GRAPHQL_VALIDATION_FAILED"}},
		{"ValidationErrorIs400ForGraphQLResponse", jsonType, graphQLResponseType, `{"query":"{ nope }"}`, 400, graphQLResponseType, false, []string{"GRAPHQL_VALIDATION_FAILED"}},
		{"VariableCoercionErrorIs200ForJSON", jsonType, jsonType, `{"query":"query($t: String!) { echo(text: $t) }","variables":{"t":null}}`, 200, jsonType, false, []string{"GRAPHQL_VALIDATION_FAILED"}},
		{"VariableCoercionErrorIs400ForGraphQLResponse", jsonType, graphQLResponseType, `{"query":"query($t: String!) { echo(text: $t) }","variables":{"t":null}}`, 400, graphQLResponseType, false, []string{"GRAPHQL_VALIDATION_FAILED"}},
		{"UnknownOperationNameIsARequestError", jsonType, graphQLResponseType, `{"query":"query A { hello }","operationName":"B"}`, 400, graphQLResponseType, false, []string{"GRAPHQL_VALIDATION_FAILED"}},

		{"FieldErrorIs200EvenForGraphQLResponse", jsonType, graphQLResponseType, `{"query":"{ leak }"}`, 200, graphQLResponseType, true, []string{"INTERNAL"}},
		{"MutationRunsOverPOST", jsonType, jsonType, `{"query":"mutation { touch }"}`, 200, jsonType, true, []string{}},
		{"SubscriptionIsARequestError", jsonType, graphQLResponseType, `{"query":"subscription { ticks }"}`, 400, graphQLResponseType, false, []string{"BAD_USER_INPUT"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			header := http.Header{}
			if tt.contentType != "" {
				header.Set("Content-Type", tt.contentType)
			}
			if tt.accept != "" {
				header.Set("Accept", tt.accept)
			}

			res := h.do(t, http.MethodPost, "/graphql", header, tt.body)

			assert.Equal(t, tt.wantStatus, res.status, "body: %s", res.body)
			assert.Equal(t, tt.wantType+"; charset=utf-8", res.header.Get("Content-Type"))
			got := decodeGraphQL(t, res.body)
			assert.Equal(t, tt.wantData, got.hasData, "data entry in %s", res.body)
			assert.Equal(t, tt.wantCodes, got.codes())
		})
	}
}

func TestGETTransport(t *testing.T) {
	h := startServer(t)

	tests := []struct {
		name       string
		params     url.Values
		accept     string
		wantStatus int
		wantAllow  string
		wantData   bool
		wantCodes  []string
	}{
		{"QueryRuns", url.Values{"query": {"{ hello }"}}, "", 200, "", true, []string{}},
		{"VariablesAreJSON", url.Values{"query": {"query($t: String!) { echo(text: $t) }"}, "variables": {`{"t":"hi"}`}}, jsonType, 200, "", true, []string{}},
		{"OperationNameSelects", url.Values{"query": {"query A { hello } query B { echo(text: \"b\") }"}, "operationName": {"B"}}, graphQLResponseType, 200, "", true, []string{}},
		{"MutationIs405", url.Values{"query": {"mutation { touch }"}}, graphQLResponseType, 405, "POST", false, []string{"BAD_USER_INPUT"}},
		{"MutationIs405EvenForJSON", url.Values{"query": {"mutation { touch }"}}, jsonType, 405, "POST", false, []string{"BAD_USER_INPUT"}},
		{"MutationChosenByOperationNameIs405", url.Values{"query": {"query A { hello } mutation B { touch }"}, "operationName": {"B"}}, jsonType, 405, "POST", false, []string{"BAD_USER_INPUT"}},
		{"MissingQueryIsBadRequest", url.Values{}, jsonType, 400, "", false, []string{"BAD_USER_INPUT"}},
		{"MalformedVariablesIsBadRequest", url.Values{"query": {"{ hello }"}, "variables": {"{"}}, jsonType, 400, "", false, []string{"BAD_USER_INPUT"}},
		{"ArrayVariablesIsBadRequest", url.Values{"query": {"{ hello }"}, "variables": {"[]"}}, jsonType, 400, "", false, []string{"BAD_USER_INPUT"}},
		{"MalformedExtensionsIsBadRequest", url.Values{"query": {"{ hello }"}, "extensions": {"1"}}, jsonType, 400, "", false, []string{"BAD_USER_INPUT"}},
		{"ValidationErrorIs400ForGraphQLResponse", url.Values{"query": {"{ nope }"}}, graphQLResponseType, 400, "", false, []string{"GRAPHQL_VALIDATION_FAILED"}},
		{"ValidationErrorIs200ForJSON", url.Values{"query": {"{ nope }"}}, jsonType, 200, "", false, []string{"GRAPHQL_VALIDATION_FAILED"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			header := http.Header{}
			if tt.accept != "" {
				header.Set("Accept", tt.accept)
			}

			res := h.do(t, http.MethodGet, "/graphql?"+tt.params.Encode(), header, "")

			assert.Equal(t, tt.wantStatus, res.status, "body: %s", res.body)
			assert.Equal(t, tt.wantAllow, res.header.Get("Allow"))
			got := decodeGraphQL(t, res.body)
			assert.Equal(t, tt.wantData, got.hasData, "data entry in %s", res.body)
			assert.Equal(t, tt.wantCodes, got.codes())
		})
	}

	t.Run("RefusedMutationDidNotRun", func(t *testing.T) {
		res := h.do(t, http.MethodGet, "/graphql?"+url.Values{"query": {"mutation { touch }"}}.Encode(), nil, "")
		require.Equal(t, http.StatusMethodNotAllowed, res.status)
		assert.NotContains(t, string(res.body), "touched")
	})
}

func TestAutomaticPersistedQueries(t *testing.T) {
	h := startServer(t)
	const query = "{ hello }"
	persisted := func(sha string) string {
		return `{"version":1,"sha256Hash":"` + sha + `"}`
	}
	realHash := sha256Hex(query)

	t.Run("UnknownHashAsksForTheQuery", func(t *testing.T) {
		res := h.do(t, http.MethodGet, "/graphql?"+url.Values{"extensions": {`{"persistedQuery":` + persisted(realHash) + `}`}}.Encode(), nil, "")
		assert.Equal(t, http.StatusOK, res.status)
		assert.Equal(t, []string{"PERSISTED_QUERY_NOT_FOUND"}, decodeGraphQL(t, res.body).codes())
	})

	t.Run("WrongHashIsRefused", func(t *testing.T) {
		otherHash := sha256Hex("{ echo(text: \"x\") }")
		res := h.do(t, http.MethodGet, "/graphql?"+url.Values{"query": {query}, "extensions": {`{"persistedQuery":` + persisted(otherHash) + `}`}}.Encode(), nil, "")
		assert.Equal(t, []string{"BAD_USER_INPUT"}, decodeGraphQL(t, res.body).codes())
	})

	t.Run("HashAloneRunsOnceTheQueryIsKnown", func(t *testing.T) {
		register := h.do(t, http.MethodGet, "/graphql?"+url.Values{"query": {query}, "extensions": {`{"persistedQuery":` + persisted(realHash) + `}`}}.Encode(), nil, "")
		require.Equal(t, http.StatusOK, register.status)

		res := h.do(t, http.MethodGet, "/graphql?"+url.Values{"extensions": {`{"persistedQuery":` + persisted(realHash) + `}`}}.Encode(), nil, "")
		assert.Equal(t, http.StatusOK, res.status)
		assert.JSONEq(t, `{"data":{"hello":"world"}}`, string(res.body))
	})

	// A hash is an oracle on what others asked (query texts can hold ids and search words): it
	// is known only to the caller who sent its query, not to its colleagues, another partner or
	// anonymous callers, and an anonymous caller's hash is unknown to every partner.
	t.Run("AHashIsKnownOnlyToTheCallerWhoSentItsQuery", func(t *testing.T) {
		sendQuery := func(query, token string) httpResponse {
			return h.do(t, http.MethodGet, "/graphql?"+url.Values{"query": {query}, "extensions": {`{"persistedQuery":` + persisted(sha256Hex(query)) + `}`}}.Encode(),
				http.Header{"Authorization": {token}}, "")
		}
		sendHash := func(query, token string) graphQLResponse {
			header := http.Header{}
			if token != "" {
				header.Set("Authorization", token)
			}
			res := h.do(t, http.MethodGet, "/graphql?"+url.Values{"extensions": {`{"persistedQuery":` + persisted(sha256Hex(query)) + `}`}}.Encode(), header, "")
			require.Equal(t, http.StatusOK, res.status)
			return decodeGraphQL(t, res.body)
		}
		const analystsQuery = `{ echo(text: "the analyst's search words") }`
		require.Equal(t, http.StatusOK, sendQuery(analystsQuery, analystToken).status)

		for name, token := range map[string]string{"colleague": colleagueToken, "other partner": bankToken, "anonymous": ""} {
			assert.Equal(t, []string{"PERSISTED_QUERY_NOT_FOUND"}, sendHash(analystsQuery, token).codes(), name)
		}
		assert.JSONEq(t, `{"echo":"the analyst's search words"}`, string(sendHash(analystsQuery, analystToken).Data), "the analyst's own hash runs")

		const anonymousQuery = `{ echo(text: "an anonymous question") }`
		require.Equal(t, http.StatusOK, h.do(t, http.MethodGet, "/graphql?"+url.Values{"query": {anonymousQuery}, "extensions": {`{"persistedQuery":` + persisted(sha256Hex(anonymousQuery)) + `}`}}.Encode(), nil, "").status)
		assert.Equal(t, []string{"PERSISTED_QUERY_NOT_FOUND"}, sendHash(anonymousQuery, analystToken).codes())
		assert.JSONEq(t, `{"echo":"an anonymous question"}`, string(sendHash(anonymousQuery, "").Data))
	})
}
