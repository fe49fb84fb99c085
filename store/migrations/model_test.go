package migrations

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	tg "github.com/traffikgraph/traffikgraph"
)

// propertiesOf returns the properties a constraint or index on the label may name: the model's,
// the provenance for Entity (on every label), and the audit trail's, the history's and the merges'
// own records' (not graph data: store/audit.go, store/history.go and store/merge.go own them).
func propertiesOf(t *testing.T, label string) []string {
	switch label {
	case tg.LabelAuditEvent:
		return []string{"id", "at", "partner"}
	case tg.LabelVersion:
		return []string{"id", "entityId", "at", "before", "after", "reason", "freeText"}
	case tg.LabelMergeEvent:
		return []string{"id", "keepId"}
	case tg.LabelEntity:
		var shared []string
		for _, p := range tg.Labels[0].Props {
			if p.Provenance || p.Name == "id" {
				shared = append(shared, p.Name)
			}
		}
		return shared
	}
	l, ok := tg.LabelOf(label)
	require.True(t, ok, "label %s is in the model", label)
	var names []string
	for _, p := range l.Props {
		names = append(names, p.Name)
	}
	if label == tg.LabelReport {
		// Set by the store on the reports the public submitted (store/submit.go), not in the API.
		names = append(names, "publicSubmission")
	}
	return names
}

// Every constraint, index and data change of the migrations names the model's labels,
// relationship types and properties, so that none outlives a rename.
func TestTheMigrationsNameTheModel(t *testing.T) {
	dataStatement := regexp.MustCompile(`^MATCH \((\w+):(\w+)\)`)
	nodeStatement := regexp.MustCompile(`FOR \(n:([\w|]+)\)\s+(?:REQUIRE (n\.\w+)|ON\s+(?:EACH )?[\[(]([^)\]]+))`)
	relStatement := regexp.MustCompile(`FOR \(\)-\[r:(\w+)\]-\(\) ON \(r\.(\w+)\)`)
	property := regexp.MustCompile(`n\.(\w+)`)

	all := statements()
	require.NotEmpty(t, all)
	for _, s := range all {
		if m := relStatement.FindStringSubmatch(s.cypher); m != nil {
			r, ok := tg.RelationshipOf(m[1])
			if assert.True(t, ok, "%s: relationship type %s is in the model", s.name, m[1]) {
				assert.True(t, slices.ContainsFunc(r.Props, func(p tg.Property) bool { return p.Name == m[2] }),
					"%s: %s.%s is in the model", s.name, m[1], m[2])
			}
			continue
		}
		if m := dataStatement.FindStringSubmatch(s.cypher); m != nil {
			known := append(propertiesOf(t, m[2]), propertiesOf(t, tg.LabelEntity)...)
			props := regexp.MustCompile(`\b`+m[1]+`\.(\w+)`).FindAllStringSubmatch(s.cypher, -1)
			require.NotEmpty(t, props, s.name)
			for _, p := range props {
				assert.Contains(t, known, p[1], "%s: %s is a property of %s in the model", s.name, p[1], m[2])
			}
			continue
		}
		m := nodeStatement.FindStringSubmatch(s.cypher)
		if !assert.NotNil(t, m, "%s: a statement the test can read: %s", s.name, s.cypher) {
			continue
		}
		labels := strings.Split(m[1], "|")
		props := property.FindAllStringSubmatch(m[2]+m[3], -1)
		require.NotEmpty(t, props, s.name)
		for _, p := range props {
			// A full-text index over several labels holds each property on at least one of them.
			found := false
			for _, label := range labels {
				found = found || slices.Contains(propertiesOf(t, label), p[1])
			}
			assert.True(t, found, "%s: %s is a property of %s in the model", s.name, p[1], m[1])
		}
	}
}
