package resolvers

import (
	"encoding/json"
	"strings"
	"testing"

	tg "github.com/traffikgraph/traffikgraph"
	"github.com/traffikgraph/traffikgraph/graph/model"
	"github.com/traffikgraph/traffikgraph/store"
)

// FuzzWhereToFilter: any `where` a client can send (as JSON variables decode into the typed
// input) becomes the store's Filter without a panic, and every part of that Filter, each term
// and each item of an AND or OR, has an argument path under `where`: whatever part the store
// refuses, the refusal names a field the client wrote.
func FuzzWhereToFilter(f *testing.F) {
	f.Add(`{"name_contains": "ma", "AND": [{"gender_in": ["FEMALE"]}, {}], "NOT": {"birthYear_gte": 1990}}`)
	f.Add(`{"livesAt_some": {"countryCode_in": ["GB"], "OR": [{"name": "x"}]}, "incidents_none": {}}`)
	f.Add(`{"provenance": {"tlp_in": ["RED"], "externalRef": "case-1"}, "associates_some": {"associates_some": {"id_in": ["a"]}}}`)
	f.Add(`{"AND": [], "OR": null, "NOT": null, "name": null}`)
	f.Add(`{"identifiers_some": {"value": "+44 20", "kind_in": ["PHONE"]}}`)
	f.Fuzz(func(t *testing.T, raw string) {
		var where model.PersonWhere
		if json.Unmarshal([]byte(raw), &where) != nil {
			return // not a PersonWhere: the GraphQL layer refuses it before any resolver runs
		}
		filter, paths := filterOf(tg.LabelPerson, &where, "where")
		if filter == nil {
			t.Fatal("a where given is a filter")
		}
		requirePaths(t, filter, paths)
	})
}

func requirePaths(t *testing.T, f *store.Filter, paths filterPaths) {
	t.Helper()
	requirePath(t, f, paths)
	for _, term := range f.Terms {
		requirePath(t, term, paths)
		switch term := term.(type) {
		case *store.AllOf:
			for _, item := range term.Filters {
				requirePaths(t, item, paths)
			}
		case *store.AnyOf:
			for _, item := range term.Filters {
				requirePaths(t, item, paths)
			}
		case *store.Not:
			requirePaths(t, term.Filter, paths)
		case *store.Relation:
			requirePaths(t, term.Filter, paths)
		}
	}
}

func requirePath(t *testing.T, part any, paths filterPaths) {
	t.Helper()
	if path, ok := paths[part]; !ok || !strings.HasPrefix(path, "where") {
		t.Fatalf("%T %+v has no argument path (%q)", part, part, path)
	}
}
