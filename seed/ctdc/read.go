package ctdc

import (
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/traffikgraph/traffikgraph/store"
)

// Case is one CTDC record (one registered victim) in the vocabulary of docs/graph-model.md.
type Case struct {
	// Line is where the record starts in the file (the header is line 1).
	Line int
	// Ref identifies the record within the file: "ctdc/<line>/<hash of the record>". Identical
	// k-anonymised records are separate victims, so the line is part of it; the hash makes a
	// different record at the same line of a later export a different case.
	Ref string
	// Year is yearOfRegistration, 0 when missing.
	Year int
	// Datasource is how the case reached CTDC ("Case Management", "Hotline"), "" when missing.
	Datasource string
	// Gender is a Person.gender value: FEMALE, MALE, OTHER or UNKNOWN.
	Gender string
	// AgeBand is a Person.ageBand value (see ageBands).
	AgeBand string
	// MajorityStatus is "Adult" or "Minor" as CTDC has it, "" when missing.
	MajorityStatus string
	// Citizenship and CountryOfExploitation are ISO 3166-1 alpha-2 codes, "" when missing.
	Citizenship, CountryOfExploitation string
	// ExploitationTypes and MeansOfControl are Incident enum values, in the model's order.
	ExploitationTypes, MeansOfControl []string
	// TypesOfLabour, TypesOfSex and RecruiterRelations are CTDC's own labels of the flags set,
	// kept for the incident's summary because the model has no property for them.
	TypesOfLabour, TypesOfSex, RecruiterRelations []string
	// Abduction is isAbduction: true, false, or nil when missing.
	Abduction *bool
}

// RowError is a record that cannot be read as a case; the Reader skips it and goes on.
type RowError struct {
	Line int
	Err  error
}

func (e *RowError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }

func (e *RowError) Unwrap() error { return e.Err }

// Reader reads the cases of a CTDC global k-anonymised CSV export: semicolon-separated, a
// header whose first cell is the terms-of-use banner (so every record starts with an empty
// field), multi-value labels quoted because they contain semicolons, -99 or an empty cell for
// a missing value. Columns are found by their header name, not their position.
type Reader struct {
	csv     *csv.Reader
	columns map[string]int
	width   int
}

// NewReader reads and checks the header. It fails when a column the mapping needs is absent,
// which means the input is not a CTDC export (or a version of it this importer does not know).
func NewReader(r io.Reader) (*Reader, error) {
	c := csv.NewReader(r)
	c.Comma = ';'
	// Every record is checked against the header's width here, so that a short or long record
	// is a RowError of its own line and never a shifted, wrong case.
	c.FieldsPerRecord = -1
	header, err := c.Read()
	if errors.Is(err, io.EOF) {
		return nil, errors.New("ctdc: empty input: no header")
	}
	if err != nil {
		return nil, fmt.Errorf("ctdc: read header: %w", err)
	}
	columns := make(map[string]int, len(header))
	// The first cell is the banner, not a column name.
	for i, name := range header[1:] {
		columns[strings.TrimSpace(name)] = i + 1
	}
	var missing []string
	for _, name := range requiredColumns() {
		if _, ok := columns[name]; !ok && !slices.Contains(missing, name) {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("ctdc: not a CTDC global dataset export: missing columns %s", strings.Join(missing, ", "))
	}
	return &Reader{csv: c, columns: columns, width: len(header)}, nil
}

// Read returns the next case. At the end of the input it returns io.EOF. A record that cannot
// be read returns a *RowError, and the next Read goes on with the following record; any other
// error (reading the input failed) ends the input.
func (r *Reader) Read() (Case, error) {
	record, err := r.csv.Read()
	if err != nil {
		var parseErr *csv.ParseError
		if errors.As(err, &parseErr) {
			return Case{}, &RowError{Line: parseErr.StartLine, Err: parseErr.Err}
		}
		if errors.Is(err, io.EOF) {
			return Case{}, io.EOF
		}
		return Case{}, fmt.Errorf("ctdc: read: %w", err)
	}
	line, _ := r.csv.FieldPos(0)
	if len(record) != r.width {
		return Case{}, &RowError{Line: line, Err: fmt.Errorf("%d fields, the header has %d", len(record), r.width)}
	}
	c, err := r.parse(record)
	if err != nil {
		return Case{}, &RowError{Line: line, Err: err}
	}
	c.Line = line
	c.Ref = fmt.Sprintf("ctdc/%d/%s", line, recordHash(record))
	return c, nil
}

// recordHash is a short fingerprint of a record's fields.
func recordHash(record []string) string {
	sum := sha256.Sum256([]byte(strings.Join(record, "\x1f")))
	return hex.EncodeToString(sum[:8])
}

func (r *Reader) parse(record []string) (Case, error) {
	cell := func(column string) string { return value(record[r.columns[column]]) }
	var c Case
	var err error
	if c.Year, err = parseYear(cell(colYear)); err != nil {
		return Case{}, fmt.Errorf("%s: %w", colYear, err)
	}
	c.Datasource = cell(colDatasource)
	c.Gender = parseGender(cell(colGender))
	band, ok := ageBands[cell(colAgeBroad)]
	if !ok {
		return Case{}, fmt.Errorf("%s: unknown age band %q", colAgeBroad, cell(colAgeBroad))
	}
	c.AgeBand = band
	c.MajorityStatus = cell(colMajorityStatus)
	// An unknown or malformed citizenship only leaves the victim without a nationality.
	if code := cell(colCitizenship); isCountryCode(code) {
		c.Citizenship = code
	}
	if code := cell(colCountryOfExploitation); code != "" {
		if !isCountryCode(code) {
			return Case{}, fmt.Errorf("%s: %q is not an ISO 3166-1 alpha-2 country code", colCountryOfExploitation, code)
		}
		c.CountryOfExploitation = code
	}

	flag := func(column string) (bool, error) {
		set, known, err := parseFlag(cell(column))
		if err != nil {
			return false, fmt.Errorf("%s: %w", column, err)
		}
		return set && known, nil
	}
	if c.ExploitationTypes, err = enumsOf(exploitationFlags, flag); err != nil {
		return Case{}, err
	}
	if c.MeansOfControl, err = enumsOf(meansOfControlFlags, flag); err != nil {
		return Case{}, err
	}
	if c.TypesOfLabour, err = labelsOf(labourFlags, flag); err != nil {
		return Case{}, err
	}
	if c.TypesOfSex, err = labelsOf(sexFlags, flag); err != nil {
		return Case{}, err
	}
	if c.RecruiterRelations, err = labelsOf(recruiterFlags, flag); err != nil {
		return Case{}, err
	}
	abduction, known, err := parseFlag(cell(colAbduction))
	if err != nil {
		return Case{}, fmt.Errorf("%s: %w", colAbduction, err)
	}
	if known {
		c.Abduction = &abduction
	}
	return c, nil
}

// value trims a cell and turns CTDC's missing-value marker into "".
func value(cell string) string {
	v := strings.TrimSpace(cell)
	if v == missingValue {
		return ""
	}
	return v
}

// missingValue is what CTDC writes for a value it does not have (besides an empty cell).
const missingValue = "-99"

func parseYear(s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	year, err := strconv.Atoi(s)
	if err != nil || year < 1900 || year > 2100 {
		return 0, fmt.Errorf("%q is not a year", s)
	}
	return year, nil
}

// parseFlag reads a 0/1 column: set is the value, known is false when it is missing.
func parseFlag(s string) (set, known bool, err error) {
	switch s {
	case "":
		return false, false, nil
	case "0":
		return false, true, nil
	case "1":
		return true, true, nil
	}
	return false, false, fmt.Errorf("%q is not 0, 1, -99 or empty", s)
}

func parseGender(s string) string {
	switch strings.ToLower(s) {
	case "":
		return "UNKNOWN"
	// Older exports say Female/Male, newer ones Woman/Man.
	case "female", "woman":
		return "FEMALE"
	case "male", "man":
		return "MALE"
	}
	// CTDC's third value is "Transgender/NonConforming" (or a variant of that wording).
	return "OTHER"
}

func isCountryCode(s string) bool {
	_, ok := store.CountryName(s)
	return ok
}

// enumsOf returns the model's enum values of the flags set, each once, in flag order.
func enumsOf(flags []enumFlag, flag func(column string) (bool, error)) ([]string, error) {
	out := []string{}
	for _, f := range flags {
		set, err := flag(f.column)
		if err != nil {
			return nil, err
		}
		for _, v := range f.values {
			if set && !slices.Contains(out, v) {
				out = append(out, v)
			}
		}
	}
	return out, nil
}

func labelsOf(flags []labelFlag, flag func(column string) (bool, error)) ([]string, error) {
	out := []string{}
	for _, f := range flags {
		set, err := flag(f.column)
		if err != nil {
			return nil, err
		}
		if set {
			out = append(out, f.label)
		}
	}
	return out, nil
}
