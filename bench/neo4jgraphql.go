package bench

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
)

// Neo4jGraphQLServer holds the @neo4j/graphql contender (neo4jgraphql/): a Node project that the
// bench command writes out and runs, so that the binary benchmarks it from any folder.
//
//go:embed neo4jgraphql/package.json neo4jgraphql/package-lock.json neo4jgraphql/server.mjs neo4jgraphql/typedefs.mjs
var Neo4jGraphQLServer embed.FS

// sameAnswers checks, before measuring, that our API and @neo4j/graphql give the same answer to
// every input of the case, shape aside: the same scalar values under the same field names
// (ids, titles, names, roles, counts), however each nests them. Otherwise the comparison would
// time two different questions.
func sameAnswers(ctx context.Context, client *http.Client, cfg Config, c Case, inputs []input) error {
	for i, in := range inputs {
		ours, err := post(ctx, client, cfg.GraphQLURL, cfg.Token, c.GraphQL, in.vars)
		if err != nil {
			return fmt.Errorf("sanity check, our API: %w", err)
		}
		theirs, err := post(ctx, client, cfg.Neo4jGraphQLURL, cfg.Token, c.Neo4jGraphQL, in.neo4jGraphQLVars)
		if err != nil {
			return fmt.Errorf("sanity check, @neo4j/graphql: %w", err)
		}
		ourLeaves, err := leaves(ours)
		if err != nil {
			return err
		}
		theirLeaves, err := leaves(theirs)
		if err != nil {
			return err
		}
		for _, field := range slices.Sorted(maps.Keys(ourLeaves)) {
			if !slices.Equal(ourLeaves[field], theirLeaves[field]) {
				return fmt.Errorf("sanity check, input %d: %q differs: our API answers %v, @neo4j/graphql %v",
					i, field, ourLeaves[field], theirLeaves[field])
			}
		}
		if len(ourLeaves) != len(theirLeaves) {
			return fmt.Errorf("sanity check, input %d: @neo4j/graphql answers other fields (%s) than our API (%s)",
				i, strings.Join(slices.Sorted(maps.Keys(theirLeaves)), ", "), strings.Join(slices.Sorted(maps.Keys(ourLeaves)), ", "))
		}
		if i == 0 && cfg.Progress != nil {
			counts := make([]string, 0, len(ourLeaves))
			for _, field := range slices.Sorted(maps.Keys(ourLeaves)) {
				counts = append(counts, fmt.Sprintf("%s %d", field, len(ourLeaves[field])))
			}
			fmt.Fprintf(cfg.Progress, "%-28s same answers from both APIs for %d inputs; the first has %s\n",
				c.Name, len(inputs), strings.Join(counts, ", "))
		}
	}
	return nil
}

// leaves collects a GraphQL answer's non-null scalar values by the name of their field, each
// field's values sorted (lists are compared as sets: neither API promises their order).
func leaves(data json.RawMessage) (map[string][]string, error) {
	var tree any
	if err := json.Unmarshal(data, &tree); err != nil {
		return nil, fmt.Errorf("sanity check: decoding an answer: %w", err)
	}
	out := map[string][]string{}
	var walk func(field string, v any)
	walk = func(field string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, child := range v {
				walk(k, child)
			}
		case []any:
			for _, child := range v {
				walk(field, child)
			}
		case nil:
		default:
			out[field] = append(out[field], fmt.Sprint(v))
		}
	}
	walk("", tree)
	for _, values := range out {
		slices.Sort(values)
	}
	return out, nil
}
