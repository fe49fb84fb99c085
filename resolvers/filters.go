package resolvers

import (
	"errors"
	"fmt"
	"reflect"
	"strings"

	tg "github.com/traffikgraph/traffikgraph"
	"github.com/traffikgraph/traffikgraph/store"
)

// A list's `where` argument is a typed gqlgen input (model.PersonWhere, ...) whose fields the
// API names `<property>` (equals) or `<property>_<op>`, `<relationship field>_some` and
// `_none`, AND, OR, NOT and `provenance`. filterOf turns it into the store's Filter and keeps,
// for every part of the Filter, its argument path, so that a refusal of the store names the
// field the client wrote (extensions.field "where.AND[1].name_contains").

// filterPaths are the argument paths of the parts of a built Filter.
type filterPaths map[any]string

// filterOf returns the store's Filter of label for where, a pointer to a generated Where input
// (nil: no filter), and the argument paths of its parts under path.
func filterOf(label string, where any, path string) (*store.Filter, filterPaths) {
	paths := filterPaths{}
	v := reflect.ValueOf(where)
	if !v.IsValid() || v.IsNil() {
		return nil, paths
	}
	return paths.filter(label, v, path), paths
}

func (paths filterPaths) filter(label string, v reflect.Value, path string) *store.Filter {
	f := &store.Filter{}
	paths[f] = path
	for _, field := range inputFields(v) {
		if field.null {
			continue // no condition
		}
		at := path + "." + field.name
		switch field.name {
		case "AND", "OR":
			items := make([]*store.Filter, field.value.Len())
			for i := range items {
				items[i] = paths.filter(label, field.value.Index(i), fmt.Sprintf("%s[%d]", at, i))
			}
			if field.name == "AND" {
				paths.add(f, &store.AllOf{Filters: items}, at)
			} else {
				paths.add(f, &store.AnyOf{Filters: items}, at)
			}
		case "NOT":
			paths.add(f, &store.Not{Filter: paths.filter(label, field.value, at)}, at)
		case "provenance":
			// Conditions on the provenance properties every label has, and the caller's own ref.
			for _, p := range inputFields(field.value) {
				if p.null {
					continue
				}
				if p.name == "externalRef" {
					paths.add(f, &store.ExternalRef{Ref: p.value.Elem().String()}, at+"."+p.name)
				} else {
					paths.add(f, condition(p), at+"."+p.name)
				}
			}
		default:
			name, op := splitFilterField(field.name)
			if r, rf, ok := tg.FieldOf(label, name); ok && rf.Filter && (op == "some" || op == "none") {
				inner := paths.filter(r.Reaches(rf)[0], field.value, at)
				paths.add(f, &store.Relation{Field: name, None: op == "none", Filter: inner}, at)
				continue
			}
			paths.add(f, condition(field), at)
		}
	}
	return f
}

func (paths filterPaths) add(f *store.Filter, term store.Term, path string) {
	f.Terms = append(f.Terms, term)
	paths[term] = path
}

// condition is the store's condition for a `<property>` or `<property>_<op>` field.
func condition(field inputField) *store.Condition {
	name, op := splitFilterField(field.name)
	return &store.Condition{Property: name, Op: tg.FilterOp(op), Value: plainValue(field.value)}
}

// splitFilterField splits `name_contains` into the name and the operation (eq without one).
func splitFilterField(field string) (name, op string) {
	if i := strings.LastIndex(field, "_"); i > 0 {
		return field[:i], field[i+1:]
	}
	return field, string(tg.OpEq)
}

// pathOf turns a refusal of a filter the store answered into one naming the argument path of
// the refused part; other errors are returned as they are.
func (paths filterPaths) pathOf(err error) error {
	var refused *store.FilterError
	if !errors.As(err, &refused) {
		return err
	}
	path, ok := paths[refused.At]
	if !ok {
		return err
	}
	return &tg.Error{Code: refused.Err.Code, Message: refused.Err.Message, Field: path}
}
