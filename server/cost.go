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

// Traversal arguments that bound an answer's size without being a page: each gives how many
// copies of its selection a field taking it may answer.
var depthArguments = map[string]func(depth int) int{
	// A path of at most maxDepth relationships has maxDepth + 1 nodes (shortestPath,
	// allShortestPaths, the latter times its limit).
	"maxDepth": func(depth int) int { return depth + 1 },
	// supplyChain and supplyChainRisk answer the businesses within maxTier tiers of SUPPLIES, at
	// most supplyChainNodes of them; a tier fans out, counted as supplyChainFanOut per business.
	"maxTier": func(tiers int) int {
		items := 1
		for tier := 0; tier < tiers && items < supplyChainNodes; tier++ {
			items = min(items*supplyChainFanOut, supplyChainNodes)
		}
		return items
	},
}

const (
	// supplyChainNodes is the store's bound on the businesses of one supply chain
	// (store.TraversalLimits.MaxSupplyChainNodes, 1000 by default).
	supplyChainNodes = 1000
	// supplyChainFanOut is the suppliers counted per business and tier: tier 1 costs 10 copies
	// of the selection, tier 2 100, tier 3 and beyond the store's 1000.
	supplyChainFanOut = 10
)

// costLimit refuses, before execution, an operation whose estimated cost is over limit. The
// estimate is gqlgen's complexity (each field costs 1 plus its selection) in which a field that
// takes `first` or `limit` costs 1 + that value x its selection (and a traversal's maxDepth or
// maxTier counts the nodes it may answer the same way): an estimate of how many values the
// answer can hold, so that a fan-out costs the product of its pages. When the argument is
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

// pagedCost is the schema as costLimit sees it: a field with a page argument, a depth argument
// (depthArguments) or both costs 1 + (the items they allow, multiplied) x its selection; every
// other field keeps the schema's own cost.
type pagedCost struct {
	graphql.ExecutableSchema
}

func (p pagedCost) Complexity(ctx context.Context, typeName, field string, childComplexity int, args map[string]any) (int, bool) {
	var definition *ast.FieldDefinition
	if object := p.Schema().Types[typeName]; object != nil {
		definition = object.Fields.ForName(field)
	}
	if definition == nil {
		return p.ExecutableSchema.Complexity(ctx, typeName, field, childComplexity, args)
	}
	items, bounded := 1, false
	for _, name := range pageArguments {
		if argument := definition.Arguments.ForName(name); argument != nil {
			items, bounded = pageSize(args[name], argument), true
			break
		}
	}
	for name, itemsWithin := range depthArguments {
		if argument := definition.Arguments.ForName(name); argument != nil {
			items, bounded = saturatingMultiply(items, itemsWithin(pageSize(args[name], argument))), true
		}
	}
	if !bounded {
		return p.ExecutableSchema.Complexity(ctx, typeName, field, childComplexity, args)
	}
	return saturatingAdd(1, saturatingMultiply(items, max(childComplexity, 1))), true
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
