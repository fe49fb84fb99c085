package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	tg "github.com/traffikgraph/traffikgraph"
	"github.com/traffikgraph/traffikgraph/auth"
	"github.com/traffikgraph/traffikgraph/store"
	"github.com/traffikgraph/traffikgraph/store/storetest"
)

// openWithTriagePartner opens a store whose anonymous reports go to partner.
func openWithTriagePartner(tb testing.TB, partner string) *store.Store {
	return storetest.Open(tb, func(cfg *store.Config) { cfg.TriagePartner = partner })
}

func TestSubmitReport(t *testing.T) {
	w := newWorld(t, mustOpen(t))
	s := openWithTriagePartner(t, w.A)
	valid := store.Submission{
		Text: "They took our passports at the farm.", Language: "pt-br", Channel: "APP",
		ApproxLocation: &store.GeoPoint{Latitude: 51.507351, Longitude: -0.127758},
	}

	t.Run("AnonymousCallerGetsAReceiptAndTheTriagePartnerAloneSeesTheReport", func(t *testing.T) {
		receipt, err := s.SubmitReport(anonymous, valid)
		require.NoError(t, err)
		assert.NotEmpty(t, receipt.ReceiptID)
		assert.WithinDuration(t, time.Now(), receipt.ReceivedAt, time.Minute)

		got, err := s.Get(as(w.A, auth.ScopeGraphRead, auth.ScopeGraphReadPII, auth.ScopeReportsTriage), receipt.ReceiptID)
		require.NoError(t, err)
		report, ok := got.(*store.Report)
		require.True(t, ok, "the triage partner's analyst reads the report by its receipt id")
		assert.Equal(t, "NEW", report.Status)
		assert.Equal(t, "APP", report.Channel)
		assert.Equal(t, "pt-BR", *report.Language, "the language tag is stored canonical")
		assert.Equal(t, valid.Text, *report.Text)
		assert.Equal(t, "AMBER_STRICT", report.Provenance.Tlp)
		assert.Equal(t, w.A, report.Provenance.SourcePartner)
		require.NotNil(t, report.ApproxLocation)
		assert.Equal(t, store.GeoPoint{Latitude: 51.51, Longitude: -0.13}, *report.ApproxLocation, "rounded to about 1 km")

		for name, ctx := range map[string]context.Context{
			"the triage partner's caller without reports:triage": as(w.A, auth.ScopeGraphRead, auth.ScopeGraphReadPII),
			"a partner in the triage partner's group":            as(w.B, auth.ScopeGraphRead, auth.ScopeGraphReadPII),
			"an unrelated partner":                               as(w.C, auth.ScopeGraphRead),
			"an anonymous caller":                                anonymous,
		} {
			got, err := s.Get(ctx, receipt.ReceiptID)
			require.NoError(t, err)
			assert.Nil(t, got, "%s does not see an anonymous report", name)
		}
	})

	t.Run("ReportsSubmitScopeMaySubmit", func(t *testing.T) {
		_, err := s.SubmitReport(as(w.C, auth.ScopeReportsSubmit), valid)
		assert.NoError(t, err)
	})

	t.Run("AuthenticatedCallerWithoutReportsSubmitIsForbidden", func(t *testing.T) {
		_, err := s.SubmitReport(as(w.C, auth.ScopeGraphRead, auth.ScopeGraphWrite), valid)
		assert.Equal(t, tg.Forbidden, tg.ErrorCode(err))
	})

	t.Run("LocationIsOptional", func(t *testing.T) {
		noLocation := valid
		noLocation.ApproxLocation = nil
		_, err := s.SubmitReport(anonymous, noLocation)
		assert.NoError(t, err)
	})

	invalid := []struct {
		name  string
		edit  func(*store.Submission)
		field string
	}{
		{"BlankTextIsRefused", func(sub *store.Submission) { sub.Text = "   " }, "input.text"},
		{"TextOver5000CharactersIsRefused", func(sub *store.Submission) { sub.Text = strings.Repeat("é", 5001) }, "input.text"},
		{"LanguageMustBeBCP47", func(sub *store.Submission) { sub.Language = "not a language!" }, "input.language"},
		{"PartnerChannelIsNotForThePublic", func(sub *store.Submission) { sub.Channel = "PARTNER" }, "input.channel"},
		{"LatitudeOutOfRangeIsRefused", func(sub *store.Submission) {
			sub.ApproxLocation = &store.GeoPoint{Latitude: 91.0, Longitude: 0.0}
		}, "input.approxLocation.latitude"},
	}
	for _, tc := range invalid {
		t.Run(tc.name, func(t *testing.T) {
			sub := valid
			tc.edit(&sub)
			_, err := s.SubmitReport(anonymous, sub)
			appErr, ok := err.(*tg.Error)
			require.True(t, ok, "got %v", err)
			assert.Equal(t, tg.BadUserInput, appErr.Code)
			assert.Equal(t, tc.field, appErr.Field)
		})
	}
}
