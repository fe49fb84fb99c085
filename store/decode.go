package store

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j/dbtype"

	tg "github.com/traffikgraph/traffikgraph"
)

// projection returns the map projection of node variable n that every read returns: all
// properties, the labels, and PII properties replaced by null unless the caller may read PII
// ($pii). It is built from the kinds table, so a new PII property is covered everywhere.
func projection(n string) string {
	return projections.get(n, buildProjection)
}

func buildProjection(n string) string {
	conds := piiConditions(n)
	names := slices.Sorted(maps.Keys(conds))
	var b strings.Builder
	b.WriteString(n + " {.*, __labels: labels(" + n + "), " + ownExternalRefs(n))
	for _, name := range names {
		fmt.Fprintf(&b, ", %s: %s", name, readable(n, name))
	}
	b.WriteString("}")
	return b.String()
}

// readable returns property prop of node variable n as the caller may read it: null when it
// is personal data on n's label and the caller may not read PII ($pii).
func readable(n, prop string) string {
	if cond, ok := piiConditions(n)[prop]; ok {
		return fmt.Sprintf("CASE WHEN $pii OR NOT (%s) THEN %s.%s END", cond, n, prop)
	}
	return n + "." + prop
}

// piiConditions returns, for each property that is personal data on some label, the Cypher
// condition on node variable n under which it is, built from the model's PII rules.
func piiConditions(n string) map[string]string {
	return piiConditionsOf.get(n, buildPIIConditions)
}

func buildPIIConditions(n string) map[string]string {
	alternatives := map[string][]string{}
	for _, k := range tg.Labels {
		for _, p := range k.Props {
			switch {
			case alwaysPersonal(p):
				alternatives[p.Name] = append(alternatives[p.Name], n+":"+k.Name)
			case conditionallyPersonal(p):
				alternatives[p.Name] = append(alternatives[p.Name], "("+n+":"+k.Name+" AND "+personalWhen(p.PII, n)+")")
			}
		}
	}
	conds := make(map[string]string, len(alternatives))
	for name, or := range alternatives {
		slices.Sort(or)
		conds[name] = strings.Join(or, " OR ")
	}
	return conds
}

// alwaysPersonal says whether p is personal data on every node of its label.
func alwaysPersonal(p tg.Property) bool { return p.PII.Personal && p.PII.When == "" }

// conditionallyPersonal says whether p is personal data on some nodes of its label only.
func conditionallyPersonal(p tg.Property) bool { return p.PII.Personal && p.PII.When != "" }

// personalWhen is the Cypher of a conditional PII rule on node variable n (n.kind = 'ADDRESS');
// impersonalWhen its negation (null, like the rule, when the property it reads is missing).
func personalWhen(rule tg.PIIRule, n string) string {
	return n + "." + rule.When + " = " + cypherString(rule.Is)
}

func impersonalWhen(rule tg.PIIRule, n string) string {
	return n + "." + rule.When + " <> " + cypherString(rule.Is)
}

// cypherString quotes a string of the model (never client input) as a Cypher literal.
func cypherString(s string) string {
	return "'" + cypherStringEscapes.Replace(s) + "'"
}

var cypherStringEscapes = strings.NewReplacer(`\`, `\\`, "'", `\'`)

// IsPersonal says whether property of the node, as read, is personal data (the model's rule,
// tg.IsPersonal, on the node's own values).
func IsPersonal(n Node, property string) bool {
	v := reflect.ValueOf(n).Elem()
	return tg.IsPersonal(n.Label(), property, func(name string) any {
		for i := range v.NumField() {
			if v.Type().Field(i).Tag.Get("prop") == name {
				f := v.Field(i)
				if f.Kind() == reflect.Pointer {
					if f.IsNil() {
						return nil
					}
					f = f.Elem()
				}
				return f.Interface()
			}
		}
		return nil
	})
}

// relProjection returns the map projection of relationship variable r.
func relProjection(r string) string {
	return r + " {.*, __type: type(" + r + "), " + ownExternalRefs(r) + "}"
}

// ownExternalRefs keeps only the caller's own external refs ("<partner>:<ref>"): another
// partner's case numbers are its business, not the reader's.
func ownExternalRefs(x string) string {
	return "externalRefs: [ref IN coalesce(" + x + ".externalRefs, []) WHERE ref STARTS WITH $viewer + ':']"
}

// decodeNode turns a projection() map into the domain type of its label.
func decodeNode(v any) (Node, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("decode node: got %T", v)
	}
	labels, _ := m["__labels"].([]any)
	for _, l := range labels {
		var target Node
		switch l {
		case tg.LabelPerson:
			target = &Person{}
		case tg.LabelLocation:
			target = &Location{}
		case tg.LabelRoute:
			target = &Route{}
		case tg.LabelBusiness:
			target = &Business{}
		case tg.LabelIncident:
			target = &Incident{}
		case tg.LabelIdentifier:
			target = &Identifier{}
		case tg.LabelReport:
			target = &Report{}
		case tg.LabelPartner:
			target = &Partner{}
		case tg.LabelSharingGroup:
			target = &SharingGroup{}
		default:
			continue
		}
		if err := decodeInto(m, reflect.ValueOf(target).Elem()); err != nil {
			return nil, err
		}
		return target, nil
	}
	return nil, fmt.Errorf("decode node: no known label in %v", labels)
}

// decodeLink turns a relProjection() map into a Link.
func decodeLink(v any) (*Link, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("decode relationship: got %T", v)
	}
	link := &Link{}
	link.Type, _ = m["__type"].(string)
	if err := decodeInto(m, reflect.ValueOf(link).Elem()); err != nil {
		return nil, err
	}
	if link.Type == tg.RelStop {
		// STOP keeps its role under "role" in the graph; the API calls it stopRole.
		link.StopRole, link.Role = link.Role, nil
	}
	return link, nil
}

var (
	timeType  = reflect.TypeFor[time.Time]()
	dateType  = reflect.TypeFor[Date]()
	pointType = reflect.TypeFor[GeoPoint]()
	provType  = reflect.TypeFor[Provenance]()
)

// decodeInto sets the fields of struct value dst from m, by their `prop` tags; an untagged
// Provenance field is filled from the same map.
func decodeInto(m map[string]any, dst reflect.Value) error {
	t := dst.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Type == provType {
			if err := decodeInto(m, dst.Field(i)); err != nil {
				return err
			}
			continue
		}
		name := f.Tag.Get("prop")
		if name == "" {
			continue
		}
		raw, ok := m[name]
		if !ok || raw == nil {
			continue
		}
		if err := setValue(dst.Field(i), raw); err != nil {
			return fmt.Errorf("property %s: %w", name, err)
		}
	}
	return nil
}

func setValue(field reflect.Value, raw any) error {
	if field.Kind() == reflect.Pointer {
		elem := reflect.New(field.Type().Elem())
		if err := setValue(elem.Elem(), raw); err != nil {
			return err
		}
		field.Set(elem)
		return nil
	}
	switch field.Type() {
	case timeType:
		t, ok := raw.(time.Time)
		if !ok {
			return fmt.Errorf("want DateTime, got %T", raw)
		}
		field.Set(reflect.ValueOf(t.UTC()))
		return nil
	case dateType:
		d, ok := raw.(dbtype.Date)
		if !ok {
			return fmt.Errorf("want Date, got %T", raw)
		}
		field.Set(reflect.ValueOf(Date(d)))
		return nil
	case pointType:
		p, ok := raw.(dbtype.Point2D)
		if !ok {
			return fmt.Errorf("want Point, got %T", raw)
		}
		field.Set(reflect.ValueOf(GeoPoint{Latitude: p.Y, Longitude: p.X}))
		return nil
	}
	switch field.Kind() {
	case reflect.String:
		s, ok := raw.(string)
		if !ok {
			return fmt.Errorf("want string, got %T", raw)
		}
		field.SetString(s)
	case reflect.Int:
		n, ok := raw.(int64)
		if !ok {
			return fmt.Errorf("want integer, got %T", raw)
		}
		field.SetInt(n)
	case reflect.Float64:
		switch n := raw.(type) {
		case float64:
			field.SetFloat(n)
		case int64:
			field.SetFloat(float64(n))
		default:
			return fmt.Errorf("want float, got %T", raw)
		}
	case reflect.Slice:
		items, ok := raw.([]any)
		if !ok {
			return fmt.Errorf("want list, got %T", raw)
		}
		out := reflect.MakeSlice(field.Type(), len(items), len(items))
		for i, item := range items {
			if err := setValue(out.Index(i), item); err != nil {
				return err
			}
		}
		field.Set(out)
	default:
		return fmt.Errorf("unsupported field kind %s", field.Kind())
	}
	return nil
}
