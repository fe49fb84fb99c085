package traffikgraph_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	tg "github.com/traffikgraph/traffikgraph"
)

// loadSchema parses the schema the API serves.
func loadSchema(t *testing.T) *ast.Schema {
	t.Helper()
	files, err := filepath.Glob("schema/*.graphqls")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	var sources []*ast.Source
	for _, f := range files {
		text, err := os.ReadFile(f)
		require.NoError(t, err)
		sources = append(sources, &ast.Source{Name: f, Input: string(text)})
	}
	schema, err := gqlparser.LoadSchema(sources...)
	require.NoError(t, err)
	return schema
}

func fieldNames(fields ast.FieldList) []string {
	out := make([]string, 0, len(fields))
	for _, f := range fields {
		out = append(out, f.Name)
	}
	slices.Sort(out)
	return out
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return slices.Compact(s)
}

// graphQLType is the named type of a property in the API's output (input, when input is set)
// and whether it is a list.
func graphQLType(p tg.Property, input bool) (string, bool) {
	switch p.Type {
	case tg.String, tg.Country:
		return "String", false
	case tg.StringList:
		return "String", true
	case tg.Enum:
		return p.Enum, false
	case tg.EnumList:
		return p.Enum, true
	case tg.Int:
		return "Int", false
	case tg.Float:
		return "Float", false
	case tg.Date:
		return "Date", false
	case tg.DateTime:
		return "DateTime", false
	case tg.Point:
		if input {
			return "GeoPointInput", false
		}
		return "GeoPoint", false
	}
	return "?", false
}

func assertType(t *testing.T, where string, p tg.Property, input bool, typ *ast.Type) {
	t.Helper()
	name, list := graphQLType(p, input)
	if isID(p) {
		name = "ID"
	}
	assert.Equal(t, name, typ.Name(), "%s: type", where)
	assert.Equal(t, list, typ.Elem != nil, "%s: list or not", where)
}

// isID says whether the API types the property (or its elements) as an ID.
func isID(p tg.Property) bool {
	return slices.Contains([]string{"id", "sourcePartner", "sharedWith"}, p.Name)
}

func suffix(op tg.FilterOp) string {
	if op == tg.OpEq {
		return ""
	}
	return "_" + string(op)
}

// The schema, the model's table and each other agree: every label, property, enum value and
// relationship field of the SDL is in the table, and the other way round.
func TestTheSchemaAgreesWithTheModel(t *testing.T) {
	schema := loadSchema(t)

	t.Run("Labels", func(t *testing.T) {
		var nodeTypes []string
		for _, def := range schema.PossibleTypes["Node"] {
			nodeTypes = append(nodeTypes, def.Name)
		}
		var labels []string
		for _, l := range tg.Labels {
			labels = append(labels, l.Name)
		}
		assert.ElementsMatch(t, labels, nodeTypes, "the Node types are the model's labels")
	})

	for _, l := range tg.Labels {
		t.Run(l.Name, func(t *testing.T) {
			def := schema.Types[l.Name]
			require.NotNil(t, def)
			want := []string{}
			for _, p := range l.Props {
				if p.Provenance {
					continue
				}
				want = append(want, p.Name)
				f := def.Fields.ForName(p.Name)
				if !assert.NotNil(t, f, "%s.%s", l.Name, p.Name) {
					continue
				}
				assertType(t, l.Name+"."+p.Name, p, false, f.Type)
				assert.Equal(t, p.PII.Personal, f.Directives.ForName("pii") != nil, "%s.%s: @pii", l.Name, p.Name)
			}
			if !l.Directory {
				want = append(want, "provenance")
			}
			for _, r := range tg.Relationships {
				for _, rf := range r.Fields {
					if rf.On == l.Name {
						want = append(want, rf.Name)
					}
				}
			}
			assert.Equal(t, sorted(want), fieldNames(def.Fields), "fields of %s", l.Name)

			t.Run("Where", func(t *testing.T) { checkWhere(t, schema, l) })
			t.Run("Sort", func(t *testing.T) {
				var fields []string
				for _, p := range l.Props {
					if p.SortField != "" {
						fields = append(fields, p.SortField)
					}
				}
				enum := schema.Types[l.Name+"SortField"]
				if len(fields) == 0 {
					assert.Nil(t, enum)
					return
				}
				require.NotNil(t, enum)
				assert.ElementsMatch(t, fields, enumValues(enum))
			})
			t.Run("Input", func(t *testing.T) {
				input := schema.Types[l.Name+"Input"]
				require.NotNil(t, input)
				var want []string
				for _, p := range l.Props {
					if p.ReadOnly {
						continue
					}
					want = append(want, p.InputName())
					if f := input.Fields.ForName(p.InputName()); assert.NotNil(t, f, p.InputName()) {
						assertType(t, l.Name+"Input."+p.InputName(), p, true, f.Type)
					}
				}
				assert.Equal(t, sorted(want), fieldNames(input.Fields))
			})
		})
	}

	t.Run("Provenance", func(t *testing.T) {
		var want, filters []string
		for _, p := range tg.Labels[0].Props {
			if !p.Provenance {
				continue
			}
			want = append(want, p.Name)
			assertType(t, "Provenance."+p.Name, p, false, schema.Types["Provenance"].Fields.ForName(p.Name).Type)
			for _, op := range p.Filters {
				filters = append(filters, p.Name+suffix(op))
			}
		}
		assert.Equal(t, sorted(want), fieldNames(schema.Types["Provenance"].Fields))
		assert.Equal(t, sorted(append(filters, "externalRef")), fieldNames(schema.Types["ProvenanceFilter"].Fields))
	})

	t.Run("Enums", func(t *testing.T) {
		for name, values := range tg.Enums {
			def := schema.Types[name]
			if assert.NotNil(t, def, name) {
				assert.Equal(t, ast.Enum, def.Kind, name)
				assert.Equal(t, values, enumValues(def), name)
			}
		}
	})

	t.Run("Relationships", func(t *testing.T) {
		// The types a Link may have: the linkable ones, and SAME_AS, which traversals return.
		var linkTypes, props, linkFields []string
		linkFields = []string{"type", "from", "to", "provenance"}
		for _, r := range tg.Relationships {
			if r.Linkable || r.Type == tg.RelSameAs {
				linkTypes = append(linkTypes, r.Type)
			}
			for _, p := range r.Props {
				props = append(props, p.InputName())
				linkFields = append(linkFields, p.InputName())
				if f := schema.Types["LinkPropertiesInput"].Fields.ForName(p.InputName()); assert.NotNil(t, f, p.InputName()) {
					assertType(t, "LinkPropertiesInput."+p.InputName(), p, true, f.Type)
				}
			}
			for _, rf := range r.Fields {
				checkRelField(t, schema, r, rf)
			}
		}
		assert.Equal(t, linkTypes, enumValues(schema.Types["RelationshipType"]))
		assert.Equal(t, sorted(props), fieldNames(schema.Types["LinkPropertiesInput"].Fields))
		assert.Equal(t, sorted(linkFields), fieldNames(schema.Types["Link"].Fields))
	})
}

func enumValues(def *ast.Definition) []string {
	var out []string
	for _, v := range def.EnumValues {
		out = append(out, v.Name)
	}
	return out
}

// checkWhere compares the label's Where input with the model's filters.
func checkWhere(t *testing.T, schema *ast.Schema, l *tg.Label) {
	where := schema.Types[l.Name+"Where"]
	var want []string
	for _, p := range l.Props {
		if p.Provenance {
			continue
		}
		for _, op := range p.Filters {
			name := p.Name + suffix(op)
			want = append(want, name)
			if where == nil {
				continue
			}
			f := where.Fields.ForName(name)
			if !assert.NotNil(t, f, name) {
				continue
			}
			personal := p.PII.Personal && p.PII.When == ""
			assert.Equal(t, personal, f.Directives.ForName("pii") != nil, "%s: @pii (a conditional rule filters, without the matches it protects)", name)
			elem := p
			switch p.Type {
			case tg.EnumList:
				elem.Type = tg.Enum
			case tg.StringList:
				elem.Type = tg.String
			}
			typeName, _ := graphQLType(elem, true)
			if isID(p) {
				typeName = "ID"
			}
			assert.Equal(t, typeName, f.Type.Name(), name)
			assert.Equal(t, op == tg.OpIn, f.Type.Elem != nil, "%s: list or not", name)
		}
	}
	if len(want) == 0 {
		assert.Nil(t, where, "%s has no filters", l.Name)
		return
	}
	require.NotNil(t, where)
	for _, r := range tg.Relationships {
		for _, rf := range r.Fields {
			if rf.On != l.Name || !rf.Filter {
				continue
			}
			reaches := r.Reaches(rf)
			require.Len(t, reaches, 1, "%s.%s filters reach one label", l.Name, rf.Name)
			for _, op := range []string{"_some", "_none"} {
				want = append(want, rf.Name+op)
				if f := where.Fields.ForName(rf.Name + op); assert.NotNil(t, f, rf.Name+op) {
					assert.Equal(t, reaches[0]+"Where", f.Type.Name(), rf.Name+op)
				}
			}
		}
	}
	if !l.Directory {
		want = append(want, "provenance")
	}
	want = append(want, "AND", "OR", "NOT")
	assert.Equal(t, sorted(want), fieldNames(where.Fields))
}

// checkRelField compares a relationship field of the model with the SDL's.
func checkRelField(t *testing.T, schema *ast.Schema, r *tg.Relationship, rf tg.RelField) {
	name := rf.On + "." + rf.Name
	f := schema.Types[rf.On].Fields.ForName(rf.Name)
	if !assert.NotNil(t, f, name) {
		return
	}
	assert.Equal(t, r.Single(rf), f.Type.Elem == nil, "%s: single-valued or a list", name)
	assert.Equal(t, rf.Roles, f.Arguments.ForName("roles") != nil, "%s: roles", name)
	assert.Equal(t, rf.Kinds, f.Arguments.ForName("kinds") != nil, "%s: kinds", name)
	from, to := r.From, r.To
	if rf.Direction == tg.Incoming {
		from, to = to, from
	}
	if from != nil {
		assert.Contains(t, from, rf.On, "%s is on an end of %s", name, r.Type)
	}
	reached := schema.Types[f.Type.Name()]
	if rf.NodeField != "" {
		edge := reached
		want := []string{rf.NodeField, "provenance"}
		for _, p := range r.Props {
			want = append(want, p.Name)
		}
		assert.Equal(t, sorted(want), fieldNames(edge.Fields), "the edge type %s of %s", edge.Name, name)
		reached = schema.Types[edge.Fields.ForName(rf.NodeField).Type.Name()]
	}
	var types []string
	if reached.Kind == ast.Object {
		types = []string{reached.Name}
	} else {
		for _, def := range schema.PossibleTypes[reached.Name] {
			types = append(types, def.Name)
		}
	}
	reaches := r.Reaches(rf)
	if reaches == nil {
		assert.Equal(t, "Node", reached.Name, "%s reaches any entity", name)
		return
	}
	assert.ElementsMatch(t, reaches, types, "%s reaches %s", name, strings.Join(reaches, ", "))
	if to != nil {
		for _, l := range reaches {
			assert.Contains(t, to, l, "%s reaches an end of %s", name, r.Type)
		}
	}
}
