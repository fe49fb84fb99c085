package bloom_test

import (
	"encoding/json"
	"os"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/traffikgraph/traffikgraph/bloom"
)

func keys(t *testing.T, v any) []string {
	t.Helper()
	m, ok := v.(map[string]any)
	require.True(t, ok, "an object, got %T", v)
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func sorted(list []any) []string {
	var out []string
	for _, item := range list {
		out = append(out, item.(string))
	}
	slices.Sort(out)
	return out
}

// TestPerspectiveHasTheShapeOfABloomExport: every object of the perspective has the keys of the
// same kind of object in a perspective Bloom 2.21 exported (testdata holds that export's key
// structure, not its content).
func TestPerspectiveHasTheShapeOfABloomExport(t *testing.T) {
	raw, err := os.ReadFile("testdata/bloom-2.21-structure.json")
	require.NoError(t, err)
	var want map[string]any
	require.NoError(t, json.Unmarshal(raw, &want))
	var p map[string]any
	require.NoError(t, json.Unmarshal(bloom.PerspectiveJSON, &p))
	shape := func(kind string) []string { return sorted(want[kind].([]any)) }

	assert.Equal(t, shape("perspective"), keys(t, p))
	assert.Equal(t, want["type"], p["type"])
	assert.Equal(t, want["version"], p["version"])
	assert.Equal(t, shape("palette"), keys(t, p["palette"]))
	assert.Equal(t, shape("metadata"), keys(t, p["metadata"]))
	for _, seg := range p["metadata"].(map[string]any)["pathSegments"].([]any) {
		assert.Equal(t, shape("pathSegment"), keys(t, seg))
	}
	for _, idx := range p["metadata"].(map[string]any)["indexes"].([]any) {
		assert.Equal(t, shape("index"), keys(t, idx))
		for _, k := range idx.(map[string]any)["propertyKeys"].([]any) {
			assert.Equal(t, shape("indexPropertyKey"), keys(t, k))
		}
	}
	for _, c := range p["categories"].([]any) {
		assert.Equal(t, shape("category"), keys(t, c))
		for _, prop := range c.(map[string]any)["properties"].([]any) {
			assert.Equal(t, shape("categoryProperty"), keys(t, prop))
		}
		for _, caption := range c.(map[string]any)["captions"].([]any) {
			kind := "propertyCaption"
			if caption.(map[string]any)["type"] == "label" {
				kind = "labelCaption"
			}
			assert.Equal(t, shape(kind), keys(t, caption))
		}
	}
	for label, props := range p["labels"].(map[string]any) {
		for _, prop := range props.([]any) {
			assert.Equal(t, shape("labelProperty"), keys(t, prop), label)
		}
	}
	for _, r := range p["relationshipTypes"].([]any) {
		assert.Equal(t, shape("relationshipType"), keys(t, r))
		for _, prop := range r.(map[string]any)["properties"].([]any) {
			assert.Equal(t, shape("relationshipProperty"), keys(t, prop))
		}
		for _, caption := range r.(map[string]any)["captions"].([]any) {
			assert.Equal(t, shape("relationshipCaption"), keys(t, caption))
		}
	}
	for _, tmpl := range p["templates"].([]any) {
		assert.Equal(t, shape("template"), keys(t, tmpl))
		for _, param := range tmpl.(map[string]any)["params"].([]any) {
			assert.Equal(t, shape("templateParam"), keys(t, param))
		}
	}
}

// firstTLPColours are FIRST's TLP 2.0 colours (AMBER+STRICT is shown in AMBER's).
var firstTLPColours = map[string]string{"CLEAR": "#FFFFFF", "GREEN": "#33FF00", "AMBER": "#FFC000", "AMBER_STRICT": "#FFC000", "RED": "#FF2B2B"}

// TestPerspectiveCoversTheWorkspace: a category per label of the workspace, a person captioned by
// name and by id (what remains when the name is withheld), every category and relationship type
// coloured by its TLP marking, incidents sized by stage, and the six search phrases with
// parameters for every $name their Cypher uses.
func TestPerspectiveCoversTheWorkspace(t *testing.T) {
	var p struct {
		Categories []struct {
			Name     string   `json:"name"`
			Labels   []string `json:"labels"`
			Captions []struct {
				Key       string `json:"key"`
				IsCaption bool   `json:"isCaption"`
			} `json:"captions"`
			StyleRules []map[string]any `json:"styleRules"`
		} `json:"categories"`
		RelationshipTypes []struct {
			Name       string           `json:"name"`
			StyleRules []map[string]any `json:"styleRules"`
		} `json:"relationshipTypes"`
	}
	require.NoError(t, json.Unmarshal(bloom.PerspectiveJSON, &p))
	var names []string
	tlpColours := func(rules []map[string]any) map[string]string {
		out := map[string]string{}
		for _, r := range rules {
			if r["basedOn"] == "tlp" && r["applyColor"] == true {
				out[r["conditionValue"].(string)] = r["colorValue"].(string)
			}
		}
		return out
	}
	for _, c := range p.Categories {
		names = append(names, c.Name)
		assert.Equal(t, []string{c.Name}, c.Labels)
		assert.Equal(t, firstTLPColours, tlpColours(c.StyleRules), c.Name)
		if c.Name == "Person" {
			var captions []string
			for _, caption := range c.Captions {
				if caption.IsCaption {
					captions = append(captions, caption.Key)
				}
			}
			assert.Equal(t, []string{"name", "id"}, captions)
		}
		if c.Name == "Incident" {
			var stages []any
			for _, r := range c.StyleRules {
				if r["basedOn"] == "stage" && r["applySize"] == true {
					stages = append(stages, r["conditionValue"])
				}
			}
			assert.ElementsMatch(t, []any{"RECRUITMENT", "TRANSPORT", "EXPLOITATION"}, stages)
		}
	}
	assert.ElementsMatch(t, []string{"Person", "Location", "Route", "Business", "Incident", "Identifier", "Report"}, names)
	assert.Len(t, p.RelationshipTypes, 16, "every relationship type of docs/graph-model.md but MEMBER_OF (directory data)")
	for _, r := range p.RelationshipTypes {
		assert.Equal(t, firstTLPColours, tlpColours(r.StyleRules), r.Name)
	}

	phrases, err := bloom.SearchPhrases()
	require.NoError(t, err)
	require.Len(t, phrases, 6)
	for _, phrase := range phrases {
		for _, param := range phrase.Params {
			assert.Contains(t, phrase.Cypher, param.Name, "%s uses its parameter", phrase.Name)
			assert.Contains(t, phrase.Text, param.Name, "%s shows its parameter", phrase.Name)
		}
	}
}
