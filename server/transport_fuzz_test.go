package server

import (
	"net/url"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// FuzzDecodePostBody: any body is either refused with an error a client can be shown, or read
// into parameters that hold a query or a persisted query's hash; never a panic.
func FuzzDecodePostBody(f *testing.F) {
	for _, seed := range []string{
		`{"query":"{ __typename }"}`,
		`{"query":"query Q($id: ID!) { node(id: $id) { id } }","operationName":"Q","variables":{"id":"42"}}`,
		`{"extensions":{"persistedQuery":{"version":1,"sha256Hash":"abc"}}}`,
		`{"query":null,"variables":null}`,
		`{"query":"{ a }"} {"query":"{ b }"}`,
		`[]`, `null`, `{"query":1}`, `{"variables":[1]}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		params, err := decodePostBody(body)
		checkDecoded(t, params, err)
	})
}

// FuzzDecodeGetParameters is FuzzDecodePostBody for the query string of a GET.
func FuzzDecodeGetParameters(f *testing.F) {
	for _, seed := range []string{
		"query=%7B+__typename+%7D",
		"query=query+Q%28%24id%3A+ID%21%29+%7B+node%28id%3A+%24id%29+%7B+id+%7D+%7D&operationName=Q&variables=%7B%22id%22%3A%2242%22%7D",
		"extensions=%7B%22persistedQuery%22%3A%7B%22version%22%3A1%2C%22sha256Hash%22%3A%22abc%22%7D%7D",
		"variables=%5B%5D&query=x", "query=x&query=y", "",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, rawQuery string) {
		values, err := url.ParseQuery(rawQuery)
		if err != nil {
			return // answered 400 before decoding (getTransport.Do)
		}
		params, err := decodeGetParameters(values)
		checkDecoded(t, params, err)
	})
}

func checkDecoded(t *testing.T, params *graphql.RawParams, err error) {
	t.Helper()
	if err != nil {
		if _, tooLarge := err.(*gqlerror.Error); !tooLarge && err.Error() == "" {
			t.Fatal("a refusal without a message")
		}
		return
	}
	if params == nil {
		t.Fatal("no error and no parameters")
	}
	if params.Query == "" && params.Extensions["persistedQuery"] == nil {
		t.Fatalf("accepted without a query or a persisted query: %+v", params)
	}
}
