package store_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPartnerRegistered: tokens act only for registered partners, and a partner registered with
// its issuer accepts no other issuer's tokens.
func TestPartnerRegistered(t *testing.T) {
	s := mustOpen(t)
	w := newWorld(t, s)
	run(t, s, `MATCH (p:Partner {id: $b}) SET p.issuer = 'https://id.b.example'`, map[string]any{"b": w.B})

	cases := []struct {
		name, partner, issuer string
		want                  bool
	}{
		{"APartnerWithoutAnIssuerAcceptsAnyTrustedIssuer", w.A, "https://id.any.example", true},
		{"APartnerAcceptsItsOwnIssuer", w.B, "https://id.b.example", true},
		{"APartnerRefusesAnotherIssuer", w.B, "https://id.a.example", false},
		{"AnUnknownPartnerIsNotRegistered", "no-such-partner-" + w.A, "https://id.any.example", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := s.PartnerRegistered(as(w.A), c.partner, c.issuer)
			require.NoError(t, err)
			assert.Equal(t, c.want, got)
		})
	}
}
