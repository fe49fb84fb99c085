package store

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j/dbtype"
)

// projection returns the map projection of node variable n that every read returns: all
// properties, the labels, and PII properties replaced by null unless the caller may read PII
// ($pii). It is built from the kinds table, so a new PII property is covered everywhere.
func projection(n string) string {
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
// condition on node variable n under which it is, from the kinds table.
func piiConditions(n string) map[string]string {
	type rule struct{ labels, addressLabels []string }
	rules := map[string]*rule{}
	for _, k := range kinds {
		for _, p := range k.props {
			if p.pii == notPII {
				continue
			}
			r := rules[p.name]
			if r == nil {
				r = &rule{}
				rules[p.name] = r
			}
			if p.pii == alwaysPII {
				r.labels = append(r.labels, k.label)
			} else {
				r.addressLabels = append(r.addressLabels, k.label)
			}
		}
	}
	conds := make(map[string]string, len(rules))
	for name, r := range rules {
		var or []string
		slices.Sort(r.labels)
		slices.Sort(r.addressLabels)
		for _, l := range r.labels {
			or = append(or, n+":"+l)
		}
		for _, l := range r.addressLabels {
			or = append(or, "("+n+":"+l+" AND "+n+".kind = 'ADDRESS')")
		}
		conds[name] = strings.Join(or, " OR ")
	}
	return conds
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
		case LabelPerson:
			target = &Person{}
		case LabelLocation:
			target = &Location{}
		case LabelRoute:
			target = &Route{}
		case LabelBusiness:
			target = &Business{}
		case LabelIncident:
			target = &Incident{}
		case LabelIdentifier:
			target = &Identifier{}
		case LabelReport:
			target = &Report{}
		case LabelPartner:
			target = &Partner{}
		case LabelSharingGroup:
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
	if link.Type == RelStop {
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
		field.Set(reflect.ValueOf(d))
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
