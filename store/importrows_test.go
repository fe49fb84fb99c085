package store_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	tg "github.com/traffikgraph/traffikgraph"
	"github.com/traffikgraph/traffikgraph/store"
)

// The seeder's and importers' rows pass the checks of the API's writes.
func TestImportRowsAreChecked(t *testing.T) {
	at := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	row := func(props map[string]any) store.ImportRow {
		return store.ImportRow{ID: "id-1", SourcePartner: "stt", Marking: store.Marking{Tlp: tg.TlpGreen},
			ExternalRefs: []string{"stt:ref"}, CreatedAt: at, UpdatedAt: at, Props: props}
	}

	t.Run("AValidRowIsStoredAsTheAPIWouldStoreIt", func(t *testing.T) {
		got, err := store.CheckImportNode(tg.LabelIdentifier, row(map[string]any{"kind": "PHONE", "value": "+44 20 7946 0000"}))
		require.NoError(t, err)
		assert.Equal(t, "+442079460000", got["value"], "normalised like an API write")
		assert.Equal(t, "GREEN", got["tlp"])
		assert.Equal(t, "stt", got["sourcePartner"])
		assert.Equal(t, []string{}, got["sharedWith"])
		assert.Equal(t, at, got["createdAt"])
	})

	t.Run("TheDirectoryIsAlwaysClear", func(t *testing.T) {
		r := row(map[string]any{"name": "P", "kind": "NGO"})
		r.Marking = store.Marking{Tlp: tg.TlpRed, SharedWith: []string{"x"}}
		got, err := store.CheckImportNode(tg.LabelPartner, r)
		require.NoError(t, err)
		assert.Equal(t, "CLEAR", got["tlp"])
		assert.Equal(t, []string{}, got["sharedWith"])
	})

	for name, c := range map[string]struct {
		label string
		row   store.ImportRow
		field string
	}{
		"ErrUnknownProperty":      {tg.LabelPerson, row(map[string]any{"shoeSize": int64(42)}), "input.shoeSize"},
		"ErrReadOnlyProperty":     {tg.LabelPerson, row(map[string]any{"tlp": "RED"}), "input.tlp"},
		"ErrNotAnEnumValue":       {tg.LabelPerson, row(map[string]any{"gender": "F"}), "input.gender"},
		"ErrNotAnEnumListValue":   {tg.LabelIncident, row(map[string]any{"title": "t", "exploitationTypes": []string{"NOPE"}}), "input.exploitationTypes"},
		"ErrRequiredMissing":      {tg.LabelLocation, row(map[string]any{"kind": "CITY"}), "input.name"},
		"ErrDatesOutOfOrder":      {tg.LabelRoute, row(map[string]any{"firstSeen": "2025-02-01", "lastSeen": "2025-01-01"}), "input.lastSeen"},
		"ErrTooLong":              {tg.LabelBusiness, row(map[string]any{"name": "b", "sector": "AB"}), "input.sector"},
		"ErrNoID":                 {tg.LabelBusiness, store.ImportRow{SourcePartner: "stt", Marking: store.Marking{Tlp: "GREEN"}, CreatedAt: at, UpdatedAt: at, Props: map[string]any{"name": "b"}}, "id"},
		"ErrNoSource":             {tg.LabelBusiness, store.ImportRow{ID: "x", Marking: store.Marking{Tlp: "GREEN"}, CreatedAt: at, UpdatedAt: at, Props: map[string]any{"name": "b"}}, "sourcePartner"},
		"ErrNotAMarking":          {tg.LabelBusiness, store.ImportRow{ID: "x", SourcePartner: "stt", Marking: store.Marking{Tlp: "PINK"}, CreatedAt: at, UpdatedAt: at, Props: map[string]any{"name": "b"}}, "marking.tlp"},
		"ErrSharedWithButNotRed":  {tg.LabelBusiness, store.ImportRow{ID: "x", SourcePartner: "stt", Marking: store.Marking{Tlp: "AMBER", SharedWith: []string{"b"}}, CreatedAt: at, UpdatedAt: at, Props: map[string]any{"name": "b"}}, "marking.sharedWith"},
		"ErrUpdatedBeforeCreated": {tg.LabelBusiness, store.ImportRow{ID: "x", SourcePartner: "stt", Marking: store.Marking{Tlp: "GREEN"}, CreatedAt: at, UpdatedAt: at.Add(-time.Hour), Props: map[string]any{"name": "b"}}, "updatedAt"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := store.CheckImportNode(c.label, c.row)
			var e *tg.Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, tg.BadUserInput, e.Code)
			assert.Equal(t, c.field, e.Field)
		})
	}

	t.Run("Relationships", func(t *testing.T) {
		got, err := store.CheckImportLink(tg.RelStop, "stt", store.Marking{Tlp: "GREEN"}, at, at, map[string]any{"seq": int64(0), "role": "ORIGIN"})
		require.NoError(t, err)
		assert.Equal(t, "ORIGIN", got["role"], "STOP's role is stored under role")
		for name, props := range map[string]map[string]any{
			"ErrPropertyOfAnotherType": {"seq": int64(0), "role": "ORIGIN", "share": 0.5},
			"ErrRequiredMissing":       {"seq": int64(0)},
			"ErrNotAnEnumValue":        {"seq": int64(0), "role": "SIDEWAYS"},
		} {
			_, err := store.CheckImportLink(tg.RelStop, "stt", store.Marking{Tlp: "GREEN"}, at, at, props)
			assert.Equal(t, tg.BadUserInput, tg.ErrorCode(err), name)
		}
	})
}
