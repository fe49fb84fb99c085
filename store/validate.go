package store

import (
	"encoding/json"
	"math"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j/dbtype"

	tg "github.com/traffikgraph/traffikgraph"
)

// convertInput checks one client value (a string, int, int64, float64, time.Time, Date,
// GeoPoint, or a list of them) against the property's type and bounds and converts it to what
// the driver stores. Every refusal names the field.
func convertInput(p tg.Property, v any, field string) (any, error) {
	switch p.Type {
	case tg.String, tg.Enum:
		s, ok := v.(string)
		if !ok {
			return nil, tg.InvalidField(field, "must be a string")
		}
		if p.Type == tg.Enum && !slices.Contains(tg.Enums[p.Enum], s) {
			return nil, tg.InvalidField(field, "must be one of %v", tg.Enums[p.Enum])
		}
		return s, checkLength(p, s, field)
	case tg.Country:
		s, ok := v.(string)
		if !ok || !isCountryCode(s) {
			return nil, tg.InvalidField(field, "must be an ISO 3166-1 alpha-2 country code")
		}
		return s, nil
	case tg.StringList, tg.EnumList:
		items, ok := asList(v)
		if !ok {
			return nil, tg.InvalidField(field, "must be a list")
		}
		if len(items) > 100 {
			return nil, tg.InvalidField(field, "must have at most 100 items")
		}
		out := make([]string, 0, len(items))
		for _, item := range items {
			s, ok := item.(string)
			if !ok {
				return nil, tg.InvalidField(field, "must be a list of strings")
			}
			if err := checkLength(p, s, field); err != nil {
				return nil, err
			}
			if p.Type == tg.EnumList && !slices.Contains(tg.Enums[p.Enum], s) {
				return nil, tg.InvalidField(field, "must be a list of %v", tg.Enums[p.Enum])
			}
			out = append(out, s)
		}
		return out, nil
	case tg.Int:
		n, ok := toInt(v)
		if !ok {
			return nil, tg.InvalidField(field, "must be an integer")
		}
		return n, nil
	case tg.Float:
		f, ok := toFloat(v)
		if !ok {
			return nil, tg.InvalidField(field, "must be a number")
		}
		return f, nil
	case tg.Date:
		switch d := v.(type) {
		case Date:
			return dbtype.Date(d), nil
		case dbtype.Date:
			return d, nil
		case string:
			t, err := time.Parse(time.DateOnly, d)
			if err != nil {
				return nil, tg.InvalidField(field, "must be a date YYYY-MM-DD")
			}
			return dbtype.Date(t), nil
		}
		return nil, tg.InvalidField(field, "must be a date YYYY-MM-DD")
	case tg.DateTime:
		switch d := v.(type) {
		case time.Time:
			return d.UTC(), nil
		case string:
			t, err := time.Parse(time.RFC3339Nano, d)
			if err != nil {
				return nil, tg.InvalidField(field, "must be an RFC 3339 date-time with a zone")
			}
			return t.UTC(), nil
		}
		return nil, tg.InvalidField(field, "must be an RFC 3339 date-time with a zone")
	case tg.Point:
		var point GeoPoint
		switch pt := v.(type) {
		case GeoPoint:
			point = pt
		case dbtype.Point2D:
			if pt.SpatialRefId != 4326 {
				return nil, tg.InvalidField(field, "must be a WGS-84 point")
			}
			point = GeoPoint{Latitude: pt.Y, Longitude: pt.X}
		default:
			return nil, tg.InvalidField(field, "must be a point")
		}
		lat, lon := point.Latitude, point.Longitude
		if math.IsNaN(lat) || lat < -90 || lat > 90 {
			return nil, tg.InvalidField(field+".latitude", "must be between -90 and 90")
		}
		if math.IsNaN(lon) || lon < -180 || lon > 180 {
			return nil, tg.InvalidField(field+".longitude", "must be between -180 and 180")
		}
		return dbtype.Point2D{X: lon, Y: lat, SpatialRefId: 4326}, nil
	}
	return nil, tg.InvalidField(field, "unsupported value")
}

func checkLength(p tg.Property, s string, field string) error {
	limit := p.MaxLen
	if limit == 0 {
		limit = tg.DefaultMaxLen
	}
	if n := utf8.RuneCountInString(s); n > limit {
		return tg.InvalidField(field, "must be at most %d characters", limit)
	}
	return nil
}

// asList accepts the lists a value may hold: []any, or []string from the store's own callers.
func asList(v any) ([]any, bool) {
	switch list := v.(type) {
	case []any:
		return list, true
	case []string:
		out := make([]any, len(list))
		for i, item := range list {
			out[i] = item
		}
		return out, true
	}
	return nil, false
}

func toInt(v any) (int64, bool) {
	switch n := v.(type) {
	case int:
		return int64(n), true
	case int64:
		return n, true
	case json.Number:
		i, err := n.Int64()
		return i, err == nil
	case float64:
		if n == math.Trunc(n) && math.Abs(n) < 1<<53 {
			return int64(n), true
		}
	}
	return 0, false
}

func toFloat(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, !math.IsNaN(n) && !math.IsInf(n, 0)
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	}
	return 0, false
}

var gradingPattern = regexp.MustCompile(`^[1-3][A-E][PC]$`)

// checkValues applies the rules that span a property's value: ranges and per-label rules.
func checkValues(k *tg.Label, props map[string]any) error {
	if y, ok := props["birthYear"].(int64); ok {
		if y < 1900 || y > int64(time.Now().Year()) {
			return tg.InvalidField("birthYear", "must be between 1900 and this year")
		}
	}
	if n, ok := props["victimCount"].(int64); ok && n < 0 {
		return tg.InvalidField("victimCount", "must not be negative")
	}
	if s, ok := props["sector"].(string); ok && (len(s) != 1 || s[0] < 'A' || s[0] > 'U') {
		return tg.InvalidField("sector", "must be an ISIC Rev.4 section letter A-U")
	}
	for _, name := range []string{"name", "title", "text", "value"} {
		if s, ok := props[name].(string); ok && strings.TrimSpace(s) == "" {
			if p, ok := k.Prop(name); ok && p.Required {
				return tg.InvalidField(name, "must not be blank")
			}
		}
	}
	return nil
}

// checkDateOrder refuses a pair of dates where the first comes after the second.
func checkDateOrder(pairs [][2]string, props map[string]any) error {
	for _, pair := range pairs {
		from, okFrom := props[pair[0]].(dbtype.Date)
		to, okTo := props[pair[1]].(dbtype.Date)
		if okFrom && okTo && time.Time(from).After(time.Time(to)) {
			return tg.InvalidField(pair[1], "must not be before %s", pair[0])
		}
	}
	return nil
}

// normaliseIdentifierValue brings an identifier value to the form stored, so that the same
// phone written two ways is one identifier. With no kind it normalises the way the value
// looks (a phone, an email, or anything else).
func normaliseIdentifierValue(kind, value string) string {
	value = strings.TrimSpace(value)
	if kind == "" {
		switch {
		case strings.Contains(value, "@"):
			kind = "EMAIL"
		case strings.HasPrefix(value, "+"):
			kind = "PHONE"
		}
	}
	switch kind {
	case "PHONE":
		var b strings.Builder
		for i, r := range value {
			if unicode.IsDigit(r) || (i == 0 && r == '+') {
				b.WriteRune(r)
			}
		}
		return b.String()
	case "EMAIL", "URL", "SOCIAL_HANDLE":
		return strings.ToLower(value)
	default:
		return strings.ToUpper(strings.Join(strings.Fields(value), ""))
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
