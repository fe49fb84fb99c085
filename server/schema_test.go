package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/traffikgraph/traffikgraph"
	"github.com/traffikgraph/traffikgraph/auth"
)

// testSDL is the schema the HTTP layer is tested against: one field per behaviour to observe.
const testSDL = `
type Query {
	hello: String!
	echo(text: String!): String!
	caller: Caller!
	appError(code: String!, message: String!, field: String): String
	leak: String
	boom: String
	block: String
	hold: String
	waitForDeadline: String
	expensive: String
	perOperation: String
	node: Node
}
type Caller {
	partnerId: String!
	subject: String!
	anonymous: Boolean!
}
type Node {
	id: ID!
	child: Node
}
type Mutation {
	touch: String!
}
type Subscription {
	ticks: String!
}
`

// expensiveComplexity is the complexity the schema declares for Query.expensive.
const expensiveComplexity = 5000

// leakedDetail is what a failing store might put in an error; it must never reach a client.
const leakedDetail = "MATCH (p:Person {name: $name}) failed on bolt://10.0.0.5:7687"

// perOperationKey carries the value Deps.PerOperation puts into each operation's context.
type perOperationKey struct{}

// testSchema is a hand-written graphql.ExecutableSchema (gqlgen's testserver is a handler, not a
// schema). It executes operations the way generated code does where the HTTP layer can tell:
// fields resolve in the operation's context, errors go through graphql.AddError and so through
// the error presenter, and panics through graphql.Recover and so through the recover function.
type testSchema struct {
	schema *ast.Schema

	// block closes blockEntered when a request reaches it, then waits for blockRelease.
	blockEntered chan struct{}
	enterOnce    sync.Once
	blockRelease chan struct{}

	// hold sends to held when a request reaches it, then waits until releaseHeld is closed;
	// mostHeld is the most holds that were waiting at once.
	held        chan struct{}
	releaseHeld chan struct{}
	holding     atomic.Int32
	mostHeld    atomic.Int32
}

func newTestSchema() *testSchema {
	return &testSchema{
		schema:       gqlparser.MustLoadSchema(&ast.Source{Name: "test.graphqls", Input: testSDL}),
		blockEntered: make(chan struct{}),
		blockRelease: make(chan struct{}),
		held:         make(chan struct{}, 64),
		releaseHeld:  make(chan struct{}),
	}
}

var _ graphql.ExecutableSchema = (*testSchema)(nil)

// resolver resolves one field; object is an object value, a resolver per field.
type (
	resolver func(ctx context.Context, args map[string]any) (any, error)
	object   map[string]resolver
)

func constant(v any) resolver {
	return func(context.Context, map[string]any) (any, error) { return v, nil }
}

func (s *testSchema) Schema() *ast.Schema { return s.schema }

func (s *testSchema) Complexity(_ context.Context, typeName, fieldName string, _ int, _ map[string]any) (int, bool) {
	if typeName == "Query" && fieldName == "expensive" {
		return expensiveComplexity, true
	}
	return 0, false
}

// Exec resolves inside the returned handler, as generated code does, so that field errors join
// the response rather than replace it.
func (s *testSchema) Exec(ctx context.Context) graphql.ResponseHandler {
	operation := graphql.GetOperationContext(ctx).Operation
	var typeName string
	var root object
	switch operation.Operation {
	case ast.Query:
		typeName, root = "Query", s.query()
	case ast.Mutation:
		typeName, root = "Mutation", s.mutation()
	default:
		return graphql.OneShot(graphql.ErrorResponse(ctx, "unsupported operation"))
	}
	answered := false
	return func(ctx context.Context) *graphql.Response {
		if answered {
			return nil
		}
		answered = true
		if operation.Operation == ast.Query {
			return &graphql.Response{Data: s.resolveRoot(ctx, typeName, root, operation.SelectionSet)}
		}
		return &graphql.Response{Data: s.resolveObject(ctx, typeName, root, operation.SelectionSet)}
	}
}

// resolveRoot resolves the root fields of a query concurrently, each through the operation's
// root field middleware, as generated code does.
func (s *testSchema) resolveRoot(ctx context.Context, typeName string, root object, set ast.SelectionSet) json.RawMessage {
	oc := graphql.GetOperationContext(ctx)
	fields := graphql.CollectFields(oc, set, []string{typeName})
	values := make([]bytes.Buffer, len(fields))
	var resolving sync.WaitGroup
	for i, field := range fields {
		resolving.Go(func() {
			oc.RootResolverMiddleware(ctx, func(ctx context.Context) graphql.Marshaler {
				value := s.resolveField(ctx, typeName, root, field)
				return graphql.WriterFunc(func(w io.Writer) { _, _ = w.Write(value) })
			}).MarshalGQL(&values[i])
		})
	}
	resolving.Wait()
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, field := range fields {
		if i > 0 {
			buf.WriteByte(',')
		}
		key, _ := json.Marshal(field.Alias)
		buf.Write(key)
		buf.WriteByte(':')
		buf.Write(values[i].Bytes())
	}
	buf.WriteByte('}')
	return buf.Bytes()
}

func (s *testSchema) query() object {
	return object{
		"hello": constant("world"),
		"echo": func(_ context.Context, args map[string]any) (any, error) {
			return args["text"], nil
		},
		"caller": func(ctx context.Context, _ map[string]any) (any, error) {
			caller := auth.CallerFrom(ctx)
			return object{
				"partnerId": constant(caller.PartnerID),
				"subject":   constant(caller.Subject),
				"anonymous": constant(caller.Anonymous()),
			}, nil
		},
		"appError": func(_ context.Context, args map[string]any) (any, error) {
			field, _ := args["field"].(string)
			appErr := &traffikgraph.Error{
				Code:    traffikgraph.Code(args["code"].(string)),
				Message: args["message"].(string),
				Field:   field,
			}
			return nil, fmt.Errorf("resolving appError: %w", appErr)
		},
		"leak": func(context.Context, map[string]any) (any, error) {
			return nil, fmt.Errorf("%s: %w", leakedDetail, io.ErrUnexpectedEOF)
		},
		"boom": func(context.Context, map[string]any) (any, error) {
			panic("boom: " + leakedDetail)
		},
		"block": func(ctx context.Context, _ map[string]any) (any, error) {
			s.enterOnce.Do(func() { close(s.blockEntered) })
			select {
			case <-s.blockRelease:
				return "released", nil
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		},
		"hold": func(ctx context.Context, _ map[string]any) (any, error) {
			now := s.holding.Add(1)
			defer s.holding.Add(-1)
			for most := s.mostHeld.Load(); now > most && !s.mostHeld.CompareAndSwap(most, now); most = s.mostHeld.Load() {
			}
			s.held <- struct{}{}
			select {
			case <-s.releaseHeld:
				return "released", nil
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		},
		"waitForDeadline": func(ctx context.Context, _ map[string]any) (any, error) {
			<-ctx.Done()
			return nil, fmt.Errorf("waiting for the store: %w", ctx.Err())
		},
		"expensive": constant("declared expensive"),
		"perOperation": func(ctx context.Context, _ map[string]any) (any, error) {
			value, _ := ctx.Value(perOperationKey{}).(string)
			return value, nil
		},
		"node": constant(newNode(1)),
	}
}

func (s *testSchema) mutation() object {
	return object{"touch": constant("touched")}
}

// newNode is an endless chain of nodes, to nest queries as deep as a test likes.
func newNode(n int) object {
	return object{
		"id": constant(strconv.Itoa(n)),
		"child": func(context.Context, map[string]any) (any, error) {
			return newNode(n + 1), nil
		},
	}
}

func (s *testSchema) resolveObject(ctx context.Context, typeName string, obj object, set ast.SelectionSet) json.RawMessage {
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, field := range graphql.CollectFields(graphql.GetOperationContext(ctx), set, []string{typeName}) {
		if i > 0 {
			buf.WriteByte(',')
		}
		key, _ := json.Marshal(field.Alias)
		buf.Write(key)
		buf.WriteByte(':')
		buf.Write(s.resolveField(ctx, typeName, obj, field))
	}
	buf.WriteByte('}')
	return buf.Bytes()
}

func (s *testSchema) resolveField(ctx context.Context, typeName string, obj object, field graphql.CollectedField) (result json.RawMessage) {
	args := field.ArgumentMap(graphql.GetOperationContext(ctx).Variables)
	ctx = graphql.WithFieldContext(ctx, &graphql.FieldContext{Object: typeName, Field: field, Args: args})
	defer func() {
		if recovered := recover(); recovered != nil {
			graphql.AddError(ctx, graphql.Recover(ctx, recovered))
			result = json.RawMessage("null")
		}
	}()

	var value any
	var err error
	switch field.Name {
	case "__typename":
		value = typeName
	case "__type":
		if name, _ := args["name"].(string); s.schema.Types[name] != nil {
			value = object{"name": constant(name)}
		}
	default:
		resolve, ok := obj[field.Name]
		if !ok {
			err = errors.New("test schema has no resolver for " + typeName + "." + field.Name)
			break
		}
		value, err = resolve(ctx, args)
	}
	if err != nil {
		graphql.AddError(ctx, err)
		return json.RawMessage("null")
	}
	switch v := value.(type) {
	case nil:
		return json.RawMessage("null")
	case object:
		return s.resolveObject(ctx, field.Definition.Type.Name(), v, field.Selections)
	default:
		encoded, err := json.Marshal(v)
		if err != nil {
			panic(err)
		}
		return encoded
	}
}
