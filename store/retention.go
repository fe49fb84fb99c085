package store

import (
	"context"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	tg "github.com/traffikgraph/traffikgraph"
	"github.com/traffikgraph/traffikgraph/auth"
)

// Period is how long a fact is kept, in calendar years, months and days; the zero Period keeps
// it for ever. It is a flag.Value: "12mo", "6y", "90d", "1y6mo", or "0" for ever.
type Period struct{ Years, Months, Days int }

var periodPattern = regexp.MustCompile(`^(?:(\d+)y)?(?:(\d+)mo)?(?:(\d+)d)?$`)

// ParsePeriod reads a Period as Period.String writes it.
func ParsePeriod(s string) (Period, error) {
	if s == "0" {
		return Period{}, nil
	}
	m := periodPattern.FindStringSubmatch(s)
	if m == nil || s == "" {
		return Period{}, fmt.Errorf("a retention period is years, months and days such as 6y, 12mo, 90d or 1y6mo (0 keeps for ever), not %q", s)
	}
	var parts [3]int
	for i, raw := range m[1:] {
		if raw != "" {
			n, err := strconv.Atoi(raw)
			if err != nil {
				return Period{}, fmt.Errorf("retention period %q: %w", s, err)
			}
			parts[i] = n
		}
	}
	return Period{Years: parts[0], Months: parts[1], Days: parts[2]}, nil
}

func (p Period) String() string {
	if p == (Period{}) {
		return "0"
	}
	s := ""
	for _, part := range []struct {
		n    int
		unit string
	}{{p.Years, "y"}, {p.Months, "mo"}, {p.Days, "d"}} {
		if part.n != 0 {
			s += strconv.Itoa(part.n) + part.unit
		}
	}
	return s
}

// Set implements flag.Value.
func (p *Period) Set(s string) error {
	parsed, err := ParsePeriod(s)
	if err == nil {
		*p = parsed
	}
	return err
}

// MarkedPeriod is how long facts are kept by their marking: Marked[tlp] for facts of that TLP,
// Period for every other. It is a flag.Value: "3mo", or "3mo,RED=1mo,CLEAR=1y".
type MarkedPeriod struct {
	Period
	Marked map[string]Period
}

// Set implements flag.Value.
func (m *MarkedPeriod) Set(s string) error {
	parts := strings.Split(s, ",")
	out := MarkedPeriod{Marked: map[string]Period{}}
	if err := out.Period.Set(parts[0]); err != nil {
		return err
	}
	for _, part := range parts[1:] {
		tlp, period, ok := strings.Cut(part, "=")
		if !ok || !slices.Contains(tg.Enums["Tlp"], tlp) {
			return fmt.Errorf("a retention period by marking is TLP=period, a TLP one of %s, not %q", strings.Join(tg.Enums["Tlp"], ", "), part)
		}
		p, err := ParsePeriod(period)
		if err != nil {
			return err
		}
		out.Marked[tlp] = p
	}
	*m = out
	return nil
}

func (m MarkedPeriod) String() string {
	s := m.Period.String()
	for _, tlp := range slices.Sorted(maps.Keys(m.Marked)) {
		s += "," + tlp + "=" + m.Marked[tlp].String()
	}
	return s
}

// RetentionPolicy says how long each kind of fact retention removes is kept, reports also by
// their marking; everything else (entities, links, the history of what exists) is kept.
type RetentionPolicy struct {
	// UnlinkedAnonymousReports: public submissions that no one linked to an incident, a location
	// or an entity (no EVIDENCES, ABOUT or MENTIONS), from submittedAt (createdAt without it).
	UnlinkedAnonymousReports MarkedPeriod
	// DismissedReports: reports of status DISMISSED, from their last change (updatedAt: the
	// dismissal or later), never from their submission, so a report dismissed today stays its
	// whole period.
	DismissedReports MarkedPeriod
	// AuditEvents: the audit trail, from each event's at (events carry no marking).
	AuditEvents Period
}

// DefaultRetention is the policy a DPO starts from (docs/stewardship.md).
func DefaultRetention() RetentionPolicy {
	return RetentionPolicy{
		UnlinkedAnonymousReports: MarkedPeriod{Period: Period{Months: 12}},
		DismissedReports:         MarkedPeriod{Period: Period{Months: 3}},
		AuditEvents:              Period{Years: 6},
	}
}

// RetentionRule is one rule's part of a retention run: for facts of one marking, or (Marking
// "") of every marking the rule keeps no other period for.
type RetentionRule struct {
	Name    string
	Marking string
	Period  Period
	// Cutoff is the instant before which facts are due (zero when the period keeps for ever).
	Cutoff time.Time
	// Due is how many facts were due when the run started; Removed how many it removed.
	Due, Removed int
}

// Title is the rule's name, with its marking when it has one: "dismissedReports RED".
func (r RetentionRule) Title() string {
	if r.Marking == "" {
		return r.Name
	}
	return r.Name + " " + r.Marking
}

type retentionRule struct {
	name   string
	period func(RetentionPolicy) MarkedPeriod
	// match binds n to the facts due before $cutoff (of marking $tlp, or, when it is null, of
	// none in $otherTlps).
	match string
	// report says the facts are reports: their versions go with them and a DELETED version
	// records each removal.
	report bool
}

var retentionRules = []retentionRule{
	{
		name:   "unlinkedAnonymousReports",
		period: func(p RetentionPolicy) MarkedPeriod { return p.UnlinkedAnonymousReports },
		match: `MATCH (n:` + tg.LabelReport + `) WHERE n.publicSubmission = true` + byMarking + `
      AND coalesce(n.submittedAt, n.createdAt) < $cutoff
      AND NOT EXISTS { (n)-[:` + tg.RelEvidences + `|` + tg.RelMentions + `|` + tg.RelAbout + `]-() }`,
		report: true,
	},
	{
		name:   "dismissedReports",
		period: func(p RetentionPolicy) MarkedPeriod { return p.DismissedReports },
		match: `MATCH (n:` + tg.LabelReport + `) WHERE n.status = 'DISMISSED'` + byMarking + `
      AND coalesce(n.updatedAt, n.createdAt) < $cutoff`,
		report: true,
	},
	{
		name:   "auditEvents",
		period: func(p RetentionPolicy) MarkedPeriod { return MarkedPeriod{Period: p.AuditEvents} },
		match:  `MATCH (n:` + tg.LabelAuditEvent + `) WHERE n.at < $cutoff`,
	},
}

// byMarking narrows a rule's facts to marking $tlp, or, when it is null, to the markings not in
// $otherTlps (those the policy keeps their own period for).
const byMarking = `
      AND CASE WHEN $tlp IS NULL THEN NOT n.tlp IN $otherTlps ELSE n.tlp = $tlp END`

// deleteDueReports removes a batch of due reports with their relationships and their history
// (whose versions hold the reports' text), returning what the DELETED and UNLINKED versions
// recording the removal need.
const deleteDueReports = `
WITH n LIMIT $batch
OPTIONAL MATCH (n)-[r]-()
WITH n, [x IN collect(r) | {type: type(x), from: startNode(x).id, to: endNode(x).id, props: properties(x)}] AS removed
CALL { WITH n MATCH (v:` + tg.LabelVersion + ` {entityId: n.id}) WHERE v.at IS NOT NULL DETACH DELETE v }
WITH n, properties(n) AS node, removed
DETACH DELETE n
RETURN node, removed`

const deleteDueFacts = `
WITH n LIMIT $batch
DETACH DELETE n
RETURN count(*) AS removed`

// retentionReason is the reason of every version retention records.
const retentionReason = "retention"

// Retention finds, per rule of policy, the facts due at now; with apply it removes them, batch
// at a time, each batch one transaction with the versions that record it, and records the run in
// the audit trail. A second run at the same now removes nothing. Reports feed no aggregate
// (incident counts, hotspots and flows are of incidents and places), so every rule deletes and
// none needs to anonymise. The run acts as the hub: the triage partner, subject "retention".
func (s *Store) Retention(ctx context.Context, policy RetentionPolicy, now time.Time, apply bool, batch int) ([]RetentionRule, error) {
	if batch < 1 {
		return nil, tg.InvalidField("batch", "must be positive")
	}
	ctx = auth.WithCaller(ctx, auth.Caller{Issuer: "traffikgraph", Subject: retentionReason, PartnerID: s.cfg.TriagePartner})
	var out []RetentionRule
	var removedIDs []string
	var runErr error
	for _, rule := range retentionRules {
		periods := rule.period(policy)
		others := slices.Sorted(maps.Keys(periods.Marked))
		for _, marking := range append(slices.Clone(others), "") {
			r := RetentionRule{Name: rule.name, Marking: marking, Period: periods.Period}
			if marking != "" {
				r.Period = periods.Marked[marking]
			}
			if r.Period == (Period{}) {
				out = append(out, r)
				continue
			}
			r.Cutoff = now.UTC().AddDate(-r.Period.Years, -r.Period.Months, -r.Period.Days)
			params := map[string]any{"cutoff": r.Cutoff, "batch": batch, "tlp": nil, "otherTlps": others}
			if marking != "" {
				params["tlp"] = marking
			}
			records, err := readTx(ctx, s, func(tx statementRunner) ([]*neo4j.Record, error) {
				return s.run(ctx, tx, rule.match+"\nRETURN count(n) AS due", params)
			})
			if err != nil {
				return nil, fmt.Errorf("retention %s: %w", rule.name, err)
			}
			due, _ := records[0].Get("due")
			r.Due = int(due.(int64))
			for apply && runErr == nil {
				ids, n, err := s.removeDueBatch(ctx, rule, params)
				if err != nil {
					runErr = fmt.Errorf("retention %s: %w", rule.name, err)
				}
				r.Removed += n
				removedIDs = append(removedIDs, ids...)
				if n == 0 {
					break
				}
			}
			out = append(out, r)
			if runErr != nil {
				break
			}
		}
		if runErr != nil {
			break
		}
	}
	if !apply {
		return out, nil
	}
	caller := auth.CallerFrom(ctx)
	record := &AuditEvent{
		Issuer: &caller.Issuer, Subject: &caller.Subject, Partner: &caller.PartnerID,
		OperationType: "mutation", RootFields: []string{retentionReason}, EntityIDs: removedIDs, Complete: runErr == nil,
	}
	if err := s.RecordAudit(context.WithoutCancel(ctx), record); err != nil {
		return out, fmt.Errorf("retention: %w", err)
	}
	return out, runErr
}

// removeDueBatch removes one batch of a rule's due facts in one transaction, returning the ids of
// the reports it removed and how many facts.
func (s *Store) removeDueBatch(ctx context.Context, rule retentionRule, params map[string]any) ([]string, int, error) {
	type removal struct {
		ids []string
		n   int
	}
	res, err := writeTx(ctx, s, func(tx neo4j.ManagedTransaction) (removal, error) {
		if !rule.report {
			records, err := s.run(ctx, tx, rule.match+deleteDueFacts, params)
			if err != nil {
				return removal{}, err
			}
			n, _ := records[0].Get("removed")
			return removal{n: int(n.(int64))}, nil
		}
		records, err := s.run(ctx, tx, rule.match+deleteDueReports, params)
		if err != nil {
			return removal{}, err
		}
		reason := retentionReason
		var out removal
		var versions []Version
		for _, rec := range records {
			raw, _ := rec.Get("node")
			node := raw.(map[string]any)
			id, _ := node["id"].(string)
			out.ids = append(out.ids, id)
			// No values: the report's text is what retention forgets.
			versions = append(versions, Version{EntityIDs: []string{id}, Label: tg.LabelReport, Change: tg.ChangeDeleted,
				Reason: &reason, Node: node, Marking: markingOf(node)})
			removed, _ := rec.Get("removed")
			for _, link := range removed.([]any) {
				versions = append(versions, unlinkedVersion(link.(map[string]any), &reason))
			}
		}
		out.n = len(out.ids)
		return out, s.recordVersion(ctx, tx, versions...)
	})
	return res.ids, res.n, err
}
