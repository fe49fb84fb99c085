package ctdc_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/traffikgraph/traffikgraph/store/migrations"
	"github.com/traffikgraph/traffikgraph/store/storetest"
)

// banner is the first header cell of a CTDC export.
const banner = "By using this data you agree to the Terms of Use: https://www.ctdatacollaborative.org/terms-use"

// columns are the 63 named columns of the CTDC global k-anonymised dataset, in its order.
var columns = []string{
	"yearOfRegistration", "Datasource", "gender", "ageBroad",
	"majorityStatus", "majorityStatusAtExploit", "majorityEntry", "citizenship",
	"meansOfControlDebtBondage", "meansOfControlTakesEarnings", "meansOfControlRestrictsFinancialAccess", "meansOfControlThreats",
	"meansOfControlPsychologicalAbuse", "meansOfControlPhysicalAbuse", "meansOfControlSexualAbuse", "meansOfControlFalsePromises",
	"meansOfControlPsychoactiveSubstances", "meansOfControlRestrictsMovement", "meansOfControlRestrictsMedicalCare", "meansOfControlExcessiveWorkingHours",
	"meansOfControlUsesChildren", "meansOfControlThreatOfLawEnforcement", "meansOfControlWithholdsNecessities", "meansOfControlWithholdsDocuments",
	"meansOfControlOther", "meansOfControlNotSpecified", "meansOfControlConcatenated", "isForcedLabour",
	"isSexualExploit", "isOtherExploit", "isSexAndLabour", "isForcedMarriage",
	"isForcedMilitary", "isOrganRemoval", "isSlaveryAndPractices", "typeOfExploitConcatenated",
	"typeOfLabourAgriculture", "typeOfLabourAquafarming", "typeOfLabourBegging", "typeOfLabourConstruction",
	"typeOfLabourDomesticWork", "typeOfLabourHospitality", "typeOfLabourIllicitActivities", "typeOfLabourManufacturing",
	"typeOfLabourMiningOrDrilling", "typeOfLabourPeddling", "typeOfLabourTransportation", "typeOfLabourOther",
	"typeOfLabourNotSpecified", "typeOfLabourConcatenated", "typeOfSexProstitution", "typeOfSexPornography",
	"typeOfSexRemoteInteractiveServices", "typeOfSexPrivateSexualServices", "typeOfSexConcatenated", "isAbduction",
	"RecruiterRelationship", "CountryOfExploitation", "recruiterRelationIntimatePartner", "recruiterRelationFriend",
	"recruiterRelationFamily", "recruiterRelationOther", "recruiterRelationUnknown",
}

// header is the CTDC header line, CRLF included.
func header() string {
	return banner + ";" + strings.Join(columns, ";") + "\r\n"
}

// record renders one CRLF record: the empty banner field, then cells by column name (raw, so a
// test can write quotes itself); columns not named are empty.
func record(cells map[string]string) string {
	fields := make([]string, len(columns))
	for i, name := range columns {
		fields[i] = cells[name]
	}
	return ";" + strings.Join(fields, ";") + "\r\n"
}

// samplePath is the real CTDC sample, which lives beside the repository (../shared/data/ctdc
// from its root), never inside it: the data is not ours to redistribute.
func samplePath(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	require.NoError(tb, err)
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		require.NotEqual(tb, dir, parent, "no go.mod above the test's directory")
		dir = parent
	}
	path := filepath.Join(dir, "..", "shared", "data", "ctdc", "ctdc-global-k-anon-sample.csv")
	require.FileExists(tb, path, "the CTDC sample must be checked out beside the repository as ../shared/data/ctdc (see /work/shared/data/ctdc/README.md)")
	return path
}

// mustConnect connects to the test Neo4j and applies the schema the tests rely on.
func mustConnect(tb testing.TB) (neo4j.DriverWithContext, string) {
	tb.Helper()
	s := storetest.Open(tb)
	require.NoError(tb, migrations.Apply(tb.Context(), s.Driver(), s.Database()))
	return s.Driver(), s.Database()
}

// removePartnerData deletes, after the test, every node the partner contributed and the
// relationships attached to them: the test's slice of the shared database.
func removePartnerData(tb testing.TB, driver neo4j.DriverWithContext, database, partner string) {
	tb.Helper()
	tb.Cleanup(func() {
		_, err := neo4j.ExecuteQuery(context.Background(), driver, `
MATCH (n:Entity {sourcePartner: $partner})
DETACH DELETE n`, map[string]any{"partner": partner}, neo4j.EagerResultTransformer,
			neo4j.ExecuteQueryWithDatabase(database))
		assert.NoError(tb, err)
	})
}

func query(tb testing.TB, driver neo4j.DriverWithContext, database, cypher string, params map[string]any) []*neo4j.Record {
	tb.Helper()
	res, err := neo4j.ExecuteQuery(tb.Context(), driver, cypher, params, neo4j.EagerResultTransformer,
		neo4j.ExecuteQueryWithDatabase(database))
	require.NoError(tb, err)
	return res.Records
}

func value[T neo4j.RecordValue](tb testing.TB, rec *neo4j.Record, key string) T {
	tb.Helper()
	v, _, err := neo4j.GetRecordValue[T](rec, key)
	require.NoError(tb, err)
	return v
}

// countsBy turns records of (key, n) into a map.
func countsBy(tb testing.TB, records []*neo4j.Record) map[string]int {
	tb.Helper()
	out := map[string]int{}
	for _, rec := range records {
		out[value[string](tb, rec, "key")] = int(value[int64](tb, rec, "n"))
	}
	return out
}
