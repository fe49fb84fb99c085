package server

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestClientLimiter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	limiter := newClientLimiter(60, 2, func() time.Time { return now })

	t.Run("EachClientHasItsOwnBucket", func(t *testing.T) {
		for _, client := range []string{"198.51.100.1", "198.51.100.2"} {
			for range 2 {
				_, ok := limiter.allow(client)
				assert.True(t, ok, client)
			}
			wait, ok := limiter.allow(client)
			assert.False(t, ok, client)
			assert.Equal(t, time.Second, wait, "one token a second at 60 a minute")
		}
	})

	t.Run("TokensRefillOverTime", func(t *testing.T) {
		now = now.Add(time.Second)
		_, ok := limiter.allow("198.51.100.1")
		assert.True(t, ok)
		_, ok = limiter.allow("198.51.100.1")
		assert.False(t, ok)
	})

	t.Run("FullBucketsAreSwept", func(t *testing.T) {
		now = now.Add(sweepInterval)
		limiter.allow("198.51.100.3")
		assert.Len(t, limiter.buckets, 1, "refilled buckets are forgotten")
	})
}

func TestClientKey(t *testing.T) {
	for _, tc := range []struct{ remoteAddr, want string }{
		{"198.51.100.7:5123", "198.51.100.7"},
		{"[2001:db8:1:2:3:4:5:6]:443", "2001:db8:1:2::/64"},
		{"[2001:db8:1:2:ffff::1]:443", "2001:db8:1:2::/64"},
		{"[::ffff:198.51.100.7]:80", "198.51.100.7"},
	} {
		assert.Equal(t, tc.want, clientKey(tc.remoteAddr), tc.remoteAddr)
	}
}
