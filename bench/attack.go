package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/traffikgraph/traffikgraph/store"
)

// Attack is a request one partner with graph:read can send that once made the service slow or
// unusable for every other partner (issue 7, finding 3 and the red team's F2); each must now be
// refused at once. An attack with Vary sends a different request each time (the i-th from
// Vary(i)) instead.
type Attack struct {
	Name      string
	Query     string
	Variables map[string]any
	Vary      func(i int) Shape
}

// ReferenceAttack names the harmless request sent like an attack, as a reference.
const ReferenceAttack = "reference: { __typename }"

// Attacks are the review's attacks, those found while closing them, and a harmless reference.
func Attacks() []Attack {
	const people = `query($w: PersonWhere) { people(where: $w) { totalCount } }`
	sixAliases := "{"
	for i := range 6 {
		sixAliases += fmt.Sprintf(" a%d: %s", i, LocationsFanOut(5))
	}
	sixAliases += " }"
	return []Attack{
		{Name: "300 nested NOT (a variable)", Query: people, Variables: map[string]any{"w": NestedNots(300)}},
		{Name: "1000 OR alternatives", Query: people, Variables: map[string]any{"w": Alternatives(1000)}},
		{Name: "5000 OR alternatives", Query: people, Variables: map[string]any{"w": Alternatives(5000)}},
		{Name: "20000 OR alternatives", Query: people, Variables: map[string]any{"w": Alternatives(20000)}},
		{Name: "locations fan-out 5 levels deep", Query: "{ " + LocationsFanOut(5) + " }"},
		{Name: "six aliases of the fan-out", Query: sixAliases},
		{Name: "100 aliased relationship fields", Query: AliasedRelationshipFields(100)},
		{Name: "25 relationship filters", Query: `query($w: IncidentWhere) { incidents(where: $w) { totalCount } }`,
			Variables: map[string]any{"w": RelationshipAlternatives(25)}},
		// Validation compares every pair of same-named fields: 26 s of CPU before the bound.
		{Name: "17000 duplicate fields", Query: "{ " + strings.Repeat("a: __typename ", 17_000) + "}"},
		{Name: "1000 duplicate fields over 10 fragments", Query: DuplicateFieldsOverFragments(10, 100)},
		// Not an attack: what a hundred concurrent requests cost the other partner anyway.
		{Name: ReferenceAttack, Query: "{ __typename }"},
	}
}

// CurrentBounds are the store's bounds today, for generating the worst shapes within them.
func CurrentBounds() Bounds {
	return Bounds{
		Filter: FilterBudget{Terms: store.MaxFilterTerms, Relationships: store.MaxFilterRelationships,
			Nesting: store.MaxFilterNesting, RelationshipDepth: 3, RelationshipTermWeight: store.RelationshipTermWeight},
		RelationshipFields: store.MaxRelationshipFields,
		SearchRunes:        store.MaxSearchRunes, SearchWords: store.MaxSearchWords, SearchWordRunes: store.MaxSearchWordRunes,
	}
}

// WithinBoundsAttack is a hundred concurrent requests of the worst shapes within the bounds (the
// random filters with the most relationship fields, and the longest search words), each one a
// plan Neo4j has not seen: answered, not refused, so what they cost the other partner is the
// planning the bounds allow.
func WithinBoundsAttack(seed uint64) Attack {
	return Attack{Name: "worst shapes within the bounds, each new", Vary: func(i int) Shape {
		shapes := Shapes(seed+uint64(i)*100, CurrentBounds())
		worst := slices.DeleteFunc(shapes, func(s Shape) bool {
			return !strings.HasPrefix(s.Name, "random person filter") && !strings.HasPrefix(s.Name, "search")
		})
		return worst[i%len(worst)]
	}}
}

// SelectAttacks keeps the attacks named in a comma-separated list; an empty list keeps all:
// Attacks, then WithinBoundsAttack.
func SelectAttacks(names string, seed uint64) ([]Attack, error) {
	all := Attacks()
	all = append(all[:len(all)-1], WithinBoundsAttack(seed), all[len(all)-1])
	if names == "" {
		return all, nil
	}
	var out []Attack
	for _, name := range strings.Split(names, ",") {
		i := slices.IndexFunc(all, func(a Attack) bool { return a.Name == strings.TrimSpace(name) })
		if i < 0 {
			return nil, fmt.Errorf("no attack %q", name)
		}
		out = append(out, all[i])
	}
	return out, nil
}

// NestedNots is a PersonWhere of depth NOTs around one condition.
func NestedNots(depth int) map[string]any {
	where := map[string]any{"nationality_in": []any{"GB"}}
	for range depth {
		where = map[string]any{"NOT": where}
	}
	return where
}

// Alternatives is a PersonWhere of n OR alternatives, one condition each.
func Alternatives(n int) map[string]any {
	items := make([]any, n)
	for i := range items {
		items[i] = map[string]any{"id_in": []any{fmt.Sprintf("w%d", i)}}
	}
	return map[string]any{"OR": items}
}

// RelationshipAlternatives is a filter of n OR alternatives, a location_some each (incidents and
// businesses have it).
func RelationshipAlternatives(n int) map[string]any {
	items := make([]any, n)
	for i := range items {
		items[i] = map[string]any{"location_some": map[string]any{"name": fmt.Sprintf("town %d", i)}}
	}
	return map[string]any{"OR": items}
}

// LocationsFanOut is the review's query: each level fans out to a parent's children.
func LocationsFanOut(levels int) string {
	inner := "id name"
	for range levels {
		inner = "id name parent { id children(first: 1000) { " + inner + " } }"
	}
	return "locations(first: 500) { edges { node { " + inner + " } } }"
}

// AliasedRelationshipFields is a page of one person asking n relationship fields of it.
func AliasedRelationshipFields(n int) string {
	var fields strings.Builder
	for i := range n {
		fmt.Fprintf(&fields, " a%d: incidents(first: 1) { role }", i)
	}
	return "{ people(first: 1) { edges { node {" + fields.String() + " } } } }"
}

// DuplicateFieldsOverFragments spreads fragments fragments of fieldsEach `a: __typename` into one
// selection set: validation compares every pair of them, whichever fragment they come from.
func DuplicateFieldsOverFragments(fragments, fieldsEach int) string {
	var doc strings.Builder
	doc.WriteString("{")
	for i := range fragments {
		fmt.Fprintf(&doc, " ...F%d", i)
	}
	doc.WriteString(" }")
	for i := range fragments {
		fmt.Fprintf(&doc, " fragment F%d on Query { %s}", i, strings.Repeat("a: __typename ", fieldsEach))
	}
	return doc.String()
}

// VictimQuery is what the other partner asks while an attack runs.
const VictimQuery = `{ people(first: 1) { totalCount } }`

// AttackConfig says where to attack from, how hard and for how long.
type AttackConfig struct {
	GraphQLURL    string
	AttackerToken string
	// Each attack is sent in Waves waves, one every WaveEvery, of Clients concurrent requests.
	Clients   int
	Waves     int
	WaveEvery time.Duration
	// Baseline is how long the other partner is measured alone, before the attacks.
	Baseline time.Duration
	Attacks  []Attack
	// VictimSamples returns the other partner's requests once the attacks are over: it runs
	// RunVictim with a token of another partner in a process of its own, so that it shares
	// no Go scheduler with the attacking clients.
	VictimSamples func() ([]VictimSample, error)
	Progress      io.Writer
}

// AttackResult is what one attack got, and what the other partner saw meanwhile.
type AttackResult struct {
	Attack   string
	Requests int
	// Answers counts the attack's answers by HTTP status and first extensions.code.
	Answers map[string]int
	// P50 and Max are the attack's times to answer.
	P50, Max time.Duration
	// Victim is the latency of the other partner's requests sent while attack requests were
	// in flight; VictimFailures those of its requests that were not answered with data.
	Victim         Stats
	VictimFailures int
	inFlight       []interval
}

// AttackReport is the other partner's baseline and every attack's result.
type AttackReport struct {
	Baseline Stats
	Results  []AttackResult
}

type interval struct{ from, to time.Time }

func (i interval) holds(t time.Time) bool { return !t.Before(i.from) && t.Before(i.to) }

// RunAttacks waits cfg.Baseline while the other partner asks alone, then sends each attack in
// waves; it then reads the other partner's requests and keeps, per attack, those sent while
// attack requests were in flight.
func RunAttacks(ctx context.Context, cfg AttackConfig) (AttackReport, error) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 2 * cfg.Clients}, Timeout: time.Minute}
	baseline := interval{from: time.Now()}
	select {
	case <-time.After(cfg.Baseline):
	case <-ctx.Done():
		return AttackReport{}, ctx.Err()
	}
	baseline.to = time.Now()
	var report AttackReport
	for _, attack := range cfg.Attacks {
		result, err := runAttack(ctx, client, cfg, attack)
		if err != nil {
			return report, fmt.Errorf("%s: %w", attack.Name, err)
		}
		if cfg.Progress != nil {
			fmt.Fprintf(cfg.Progress, "%-34s %6d requests %v p50 %.1f ms max %.1f ms\n",
				attack.Name, result.Requests, result.Answers, ms(result.P50), ms(result.Max))
		}
		report.Results = append(report.Results, result)
	}
	samples, err := cfg.VictimSamples()
	if err != nil {
		return report, fmt.Errorf("the other partner's requests: %w", err)
	}
	report.Baseline, _ = victimStats(samples, []interval{baseline})
	if report.Baseline.Requests == 0 {
		return report, errors.New("the other partner was not answered alone")
	}
	for i := range report.Results {
		report.Results[i].Victim, report.Results[i].VictimFailures = victimStats(samples, report.Results[i].inFlight)
	}
	return report, nil
}

// victimStats are the latencies of the answered samples sent within the intervals, and how many
// sent within them failed.
func victimStats(samples []VictimSample, within []interval) (Stats, int) {
	var latencies []time.Duration
	failed := 0
	for _, s := range samples {
		if !slices.ContainsFunc(within, func(i interval) bool { return i.holds(s.Start) }) {
			continue
		}
		if !s.OK {
			failed++
			continue
		}
		latencies = append(latencies, s.Latency)
	}
	slices.Sort(latencies)
	return Stats{Requests: len(latencies), P50: percentile(latencies, 50), P95: percentile(latencies, 95)}, failed
}

func runAttack(ctx context.Context, client *http.Client, cfg AttackConfig, attack Attack) (AttackResult, error) {
	bodies := make([][]byte, 1)
	if attack.Vary != nil {
		bodies = make([][]byte, cfg.Waves*cfg.Clients)
	}
	for i := range bodies {
		query, variables := attack.Query, attack.Variables
		if attack.Vary != nil {
			shape := attack.Vary(i)
			query, variables = shape.Query, shape.Variables
		}
		body, err := json.Marshal(map[string]any{"query": query, "variables": variables})
		if err != nil {
			return AttackResult{}, err
		}
		bodies[i] = body
	}
	result := AttackResult{Attack: attack.Name, Answers: map[string]int{}}
	var (
		mu        sync.Mutex
		latencies []time.Duration
	)
	for wave := range cfg.Waves {
		if wave > 0 {
			select {
			case <-time.After(cfg.WaveEvery - time.Since(result.inFlight[wave-1].from)):
			case <-ctx.Done():
				return result, ctx.Err()
			}
		}
		var requests sync.WaitGroup
		sent := interval{from: time.Now()}
		for c := range cfg.Clients {
			body := bodies[(wave*cfg.Clients+c)%len(bodies)]
			requests.Go(func() {
				start := time.Now()
				answer, err := send(ctx, client, cfg.GraphQLURL, cfg.AttackerToken, body)
				if err != nil {
					answer = "no answer: " + err.Error()
				}
				mu.Lock()
				result.Answers[answer]++
				latencies = append(latencies, time.Since(start))
				mu.Unlock()
			})
		}
		requests.Wait()
		sent.to = time.Now()
		result.inFlight = append(result.inFlight, sent)
	}
	slices.Sort(latencies)
	result.Requests = len(latencies)
	result.P50, result.Max = percentile(latencies, 50), latencies[len(latencies)-1]
	return result, nil
}

// VictimSample is one request of the other partner: when it was sent, how long it took to be
// answered, and whether it was answered with data.
type VictimSample struct {
	Start   time.Time
	Latency time.Duration
	OK      bool
}

// RunVictim asks VictimQuery with token, one request at a time, until ctx ends, and writes a
// line per request to out: its start (Unix nanoseconds), its latency (nanoseconds) and 1 when it
// was answered with data, 0 otherwise.
func RunVictim(ctx context.Context, url, token string, out io.Writer) error {
	client := &http.Client{Timeout: time.Minute}
	for ctx.Err() == nil {
		start := time.Now()
		_, err := post(ctx, client, url, token, VictimQuery, nil)
		if ctx.Err() != nil {
			return nil
		}
		ok := 1
		if err != nil {
			ok = 0
		}
		if _, err := fmt.Fprintf(out, "%d %d %d\n", start.UnixNano(), time.Since(start).Nanoseconds(), ok); err != nil {
			return err
		}
	}
	return nil
}

// ReadVictimSamples reads RunVictim's lines.
func ReadVictimSamples(r io.Reader) ([]VictimSample, error) {
	var samples []VictimSample
	scanner := bufio.NewScanner(r)
	for scanner.Scan() {
		var start, latency int64
		var ok int
		if _, err := fmt.Sscanf(scanner.Text(), "%d %d %d", &start, &latency, &ok); err != nil {
			return nil, fmt.Errorf("victim line %q: %w", scanner.Text(), err)
		}
		samples = append(samples, VictimSample{Start: time.Unix(0, start), Latency: time.Duration(latency), OK: ok == 1})
	}
	return samples, scanner.Err()
}

// send posts a raw GraphQL body and says how it was answered: the HTTP status and the first
// error's extensions.code ("ok" when there is none).
func send(ctx context.Context, client *http.Client, url, token string, body []byte) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var out struct {
		Errors []struct {
			Extensions struct {
				Code string `json:"code"`
			} `json:"extensions"`
		} `json:"errors"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return "", err
	}
	code := "ok"
	if len(out.Errors) > 0 {
		code = out.Errors[0].Extensions.Code
	}
	return fmt.Sprintf("%d %s", resp.StatusCode, code), nil
}

// AttackMarkdown renders the report: the victim's baseline, then a row per attack.
func AttackMarkdown(r AttackReport) string {
	var b strings.Builder
	fmt.Fprintf(&b, "The other partner's `%s` alone, one request at a time (%d requests): p50 %.2f ms, p95 %.2f ms.\n\n",
		VictimQuery, r.Baseline.Requests, ms(r.Baseline.P50), ms(r.Baseline.P95))
	b.WriteString("| attack | requests | answers | time to answer p50 | max | other partner's requests during the attack | p50 | p95 | p50 / baseline | p95 / baseline |\n")
	b.WriteString("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, res := range r.Results {
		answers := make([]string, 0, len(res.Answers))
		for answer, n := range res.Answers {
			answers = append(answers, fmt.Sprintf("%s × %d", answer, n))
		}
		sort.Strings(answers)
		victim := fmt.Sprintf("%d | %.2f ms | %.2f ms | %.2f | %.2f", res.Victim.Requests, ms(res.Victim.P50), ms(res.Victim.P95),
			ratio(res.Victim.P50, r.Baseline.P50), ratio(res.Victim.P95, r.Baseline.P95))
		if res.VictimFailures > 0 {
			victim += fmt.Sprintf(" (%d failed)", res.VictimFailures)
		}
		fmt.Fprintf(&b, "| %s | %d | %s | %.1f ms | %.1f ms | %s |\n", res.Attack, res.Requests, strings.Join(answers, ", "),
			ms(res.P50), ms(res.Max), victim)
	}
	return b.String()
}
