// Package testkit holds what the tests of several packages share (and the bench command, which
// starts the service as the tests do): the one GraphQL test client, walking decoded JSON,
// waiting for a service to be ready.
package testkit

import (
	"context"
	"fmt"
	"net/http"
	"time"
)

// Dig walks a decoded JSON value by keys (string) and indexes (int); a missing step gives nil.
func Dig(v any, path ...any) any {
	for _, step := range path {
		switch s := step.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[s]
		case int:
			l, _ := v.([]any)
			if s < 0 || s >= len(l) {
				return nil
			}
			v = l[s]
		}
	}
	return v
}

// pollInterval is how often WaitReady asks.
const pollInterval = 100 * time.Millisecond

// WaitReady polls url until it answers 200 OK, for at most timeout. It gives up at once when
// stopped delivers (the process that should answer has ended) or ctx ends.
func WaitReady(ctx context.Context, url string, timeout time.Duration, stopped <-chan error) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case err := <-stopped:
			return fmt.Errorf("stopped before %s answered: %v", url, err)
		case <-ctx.Done():
			return fmt.Errorf("%s did not answer 200 OK within %s", url, timeout)
		case <-time.After(pollInterval):
		}
	}
}
