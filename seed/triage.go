package seed

import (
	"context"
	"fmt"

	"github.com/traffikgraph/traffikgraph/store"
)

// DemoSubmissionCount is how many reports DemoSubmissions sends.
const DemoSubmissionCount = 15

var submissionChannels = []string{"APP", "WEB", "HOTLINE"}

// DemoSubmissions fills the triage desk's queue out of the box (docs/triage.md): it submits
// DemoSubmissionCount synthetic reports as the public does, through store.SubmitReport with no
// caller, so each is exactly what a submission makes (NEW, AMBER_STRICT of the triage partner,
// flagged publicSubmission, its CREATED version), over the three public channels, several
// languages and places. They are the public's, not the world's: their ids are the receipts'
// (returned), which Remove does not know. Run it once, after Generate.
func DemoSubmissions(ctx context.Context, s *store.Store) ([]string, error) {
	ids := make([]string, 0, DemoSubmissionCount)
	for i := range DemoSubmissionCount {
		c := cities[(i*7)%len(cities)]
		receipt, err := s.SubmitReport(ctx, store.Submission{
			Text: fmt.Sprintf("SYNTHETIC DEMO SUBMISSION %d, not a real account: I saw %s near %s.",
				i+1, reportPhrases[i%len(reportPhrases)], c.name),
			Language:       languages[(i*3)%len(languages)],
			Channel:        submissionChannels[i%len(submissionChannels)],
			ApproxLocation: &store.GeoPoint{Latitude: c.lat, Longitude: c.lon},
		})
		if err != nil {
			return ids, fmt.Errorf("seed: demo submission %d: %w", i+1, err)
		}
		ids = append(ids, receipt.ReceiptID)
	}
	return ids, nil
}
