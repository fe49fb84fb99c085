package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"time"

	tg "github.com/traffikgraph/traffikgraph"
)

// The worst questions within the bounds (issue 7, red-team finding F3): what Neo4j takes longest
// to plan, and what the bounds must keep near a second. A filter's values reach Cypher as
// parameters, so its Cypher text, and Neo4j's plan, depends only on its shape: each shape below
// is one Neo4j has not seen (distinct keys, order and nesting), so it is planned, cold, when sent.

// filterType is what a generated filter may use of one GraphQL input type: conditions with a value
// each, and relationship filters with the input type of their neighbours.
type filterType struct {
	conditions    map[string]any
	relationships map[string]string
}

var filterTypes = withRelationFilters(map[string]map[string]any{
	"IncidentWhere": map[string]any{"id_in": []any{"x"}, "title_contains": "a", "occurredFrom_gte": "2020-01-01",
		"occurredFrom_lte": "2030-01-01", "occurredTo_gte": "2020-01-01", "occurredTo_lte": "2030-01-01",
		"exploitationTypes_includes": "FORCED_LABOUR", "stage_in": []any{"RECRUITMENT"}, "victimCount_gte": 1,
		"provenance": map[string]any{"tlp_in": []any{"GREEN"}}},
	"PersonWhere": map[string]any{"id_in": []any{"x"}, "name_contains": "a", "name_startsWith": "A", "gender_in": []any{"FEMALE"},
		"birthYear_gte": 1900, "birthYear_lte": 2030, "nationality_in": []any{"GB"},
		"provenance": map[string]any{"sourcePartner_in": []any{"stt"}}},
	"LocationWhere": map[string]any{"id_in": []any{"x"}, "name": "Dover", "name_contains": "a", "name_startsWith": "A",
		"kind_in": []any{"CITY"}, "countryCode_in": []any{"GB"}},
	"BusinessWhere": map[string]any{"id_in": []any{"x"}, "name_contains": "a", "name_startsWith": "A", "registrationNumber": "1",
		"jurisdiction_in": []any{"GB"}, "sector_in": []any{"C"}},
	"RouteWhere": map[string]any{"id_in": []any{"x"}, "name_contains": "a", "modes_includes": "ROAD", "firstSeen_gte": "2020-01-01",
		"lastSeen_lte": "2030-01-01"},
})

// withRelationFilters gives each input type with conditions the model's relationship filters of
// its label (tg.Relationships) that reach an input type with conditions.
func withRelationFilters(conditions map[string]map[string]any) map[string]filterType {
	types := make(map[string]filterType, len(conditions))
	for typeName, conds := range conditions {
		label := strings.TrimSuffix(typeName, "Where")
		rels := map[string]string{}
		for _, r := range tg.Relationships {
			for _, f := range r.Fields {
				if f.On != label || !f.Filter {
					continue
				}
				if target := r.Reaches(f)[0] + "Where"; conditions[target] != nil {
					rels[f.Name] = target
				}
			}
		}
		types[typeName] = filterType{conditions: conds, relationships: rels}
	}
	return types
}

// FilterBudget is the size of a generated filter: how many terms (conditions, AND/OR items, NOT
// and relationship filters, counted as the store counts them), relationship filters, and levels.
type FilterBudget struct {
	Terms, Relationships, Nesting int
	// RelationshipDepth bounds how deep relationship filters nest in one another (the store's 3).
	RelationshipDepth int
	// RelationshipTermWeight is what a relationship filter and each term inside one count
	// against Terms (1 when zero).
	RelationshipTermWeight int
}

// filterGenerator writes random filters within a budget; spent says what it has used.
type filterGenerator struct {
	rng    *rand.Rand
	budget FilterBudget
	spent  FilterBudget
}

// RandomFilter is a random filter of the input type typeName (IncidentWhere...) within budget,
// the same for the same seed.
func RandomFilter(seed uint64, typeName string, budget FilterBudget) map[string]any {
	g := &filterGenerator{rng: rand.New(rand.NewPCG(seed, 7)), budget: budget}
	where := map[string]any{}
	// A try may add nothing (its key is taken); a filter of only conditions runs out of keys.
	for try := 0; g.spent.Terms < g.budget.Terms && try < 100*g.budget.Terms; try++ {
		g.add(where, typeName, 0, 0)
	}
	return where
}

func (g *filterGenerator) left() int { return g.budget.Terms - g.spent.Terms }

// spend counts one term: weighted when it is a relationship filter or inside one. It says false,
// counting nothing, when the budget has no room for it.
func (g *filterGenerator) spend(weighted bool) bool {
	weight := 1
	if weighted {
		weight = max(g.budget.RelationshipTermWeight, 1)
	}
	if weight > g.left() {
		return false
	}
	g.spent.Terms += weight
	return true
}

// add puts one random term (a condition, a relationship filter, a NOT or an AND/OR list) into
// where, at nesting level depth and relationship depth relDepth.
func (g *filterGenerator) add(where map[string]any, typeName string, depth, relDepth int) {
	t := filterTypes[typeName]
	inRelationship := relDepth > 0
	canNest := depth+1 <= g.budget.Nesting && g.left() >= 2
	canRelate := canNest && g.spent.Relationships < g.budget.Relationships && relDepth < g.budget.RelationshipDepth
	switch roll := g.rng.IntN(10); {
	case roll < 3 && canRelate:
		rels := sortedNames(t.relationships)
		name := rels[g.rng.IntN(len(rels))]
		key := name + []string{"_some", "_none"}[g.rng.IntN(2)]
		if _, taken := where[key]; taken || !g.spend(true) {
			return
		}
		g.spent.Relationships++
		inner := map[string]any{}
		g.fill(inner, t.relationships[name], depth+1, relDepth+1, 1+g.rng.IntN(6))
		where[key] = inner
	case roll < 5 && canNest:
		key := []string{"AND", "OR"}[g.rng.IntN(2)]
		if _, taken := where[key]; taken {
			return
		}
		var items []any
		for n := 1 + g.rng.IntN(12); n > 0 && g.spend(inRelationship); n-- {
			item := map[string]any{}
			g.fill(item, typeName, depth+1, relDepth, 1+g.rng.IntN(3))
			items = append(items, item)
		}
		if len(items) > 0 {
			where[key] = items
		}
	case roll < 6 && canNest:
		if _, taken := where["NOT"]; taken || !g.spend(inRelationship) {
			return
		}
		inner := map[string]any{}
		g.fill(inner, typeName, depth+1, relDepth, 1+g.rng.IntN(3))
		where["NOT"] = inner
	default:
		conds := sortedNames(t.conditions)
		key := conds[g.rng.IntN(len(conds))]
		if _, taken := where[key]; taken || !g.spend(inRelationship) {
			return
		}
		where[key] = t.conditions[key]
	}
}

// fill makes up to n tries at adding a term to where.
func (g *filterGenerator) fill(where map[string]any, typeName string, depth, relDepth, n int) {
	for range n {
		g.add(where, typeName, depth, relDepth)
	}
}

func sortedNames[V any](m map[string]V) []string {
	names := make([]string, 0, len(m))
	for name := range m {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// OrOverProperties is an IncidentWhere of n OR alternatives, each a different combination of
// two conditions (so that no two alternatives are alike, as many as can be).
func OrOverProperties(n int) map[string]any {
	conds := sortedNames(filterTypes["IncidentWhere"].conditions)
	items := make([]any, n)
	for i := range items {
		a, b := conds[i%len(conds)], conds[(i/len(conds)+i+1)%len(conds)]
		item := map[string]any{a: filterTypes["IncidentWhere"].conditions[a]}
		item[b] = filterTypes["IncidentWhere"].conditions[b]
		items[i] = item
	}
	return map[string]any{"OR": items}
}

// NotChain is a PersonWhere of depth NOTs, each holding a condition and the next NOT.
func NotChain(depth int) map[string]any {
	conds := sortedNames(filterTypes["PersonWhere"].conditions)
	where := map[string]any{"nationality_in": []any{"GB"}}
	for i := range depth - 1 {
		c := conds[i%len(conds)]
		where = map[string]any{"NOT": where, c: filterTypes["PersonWhere"].conditions[c]}
	}
	return map[string]any{"NOT": where}
}

// RelationshipChains is an IncidentWhere of n relationship filters as chains nested three deep
// (incident → people → associates → lives at), each holding conditions.
func RelationshipChains(n int) map[string]any {
	items := make([]any, 0, n)
	for i := 0; i < n; i += 3 {
		depth := min(3, n-i)
		person := map[string]any{"nationality_in": []any{"GB"}}
		if depth == 3 {
			person["livesAt_some"] = map[string]any{"countryCode_in": []any{"GB"}, "name_contains": "a"}
		}
		if depth >= 2 {
			person = map[string]any{"associates_some": person, "gender_in": []any{"FEMALE"}}
		}
		items = append(items, map[string]any{[]string{"people_some", "people_none"}[i/3%2]: person, "victimCount_gte": 1})
	}
	return map[string]any{"AND": items}
}

// personRelationshipFields are relationship fields of Person, with a selection each.
var personRelationshipFields = []string{
	"incidents(first: 1) { role incident { id } }", "associates(first: 1) { kind person { id } }",
	"identifiers(first: 1) { id kind }", "worksFor(first: 1) { id name }", "directorOf(first: 1) { id }",
	"owns(first: 1) { id }", "livesAt(first: 1) { id name }",
}

// RelationshipFields is n aliased relationship fields of a person, chosen by seed, each first: 1.
func RelationshipFields(seed uint64, n int) string {
	rng := rand.New(rand.NewPCG(seed, 11))
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, " f%d: %s", i, personRelationshipFields[rng.IntN(len(personRelationshipFields))])
	}
	return b.String()
}

// twoConditions is an IncidentWhere of two conditions chosen by seed: a plan new to Neo4j in
// most runs (one of 45 pairs).
func twoConditions(seed uint64) map[string]any {
	conds := sortedNames(filterTypes["IncidentWhere"].conditions)
	picked := rand.New(rand.NewPCG(seed, 13)).Perm(len(conds))[:2]
	where := map[string]any{}
	for _, i := range picked {
		where[conds[i]] = filterTypes["IncidentWhere"].conditions[conds[i]]
	}
	return where
}

// Shape is one question within the bounds, sent once cold (a plan Neo4j has not seen) and once
// warm (the same text again: Neo4j's plan cache has it).
type Shape struct {
	Name      string
	Query     string
	Variables map[string]any
}

// BaselineShape is the reference: a plain filtered count, cold and warm like the shapes.
const BaselineShape = "baseline: incidents with two conditions"

// Bounds are the bounds the shapes are generated within: a filter's (FilterBudget), the
// relationship fields of one query, and a search text's characters, words and letters per word.
type Bounds struct {
	Filter             FilterBudget
	RelationshipFields int
	SearchRunes        int
	SearchWords        int
	SearchWordRunes    int
}

// Shapes are the worst cases within bounds (terms, relationship filters, nesting, relationship
// fields, search words), adversarial and random; seed varies the random ones, so that every run
// plans them cold.
func Shapes(seed uint64, bounds Bounds) []Shape {
	const (
		incidents = `query($w: IncidentWhere) { incidents(first: 1, where: $w) { totalCount } }`
		people    = `query($w: PersonWhere) { people(first: 1, where: $w) { totalCount } }`
		search    = `query($q: String!) { search(query: $q, first: 20) { type score } }`
	)
	peopleWithFields := func(fields string) string {
		return `query($w: PersonWhere) { people(first: 1, where: $w) { totalCount edges { node { id` + fields + ` } } } }`
	}
	f, fields := bounds.Filter, bounds.RelationshipFields
	shapes := []Shape{
		{Name: BaselineShape, Query: incidents, Variables: map[string]any{"w": twoConditions(seed)}},
		{Name: fmt.Sprintf("%d OR terms over different properties", f.Terms), Query: incidents,
			Variables: map[string]any{"w": OrOverProperties(f.Terms / 3)}},
		{Name: fmt.Sprintf("NOT chain %d deep", f.Nesting), Query: people, Variables: map[string]any{"w": NotChain(f.Nesting)}},
		{Name: fmt.Sprintf("%d relationship filters in chains 3 deep", f.Relationships), Query: incidents,
			Variables: map[string]any{"w": RelationshipChains(f.Relationships)}},
		{Name: fmt.Sprintf("%d relationship fields, first: 1", fields), Query: peopleWithFields(RelationshipFields(seed, fields)),
			Variables: map[string]any{"w": map[string]any{"nationality_in": []any{"GB"}}}},
	}
	for i := range uint64(4) {
		shapes = append(shapes, Shape{
			Name:      fmt.Sprintf("random person filter #%d and %d relationship fields", i+1, fields),
			Query:     peopleWithFields(RelationshipFields(seed+10+i, fields)),
			Variables: map[string]any{"w": RandomFilter(seed+10+i, "PersonWhere", f)},
		})
	}
	for i := range uint64(4) {
		shapes = append(shapes, Shape{
			Name:      fmt.Sprintf("random incident filter #%d", i+1),
			Query:     incidents,
			Variables: map[string]any{"w": RandomFilter(seed+20+i, "IncidentWhere", f)},
		})
	}
	word := func(n int) string { return strings.Repeat("harbour", n/7+1)[:n] }
	longest := min(bounds.SearchWordRunes, bounds.SearchRunes)
	// As many words as allowed, as long as the text allows, with a space between each two.
	each := min((bounds.SearchRunes+1)/bounds.SearchWords-1, bounds.SearchWordRunes)
	words := strings.TrimSpace(strings.Repeat(word(each)+" ", bounds.SearchWords))
	shapes = append(shapes,
		Shape{Name: fmt.Sprintf("search: one word of %d letters", longest), Query: search,
			Variables: map[string]any{"q": word(longest)}},
		Shape{Name: fmt.Sprintf("search: %d words of %d letters", bounds.SearchWords, each), Query: search,
			Variables: map[string]any{"q": words}},
	)
	return shapes
}

// ShapeResult is how one shape was answered, cold and warm.
type ShapeResult struct {
	Shape string
	// Answer is the HTTP status and first extensions.code of the cold request ("200 ok").
	Answer     string
	Cold, Warm time.Duration
	// Terms and Relationships are the shape's filter terms (weighted) and relationship filters,
	// counted as the store counts them.
	Terms, Relationships int
}

// RunShapes sends each shape twice, one request at a time, with token, and times the answers;
// termWeight is the store's weight of terms in relationship filters, for counting them.
func RunShapes(ctx context.Context, url, token string, shapes []Shape, termWeight int) ([]ShapeResult, error) {
	client := &http.Client{Timeout: time.Minute}
	// The first requests open connections and warm the JIT: part of no measurement.
	for range 5 {
		if _, err := post(ctx, client, url, token, VictimQuery, nil); err != nil {
			return nil, fmt.Errorf("warming up: %w", err)
		}
	}
	results := make([]ShapeResult, 0, len(shapes))
	for _, shape := range shapes {
		body, err := json.Marshal(map[string]any{"query": shape.Query, "variables": shape.Variables})
		if err != nil {
			return nil, err
		}
		result := ShapeResult{Shape: shape.Name}
		if where, ok := shape.Variables["w"].(map[string]any); ok {
			result.Terms, result.Relationships = CountFilter(where, termWeight)
		}
		for i, took := range []*time.Duration{&result.Cold, &result.Warm} {
			start := time.Now()
			answer, err := send(ctx, client, url, token, body)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", shape.Name, err)
			}
			*took = time.Since(start)
			if i == 0 {
				result.Answer = answer
			}
		}
		results = append(results, result)
	}
	return results, nil
}

// CountFilter counts a filter's terms and relationship filters as the store does: every
// condition, AND/OR item, NOT and relationship filter is a term, weighing weight when it is a
// relationship filter or inside one; provenance's conditions are terms of the filter they are in.
func CountFilter(where map[string]any, weight int) (terms, relationships int) {
	return countFilter(where, weight, false)
}

func countFilter(where map[string]any, weight int, inRelationship bool) (terms, relationships int) {
	term := func(weighted bool) int {
		if weighted {
			return weight
		}
		return 1
	}
	for key, value := range where {
		switch v := value.(type) {
		case []any:
			if key == "AND" || key == "OR" {
				for _, item := range v {
					terms += term(inRelationship)
					if m, ok := item.(map[string]any); ok {
						t, r := countFilter(m, weight, inRelationship)
						terms, relationships = terms+t, relationships+r
					}
				}
				continue
			}
			terms += term(inRelationship)
		case map[string]any:
			if key == "provenance" {
				t, r := countFilter(v, weight, inRelationship)
				terms, relationships = terms+t, relationships+r
				continue
			}
			relationship := strings.HasSuffix(key, "_some") || strings.HasSuffix(key, "_none")
			t, r := countFilter(v, weight, inRelationship || relationship)
			terms, relationships = terms+term(inRelationship || relationship)+t, relationships+r
			if relationship {
				relationships++
			}
		default:
			terms += term(inRelationship)
		}
	}
	return terms, relationships
}

// ShapesMarkdown renders the shapes' results, against the baseline shape of the same run.
func ShapesMarkdown(results []ShapeResult) string {
	var baseline ShapeResult
	for _, r := range results {
		if r.Shape == BaselineShape {
			baseline = r
		}
	}
	var b strings.Builder
	b.WriteString("| shape | weighted terms | relationship filters | answer | cold (plan + run) | warm (run) | cold − warm (about the planning) | cold / baseline cold |\n")
	b.WriteString("|---|---:|---:|---|---:|---:|---:|---:|\n")
	for _, r := range results {
		fmt.Fprintf(&b, "| %s | %d | %d | %s | %.0f ms | %.0f ms | %.0f ms | %.1f |\n", r.Shape, r.Terms, r.Relationships, r.Answer,
			ms(r.Cold), ms(r.Warm), ms(r.Cold-r.Warm), ratio(r.Cold, baseline.Cold))
	}
	return b.String()
}
