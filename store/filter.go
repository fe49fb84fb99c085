package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	tg "github.com/traffikgraph/traffikgraph"
	"github.com/traffikgraph/traffikgraph/auth"
)

// Filter keeps the nodes of a label for which every one of its terms holds; an empty filter
// keeps them all. Terms are checked in their order, so a refusal names the first bad one.
// Every property and relationship a term names is checked against the label's model
// (model.go); values always travel as parameters.
type Filter struct {
	Terms []Term
}

// Term is one term of a Filter: a *Condition, *Relation, *AllOf, *AnyOf, *Not or *ExternalRef.
type Term interface{ filterTerm() }

// Condition compares a property of the label with a value.
type Condition struct {
	// Property is the property's name in the label's model.
	Property string
	Op       tg.FilterOp
	// Value is a string, int, int64, float64, time.Time or Date; for OpIn a list ([]any or
	// []string) of them.
	Value any
}

// Relation keeps the nodes with at least one visible neighbour, over a visible relationship,
// matching Filter (with None: the nodes with none).
type Relation struct {
	// Field is the label's relationship field in the model (a tg.RelField marked Filter).
	Field  string
	None   bool
	Filter *Filter
}

// AllOf holds when every one of its filters does, AnyOf when one does.
type AllOf struct{ Filters []*Filter }

// AnyOf holds when at least one of its filters does.
type AnyOf struct{ Filters []*Filter }

// Not holds when its filter does not.
type Not struct{ Filter *Filter }

// ExternalRef keeps the nodes the caller's partner gave this ref of its own.
type ExternalRef struct{ Ref string }

// Near keeps the nodes whose point property lies within RadiusKm of Point (Neo4j's
// point.distance, great-circle on WGS-84). RadiusKm is more than 0 and at most MaxNearRadiusKm.
type Near struct {
	Property string
	Point    GeoPoint
	RadiusKm float64
}

// MaxNearRadiusKm bounds a Near term: wider than a region, a distance says nothing a country
// filter would not.
const MaxNearRadiusKm = 500

func (*Condition) filterTerm()   {}
func (*Relation) filterTerm()    {}
func (*AllOf) filterTerm()       {}
func (*AnyOf) filterTerm()       {}
func (*Not) filterTerm()         {}
func (*ExternalRef) filterTerm() {}
func (*Near) filterTerm()        {}

// filterKey is f as plain values that tell every filter apart (AllOf from AnyOf too), for
// digests of what was asked.
func filterKey(f *Filter) any {
	if f == nil {
		return nil
	}
	terms := make([]any, 0, len(f.Terms))
	for _, term := range f.Terms {
		switch t := term.(type) {
		case *AllOf:
			terms = append(terms, map[string]any{"all": filterKeys(t.Filters)})
		case *AnyOf:
			terms = append(terms, map[string]any{"any": filterKeys(t.Filters)})
		case *Not:
			terms = append(terms, map[string]any{"not": filterKey(t.Filter)})
		case *Relation:
			terms = append(terms, map[string]any{"relation": t.Field, "none": t.None, "filter": filterKey(t.Filter)})
		case *Condition:
			terms = append(terms, map[string]any{"property": t.Property, "op": t.Op, "value": valueKey(t.Value)})
		case *ExternalRef:
			terms = append(terms, map[string]any{"externalRef": t.Ref})
		case *Near:
			terms = append(terms, map[string]any{"near": t.Property, "point": t.Point, "radiusKm": t.RadiusKm})
		}
	}
	return terms
}

// valueKey is a condition's value as JSON tells it apart: a Date (which has no JSON form of
// its own) as its day.
func valueKey(v any) any {
	switch value := v.(type) {
	case Date:
		return time.Time(value).Format(time.DateOnly)
	case []any:
		out := make([]any, len(value))
		for i, item := range value {
			out[i] = valueKey(item)
		}
		return out
	}
	return v
}

func filterKeys(filters []*Filter) []any {
	out := make([]any, len(filters))
	for i, f := range filters {
		out[i] = filterKey(f)
	}
	return out
}

// FilterError refuses one part of a filter: At is the *Filter (an item of AllOf or AnyOf) or the
// Term the caller built, Err the refusal (its Field names the property, when there is one).
// Whoever built the filter knows what At is called in its own terms.
type FilterError struct {
	At  any
	Err *tg.Error
}

func (e *FilterError) Error() string { return e.Err.Error() }
func (e *FilterError) Unwrap() error { return e.Err }

// asError is the *tg.Error a check returned (the checks return nothing else).
func asError(err error) *tg.Error {
	if e, ok := errors.AsType[*tg.Error](err); ok {
		return e
	}
	return &tg.Error{Code: tg.Internal, Message: err.Error()}
}

func refuse(at any, field, format string, args ...any) error {
	return &FilterError{At: at, Err: tg.InvalidField(field, format, args...)}
}

type filterBuilder struct {
	kind   *tg.Label
	node   string
	pii    bool
	params map[string]any
	// depth counts the relationship filters this one is nested in; vars numbers their variables.
	depth, vars int
}

func (b *filterBuilder) param(v any) string {
	name := fmt.Sprintf("f%d", len(b.params))
	b.params[name] = v
	return "$" + name
}

// build returns the Cypher condition for f (empty when f has no term).
func (b *filterBuilder) build(f *Filter) (string, error) {
	if f == nil {
		return "", nil
	}
	var conds []string
	for _, term := range f.Terms {
		var cond string
		var err error
		switch t := term.(type) {
		case *AllOf:
			cond, err = b.combine("AND", t.Filters)
		case *AnyOf:
			cond, err = b.combine("OR", t.Filters)
		case *Not:
			cond, err = b.build(t.Filter)
			if cond != "" {
				cond = "NOT (" + cond + ")"
			}
		case *ExternalRef:
			cond = b.param(externalRefKey(b.partner(), t.Ref)) + " IN " + b.node + ".externalRefs"
		case *Relation:
			cond, err = b.relationCondition(t)
		case *Condition:
			cond, err = b.condition(t)
		case *Near:
			cond, err = b.near(t)
		default:
			err = fmt.Errorf("store: unknown filter term %T", term)
		}
		if err != nil {
			return "", err
		}
		if cond != "" {
			conds = append(conds, cond)
		}
	}
	return strings.Join(conds, " AND "), nil
}

func (b *filterBuilder) combine(op string, filters []*Filter) (string, error) {
	var parts []string
	for _, f := range filters {
		cond, err := b.build(f)
		if err != nil {
			return "", err
		}
		if cond == "" {
			cond = "true"
		}
		parts = append(parts, "("+cond+")")
	}
	if len(parts) == 0 {
		return "", nil
	}
	return "(" + strings.Join(parts, " "+op+" ") + ")", nil
}

func (b *filterBuilder) condition(c *Condition) (string, error) {
	p, ok := b.kind.Prop(c.Property)
	if !ok || !slices.Contains(p.Filters, c.Op) {
		return "", refuse(c, c.Property, "unknown filter")
	}
	if alwaysPersonal(p) && !b.pii {
		return "", &FilterError{At: c, Err: &tg.Error{Code: tg.Forbidden, Message: "filtering on personal data needs the graph:read:pii scope", Field: p.Name}}
	}
	target := b.node + "." + p.Name
	var cond string
	if c.Op == tg.OpIn {
		items, ok := asList(c.Value)
		if !ok {
			return "", refuse(c, p.Name, "must be a list")
		}
		converted := make([]any, 0, len(items))
		for _, item := range items {
			v, err := convertInput(p, item, p.Name)
			if err != nil {
				return "", &FilterError{At: c, Err: asError(err)}
			}
			converted = append(converted, v)
		}
		cond = target + " IN " + b.param(converted)
	} else {
		elem := p
		if c.Op == tg.OpIncludes {
			elem.Type = tg.String
		}
		v, err := convertInput(elem, c.Value, p.Name)
		if err != nil {
			return "", &FilterError{At: c, Err: asError(err)}
		}
		if b.kind.Name == tg.LabelIdentifier && p.Name == "value" {
			v = normaliseIdentifierValue("", v.(string))
		}
		ph := b.param(v)
		switch c.Op {
		case tg.OpEq:
			cond = target + " = " + ph
		case tg.OpContains:
			cond = "toLower(" + target + ") CONTAINS toLower(" + ph + ")"
		case tg.OpStartsWith:
			cond = "toLower(" + target + ") STARTS WITH toLower(" + ph + ")"
		case tg.OpIncludes:
			cond = ph + " IN " + target
		case tg.OpGt:
			cond = target + " > " + ph
		case tg.OpGte:
			cond = target + " >= " + ph
		case tg.OpLt:
			cond = target + " < " + ph
		case tg.OpLte:
			cond = target + " <= " + ph
		}
	}
	if conditionallyPersonal(p) && !b.pii {
		cond = "(" + cond + " AND " + impersonalWhen(p.PII, b.node) + ")"
	}
	return cond, nil
}

func (b *filterBuilder) near(n *Near) (string, error) {
	p, ok := b.kind.Prop(n.Property)
	if !ok || p.Type != tg.Point {
		return "", refuse(n, n.Property, "is not a point of this type")
	}
	if alwaysPersonal(p) && !b.pii {
		return "", &FilterError{At: n, Err: &tg.Error{Code: tg.Forbidden, Message: "filtering on personal data needs the graph:read:pii scope", Field: p.Name}}
	}
	if !(n.RadiusKm > 0 && n.RadiusKm <= MaxNearRadiusKm) {
		return "", refuse(n, "radiusKm", "must be more than 0 and at most %d", MaxNearRadiusKm)
	}
	point, err := convertInput(p, n.Point, "point")
	if err != nil {
		return "", &FilterError{At: n, Err: asError(err)}
	}
	target := b.node + "." + p.Name
	cond := "point.distance(" + target + ", " + b.param(point) + ") <= " + b.param(n.RadiusKm*1000)
	if conditionallyPersonal(p) && !b.pii {
		cond = "(" + cond + " AND " + impersonalWhen(p.PII, b.node) + ")"
	}
	return cond, nil
}

func (b *filterBuilder) partner() string { return b.params["__partner"].(string) }

// whereClause builds the condition for f on node variable n of kind k, adding its parameters to
// params; a filter beyond the size bounds (filterlimits.go) is refused first.
func whereClause(ctx context.Context, k *tg.Label, n string, f *Filter, params map[string]any) (string, error) {
	if err := checkFilterSize(f); err != nil {
		return "", err
	}
	caller := auth.CallerFrom(ctx)
	fb := &filterBuilder{kind: k, node: n, pii: caller.Has(auth.ScopeGraphReadPII), params: map[string]any{"__partner": caller.PartnerID}}
	cond, err := fb.build(f)
	if err != nil {
		return "", err
	}
	for name, v := range fb.params {
		if name != "__partner" {
			params[name] = v
		}
	}
	return cond, nil
}

// externalRefKey scopes a contributor's own id to the contributor, so two partners' refs never
// collide.
func externalRefKey(partnerID, ref string) string { return partnerID + ":" + ref }
