package traffikgraph_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	tg "github.com/traffikgraph/traffikgraph"
)

// modelNames is every label and relationship type of the model.
func modelNames() []string {
	names := []string{tg.LabelEntity, tg.LabelAuditEvent, tg.LabelVersion, tg.LabelMergeEvent}
	for _, l := range tg.Labels {
		names = append(names, l.Name)
	}
	for _, r := range tg.Relationships {
		names = append(names, r.Type)
	}
	return names
}

// The model table is the only place a label or relationship type is written: no string literal
// of a non-test Go source elsewhere spells one in Cypher (`:Person`, `[:MEMBER_OF]`, `'Person'`).
// Generated code, the test-only packages and wip/ are left out.
func TestLabelsAndRelationshipTypesAreWrittenOnlyInTheModel(t *testing.T) {
	var alternatives []string
	for _, name := range modelNames() {
		alternatives = append(alternatives, regexp.QuoteMeta(name))
	}
	names := "(?:" + strings.Join(alternatives, "|") + ")"
	cypher := regexp.MustCompile(`(?::\s*` + names + `\b)|(?:'` + names + `')`)
	var offenders []string
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch path {
			case "wip", "graph", "node_modules", ".data", "explorer", "browser", "e2e", "conformance":
				return filepath.SkipDir
			}
			if strings.HasPrefix(d.Name(), ".") && path != "." {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") || path == "model.go" {
			return nil
		}
		file, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		ast.Inspect(file, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			text, err := strconv.Unquote(lit.Value)
			if err != nil {
				return true
			}
			for _, found := range cypher.FindAllString(text, -1) {
				offenders = append(offenders, path+": "+found)
			}
			return true
		})
		return nil
	})
	require.NoError(t, err)
	assert.Empty(t, offenders, "labels and relationship types written by hand: use the model's constants")
}

// The store speaks its own vocabulary (Filter, Sort, Patch; refusals naming properties), never
// the API's: no non-test source of store/ spells a GraphQL filter field (`_some`, `_none`), an
// argument path (`orderBy`, `where.`, `input.properties.`) or imports gqlgen or the generated
// code. The resolvers turn the API's inputs into the store's terms and its refusals into paths.
func TestTheStoreSpeaksNoGraphQL(t *testing.T) {
	apiNames := regexp.MustCompile(`_some\b|_none\b|orderBy|"where[."]|input\.properties`)
	files, err := filepath.Glob("store/*.go")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, path := range files {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		source, err := os.ReadFile(path)
		require.NoError(t, err)
		for i, line := range strings.Split(string(source), "\n") {
			assert.Empty(t, apiNames.FindAllString(line, -1), "%s:%d speaks GraphQL: %s", path, i+1, line)
		}
		file, err := parser.ParseFile(token.NewFileSet(), path, source, parser.ImportsOnly)
		require.NoError(t, err)
		for _, imp := range file.Imports {
			assert.NotContains(t, imp.Path.Value, "99designs/gqlgen", path)
			assert.NotContains(t, imp.Path.Value, "traffikgraph/graph", path)
		}
	}
}

// The driver's types stay inside the store: the GraphQL layers' sources (generated code
// included; the tests may reach Neo4j themselves) never import the Neo4j driver, so no dbtype
// reaches a resolver's signature.
func TestTheDriverStaysInTheStore(t *testing.T) {
	for _, dir := range []string{"graph", "graph/model", "resolvers", "resolvers/scalars", "loaders"} {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		require.NoError(t, err)
		require.NotEmpty(t, files, dir)
		for _, path := range files {
			if strings.HasSuffix(path, "_test.go") {
				continue
			}
			file, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
			require.NoError(t, err)
			for _, imp := range file.Imports {
				assert.NotContains(t, imp.Path.Value, "neo4j-go-driver", path)
			}
		}
	}
}
