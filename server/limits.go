package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/traffikgraph/traffikgraph"
)

// depthLimit refuses, before execution and before the cost estimate (cost.go), an operation whose
// fields nest deeper than maxDepth: the cost estimate alone misses deep but narrow queries (person
// → associates → person → ...), each level of which is another traversal in Neo4j. The document's
// size was bounded before validation (document.go).
type depthLimit struct {
	maxDepth int
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = depthLimit{}

func (depthLimit) ExtensionName() string { return "DepthLimit" }

func (l depthLimit) Validate(graphql.ExecutableSchema) error {
	if l.maxDepth <= 0 {
		return errors.New("depth limit must be positive")
	}
	return nil
}

func (l depthLimit) MutateOperationContext(_ context.Context, opCtx *graphql.OperationContext) *gqlerror.Error {
	walker := depthWalker{doc: opCtx.Doc, fragments: map[string]int{}}
	depth := walker.selectionSetDepth(opCtx.Operation.SelectionSet)
	if depth <= l.maxDepth {
		return nil
	}
	err := gqlerror.Errorf("operation has depth %d, which exceeds the limit of %d", depth, l.maxDepth)
	errcode.Set(err, string(traffikgraph.LimitExceeded))
	return err
}

// depthWalker measures the deepest field nesting of selection sets; fragments and inline
// fragments add no depth. A fragment's depth does not depend on where it is spread, so it is
// measured once, which keeps the walk linear in the size of the document.
type depthWalker struct {
	doc       *ast.QueryDocument
	fragments map[string]int
}

func (w depthWalker) selectionSetDepth(set ast.SelectionSet) int {
	deepest := 0
	for _, selection := range set {
		var depth int
		switch sel := selection.(type) {
		case *ast.Field:
			if isIntrospectionRoot(sel.Name) {
				// Gated by Config.Introspection, and its nesting (GraphiQL's ofType chains) is
				// fixed by the spec rather than chosen by the client.
				continue
			}
			depth = w.selectionSetDepth(sel.SelectionSet) + 1
		case *ast.InlineFragment:
			depth = w.selectionSetDepth(sel.SelectionSet)
		case *ast.FragmentSpread:
			depth = w.fragmentDepth(sel.Name)
		}
		deepest = max(deepest, depth)
	}
	return deepest
}

func (w depthWalker) fragmentDepth(name string) int {
	if depth, ok := w.fragments[name]; ok {
		return depth
	}
	fragment := w.doc.Fragments.ForName(name)
	if fragment == nil {
		return 0 // validation has already refused unknown fragments; nothing to measure
	}
	depth := w.selectionSetDepth(fragment.SelectionSet)
	w.fragments[name] = depth
	return depth
}

func isIntrospectionRoot(fieldName string) bool {
	return fieldName == "__schema" || fieldName == "__type"
}

// introspectionDisabled refuses __schema and __type before execution when introspection is off.
// Without it gqlgen would run the operation and fail the field with a bare error, which the
// presenter must treat as INTERNAL; this way the client is told plainly, as a validation error.
type introspectionDisabled struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = introspectionDisabled{}

func (introspectionDisabled) ExtensionName() string { return "IntrospectionDisabled" }

func (introspectionDisabled) Validate(graphql.ExecutableSchema) error { return nil }

func (introspectionDisabled) MutateOperationContext(_ context.Context, opCtx *graphql.OperationContext) *gqlerror.Error {
	if !selectsIntrospection(opCtx.Doc, opCtx.Operation.SelectionSet) {
		return nil
	}
	err := gqlerror.Errorf("introspection is disabled on this server")
	errcode.Set(err, errcode.ValidationFailed)
	return err
}

// selectsIntrospection looks through the root selection set, and the fragments spread into it,
// for __schema or __type: the schema allows them only on the query root. Each fragment is looked
// at once, however often it is spread.
func selectsIntrospection(doc *ast.QueryDocument, set ast.SelectionSet) bool {
	return rootSelectsIntrospection(doc, set, map[string]bool{})
}

func rootSelectsIntrospection(doc *ast.QueryDocument, set ast.SelectionSet, seenFragments map[string]bool) bool {
	for _, selection := range set {
		switch s := selection.(type) {
		case *ast.Field:
			if isIntrospectionRoot(s.Name) {
				return true
			}
		case *ast.InlineFragment:
			if rootSelectsIntrospection(doc, s.SelectionSet, seenFragments) {
				return true
			}
		case *ast.FragmentSpread:
			if seenFragments[s.Name] {
				continue
			}
			seenFragments[s.Name] = true
			if fragment := doc.Fragments.ForName(s.Name); fragment != nil &&
				rootSelectsIntrospection(doc, fragment.SelectionSet, seenFragments) {
				return true
			}
		}
	}
	return false
}

// Bounds on a request's variables, checked on their JSON before it is even decoded: decoding
// and then coercing every value against its input type (gqlparser, about 2 µs a value for the
// filter inputs) made 1,000 OR alternatives in a 30 KB variable cost more to refuse than most
// questions cost to answer. The
// store's own bounds (a filter's depth, terms and lists) are far inside these and name the field.
const (
	// maxVariableValues bounds the JSON values (objects, lists, strings, numbers...) of all
	// variables together: as many as an operation may select fields.
	maxVariableValues = 2000
	// maxVariableDepth bounds how deep a variable's objects and lists nest: twice the store's
	// filter nesting (an AND or OR is a list of objects) and some.
	maxVariableDepth = 20
)

// variablesTooLarge reads the raw variables object token by token, without building it, and
// says which variable, if any, goes over maxVariableValues or maxVariableDepth. Malformed JSON
// passes: decoding it reports that.
func variablesTooLarge(raw json.RawMessage) *gqlerror.Error {
	if isAbsent(raw) {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	// open holds, for each object or list being read, whether it is an object whose next
	// token is a key; open[0] is the variables object itself, open[1] a variable's value.
	type container struct{ object, expectKey bool }
	var open []container
	values, variable := 0, ""
	for {
		token, err := dec.Token()
		if err != nil {
			return nil
		}
		if delim, ok := token.(json.Delim); ok && (delim == '}' || delim == ']') {
			open = open[:len(open)-1]
			continue
		}
		if n := len(open); n > 0 && open[n-1].expectKey {
			open[n-1].expectKey = false
			if n == 1 {
				variable, _ = token.(string)
			}
			continue
		}
		if n := len(open); n > 0 {
			open[n-1].expectKey = open[n-1].object
			values++
		}
		var tooLarge *gqlerror.Error
		switch {
		case values > maxVariableValues:
			tooLarge = gqlerror.Errorf("variables hold more than %d values", maxVariableValues)
		case len(open) > maxVariableDepth:
			tooLarge = gqlerror.Errorf("variable $%s nests more than %d levels deep", variable, maxVariableDepth)
		}
		if tooLarge != nil {
			tooLarge.Extensions = map[string]any{"code": string(traffikgraph.LimitExceeded), "field": "variables." + variable}
			return tooLarge
		}
		if delim, ok := token.(json.Delim); ok {
			open = append(open, container{object: delim == '{', expectKey: delim == '{'})
		}
	}
}
