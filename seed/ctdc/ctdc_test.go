package ctdc_test

import (
	"encoding/csv"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/traffikgraph/traffikgraph/seed/ctdc"
)

// testPartner is a partner id of this test run alone, so that its data is its own slice of
// the shared database.
func testPartner(t *testing.T) string {
	t.Helper()
	return "test-ctdc-" + uuid.NewString()[:8]
}

// sampleExpectations counts, straight from the CSV, what importing the sample must produce.
type sampleExpectations struct {
	records          int
	byCountry        map[string]int
	sexual, labour   int
	female, male     int
	withNationality  int
	withCountryCount int
}

func expectationsOf(t *testing.T, path string) sampleExpectations {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	r := csv.NewReader(f)
	r.Comma = ';'
	rows, err := r.ReadAll()
	require.NoError(t, err)
	col := map[string]int{}
	for i, name := range rows[0] {
		col[name] = i
	}
	e := sampleExpectations{byCountry: map[string]int{}}
	for _, row := range rows[1:] {
		e.records++
		if c := row[col["CountryOfExploitation"]]; c != "" && c != "-99" {
			e.byCountry[c]++
			e.withCountryCount++
		}
		combined := row[col["isSexAndLabour"]] == "1"
		if row[col["isSexualExploit"]] == "1" || combined {
			e.sexual++
		}
		if row[col["isForcedLabour"]] == "1" || combined {
			e.labour++
		}
		switch row[col["gender"]] {
		case "Female":
			e.female++
		case "Male":
			e.male++
		}
		if c := row[col["citizenship"]]; len(c) == 2 {
			e.withNationality++
		}
	}
	return e
}

func TestImportSample(t *testing.T) {
	path := samplePath(t)
	want := expectationsOf(t, path)
	require.Equal(t, 1343, want.records, "the sample holds 1,343 records")
	driver, database := mustConnect(t)
	partner := testPartner(t)
	removePartnerData(t, driver, database, partner)
	opts := ctdc.Options{Partner: partner, BatchSize: 500}

	importFile := func(t *testing.T) ctdc.Stats {
		t.Helper()
		f, err := os.Open(path)
		require.NoError(t, err)
		defer f.Close()
		stats, err := ctdc.Import(t.Context(), driver, database, f, opts)
		require.NoError(t, err)
		return stats
	}
	p := map[string]any{"partner": partner}
	codes := make([]string, 0, len(want.byCountry))
	for code := range want.byCountry {
		codes = append(codes, code)
	}
	present := value[int64](t, query(t, driver, database, `
MATCH (l:Location {kind: 'COUNTRY'})
WHERE l.countryCode IN $codes AND l.tlp = 'CLEAR'
RETURN count(DISTINCT l.countryCode) AS n`, map[string]any{"codes": codes})[0], "n")
	first := importFile(t)

	t.Run("CreatesOnlyTheMissingCountries", func(t *testing.T) {
		assert.Equal(t, len(codes)-int(present), first.Countries)
		created := query(t, driver, database, `
MATCH (l:Location {sourcePartner: $partner})
RETURN l.countryCode AS code, l.name AS name, l.kind AS kind, l.tlp AS tlp, labels(l) AS labels`, p)
		assert.Len(t, created, first.Countries)
		for _, rec := range created {
			assert.Contains(t, codes, value[string](t, rec, "code"))
			assert.NotEmpty(t, value[string](t, rec, "name"))
			assert.Equal(t, "COUNTRY", value[string](t, rec, "kind"))
			assert.Equal(t, "CLEAR", value[string](t, rec, "tlp"), "everyone who sees an incident can see its country")
			assert.ElementsMatch(t, []any{"Entity", "Location"}, value[[]any](t, rec, "labels"))
		}
	})

	t.Run("CreatesAnIncidentAndAVictimPerRecord", func(t *testing.T) {
		assert.Equal(t, want.records, first.Records)
		assert.Equal(t, want.records, first.Incidents)
		assert.Equal(t, want.records, first.Victims)
		assert.Zero(t, first.AlreadyImported)
		assert.Empty(t, first.Rejected)
		assert.Equal(t, want.records+want.withCountryCount, first.Relationships)

		rec := query(t, driver, database, `
MATCH (v:Person {sourcePartner: $partner})-[r:INVOLVED_IN]->(i:Incident {sourcePartner: $partner})
RETURN count(DISTINCT i) AS incidents, count(DISTINCT v) AS victims, collect(DISTINCT r.role) AS roles,
  count(v.name) AS named, count(v.birthYear) AS withBirthYear,
  sum(CASE WHEN v.gender = 'FEMALE' THEN 1 ELSE 0 END) AS female,
  sum(CASE WHEN v.gender = 'MALE' THEN 1 ELSE 0 END) AS male,
  count(v.nationality) AS withNationality, collect(DISTINCT i.victimCount) AS victimCounts`, p)[0]
		assert.EqualValues(t, want.records, value[int64](t, rec, "incidents"))
		assert.EqualValues(t, want.records, value[int64](t, rec, "victims"))
		assert.Equal(t, []any{"VICTIM"}, value[[]any](t, rec, "roles"))
		assert.Zero(t, value[int64](t, rec, "named"), "k-anonymised victims have no name")
		assert.Zero(t, value[int64](t, rec, "withBirthYear"))
		assert.EqualValues(t, want.female, value[int64](t, rec, "female"))
		assert.EqualValues(t, want.male, value[int64](t, rec, "male"))
		assert.EqualValues(t, want.withNationality, value[int64](t, rec, "withNationality"))
		assert.Equal(t, []any{int64(1)}, value[[]any](t, rec, "victimCounts"))
	})

	t.Run("IncidentsPerCountryOfExploitation", func(t *testing.T) {
		got := countsBy(t, query(t, driver, database, `
MATCH (i:Incident {sourcePartner: $partner})-[:OCCURRED_AT]->(l:Location {kind: 'COUNTRY'})
RETURN l.countryCode AS key, count(*) AS n`, p))
		assert.Equal(t, want.byCountry, got)
	})

	t.Run("IncidentsPerExploitationType", func(t *testing.T) {
		got := countsBy(t, query(t, driver, database, `
MATCH (i:Incident {sourcePartner: $partner})
UNWIND i.exploitationTypes AS key
RETURN key, count(*) AS n`, p))
		assert.Equal(t, want.sexual, got["SEXUAL_EXPLOITATION"])
		assert.Equal(t, want.labour, got["FORCED_LABOUR"])
		for typ := range got {
			assert.Contains(t, []string{"SEXUAL_EXPLOITATION", "FORCED_LABOUR", "FORCED_CRIMINALITY", "FORCED_MARRIAGE",
				"DOMESTIC_SERVITUDE", "ORGAN_REMOVAL", "CHILD_SOLDIERING", "BEGGING", "OTHER"}, typ)
		}
	})

	t.Run("IncidentsCarryTitleDateAndProvenance", func(t *testing.T) {
		rec := query(t, driver, database, `
MATCH (i:Incident {sourcePartner: $partner})
WHERE i.title = 'CTDC case 2016 US'
RETURN i.occurredFrom AS occurredFrom, i.tlp AS tlp, i.sharedWith AS sharedWith, i.externalRefs AS refs,
  i.createdAt IS NOT NULL AND i.updatedAt IS NOT NULL AS stamped, i:Entity AS entity
LIMIT 1`, p)
		require.Len(t, rec, 1)
		assert.Equal(t, neo4j.DateOf(time.Date(2016, time.January, 1, 0, 0, 0, 0, time.UTC)), value[neo4j.Date](t, rec[0], "occurredFrom"))
		assert.Equal(t, "GREEN", value[string](t, rec[0], "tlp"), "GREEN is the default marking")
		assert.Empty(t, value[[]any](t, rec[0], "sharedWith"))
		refs := value[[]any](t, rec[0], "refs")
		require.Len(t, refs, 1)
		assert.Regexp(t, "^"+partner+`:ctdc/\d+/[0-9a-f]{16}$`, refs[0])
		assert.True(t, value[bool](t, rec[0], "stamped"))
		assert.True(t, value[bool](t, rec[0], "entity"))
	})

	t.Run("RelationshipsCarryTheMarking", func(t *testing.T) {
		rec := query(t, driver, database, `
MATCH (i:Incident {sourcePartner: $partner})-[r]-()
RETURN count(r) AS total, sum(CASE WHEN r.sourcePartner = $partner AND r.tlp = 'GREEN' AND r.createdAt IS NOT NULL
  THEN 1 ELSE 0 END) AS marked`, p)[0]
		assert.Equal(t, value[int64](t, rec, "total"), value[int64](t, rec, "marked"))
	})

	t.Run("SecondImportCreatesNothing", func(t *testing.T) {
		before := query(t, driver, database, `
MATCH (n:Entity {sourcePartner: $partner})
OPTIONAL MATCH (n)-[r]-()
RETURN count(DISTINCT n) AS nodes, count(DISTINCT r) AS rels`, p)[0]
		again := importFile(t)
		assert.Equal(t, want.records, again.AlreadyImported)
		assert.Zero(t, again.Incidents)
		assert.Zero(t, again.Victims)
		assert.Zero(t, again.Countries)
		assert.Zero(t, again.Relationships)
		after := query(t, driver, database, `
MATCH (n:Entity {sourcePartner: $partner})
OPTIONAL MATCH (n)-[r]-()
RETURN count(DISTINCT n) AS nodes, count(DISTINCT r) AS rels`, p)[0]
		assert.Equal(t, before.Values, after.Values)
	})
}

func TestImportRejectsMalformedRecords(t *testing.T) {
	driver, database := mustConnect(t)
	partner := testPartner(t)
	removePartnerData(t, driver, database, partner)
	input := header() +
		record(map[string]string{"yearOfRegistration": "2019", "CountryOfExploitation": "PL", "isForcedLabour": "1"}) +
		record(map[string]string{"yearOfRegistration": "2019", "ageBroad": "100+"}) +
		";2019;Hotline\r\n" +
		record(map[string]string{"yearOfRegistration": "2020", "gender": "Male"})

	stats, err := ctdc.Import(t.Context(), driver, database, strings.NewReader(input),
		ctdc.Options{Partner: partner, TLP: "RED", SharedWith: []string{"ngo-safehaven"}})
	require.NoError(t, err)

	t.Run("ReportedWithTheirLines", func(t *testing.T) {
		assert.Equal(t, 4, stats.Records)
		require.Len(t, stats.Rejected, 2)
		assert.Equal(t, `line 3: ageBroad: unknown age band "100+"`, stats.Rejected[0].Error())
		assert.Equal(t, "line 4: 3 fields, the header has 64", stats.Rejected[1].Error())
	})
	t.Run("OnlyTheGoodRecordsAreWritten", func(t *testing.T) {
		assert.Equal(t, 2, stats.Incidents)
		got := query(t, driver, database, `
MATCH (i:Incident {sourcePartner: $partner})
RETURN i.title AS title ORDER BY title`, map[string]any{"partner": partner})
		require.Len(t, got, 2)
		assert.Equal(t, "CTDC case 2019 PL", value[string](t, got[0], "title"))
		assert.Equal(t, "CTDC case 2020", value[string](t, got[1], "title"))
	})
	t.Run("MarkedAsAsked", func(t *testing.T) {
		rec := query(t, driver, database, `
MATCH (n:Entity {sourcePartner: $partner})
WHERE n:Incident OR n:Person
RETURN collect(DISTINCT n.tlp) AS tlps, collect(DISTINCT n.sharedWith) AS shared`, map[string]any{"partner": partner})[0]
		assert.Equal(t, []any{"RED"}, value[[]any](t, rec, "tlps"))
		assert.Equal(t, []any{[]any{"ngo-safehaven"}}, value[[]any](t, rec, "shared"))
	})
}

func TestImportCountries(t *testing.T) {
	driver, database := mustConnect(t)
	partner := testPartner(t)
	removePartnerData(t, driver, database, partner)
	// Antarctica: a code the demo world and the sample leave alone. An old CLEAR country of
	// it is made sure to exist; the importer must link to the oldest CLEAR one there is.
	query(t, driver, database, `
CREATE (:Entity:Location {id: $id, name: 'Antarctica (test)', kind: 'COUNTRY', countryCode: 'AQ',
  sourcePartner: $partner, tlp: 'CLEAR', sharedWith: [], externalRefs: [],
  createdAt: datetime('2000-01-01T00:00:00Z'), updatedAt: datetime('2000-01-01T00:00:00Z')})`,
		map[string]any{"id": uuid.NewString(), "partner": partner})
	oldest := value[string](t, query(t, driver, database, `
MATCH (l:Location {kind: 'COUNTRY', countryCode: 'AQ'})
WHERE l.tlp = 'CLEAR'
RETURN l.id AS id ORDER BY l.createdAt, l.id LIMIT 1`, nil)[0], "id")

	stats, err := ctdc.Import(t.Context(), driver, database, strings.NewReader(header()+
		record(map[string]string{"CountryOfExploitation": "AQ"})+
		record(map[string]string{"CountryOfExploitation": "AQ"})), ctdc.Options{Partner: partner})
	require.NoError(t, err)

	t.Run("ReusesTheExistingCountry", func(t *testing.T) {
		assert.Zero(t, stats.Countries)
		got := query(t, driver, database, `
MATCH (:Incident {sourcePartner: $partner})-[:OCCURRED_AT]->(l:Location)
RETURN collect(DISTINCT l.id) AS ids, count(*) AS n`, map[string]any{"partner": partner})[0]
		assert.Equal(t, []any{oldest}, value[[]any](t, got, "ids"))
		assert.EqualValues(t, 2, value[int64](t, got, "n"))
	})
}

func TestImportOptions(t *testing.T) {
	driver, database := mustConnect(t)
	tests := []struct {
		name string
		opts ctdc.Options
		want string
	}{
		{"UnknownTLP", ctdc.Options{TLP: "PURPLE"}, `tlp "PURPLE" is not one of`},
		{"SharedWithNeedsRED", ctdc.Options{TLP: "AMBER", SharedWith: []string{"x"}}, "shared-with applies to RED data only"},
		{"NegativeBatchSize", ctdc.Options{BatchSize: -1}, "batch size -1 must be positive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ctdc.Import(t.Context(), driver, database, strings.NewReader(header()), tt.opts)
			assert.ErrorContains(t, err, tt.want)
		})
	}
	t.Run("NotACTDCExport", func(t *testing.T) {
		_, err := ctdc.Import(t.Context(), driver, database, strings.NewReader("name;age\r\nx;1\r\n"), ctdc.Options{})
		assert.ErrorContains(t, err, "not a CTDC global dataset export")
	})
}
