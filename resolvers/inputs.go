package resolvers

import (
	"errors"
	"reflect"
	"slices"
	"strings"

	tg "github.com/traffikgraph/traffikgraph"
	"github.com/traffikgraph/traffikgraph/graph/model"
	"github.com/traffikgraph/traffikgraph/store"
)

// The mutations' inputs are typed gqlgen inputs (model.PersonInput, ...) whose nullable fields
// are graphql.Omittable (gqlgen.yml), so that a field given as null, which an update removes,
// differs from one not given. patchOf turns one into the store's Patch; the store's refusals,
// which name properties ("name", "point.latitude"), are named by their argument paths here.

// modelPackage is where gqlgen generates the input types.
var modelPackage = reflect.TypeFor[model.PersonInput]().PkgPath()

// isGeneratedInput says whether v is a struct gqlgen generated for an input object.
func isGeneratedInput(v reflect.Value) bool {
	return v.Kind() == reflect.Struct && v.Type().PkgPath() == modelPackage
}

// inputField is one field of a generated input the client gave, by its GraphQL name; null says
// it was given as null.
type inputField struct {
	name  string
	value reflect.Value
	null  bool
}

// inputFields lists the fields of the generated input v (a struct or a pointer to one) that the
// client gave, in the order of their GraphQL names (the order refusals are found in).
func inputFields(v reflect.Value) []inputField {
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return nil
		}
		v = v.Elem()
	}
	var fields []inputField
	for i := range v.NumField() {
		name, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("json"), ",")
		value, given := omittableValue(v.Field(i))
		if !given {
			continue
		}
		null := (value.Kind() == reflect.Pointer || value.Kind() == reflect.Slice) && value.IsNil()
		fields = append(fields, inputField{name: name, value: value, null: null})
	}
	slices.SortFunc(fields, func(a, b inputField) int { return strings.Compare(a.name, b.name) })
	return fields
}

// omittableValue unwraps a graphql.Omittable: its value and whether the client gave it. Any other
// value counts as given unless it is a nil pointer or slice (a required field always is given).
func omittableValue(v reflect.Value) (reflect.Value, bool) {
	if isSet := v.MethodByName("IsSet"); isSet.IsValid() && v.Kind() == reflect.Struct {
		if !isSet.Call(nil)[0].Bool() {
			return reflect.Value{}, false
		}
		return v.MethodByName("Value").Call(nil)[0], true
	}
	return v, true
}

// plainValue is the value of a generated input field in the store's terms: without gqlgen's
// pointers, a list as a []any of its elements, a point as a store.GeoPoint.
func plainValue(v reflect.Value) any {
	for v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	switch {
	case v.Kind() == reflect.Slice:
		items := make([]any, v.Len())
		for i := range items {
			items[i] = plainValue(v.Index(i))
		}
		return items
	case v.Type() == reflect.TypeFor[model.GeoPointInput]():
		point := v.Interface().(model.GeoPointInput)
		return store.GeoPoint{Latitude: point.Latitude, Longitude: point.Longitude}
	}
	return v.Interface()
}

// patchOf is the store's Patch for a generated input: the fields given set the property of the
// same input name, those given as null remove it.
func patchOf(input any) store.Patch {
	patch := store.Patch{Set: map[string]any{}}
	for _, f := range inputFields(reflect.ValueOf(input)) {
		if f.null {
			patch.Remove = append(patch.Remove, f.name)
		} else {
			patch.Set[f.name] = plainValue(f.value)
		}
	}
	return patch
}

// inputPath names, in a refusal of a write, a property the store named by its input name by
// its argument path under inputPath ("input", "input.properties"); the write's own fields
// (keep: "id", "type", ...) and the marking's ("marking.tlp") keep their names, the arguments'.
func inputPath(err error, inputPath string, keep ...string) error {
	var refused *tg.Error
	if !errors.As(err, &refused) || refused.Field == "" || strings.HasPrefix(refused.Field, "marking.") || slices.Contains(keep, refused.Field) {
		return err
	}
	return &tg.Error{Code: refused.Code, Message: refused.Message, Field: inputPath + "." + refused.Field}
}

// linkPath names a refusal of link by its argument path: the relationship's type and ends are
// the input's, its properties the input's properties.
func linkPath(err error) error {
	var refused *tg.Error
	if errors.As(err, &refused) && slices.Contains([]string{"type", "from", "to"}, refused.Field) {
		return &tg.Error{Code: refused.Code, Message: refused.Message, Field: "input." + refused.Field}
	}
	return inputPath(err, "input.properties")
}
