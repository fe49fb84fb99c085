package bench

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// AllCases are the benchmark's cases: the base lists and nested fields, then the traversals.
func AllCases() []Case {
	return append(BaseCases(), TraversalCases()...)
}

// Select keeps the cases named in a comma-separated list; an empty list keeps all.
func Select(all []Case, names string) ([]Case, error) {
	if names == "" {
		return all, nil
	}
	var out []Case
	for _, name := range strings.Split(names, ",") {
		i := slices.IndexFunc(all, func(c Case) bool { return c.Name == strings.TrimSpace(name) })
		if i < 0 {
			return nil, fmt.Errorf("no benchmark case %q", name)
		}
		out = append(out, all[i])
	}
	return out, nil
}

// Markdown renders results as a table, with @neo4j/graphql's columns when it was measured
// ("–" in the rows of cases it was not asked).
func Markdown(results []Result) string {
	withNeo4jGraphQL := slices.ContainsFunc(results, func(r Result) bool { return r.Neo4jGraphQL != nil })
	var b strings.Builder
	b.WriteString("| case | clients | GraphQL p50 | GraphQL p95 | GraphQL req/s | Cypher p50 | Cypher p95 | Cypher req/s | ratio p50 | ratio p95 |")
	if withNeo4jGraphQL {
		b.WriteString(" @neo4j/graphql p50 | @neo4j/graphql p95 | @neo4j/graphql req/s | ours / @neo4j/graphql p50 |")
	}
	b.WriteString("\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	if withNeo4jGraphQL {
		b.WriteString("---:|---:|---:|---:|")
	}
	b.WriteString("\n")
	for _, r := range results {
		fmt.Fprintf(&b, "| %s | %d | %.2f ms | %.2f ms | %.0f | %.2f ms | %.2f ms | %.0f | %.2f | %.2f |",
			r.Case, r.Concurrency, ms(r.GraphQL.P50), ms(r.GraphQL.P95), r.GraphQL.PerSec,
			ms(r.Cypher.P50), ms(r.Cypher.P95), r.Cypher.PerSec, r.RatioP50(), r.RatioP95())
		switch {
		case r.Neo4jGraphQL != nil:
			fmt.Fprintf(&b, " %.2f ms | %.2f ms | %.0f | %.2f |",
				ms(r.Neo4jGraphQL.P50), ms(r.Neo4jGraphQL.P95), r.Neo4jGraphQL.PerSec, r.RatioNeo4jGraphQLP50())
		case withNeo4jGraphQL:
			b.WriteString(" – | – | – | – |")
		}
		b.WriteString("\n")
	}
	return b.String()
}

// CPUMarkdown renders the CPU each measured process spent per request of each side, with the
// ratio of the sides' totals: once the cores are full, throughput goes as its inverse. It is
// empty when no process was measured.
func CPUMarkdown(results []Result) string {
	i := slices.IndexFunc(results, func(r Result) bool { return len(r.GraphQL.CPU) > 0 })
	if i < 0 {
		return ""
	}
	var names []string
	for _, p := range results[i].GraphQL.CPU {
		names = append(names, p.Name)
	}
	var b strings.Builder
	b.WriteString("| case | clients |")
	for _, side := range []string{"GraphQL", "Cypher"} {
		for _, name := range names {
			fmt.Fprintf(&b, " %s: %s |", side, name)
		}
		fmt.Fprintf(&b, " %s total |", side)
	}
	b.WriteString(" ratio |\n|---|---:|" + strings.Repeat("---:|", 2*(len(names)+1)+1) + "\n")
	for _, r := range results {
		if len(r.GraphQL.CPU) == 0 {
			continue
		}
		fmt.Fprintf(&b, "| %s | %d |", r.Case, r.Concurrency)
		var totals []time.Duration
		for _, side := range [][]ProcessCPU{r.GraphQL.CPU, r.Cypher.CPU} {
			var total time.Duration
			for _, p := range side {
				fmt.Fprintf(&b, " %.2f ms |", ms(p.PerRequest))
				total += p.PerRequest
			}
			fmt.Fprintf(&b, " %.2f ms |", ms(total))
			totals = append(totals, total)
		}
		fmt.Fprintf(&b, " %.2f |\n", ratio(totals[0], totals[1]))
	}
	return b.String()
}
