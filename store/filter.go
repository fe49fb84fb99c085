package store

import (
	"context"
	"fmt"
	"slices"
	"strings"

	tg "github.com/traffikgraph/traffikgraph"
	"github.com/traffikgraph/traffikgraph/auth"
)

// Filters arrive as the GraphQL `where` input object: keys are `<property>` (equals) or
// `<property>_<op>`, plus AND, OR, NOT and `provenance`. Every key is checked against the
// label's property allowlist; values always travel as parameters.

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

// build returns the Cypher condition for where (empty when where is empty).
func (b *filterBuilder) build(where map[string]any, path string) (string, error) {
	var conds []string
	keys := sortedKeys(where)
	for _, key := range keys {
		value := plain(where[key])
		if value == nil {
			continue
		}
		field := path + "." + key
		var cond string
		var err error
		switch key {
		case "AND", "OR":
			cond, err = b.combine(key, value, field)
		case "NOT":
			inner, ok := value.(map[string]any)
			if !ok {
				return "", tg.InvalidField(field, "must be an object")
			}
			cond, err = b.build(inner, field)
			if cond != "" {
				cond = "NOT (" + cond + ")"
			}
		case "provenance":
			inner, ok := value.(map[string]any)
			if !ok {
				return "", tg.InvalidField(field, "must be an object")
			}
			cond, err = b.provenance(inner, field)
		default:
			cond, err = b.condition(key, value, field)
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

func (b *filterBuilder) combine(op string, value any, field string) (string, error) {
	items, ok := asList(value)
	if !ok {
		return "", tg.InvalidField(field, "must be a list")
	}
	var parts []string
	for i, item := range items {
		inner, ok := item.(map[string]any)
		if !ok {
			return "", tg.InvalidField(field, "must be a list of objects")
		}
		cond, err := b.build(inner, fmt.Sprintf("%s[%d]", field, i))
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

func (b *filterBuilder) condition(key string, value any, field string) (string, error) {
	name, op := key, "eq"
	if i := strings.LastIndex(key, "_"); i > 0 {
		name, op = key[:i], key[i+1:]
	}
	if rf, ok := relationFilterOf(b.kind.Name, name); ok && (op == "some" || op == "none") {
		return b.relationCondition(rf, op, value, field)
	}
	p, ok := b.kind.Prop(name)
	if !ok || !slices.Contains(p.Filters, tg.FilterOp(op)) {
		return "", tg.InvalidField(field, "unknown filter")
	}
	if alwaysPersonal(p) && !b.pii {
		return "", &tg.Error{Code: tg.Forbidden, Message: "filtering on personal data needs the graph:read:pii scope", Field: field}
	}
	target := b.node + "." + p.Name
	var cond string
	if op == "in" {
		items, ok := asList(value)
		if !ok {
			return "", tg.InvalidField(field, "must be a list")
		}
		converted := make([]any, 0, len(items))
		for _, item := range items {
			v, err := convertInput(p, item, field)
			if err != nil {
				return "", err
			}
			converted = append(converted, v)
		}
		cond = target + " IN " + b.param(converted)
	} else {
		elem := p
		if op == "includes" {
			elem.Type = tg.String
		}
		v, err := convertInput(elem, value, field)
		if err != nil {
			return "", err
		}
		if b.kind.Name == tg.LabelIdentifier && p.Name == "value" {
			v = normaliseIdentifierValue("", v.(string))
		}
		ph := b.param(v)
		switch op {
		case "eq":
			cond = target + " = " + ph
		case "contains":
			cond = "toLower(" + target + ") CONTAINS toLower(" + ph + ")"
		case "startsWith":
			cond = "toLower(" + target + ") STARTS WITH toLower(" + ph + ")"
		case "includes":
			cond = ph + " IN " + target
		case "gt":
			cond = target + " > " + ph
		case "gte":
			cond = target + " >= " + ph
		case "lt":
			cond = target + " < " + ph
		case "lte":
			cond = target + " <= " + ph
		}
	}
	if conditionallyPersonal(p) && !b.pii {
		cond = "(" + cond + " AND " + impersonalWhen(p.PII, b.node) + ")"
	}
	return cond, nil
}

func (b *filterBuilder) provenance(where map[string]any, path string) (string, error) {
	var conds []string
	for _, key := range sortedKeys(where) {
		value := plain(where[key])
		if value == nil {
			continue
		}
		field := path + "." + key
		switch key {
		case "externalRef":
			ref, ok := value.(string)
			if !ok {
				return "", tg.InvalidField(field, "must be a string")
			}
			conds = append(conds, b.param(externalRefKey(b.partner(), ref))+" IN "+b.node+".externalRefs")
		default:
			cond, err := b.condition(key, value, field)
			if err != nil {
				return "", err
			}
			conds = append(conds, cond)
		}
	}
	return strings.Join(conds, " AND "), nil
}

func (b *filterBuilder) partner() string { return b.params["__partner"].(string) }

// whereClause builds the condition for where on node variable n of kind k, adding its
// parameters to params; a filter beyond the size bounds (filterlimits.go) is refused first.
func whereClause(ctx context.Context, k *tg.Label, n string, where map[string]any, params map[string]any) (string, error) {
	if err := checkFilterSize(where, "where"); err != nil {
		return "", err
	}
	caller := auth.CallerFrom(ctx)
	fb := &filterBuilder{kind: k, node: n, pii: caller.Has(auth.ScopeGraphReadPII), params: map[string]any{"__partner": caller.PartnerID}}
	cond, err := fb.build(where, "where")
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
