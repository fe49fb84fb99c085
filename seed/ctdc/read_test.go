package ctdc_test

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/traffikgraph/traffikgraph/seed/ctdc"
)

// readAll reads every case and row error of input.
func readAll(t *testing.T, input string) ([]ctdc.Case, []*ctdc.RowError) {
	t.Helper()
	r, err := ctdc.NewReader(strings.NewReader(input))
	require.NoError(t, err)
	var cases []ctdc.Case
	var rejected []*ctdc.RowError
	for {
		c, err := r.Read()
		if errors.Is(err, io.EOF) {
			return cases, rejected
		}
		var rowErr *ctdc.RowError
		if errors.As(err, &rowErr) {
			rejected = append(rejected, rowErr)
			continue
		}
		require.NoError(t, err)
		cases = append(cases, c)
	}
}

func TestReaderMapsRecords(t *testing.T) {
	yes := true
	tests := []struct {
		name  string
		cells map[string]string
		check func(t *testing.T, c ctdc.Case)
	}{
		{
			name: "SexualExploitationOfAYoungWoman",
			cells: map[string]string{"yearOfRegistration": "2002", "Datasource": "Case Management", "gender": "Female",
				"ageBroad": "18--20", "majorityStatus": "Adult", "citizenship": "CO", "isSexualExploit": "1",
				"isForcedLabour": "0", "CountryOfExploitation": "US", "typeOfExploitConcatenated": "Sexual exploitation"},
			check: func(t *testing.T, c ctdc.Case) {
				assert.Equal(t, 2002, c.Year)
				assert.Equal(t, "Case Management", c.Datasource)
				assert.Equal(t, "FEMALE", c.Gender)
				assert.Equal(t, "AGE_18_29", c.AgeBand)
				assert.Equal(t, "Adult", c.MajorityStatus)
				assert.Equal(t, "CO", c.Citizenship)
				assert.Equal(t, "US", c.CountryOfExploitation)
				assert.Equal(t, []string{"SEXUAL_EXPLOITATION"}, c.ExploitationTypes)
				assert.Empty(t, c.MeansOfControl)
				assert.Nil(t, c.Abduction)
			},
		},
		{
			name: "QuotedMultiValueLabelStaysOneField",
			cells: map[string]string{"gender": "Female", "meansOfControlThreats": "1", "meansOfControlPhysicalAbuse": "1",
				"meansOfControlConcatenated": `"Threats;Physical abuse"`, "CountryOfExploitation": "US"},
			check: func(t *testing.T, c ctdc.Case) {
				assert.Equal(t, []string{"THREATS", "PHYSICAL_ABUSE"}, c.MeansOfControl)
				assert.Equal(t, "US", c.CountryOfExploitation, "the columns after the quoted label are in place")
			},
		},
		{
			name: "MinusNinetyNineIsMissing",
			cells: map[string]string{"yearOfRegistration": "-99", "Datasource": "-99", "gender": "-99", "ageBroad": "-99",
				"citizenship": "-99", "CountryOfExploitation": "-99", "isForcedLabour": "-99", "isAbduction": "-99"},
			check: func(t *testing.T, c ctdc.Case) {
				assert.Zero(t, c.Year)
				assert.Empty(t, c.Datasource)
				assert.Equal(t, "UNKNOWN", c.Gender)
				assert.Equal(t, "UNKNOWN", c.AgeBand)
				assert.Empty(t, c.Citizenship)
				assert.Empty(t, c.CountryOfExploitation)
				assert.Empty(t, c.ExploitationTypes)
				assert.Nil(t, c.Abduction)
			},
		},
		{
			name:  "EmptyCellsAreMissing",
			cells: map[string]string{},
			check: func(t *testing.T, c ctdc.Case) {
				assert.Zero(t, c.Year)
				assert.Equal(t, "UNKNOWN", c.Gender)
				assert.Equal(t, "UNKNOWN", c.AgeBand)
				assert.Empty(t, c.ExploitationTypes)
			},
		},
		{
			name:  "CombinedSexAndLabourIsBoth",
			cells: map[string]string{"isSexAndLabour": "1", "isForcedLabour": "1", "isSexualExploit": "1"},
			check: func(t *testing.T, c ctdc.Case) {
				assert.Equal(t, []string{"SEXUAL_EXPLOITATION", "FORCED_LABOUR"}, c.ExploitationTypes)
			},
		},
		{
			name: "LabourSectorsWithATypeOfTheirOwn",
			cells: map[string]string{"isForcedLabour": "1", "typeOfLabourDomesticWork": "1", "typeOfLabourBegging": "1",
				"typeOfLabourIllicitActivities": "1", "typeOfLabourOther": "1"},
			check: func(t *testing.T, c ctdc.Case) {
				assert.Equal(t, []string{"FORCED_LABOUR", "FORCED_CRIMINALITY", "DOMESTIC_SERVITUDE", "BEGGING"}, c.ExploitationTypes)
				assert.Equal(t, []string{"begging", "domestic work", "illicit activities", "other"}, c.TypesOfLabour)
			},
		},
		{
			name: "OtherFormsOfExploitationAreOther",
			cells: map[string]string{"isForcedMarriage": "1", "isOrganRemoval": "1", "isForcedMilitary": "1",
				"isSlaveryAndPractices": "1", "isOtherExploit": "1"},
			check: func(t *testing.T, c ctdc.Case) {
				assert.Equal(t, []string{"FORCED_MARRIAGE", "ORGAN_REMOVAL", "OTHER"}, c.ExploitationTypes)
			},
		},
		{
			name: "EveryMeansOfControl",
			cells: map[string]string{"meansOfControlDebtBondage": "1", "meansOfControlWithholdsDocuments": "1",
				"meansOfControlOther": "1", "meansOfControlNotSpecified": "1", "meansOfControlThreats": "0"},
			check: func(t *testing.T, c ctdc.Case) {
				assert.Equal(t, []string{"DEBT_BONDAGE", "WITHHOLDS_DOCUMENTS", "OTHER"}, c.MeansOfControl)
			},
		},
		{
			name: "SummaryDetails",
			cells: map[string]string{"typeOfSexProstitution": "1", "recruiterRelationIntimatePartner": "1",
				"recruiterRelationUnknown": "1", "isAbduction": "1"},
			check: func(t *testing.T, c ctdc.Case) {
				assert.Equal(t, []string{"prostitution"}, c.TypesOfSex)
				assert.Equal(t, []string{"intimate partner"}, c.RecruiterRelations)
				assert.Equal(t, &yes, c.Abduction)
			},
		},
		{
			name:  "NewerGenderWording",
			cells: map[string]string{"gender": "Man"},
			check: func(t *testing.T, c ctdc.Case) { assert.Equal(t, "MALE", c.Gender) },
		},
		{
			name:  "TransgenderIsOther",
			cells: map[string]string{"gender": "Transgender/NonConforming"},
			check: func(t *testing.T, c ctdc.Case) { assert.Equal(t, "OTHER", c.Gender) },
		},
		{
			name:  "InvalidCitizenshipLeavesNoNationality",
			cells: map[string]string{"citizenship": "XX"},
			check: func(t *testing.T, c ctdc.Case) { assert.Empty(t, c.Citizenship) },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cases, rejected := readAll(t, header()+record(tt.cells))
			require.Empty(t, rejected)
			require.Len(t, cases, 1)
			assert.Equal(t, 2, cases[0].Line)
			tt.check(t, cases[0])
		})
	}
}

func TestReaderAgeBands(t *testing.T) {
	bands := map[string]string{
		"0--8": "UNDER_12", "9--17": "AGE_12_17", "18--20": "AGE_18_29", "21--23": "AGE_18_29", "24--26": "AGE_18_29",
		"27--29": "AGE_18_29", "30--38": "AGE_30_49", "39--47": "AGE_30_49", "48+": "AGE_50_PLUS", "": "UNKNOWN", "-99": "UNKNOWN",
	}
	for band, want := range bands {
		t.Run(band, func(t *testing.T) {
			cases, rejected := readAll(t, header()+record(map[string]string{"ageBroad": band}))
			require.Empty(t, rejected)
			require.Len(t, cases, 1)
			assert.Equal(t, want, cases[0].AgeBand)
		})
	}
}

func TestReaderLineEnds(t *testing.T) {
	row := record(map[string]string{"yearOfRegistration": "2016", "CountryOfExploitation": "LY"})
	t.Run("CRLF", func(t *testing.T) {
		cases, rejected := readAll(t, header()+row)
		require.Empty(t, rejected)
		require.Len(t, cases, 1)
		assert.Equal(t, "LY", cases[0].CountryOfExploitation, "the last column carries no carriage return")
	})
	t.Run("LF", func(t *testing.T) {
		cases, rejected := readAll(t, strings.ReplaceAll(header()+row, "\r\n", "\n"))
		require.Empty(t, rejected)
		require.Len(t, cases, 1)
		assert.Equal(t, "LY", cases[0].CountryOfExploitation)
	})
}

func TestReaderRefs(t *testing.T) {
	same := record(map[string]string{"gender": "Female", "yearOfRegistration": "2019"})
	other := record(map[string]string{"gender": "Male", "yearOfRegistration": "2019"})
	cases, rejected := readAll(t, header()+same+same+other)
	require.Empty(t, rejected)
	require.Len(t, cases, 3)

	t.Run("IdenticalRecordsAreSeparateCases", func(t *testing.T) {
		assert.NotEqual(t, cases[0].Ref, cases[1].Ref)
		assert.Regexp(t, `^ctdc/2/[0-9a-f]{16}$`, cases[0].Ref)
		assert.Regexp(t, `^ctdc/3/[0-9a-f]{16}$`, cases[1].Ref)
		assert.Equal(t, strings.TrimPrefix(cases[0].Ref, "ctdc/2/"), strings.TrimPrefix(cases[1].Ref, "ctdc/3/"),
			"the same content hashes the same")
	})
	t.Run("DifferentContentHashesDifferently", func(t *testing.T) {
		assert.NotEqual(t, strings.TrimPrefix(cases[1].Ref, "ctdc/3/"), strings.TrimPrefix(cases[2].Ref, "ctdc/4/"))
	})
}

func TestReaderRejectsMalformedRecords(t *testing.T) {
	good := record(map[string]string{"gender": "Female"})
	tests := []struct {
		name string
		bad  string
		want string
	}{
		{"TooFewFields", ";2016;Hotline;Female\r\n", "4 fields, the header has 64"},
		{"TooManyFields", strings.TrimSuffix(good, "\r\n") + ";extra\r\n", "65 fields, the header has 64"},
		{"UnknownAgeBand", record(map[string]string{"ageBroad": "10--12"}), `ageBroad: unknown age band "10--12"`},
		{"FlagNotZeroOrOne", record(map[string]string{"isForcedLabour": "yes"}), `isForcedLabour: "yes" is not 0, 1, -99 or empty`},
		{"YearNotAYear", record(map[string]string{"yearOfRegistration": "20x6"}), `yearOfRegistration: "20x6" is not a year`},
		{"CountryNotACountry", record(map[string]string{"CountryOfExploitation": "Libya"}), `CountryOfExploitation: "Libya" is not an ISO 3166-1 alpha-2 country code`},
		{"BareQuote", record(map[string]string{"Datasource": `Hot"line`}), `bare " in non-quoted-field`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cases, rejected := readAll(t, header()+good+tt.bad+good)
			require.Len(t, rejected, 1)
			assert.Equal(t, 3, rejected[0].Line)
			assert.Contains(t, rejected[0].Error(), tt.want)
			assert.Contains(t, rejected[0].Error(), "line 3: ")
			require.Len(t, cases, 2, "the records around the bad one are read")
			assert.Equal(t, []int{2, 4}, []int{cases[0].Line, cases[1].Line})
		})
	}
}

func TestNewReaderRejectsOtherInput(t *testing.T) {
	t.Run("Empty", func(t *testing.T) {
		_, err := ctdc.NewReader(strings.NewReader(""))
		assert.ErrorContains(t, err, "no header")
	})
	t.Run("MissingColumns", func(t *testing.T) {
		_, err := ctdc.NewReader(strings.NewReader(banner + ";yearOfRegistration;gender\r\n"))
		assert.ErrorContains(t, err, "not a CTDC global dataset export: missing columns Datasource, ageBroad")
	})
	t.Run("BannerIsNotAColumn", func(t *testing.T) {
		_, err := ctdc.NewReader(strings.NewReader("yearOfRegistration;" + strings.Join(columns[1:], ";") + "\r\n"))
		assert.ErrorContains(t, err, "missing columns yearOfRegistration")
	})
}
