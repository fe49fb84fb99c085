package ctdc

// The columns of the CTDC global dataset the mapping reads (the data dictionary's names).
const (
	colYear                  = "yearOfRegistration"
	colDatasource            = "Datasource"
	colGender                = "gender"
	colAgeBroad              = "ageBroad"
	colMajorityStatus        = "majorityStatus"
	colCitizenship           = "citizenship"
	colCountryOfExploitation = "CountryOfExploitation"
	colAbduction             = "isAbduction"
)

// ageBands maps CTDC's ageBroad bands onto Person.ageBand. Two CTDC bands straddle a band of
// the model and go to the one that holds most of their years: 9--17 (ages 9 to 11 are
// UNDER_12) to AGE_12_17, and 48+ (ages 48 and 49 are AGE_30_49) to AGE_50_PLUS. A band not
// listed here makes the record a RowError, so that a new CTDC banding is noticed, not guessed.
var ageBands = map[string]string{
	"":       "UNKNOWN",
	"0--8":   "UNDER_12",
	"9--17":  "AGE_12_17",
	"18--20": "AGE_18_29",
	"21--23": "AGE_18_29",
	"24--26": "AGE_18_29",
	"27--29": "AGE_18_29",
	"30--38": "AGE_30_49",
	"39--47": "AGE_30_49",
	"48+":    "AGE_50_PLUS",
}

// enumFlag is a 0/1 column and the model's enum values it stands for when set.
type enumFlag struct {
	column string
	values []string
}

// exploitationFlags map onto Incident.exploitationTypes. Combined sexual and labour
// exploitation is both. Three forced-labour sectors have an exploitation type of their own in
// the model. Forced military service goes to OTHER: the model's CHILD_SOLDIERING is narrower
// (CTDC's flag covers adults too), as do slavery and similar practices.
var exploitationFlags = []enumFlag{
	{"isSexualExploit", []string{"SEXUAL_EXPLOITATION"}},
	{"isForcedLabour", []string{"FORCED_LABOUR"}},
	{"isSexAndLabour", []string{"SEXUAL_EXPLOITATION", "FORCED_LABOUR"}},
	{"typeOfLabourIllicitActivities", []string{"FORCED_CRIMINALITY"}},
	{"isForcedMarriage", []string{"FORCED_MARRIAGE"}},
	{"typeOfLabourDomesticWork", []string{"DOMESTIC_SERVITUDE"}},
	{"isOrganRemoval", []string{"ORGAN_REMOVAL"}},
	{"typeOfLabourBegging", []string{"BEGGING"}},
	{"isForcedMilitary", []string{"OTHER"}},
	{"isSlaveryAndPractices", []string{"OTHER"}},
	{"isOtherExploit", []string{"OTHER"}},
}

// meansOfControlFlags map one to one onto Incident.meansOfControl; meansOfControlNotSpecified
// adds nothing.
var meansOfControlFlags = []enumFlag{
	{"meansOfControlDebtBondage", []string{"DEBT_BONDAGE"}},
	{"meansOfControlTakesEarnings", []string{"TAKES_EARNINGS"}},
	{"meansOfControlRestrictsFinancialAccess", []string{"RESTRICTS_FINANCIAL_ACCESS"}},
	{"meansOfControlThreats", []string{"THREATS"}},
	{"meansOfControlPsychologicalAbuse", []string{"PSYCHOLOGICAL_ABUSE"}},
	{"meansOfControlPhysicalAbuse", []string{"PHYSICAL_ABUSE"}},
	{"meansOfControlSexualAbuse", []string{"SEXUAL_ABUSE"}},
	{"meansOfControlFalsePromises", []string{"FALSE_PROMISES"}},
	{"meansOfControlPsychoactiveSubstances", []string{"PSYCHOACTIVE_SUBSTANCES"}},
	{"meansOfControlRestrictsMovement", []string{"RESTRICTS_MOVEMENT"}},
	{"meansOfControlRestrictsMedicalCare", []string{"RESTRICTS_MEDICAL_CARE"}},
	{"meansOfControlExcessiveWorkingHours", []string{"EXCESSIVE_WORKING_HOURS"}},
	{"meansOfControlUsesChildren", []string{"USES_CHILDREN"}},
	{"meansOfControlThreatOfLawEnforcement", []string{"THREAT_OF_LAW_ENFORCEMENT"}},
	{"meansOfControlWithholdsNecessities", []string{"WITHHOLDS_NECESSITIES"}},
	{"meansOfControlWithholdsDocuments", []string{"WITHHOLDS_DOCUMENTS"}},
	{"meansOfControlOther", []string{"OTHER"}},
}

// labelFlag is a 0/1 column the model has no property for; its label goes into the summary.
type labelFlag struct {
	column, label string
}

var labourFlags = []labelFlag{
	{"typeOfLabourAgriculture", "agriculture"},
	{"typeOfLabourAquafarming", "aquafarming"},
	{"typeOfLabourBegging", "begging"},
	{"typeOfLabourConstruction", "construction"},
	{"typeOfLabourDomesticWork", "domestic work"},
	{"typeOfLabourHospitality", "hospitality"},
	{"typeOfLabourIllicitActivities", "illicit activities"},
	{"typeOfLabourManufacturing", "manufacturing"},
	{"typeOfLabourMiningOrDrilling", "mining or drilling"},
	{"typeOfLabourPeddling", "peddling"},
	{"typeOfLabourTransportation", "transportation"},
	{"typeOfLabourOther", "other"},
}

var sexFlags = []labelFlag{
	{"typeOfSexProstitution", "prostitution"},
	{"typeOfSexPornography", "pornography"},
	{"typeOfSexRemoteInteractiveServices", "remote interactive services"},
	{"typeOfSexPrivateSexualServices", "private sexual services"},
}

var recruiterFlags = []labelFlag{
	{"recruiterRelationIntimatePartner", "intimate partner"},
	{"recruiterRelationFriend", "friend or acquaintance"},
	{"recruiterRelationFamily", "family or relative"},
	{"recruiterRelationOther", "other"},
}

// requiredColumns are every column the mapping reads.
func requiredColumns() []string {
	cols := []string{colYear, colDatasource, colGender, colAgeBroad, colMajorityStatus, colCitizenship,
		colCountryOfExploitation, colAbduction}
	for _, flags := range [][]enumFlag{exploitationFlags, meansOfControlFlags} {
		for _, f := range flags {
			cols = append(cols, f.column)
		}
	}
	for _, flags := range [][]labelFlag{labourFlags, sexFlags, recruiterFlags} {
		for _, f := range flags {
			cols = append(cols, f.column)
		}
	}
	return cols
}
