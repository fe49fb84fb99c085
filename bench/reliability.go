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
	"strings"
	"sync"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	tg "github.com/traffikgraph/traffikgraph"
)

// A mixed workload: the personas' reads of lists, nested fields and aggregates, and one writer
// persona's upserts. Every acknowledged write (HTTP 200, no error, an id) is checked in the
// database once the load has ended.

// LoadClient is one persona's token; its clients send Reads and, when Writes, upserts too.
type LoadClient struct {
	Persona string
	Token   string
	Writes  bool
}

// ReliabilityConfig says what load to send and where.
type ReliabilityConfig struct {
	GraphQLURL string
	Clients    []LoadClient // one goroutine per entry
	Duration   time.Duration
	// WriteShare is the share of a writing client's requests that are mutations.
	WriteShare float64
	// RunID makes this run's externalRefs unique.
	RunID string
	// Timeout bounds each request on the client's side.
	Timeout time.Duration
	// During, when set, runs once the load has run for DuringAfter (the chaos: a kill) and
	// returns when it happened.
	During      func() time.Time
	DuringAfter time.Duration
}

// ReliabilityReport is what the load saw.
type ReliabilityReport struct {
	Sent, Answered int
	// Errors counts failed requests by extensions.code, or "HTTP <status>" without one, or
	// "client timeout" / "connection error".
	Errors        map[string]int
	P50, P95, P99 time.Duration
	// Acknowledged writes and, of them, those not found in the database afterwards.
	Acknowledged, Lost int
	// Killed is when During ran (zero without chaos); Recovered the first answer without error
	// after it, and RefusedSlowest the slowest UNAVAILABLE answer after it.
	Killed, Recovered     time.Time
	UnavailableAfterKill  int
	RefusedSlowest        time.Duration
	RefusedWithin1s       int
	SlowestAnswerDuringIt time.Duration
}

// TimeToRecovery is from the kill to the first answer without error after it.
func (r ReliabilityReport) TimeToRecovery() time.Duration {
	if r.Killed.IsZero() || r.Recovered.IsZero() {
		return 0
	}
	return r.Recovered.Sub(r.Killed)
}

var loadReads = []string{
	`{ incidents(first: 10, orderBy: [{field: OCCURRED_FROM, direction: DESC}]) { totalCount edges { node { id title occurredFrom location { name countryCode } } } } }`,
	`{ people(first: 10) { edges { node { id name nationality } } } }`,
	`{ businesses(first: 10) { edges { node { id name jurisdiction suppliers { product business { name } } } } } }`,
	`{ partners(first: 20) { totalCount edges { node { id name } } } }`,
	`{ locations(first: 10) { edges { node { id name countryCode parent { name } } } } }`,
}

const loadWrite = `mutation ($ref: String!, $name: String!) {
  upsertBusiness(externalRef: $ref, input: {name: $name, jurisdiction: "GB"}, marking: {tlp: GREEN}) { id }
}`

type sample struct {
	start, end time.Time
	code       string // "" when answered without error
	writeID    string // the id of an acknowledged write
}

// RunReliability sends the load and, when it has ended and ready says the service is ready
// again, checks every acknowledged write through driver (which must reach the same database).
func RunReliability(ctx context.Context, cfg ReliabilityConfig, driver neo4j.DriverWithContext, database string,
	ready func() error) (ReliabilityReport, error) {
	client := &http.Client{Timeout: cfg.Timeout, Transport: &http.Transport{MaxIdleConnsPerHost: 512}}
	if err := warmUp(ctx, client, cfg); err != nil {
		return ReliabilityReport{}, err
	}
	loadCtx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()
	var (
		mu      sync.Mutex
		samples []sample
		wg      sync.WaitGroup
		killed  time.Time
	)
	if cfg.During != nil {
		wg.Go(func() {
			select {
			case <-loadCtx.Done():
			case <-time.After(cfg.DuringAfter):
				at := cfg.During()
				mu.Lock()
				killed = at
				mu.Unlock()
			}
		})
	}
	for w, c := range cfg.Clients {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(w), 7))
			for i := 0; loadCtx.Err() == nil; i++ {
				query, vars := loadReads[(w+i)%len(loadReads)], map[string]any(nil)
				write := c.Writes && r.Float64() < cfg.WriteShare
				if write {
					ref := fmt.Sprintf("load-%s-%d-%d", cfg.RunID, w, i)
					query, vars = loadWrite, map[string]any{"ref": ref, "name": "Load test " + ref + " (fictional)"}
				}
				s := sendLoadRequest(loadCtx, client, cfg.GraphQLURL, c.Token, query, vars, write)
				if loadCtx.Err() != nil && s.code == "client timeout" {
					return // cut by the end of the load, not an answer
				}
				mu.Lock()
				samples = append(samples, s)
				mu.Unlock()
				if s.code == "connection error" || s.code == "UNAVAILABLE" {
					time.Sleep(100 * time.Millisecond) // as a client honouring Retry-After would, a little sooner
				}
			}
		})
	}
	wg.Wait()
	report := summarise(samples, killed)
	if err := ready(); err != nil {
		return report, err
	}
	lost, err := lostWrites(ctx, driver, database, samples)
	if err != nil {
		return report, fmt.Errorf("checking the acknowledged writes: %w", err)
	}
	report.Lost = lost
	return report, nil
}

// warmUpTries bounds the attempts at each warm-up request.
const warmUpTries = 10

// warmUp asks every read as each persona, one at a time, until it is answered, before the clock
// starts: the first run of a statement is planned by Neo4j, which on a busy machine can take
// longer than the request timeout, and is not what the load is about.
func warmUp(ctx context.Context, client *http.Client, cfg ReliabilityConfig) error {
	seen := map[string]bool{}
	for _, c := range cfg.Clients {
		if seen[c.Persona] {
			continue
		}
		seen[c.Persona] = true
		for _, query := range loadReads {
			code := ""
			for range warmUpTries {
				if code = sendLoadRequest(ctx, client, cfg.GraphQLURL, c.Token, query, nil, false).code; code == "" {
					break
				}
			}
			if code != "" {
				return fmt.Errorf("warm-up as %s: %s after %d tries", c.Persona, code, warmUpTries)
			}
		}
	}
	return nil
}

func sendLoadRequest(ctx context.Context, client *http.Client, url, token, query string, vars map[string]any, write bool) sample {
	s := sample{start: time.Now()}
	defer func() { s.end = time.Now() }()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		s.code = "client error"
		return s
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	if err != nil {
		if ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "Client.Timeout") {
			s.code = "client timeout"
		} else {
			s.code = "connection error"
		}
		s.end = time.Now()
		return s
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	s.end = time.Now()
	if err != nil {
		s.code = "connection error"
		return s
	}
	var out struct {
		Data struct {
			UpsertBusiness *struct{ ID string } `json:"upsertBusiness"`
		} `json:"data"`
		Errors []struct {
			Extensions struct{ Code string } `json:"extensions"`
		} `json:"errors"`
	}
	_ = json.Unmarshal(raw, &out)
	switch {
	case len(out.Errors) > 0 && out.Errors[0].Extensions.Code != "":
		s.code = out.Errors[0].Extensions.Code
	case resp.StatusCode != http.StatusOK || len(out.Errors) > 0:
		s.code = fmt.Sprintf("HTTP %d", resp.StatusCode)
	case write && (out.Data.UpsertBusiness == nil || out.Data.UpsertBusiness.ID == ""):
		s.code = "write without id"
	case write:
		s.writeID = out.Data.UpsertBusiness.ID
	}
	return s
}

func summarise(samples []sample, killed time.Time) ReliabilityReport {
	report := ReliabilityReport{Errors: map[string]int{}, Killed: killed, Sent: len(samples)}
	latencies := make([]time.Duration, 0, len(samples))
	slices.SortFunc(samples, func(a, b sample) int { return a.end.Compare(b.end) })
	outageOver := false
	for _, s := range samples {
		took := s.end.Sub(s.start)
		latencies = append(latencies, took)
		if s.code == "" {
			report.Answered++
		} else {
			report.Errors[s.code]++
		}
		if s.writeID != "" {
			report.Acknowledged++
		}
		if killed.IsZero() || s.end.Before(killed) {
			continue
		}
		switch {
		case s.code == "" && s.start.After(killed) && !outageOver:
			report.Recovered, outageOver = s.end, true
		case s.code == "UNAVAILABLE":
			report.UnavailableAfterKill++
			report.RefusedSlowest = max(report.RefusedSlowest, took)
			if took <= time.Second {
				report.RefusedWithin1s++
			}
		}
		if !outageOver {
			report.SlowestAnswerDuringIt = max(report.SlowestAnswerDuringIt, took)
		}
	}
	slices.Sort(latencies)
	report.P50, report.P95, report.P99 = percentile(latencies, 50), percentile(latencies, 95), percentile(latencies, 99)
	return report
}

// lostWrites counts the acknowledged writes whose node is not in the database.
func lostWrites(ctx context.Context, driver neo4j.DriverWithContext, database string, samples []sample) (int, error) {
	var ids []string
	for _, s := range samples {
		if s.writeID != "" {
			ids = append(ids, s.writeID)
		}
	}
	if len(ids) == 0 {
		return 0, nil
	}
	res, err := neo4j.ExecuteQuery(ctx, driver, `MATCH (b:`+tg.LabelBusiness+`) WHERE b.id IN $ids RETURN count(DISTINCT b.id) AS found`,
		map[string]any{"ids": ids}, neo4j.EagerResultTransformer, neo4j.ExecuteQueryWithDatabase(database))
	if err != nil {
		return 0, err
	}
	found, _ := res.Records[0].Get("found")
	return len(ids) - int(found.(int64)), nil
}

// ReliabilityMarkdown prints a report.
func ReliabilityMarkdown(r ReliabilityReport) string {
	var b strings.Builder
	fmt.Fprintf(&b, "| sent | answered | p50 | p95 | p99 | acknowledged writes | lost |\n|---|---|---|---|---|---|---|\n")
	fmt.Fprintf(&b, "| %d | %d (%.1f%%) | %.1f ms | %.1f ms | %.1f ms | %d | %d |\n\n", r.Sent, r.Answered,
		100*float64(r.Answered)/float64(max(r.Sent, 1)), ms(r.P50), ms(r.P95), ms(r.P99), r.Acknowledged, r.Lost)
	codes := make([]string, 0, len(r.Errors))
	for code := range r.Errors {
		codes = append(codes, code)
	}
	slices.Sort(codes)
	fmt.Fprintf(&b, "Errors by code:")
	if len(codes) == 0 {
		fmt.Fprintf(&b, " none")
	}
	for _, code := range codes {
		fmt.Fprintf(&b, " %s %d;", code, r.Errors[code])
	}
	fmt.Fprintln(&b)
	if !r.Killed.IsZero() {
		fmt.Fprintf(&b, "\nAfter the kill: %d answers UNAVAILABLE, %d of them within 1 s, the slowest in %.0f ms; slowest answer of any kind until recovery %.0f ms. ",
			r.UnavailableAfterKill, r.RefusedWithin1s, ms(r.RefusedSlowest), ms(r.SlowestAnswerDuringIt))
		if r.Recovered.IsZero() {
			fmt.Fprintf(&b, "Not recovered before the load ended.\n")
		} else {
			fmt.Fprintf(&b, "Time to recovery (kill to the first answer without error): %.1f s.\n", r.TimeToRecovery().Seconds())
		}
	}
	return b.String()
}
