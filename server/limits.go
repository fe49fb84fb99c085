package server

import (
	"context"
	"errors"
	"maps"
	"slices"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/traffikgraph/traffikgraph"
)

// shapeLimit refuses, before execution and before the cost estimate (cost.go), an operation whose
// fields nest deeper than maxDepth or that selects more than maxFields fields once fragments are
// expanded.
//   - Depth: the cost estimate alone misses deep but narrow queries (person → associates → person →
//     ...), each level of which is another traversal in Neo4j.
//   - Expanded fields: the cost estimate (gqlgen's complexity walk) re-walks a fragment at
//     every spread, so a two-kilobyte document whose fragments each spread the next one twice
//     would cost it minutes of CPU; refusing more fields than maxFields first, in linear time,
//     keeps that walk short.
type shapeLimit struct {
	maxDepth  int
	maxFields int
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = shapeLimit{}

func (shapeLimit) ExtensionName() string { return "ShapeLimit" }

func (l shapeLimit) Validate(graphql.ExecutableSchema) error {
	if l.maxDepth <= 0 || l.maxFields <= 0 {
		return errors.New("depth and field limits must be positive")
	}
	return nil
}

func (l shapeLimit) MutateOperationContext(_ context.Context, opCtx *graphql.OperationContext) *gqlerror.Error {
	walker := shapeWalker{doc: opCtx.Doc, fieldCap: l.maxFields + 1, fragments: map[string]shape{}}
	measured := walker.selectionSetShape(opCtx.Operation.SelectionSet)
	var err *gqlerror.Error
	switch {
	case measured.depth > l.maxDepth:
		err = gqlerror.Errorf("operation has depth %d, which exceeds the limit of %d", measured.depth, l.maxDepth)
	case measured.fields > l.maxFields:
		err = gqlerror.Errorf("operation selects more than %d fields once fragments are expanded", l.maxFields)
	default:
		return nil
	}
	errcode.Set(err, string(traffikgraph.LimitExceeded))
	return err
}

// shape is what shapeWalker measures of a selection set: its deepest field nesting and how many
// fields it selects once fragments are expanded (counted up to a cap, as they can be astronomical).
type shape struct {
	depth  int
	fields int
}

// shapeWalker measures selection sets; fragments and inline fragments add no depth. A fragment's
// shape does not depend on where it is spread, so it is measured once, which keeps the walk
// linear in the size of the document.
type shapeWalker struct {
	doc       *ast.QueryDocument
	fieldCap  int
	fragments map[string]shape
}

func (w shapeWalker) selectionSetShape(set ast.SelectionSet) shape {
	var total shape
	for _, selection := range set {
		var s shape
		switch sel := selection.(type) {
		case *ast.Field:
			if isIntrospectionRoot(sel.Name) {
				// Gated by Config.Introspection, and its nesting (GraphiQL's ofType chains) is
				// fixed by the spec rather than chosen by the client.
				continue
			}
			s = w.selectionSetShape(sel.SelectionSet)
			s.depth++
			s.fields++
		case *ast.InlineFragment:
			s = w.selectionSetShape(sel.SelectionSet)
		case *ast.FragmentSpread:
			s = w.fragmentShape(sel.Name)
		}
		total.depth = max(total.depth, s.depth)
		total.fields = min(total.fields+s.fields, w.fieldCap)
	}
	return total
}

func (w shapeWalker) fragmentShape(name string) shape {
	if s, ok := w.fragments[name]; ok {
		return s
	}
	fragment := w.doc.Fragments.ForName(name)
	if fragment == nil {
		return shape{} // validation has already refused unknown fragments; nothing to measure
	}
	s := w.selectionSetShape(fragment.SelectionSet)
	w.fragments[name] = s
	return s
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

// Bounds on a request's variables, checked before gqlparser coerces them: coercion walks every
// value against its input type (about 2 µs a value for the filter inputs), so 1,000 OR
// alternatives in a 30 KB variable cost more to refuse than most questions cost to answer. The
// store's own bounds (a filter's depth, terms and lists) are far inside these and name the field.
const (
	// maxVariableValues bounds the JSON values (objects, lists, strings, numbers...) of all
	// variables together: as many as an operation may select fields.
	maxVariableValues = 2000
	// maxVariableDepth bounds how deep a variable's objects and lists nest: twice the store's
	// filter nesting (an AND or OR is a list of objects) and some.
	maxVariableDepth = 20
)

// variablesTooLarge says which variable, if any, goes over maxVariableValues or maxVariableDepth.
func variablesTooLarge(variables map[string]any) *gqlerror.Error {
	values := 0
	for _, name := range slices.Sorted(maps.Keys(variables)) {
		depth, ok := jsonSize(variables[name], 1, &values)
		var err *gqlerror.Error
		switch {
		case !ok:
			err = gqlerror.Errorf("variables hold more than %d values", maxVariableValues)
		case depth > maxVariableDepth:
			err = gqlerror.Errorf("variable $%s nests more than %d levels deep", name, maxVariableDepth)
		default:
			continue
		}
		err.Extensions = map[string]any{"code": string(traffikgraph.LimitExceeded), "field": "variables." + name}
		return err
	}
	return nil
}

// jsonSize adds v's values to *values and returns how deep v nests; it stops, with false, once
// *values passes maxVariableValues or the depth maxVariableDepth.
func jsonSize(v any, depth int, values *int) (int, bool) {
	*values++
	if *values > maxVariableValues {
		return depth, false
	}
	if depth > maxVariableDepth {
		return depth, true
	}
	deepest := depth
	var children []any
	switch value := v.(type) {
	case map[string]any:
		children = slices.Collect(maps.Values(value))
	case []any:
		children = value
	}
	for _, child := range children {
		d, ok := jsonSize(child, depth+1, values)
		if !ok {
			return d, false
		}
		deepest = max(deepest, d)
		if deepest > maxVariableDepth {
			return deepest, true
		}
	}
	return deepest, true
}
