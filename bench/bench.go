// Package bench measures the service as its users meet it: each case is sent as a GraphQL
// request over HTTP to a running traffikgraph, and the equivalent hand-written Cypher is sent
// through the driver to the same Neo4j, in the same run, so that their ratio shows what the API
// layer costs. Optionally, the cases that @neo4j/graphql can ask too are also sent to it
// (neo4jgraphql/), running over the same Neo4j. It reports p50, p95 and requests/s per
// concurrency, and the API's memory.
package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/traffikgraph/traffikgraph/auth"
	"github.com/traffikgraph/traffikgraph/store"
)

// Case is one question asked both ways.
type Case struct {
	Name string
	// GraphQL is the operation; Variables picks its variables for one request.
	GraphQL   string
	Variables func(f *Fixture, r *rand.Rand) map[string]any
	// The baseline is either hand-written Cypher (Cypher, with Params for the same variables)...
	Cypher string
	Params func(vars map[string]any, f *Fixture) map[string]any
	// ...or the statements the store sends for the question (Store calls it), replayed
	// through the driver: the ratio is then the cost of everything around Neo4j's work.
	Store func(ctx context.Context, s *store.Store, vars map[string]any) error
	// Neo4jGraphQL, when set, is the same question for @neo4j/graphql (neo4jgraphql/), with
	// Neo4jGraphQLVariables for the same variables; cases without it are not asked there.
	Neo4jGraphQL          string
	Neo4jGraphQLVariables func(vars map[string]any, f *Fixture) map[string]any
}

// inputsPerCase is how many different questions a case asks, cycled through.
const inputsPerCase = 64

// input is one question: GraphQL variables, the baseline's statements and, for cases that
// @neo4j/graphql asks too, its variables.
type input struct {
	vars             map[string]any
	statements       []store.Statement
	neo4jGraphQLVars map[string]any
}

// prepare picks a case's inputs and their baseline statements.
func prepare(ctx context.Context, cfg Config, c Case, f *Fixture) ([]input, error) {
	r := rand.New(rand.NewPCG(1, 2))
	inputs := make([]input, inputsPerCase)
	for i := range inputs {
		vars := c.Variables(f, r)
		in := input{vars: vars}
		if c.Store != nil {
			ctx := store.WithStatementLog(auth.WithCaller(ctx, cfg.Caller), &in.statements)
			if err := c.Store(ctx, cfg.Store, vars); err != nil {
				return nil, err
			}
		} else {
			in.statements = []store.Statement{{Cypher: c.Cypher, Params: c.Params(vars, f)}}
		}
		if c.Neo4jGraphQL != "" {
			in.neo4jGraphQLVars = c.Neo4jGraphQLVariables(vars, f)
		}
		inputs[i] = in
	}
	return inputs, nil
}

// Config says what to measure and where.
type Config struct {
	GraphQLURL string
	// Neo4jGraphQLURL, when set, is @neo4j/graphql's endpoint, asked with the same Token.
	Neo4jGraphQLURL string
	Token           string
	Driver          neo4j.DriverWithContext
	Database        string
	// Requests per case and concurrency, after Warmup requests.
	Requests, Warmup int
	// WarmFor is how long every case is asked, both sides in turn, before any is measured:
	// Neo4j's JIT compiles its hot paths over the first tens of thousands of statements, and a
	// JVM that has not yet done so measures its start, not the question.
	WarmFor time.Duration
	// Processes are those whose CPU time is charged to each side's measured requests (Stats.CPU).
	Processes []Process
	// JVM, when its PID is set, is Neo4j's process: the warm-up goes on past WarmFor until its
	// JIT compilers are nearly idle (jitSettled).
	JVM         Process
	Concurrency []int
	Cases       []Case
	Progress    io.Writer
	// Store and Caller capture the statements of Store cases: the same caller as the token's.
	Store  *store.Store
	Caller auth.Caller
}

// Stats are the latencies of one side of one case at one concurrency.
type Stats struct {
	Requests int
	P50, P95 time.Duration
	PerSec   float64
	// CPU is what each of Config.Processes spent per request while this side was measured.
	CPU []ProcessCPU
}

// Result compares the sides of one case at one concurrency.
type Result struct {
	Case        string
	Concurrency int
	GraphQL     Stats
	Cypher      Stats
	// Neo4jGraphQL is nil where @neo4j/graphql was not asked.
	Neo4jGraphQL *Stats
}

// RatioP50 is GraphQL p50 over Cypher p50.
func (r Result) RatioP50() float64 { return ratio(r.GraphQL.P50, r.Cypher.P50) }

// RatioNeo4jGraphQLP50 is our GraphQL p50 over @neo4j/graphql's (below 1: we are faster).
func (r Result) RatioNeo4jGraphQLP50() float64 { return ratio(r.GraphQL.P50, r.Neo4jGraphQL.P50) }

// RatioP95 is GraphQL p95 over Cypher p95.
func (r Result) RatioP95() float64 { return ratio(r.GraphQL.P95, r.Cypher.P95) }

func ratio(a, b time.Duration) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// Run warms every case up (Config.WarmFor), then measures each at every concurrency, GraphQL
// and its baseline in alternating turns, then @neo4j/graphql where the case and the
// configuration ask for it.
func Run(ctx context.Context, cfg Config, f *Fixture) ([]Result, error) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
	type sides struct {
		c                      Case
		gql, raw, neo4jGraphQL func(ctx context.Context, i int) error
	}
	var prepared []sides
	var warmUps []func(ctx context.Context, i int) error
	for _, c := range cfg.Cases {
		inputs, err := prepare(ctx, cfg, c, f)
		if err != nil {
			return nil, fmt.Errorf("%s (preparing): %w", c.Name, err)
		}
		withNeo4jGraphQL := cfg.Neo4jGraphQLURL != "" && c.Neo4jGraphQL != ""
		if withNeo4jGraphQL {
			if err := sameAnswers(ctx, client, cfg, c, inputs); err != nil {
				return nil, fmt.Errorf("%s: %w", c.Name, err)
			}
		}
		s := sides{c: c,
			gql: func(ctx context.Context, i int) error {
				return graphQLRequest(ctx, client, cfg, c.GraphQL, inputs[i%len(inputs)].vars)
			},
			raw: func(ctx context.Context, i int) error {
				for _, st := range inputs[i%len(inputs)].statements {
					if err := cypherRequest(ctx, cfg, st.Cypher, st.Params); err != nil {
						return err
					}
				}
				return nil
			},
		}
		if withNeo4jGraphQL {
			s.neo4jGraphQL = func(ctx context.Context, i int) error {
				return neo4jGraphQLRequest(ctx, client, cfg, c.Neo4jGraphQL, inputs[i%len(inputs)].neo4jGraphQLVars)
			}
		}
		prepared = append(prepared, s)
		warmUps = append(warmUps, s.gql, s.raw)
	}
	var settled func() (bool, error)
	if cfg.JVM.PID > 0 {
		settled = jitSettled(cfg.JVM.PID, warmCheck)
	}
	warmed, err := warm(ctx, warmUps, cfg.WarmFor, warmCheck, settled)
	if err != nil {
		return nil, fmt.Errorf("warming up: %w", err)
	}
	if cfg.Progress != nil && warmed > 0 {
		fmt.Fprintf(cfg.Progress, "warmed up every case for %s\n", warmed.Round(time.Second))
	}
	var results []Result
	for _, s := range prepared {
		c := s.c
		for _, conc := range cfg.Concurrency {
			if _, err := measure(ctx, s.gql, cfg.Warmup, conc); err != nil {
				return nil, fmt.Errorf("%s (GraphQL warm-up): %w", c.Name, err)
			}
			if _, err := measure(ctx, s.raw, cfg.Warmup, conc); err != nil {
				return nil, fmt.Errorf("%s (Cypher warm-up): %w", c.Name, err)
			}
			g, x, err := alternate(ctx, s.gql, s.raw, cfg.Requests, conc, cfg.Processes)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", c.Name, err)
			}
			res := Result{Case: c.Name, Concurrency: conc, GraphQL: g, Cypher: x}
			if cfg.Progress != nil {
				fmt.Fprintf(cfg.Progress, "%-28s c=%-3d GraphQL p50 %7.2fms p95 %7.2fms | Cypher p50 %7.2fms p95 %7.2fms | ratio %.2f / %.2f\n",
					c.Name, conc, ms(g.P50), ms(g.P95), ms(x.P50), ms(x.P95), res.RatioP50(), res.RatioP95())
			}
			if s.neo4jGraphQL != nil {
				if _, err := measure(ctx, s.neo4jGraphQL, cfg.Warmup, conc); err != nil {
					return nil, fmt.Errorf("%s (@neo4j/graphql warm-up): %w", c.Name, err)
				}
				n, err := measure(ctx, s.neo4jGraphQL, cfg.Requests, conc)
				if err != nil {
					return nil, fmt.Errorf("%s (@neo4j/graphql): %w", c.Name, err)
				}
				res.Neo4jGraphQL = &n
				if cfg.Progress != nil {
					fmt.Fprintf(cfg.Progress, "%-28s c=%-3d @neo4j/graphql p50 %7.2fms p95 %7.2fms | ours/theirs p50 %.2f\n",
						c.Name, conc, ms(n.P50), ms(n.P95), res.RatioNeo4jGraphQLP50())
				}
			}
			results = append(results, res)
		}
	}
	return results, nil
}

// warmClients is how many clients warm the cases up.
const warmClients = 4

// warm sends requests of each of sides in turn from warmClients clients for at least d, and
// then for as long as settled says the machine has not settled, asked every check, up to
// warmMost in all. It returns how long it warmed.
func warm(ctx context.Context, sides []func(ctx context.Context, i int) error, d, check time.Duration, settled func() (bool, error)) (time.Duration, error) {
	if d <= 0 || len(sides) == 0 {
		return 0, nil
	}
	start := time.Now()
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	errs := make([]error, warmClients+1)
	var wg sync.WaitGroup
	for w := range warmClients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; ctx.Err() == nil; i++ {
				if err := sides[i%len(sides)](ctx, i); err != nil && ctx.Err() == nil {
					errs[w] = err
					stop()
					return
				}
			}
		}()
	}
	wait := d
	for ctx.Err() == nil {
		select {
		case <-ctx.Done():
		case <-time.After(wait):
			done := settled == nil || time.Since(start) >= warmMost
			if !done {
				var err error
				if done, err = settled(); err != nil {
					errs[warmClients] = err
					done = true
				}
			}
			if done {
				stop()
			}
			wait = check
		}
	}
	wg.Wait()
	return time.Since(start), errors.Join(errs...)
}

const (
	// warmCheck is how often warm asks whether the machine has settled, once its time is up.
	warmCheck = 5 * time.Second
	// warmMost bounds a warm-up that waits for the machine to settle.
	warmMost = 5 * time.Minute
)

// Load sends the cases' GraphQL requests round-robin from clients concurrent clients until
// duration has passed, and returns how many were answered and how many failed (under overload
// a traversal may exceed its transaction timeout and be refused with LIMIT_EXCEEDED).
func Load(ctx context.Context, cfg Config, f *Fixture, clients int, duration time.Duration) (answered, refused int) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
	ctx, cancel := context.WithTimeout(ctx, duration)
	defer cancel()
	var (
		wg sync.WaitGroup
		mu sync.Mutex
	)
	for w := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 99))
			for i := 0; ctx.Err() == nil; i++ {
				c := cfg.Cases[(w+i)%len(cfg.Cases)]
				err := graphQLRequest(ctx, client, cfg, c.GraphQL, c.Variables(f, r))
				mu.Lock()
				switch {
				case err == nil:
					answered++
				case ctx.Err() == nil:
					refused++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return answered, refused
}

// measure runs n requests from conc workers and returns their latency statistics.
func measure(ctx context.Context, do func(ctx context.Context, i int) error, n, conc int) (Stats, error) {
	latencies, elapsed, err := timed(ctx, do, 0, n, conc)
	if err != nil {
		return Stats{}, err
	}
	return stats(latencies, elapsed), nil
}

// alternateTurns is how many turns alternate between our API and the baseline: a change of the
// machine's load during the run (other processes, Neo4j's background work) then falls on both.
const alternateTurns = 10

// alternate measures n requests of ours and n of the baseline from conc workers, in alternating
// turns (alternateTurns, fewer when a turn would give each worker under 8 requests: the start
// and end of a turn, with workers idle, would weigh on its throughput), and returns each
// side's statistics over all its turns, with what each of processes spent during its turns.
// (The API's work that outlasts a turn of ours, such as shipping the audit spool's last
// events, lands in the baseline's next turn: the baseline's API column shows how much.)
func alternate(ctx context.Context, ours, baseline func(ctx context.Context, i int) error, n, conc int, processes []Process) (Stats, Stats, error) {
	turns := max(1, min(alternateTurns, n/(8*conc)))
	sides := []struct {
		name      string
		do        func(ctx context.Context, i int) error
		latencies []time.Duration
		elapsed   time.Duration
		cpu       cpuTally
	}{{name: "GraphQL", do: ours, cpu: make(cpuTally, len(processes))}, {name: "Cypher", do: baseline, cpu: make(cpuTally, len(processes))}}
	for turn := range turns {
		from, to := n*turn/turns, n*(turn+1)/turns
		for i := range sides {
			side := &sides[i]
			err := side.cpu.during(processes, func() error {
				latencies, elapsed, err := timed(ctx, side.do, from, to-from, conc)
				side.latencies = append(side.latencies, latencies...)
				side.elapsed += elapsed
				return err
			})
			if err != nil {
				return Stats{}, Stats{}, fmt.Errorf("%s: %w", side.name, err)
			}
		}
	}
	measured := make([]Stats, len(sides))
	for i, side := range sides {
		measured[i] = stats(side.latencies, side.elapsed)
		measured[i].CPU = side.cpu.perRequest(processes, len(side.latencies))
	}
	return measured[0], measured[1], nil
}

// timed runs requests from, from+1, ... (n of them) from conc workers and returns each one's
// latency and the time they took together.
func timed(ctx context.Context, do func(ctx context.Context, i int) error, from, n, conc int) ([]time.Duration, time.Duration, error) {
	latencies := make([]time.Duration, n)
	var next, failed sync.Mutex
	issued := 0
	var firstErr error
	var wg sync.WaitGroup
	start := time.Now()
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				next.Lock()
				i := issued
				issued++
				next.Unlock()
				if i >= n {
					return
				}
				t0 := time.Now()
				if err := do(ctx, from+i); err != nil {
					failed.Lock()
					if firstErr == nil {
						firstErr = err
					}
					failed.Unlock()
					return
				}
				latencies[i] = time.Since(t0)
			}
		}()
	}
	wg.Wait()
	return latencies, time.Since(start), firstErr
}

// stats are the percentiles and throughput of latencies measured over elapsed.
func stats(latencies []time.Duration, elapsed time.Duration) Stats {
	slices.Sort(latencies)
	return Stats{Requests: len(latencies), P50: percentile(latencies, 50), P95: percentile(latencies, 95),
		PerSec: float64(len(latencies)) / elapsed.Seconds()}
}

func percentile(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := (len(sorted)*p + 99) / 100
	return sorted[min(max(i-1, 0), len(sorted)-1)]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func graphQLRequest(ctx context.Context, client *http.Client, cfg Config, query string, vars map[string]any) error {
	_, err := post(ctx, client, cfg.GraphQLURL, cfg.Token, query, vars)
	return err
}

func neo4jGraphQLRequest(ctx context.Context, client *http.Client, cfg Config, query string, vars map[string]any) error {
	_, err := post(ctx, client, cfg.Neo4jGraphQLURL, cfg.Token, query, vars)
	return err
}

// post sends one GraphQL request and returns its data, undecoded.
func post(ctx context.Context, client *http.Client, url, token, query string, vars map[string]any) (json.RawMessage, error) {
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out struct {
		Data   json.RawMessage   `json:"data"`
		Errors []json.RawMessage `json:"errors"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK || len(out.Errors) > 0 {
		return nil, fmt.Errorf("status %d, errors %s", resp.StatusCode, out.Errors)
	}
	return out.Data, nil
}

func cypherRequest(ctx context.Context, cfg Config, cypher string, params map[string]any) error {
	_, err := neo4j.ExecuteQuery(ctx, cfg.Driver, cypher, params, neo4j.EagerResultTransformer,
		neo4j.ExecuteQueryWithDatabase(cfg.Database), neo4j.ExecuteQueryWithReadersRouting())
	return err
}

// errNoFixture is returned when the graph lacks what a case needs (seed it first).
var errNoFixture = errors.New("the graph holds no data for the benchmark: seed it first")
