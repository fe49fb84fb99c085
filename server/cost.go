package server

import (
	"context"
	"encoding/json"
	"errors"
	"math"

	"github.com/99designs/gqlgen/complexity"
	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/traffikgraph/traffikgraph"
)

// pageArguments are the arguments that say how many items a field returns: a field taking one
// answers up to that many copies of its selection.
var pageArguments = []string{"first", "limit"}

// costLimit refuses, before execution, an operation whose estimated cost is over limit. The
// estimate is gqlgen's complexity (each field costs 1 plus its selection) in which a field that
// takes `first` or `limit` costs 1 + that value x its selection: an estimate of how many values
// the answer can hold, so that a fan-out costs the product of its pages. When the argument is
// not given the schema's default counts (every such argument has one: resolvers'
// TestEveryPageArgumentHasADefault).
type costLimit struct {
	limit  int
	schema graphql.ExecutableSchema
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = &costLimit{}

func (*costLimit) ExtensionName() string { return "CostLimit" }

func (c *costLimit) Validate(schema graphql.ExecutableSchema) error {
	if c.limit <= 0 {
		return errors.New("cost limit must be positive")
	}
	c.schema = pagedCost{schema}
	return nil
}

func (c *costLimit) MutateOperationContext(ctx context.Context, opCtx *graphql.OperationContext) *gqlerror.Error {
	cost := complexity.Calculate(ctx, c.schema, opCtx.Operation, opCtx.Variables)
	if cost <= c.limit {
		return nil
	}
	err := gqlerror.Errorf("operation has an estimated cost of %d, over the limit of %d: ask for smaller pages (first, limit), "+
		"above all on lists nested in lists, whose pages multiply", cost, c.limit)
	errcode.Set(err, string(traffikgraph.LimitExceeded))
	return err
}

// pagedCost is the schema as costLimit sees it: a field with a page argument costs
// 1 + page x its selection; every other field keeps the schema's own cost.
type pagedCost struct {
	graphql.ExecutableSchema
}

func (p pagedCost) Complexity(ctx context.Context, typeName, field string, childComplexity int, args map[string]any) (int, bool) {
	var definition *ast.FieldDefinition
	if object := p.Schema().Types[typeName]; object != nil {
		definition = object.Fields.ForName(field)
	}
	if definition != nil {
		for _, name := range pageArguments {
			if argument := definition.Arguments.ForName(name); argument != nil {
				return saturatingAdd(1, saturatingMultiply(pageSize(args[name], argument), max(childComplexity, 1))), true
			}
		}
	}
	return p.ExecutableSchema.Complexity(ctx, typeName, field, childComplexity, args)
}

// pageSize reads a page argument: the value given, or the schema's default when it is absent or
// null; at least 1, since the store refuses pages below 1 anyway.
func pageSize(value any, argument *ast.ArgumentDefinition) int {
	if value == nil && argument.DefaultValue != nil {
		value, _ = argument.DefaultValue.Value(nil)
	}
	var n int64
	switch v := value.(type) {
	case int:
		n = int64(v)
	case int32:
		n = int64(v)
	case int64:
		n = v
	case float64:
		n = int64(min(v, math.MaxInt64))
	case json.Number:
		n, _ = v.Int64()
	}
	return int(max(n, 1))
}

func saturatingMultiply(a, b int) int {
	if a != 0 && b > math.MaxInt/a {
		return math.MaxInt
	}
	return a * b
}

func saturatingAdd(a, b int) int {
	if b > math.MaxInt-a {
		return math.MaxInt
	}
	return a + b
}
