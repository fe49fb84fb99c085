package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/traffikgraph/traffikgraph"
)

// postTransport and getTransport speak GraphQL over HTTP as the spec (and graphql-http's audit)
// reads it, where gqlgen's stock transports differ: they answer 422 and "data": null on request
// errors, and negotiate the response media type loosely. Here:
//   - the response is application/graphql-response+json or application/json, as Accept asks;
//   - a request that is not well-formed (bad JSON, parameters of the wrong type) gets 400;
//   - a GraphQL request error (parse, validation, variables, limits) has no data entry and gets
//     200 under application/json but 400 under application/graphql-response+json;
//   - an executed operation gets 200 whatever its field errors;
//   - GET refuses mutations with 405, POST insists on an application/json body (else 415).
type (
	postTransport struct{}
	getTransport  struct{}
)

var (
	_ graphql.Transport = postTransport{}
	_ graphql.Transport = getTransport{}
)

// Supports takes every POST but a websocket upgrade, so that a wrong Content-Type gets a 415 in
// our error shape rather than gqlgen's "transport not supported".
func (postTransport) Supports(r *http.Request) bool {
	return r.Method == http.MethodPost && r.Header.Get("Upgrade") == ""
}

func (postTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	mediaType := negotiateMediaType(r.Header.Get("Accept"))
	if !isJSONRequest(r.Header.Get("Content-Type")) {
		writeTransportError(w, http.StatusUnsupportedMediaType, mediaType, traffikgraph.BadUserInput,
			"Content-Type must be application/json")
		return
	}
	start := graphql.Now()
	// readBodyFirst has read the body into memory, refusing one too large or too slow.
	body, err := io.ReadAll(r.Body)
	if err != nil {
		writeTransportError(w, http.StatusBadRequest, mediaType, traffikgraph.BadUserInput,
			"could not read the request body")
		return
	}
	params, err := decodePostBody(body)
	if err != nil {
		writeDecodeError(w, mediaType, err)
		return
	}
	params.ReadTime = graphql.TraceTiming{Start: start, End: graphql.Now()}
	execute(w, r, exec, mediaType, params)
}

func (getTransport) Supports(r *http.Request) bool {
	return r.Method == http.MethodGet && r.Header.Get("Upgrade") == ""
}

func (getTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	mediaType := negotiateMediaType(r.Header.Get("Accept"))
	start := graphql.Now()
	values, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		writeTransportError(w, http.StatusBadRequest, mediaType, traffikgraph.BadUserInput,
			"the query string is not valid URL encoding")
		return
	}
	params, err := decodeGetParameters(values)
	if err != nil {
		writeDecodeError(w, mediaType, err)
		return
	}
	params.ReadTime = graphql.TraceTiming{Start: start, End: graphql.Now()}
	execute(w, r, exec, mediaType, params)
}

// decodePostBody reads the JSON object of a POST: query and operationName strings, variables and
// extensions objects, each optional and nullable; unknown members are ignored.
func decodePostBody(body []byte) (*graphql.RawParams, error) {
	var members map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&members); err != nil || members == nil {
		return nil, errors.New("the request body must be a JSON object")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("the request body must hold a single JSON object")
	}
	params := &graphql.RawParams{}
	var err error
	if params.Query, err = decodeString("query", members["query"]); err != nil {
		return nil, err
	}
	if params.OperationName, err = decodeString("operationName", members["operationName"]); err != nil {
		return nil, err
	}
	if tooLarge := variablesTooLarge(members["variables"]); tooLarge != nil {
		return nil, tooLarge
	}
	if params.Variables, err = decodeObject("variables", members["variables"]); err != nil {
		return nil, err
	}
	if params.Extensions, err = decodeObject("extensions", members["extensions"]); err != nil {
		return nil, err
	}
	return params, requireQuery(params)
}

// writeDecodeError answers a request whose parameters could not be read: variables too large
// (LIMIT_EXCEEDED, like any other request error) or malformed (400 BAD_USER_INPUT).
func writeDecodeError(w http.ResponseWriter, mediaType string, err error) {
	if tooLarge, ok := errors.AsType[*gqlerror.Error](err); ok {
		writeErrorBody(w, requestErrorStatus(mediaType), mediaType, errorBody{Errors: gqlerror.List{tooLarge}})
		return
	}
	writeTransportError(w, http.StatusBadRequest, mediaType, traffikgraph.BadUserInput, err.Error())
}

// decodeGetParameters reads the URL parameters of a GET: query and operationName as they are,
// variables and extensions as JSON-encoded objects.
func decodeGetParameters(values url.Values) (*graphql.RawParams, error) {
	params := &graphql.RawParams{
		Query:         values.Get("query"),
		OperationName: values.Get("operationName"),
	}
	var err error
	if tooLarge := variablesTooLarge(json.RawMessage(values.Get("variables"))); tooLarge != nil {
		return nil, tooLarge
	}
	if params.Variables, err = decodeObject("variables", json.RawMessage(values.Get("variables"))); err != nil {
		return nil, err
	}
	if params.Extensions, err = decodeObject("extensions", json.RawMessage(values.Get("extensions"))); err != nil {
		return nil, err
	}
	return params, requireQuery(params)
}

// requireQuery insists on a query, unless an automatic persisted query names one by its hash.
func requireQuery(params *graphql.RawParams) error {
	if params.Query == "" && params.Extensions["persistedQuery"] == nil {
		return errors.New(`the "query" parameter is required`)
	}
	return nil
}

func decodeString(name string, raw json.RawMessage) (string, error) {
	if isAbsent(raw) {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", fmt.Errorf("the %q parameter must be a string", name)
	}
	return s, nil
}

func decodeObject(name string, raw json.RawMessage) (map[string]any, error) {
	if isAbsent(raw) {
		return nil, nil
	}
	var object map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber() // keep large integers (ids, counts) exact until gqlgen coerces them
	if err := dec.Decode(&object); err != nil || object == nil {
		return nil, fmt.Errorf("the %q parameter must be a JSON object", name)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("the %q parameter must be a single JSON object", name)
	}
	return object, nil
}

func isAbsent(raw json.RawMessage) bool {
	return len(raw) == 0 || string(raw) == "null"
}

// execute prepares the operation (parse, validate, coerce variables, check limits), refuses what
// the method may not run, executes it and writes the one response.
func execute(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor, mediaType string, params *graphql.RawParams) {
	ctx := r.Context()
	params.Headers = r.Header
	opCtx, requestErrs := exec.CreateOperationContext(ctx, params)
	if requestErrs != nil {
		writeRequestErrors(w, exec, graphql.WithOperationContext(ctx, opCtx), requestErrorStatus(mediaType), mediaType, requestErrs)
		return
	}
	switch opCtx.Operation.Operation {
	case ast.Mutation:
		if r.Method == http.MethodGet {
			// A GET may be replayed by caches and prefetchers; it must never change the graph.
			w.Header().Set("Allow", http.MethodPost)
			writeRequestErrors(w, exec, graphql.WithOperationContext(ctx, opCtx), http.StatusMethodNotAllowed, mediaType,
				gqlerror.List{newCodedError(traffikgraph.BadUserInput, "mutations must be sent with POST")})
			return
		}
	case ast.Subscription:
		writeRequestErrors(w, exec, graphql.WithOperationContext(ctx, opCtx), requestErrorStatus(mediaType), mediaType,
			gqlerror.List{newCodedError(traffikgraph.BadUserInput, "subscriptions are not served over HTTP")})
		return
	}

	responses, ctx := exec.DispatchOperation(ctx, opCtx)
	response := responses(ctx)
	if response == nil {
		// gqlgen yields no response when the request's context ended before execution began.
		writeTransportError(w, http.StatusServiceUnavailable, mediaType, traffikgraph.Unavailable,
			"the request timed out or was cancelled")
		return
	}
	body, err := json.Marshal(response)
	if err != nil {
		// Resolvers produce JSON already; this is a bug, reported through the recover function.
		panic(fmt.Errorf("encode GraphQL response: %w", err))
	}
	w.Header().Set("Content-Type", mediaType+"; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body) // a write error means the client has gone; there is no one left to tell
}

// requestErrorStatus is the status of a GraphQL request error: application/json clients expect
// 200 for every well-formed request, application/graphql-response+json gives the status meaning.
func requestErrorStatus(mediaType string) int {
	if mediaType == mediaTypeGraphQLResponse {
		return http.StatusBadRequest
	}
	return http.StatusOK
}

// writeRequestErrors sends errors raised before execution through the error presenter and the
// response extensions, then writes them without a data entry.
func writeRequestErrors(w http.ResponseWriter, exec graphql.GraphExecutor, ctx context.Context, status int, mediaType string, errs gqlerror.List) {
	response := exec.DispatchError(ctx, errs)
	writeErrorBody(w, status, mediaType, errorBody{Errors: response.Errors, Extensions: response.Extensions})
}

// writeTransportError answers a request that never reached GraphQL (wrong media type, bad JSON,
// too large) with one coded error.
func writeTransportError(w http.ResponseWriter, status int, mediaType string, code traffikgraph.Code, message string) {
	writeErrorBody(w, status, mediaType, errorBody{Errors: gqlerror.List{newCodedError(code, message)}})
}
