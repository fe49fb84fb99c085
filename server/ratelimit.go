package server

import (
	"fmt"
	"math"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/traffikgraph/traffikgraph"
	"github.com/traffikgraph/traffikgraph/auth"
)

// limitAnonymous rate limits anonymous callers per client address: they can submit reports and
// read CLEAR aggregates without any credential, so the address is all there is to hold a flood
// back. Authenticated partners are not limited here. A refused request gets 429 with
// Retry-After and the code LIMIT_EXCEEDED. CORS preflights cost nothing.
//
// The address is the TCP peer's; behind a reverse proxy that is the proxy's, so the proxy must
// then limit by the real client address itself.
func limitAnonymous(limiter *clientLimiter) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodOptions || !auth.CallerFrom(r.Context()).Anonymous() {
				next.ServeHTTP(w, r)
				return
			}
			if wait, ok := limiter.allow(clientKey(r.RemoteAddr)); !ok {
				seconds := int(math.Ceil(wait.Seconds()))
				w.Header().Set("Retry-After", strconv.Itoa(seconds))
				writeError(w, http.StatusTooManyRequests, traffikgraph.LimitExceeded,
					fmt.Sprintf("too many requests without a token from this address; try again in %d s", seconds))
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// clientKey is the address a limit applies to: the IPv4 address, or the IPv6 /64 (one
// subscriber usually holds a whole /64, so limiting single IPv6 addresses would limit nothing).
func clientKey(remoteAddr string) string {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return host
	}
	if v4 := ip.To4(); v4 != nil {
		return v4.String()
	}
	return ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
}

// clientLimiter is a token bucket per key: each key may spend burst requests at once, refilled
// at perMinute. Buckets that have refilled are swept once a minute, so memory follows the
// number of recently active clients.
type clientLimiter struct {
	mu        sync.Mutex
	perSecond float64
	burst     float64
	buckets   map[string]*bucket
	now       func() time.Time
	lastSweep time.Time
}

type bucket struct {
	tokens float64
	last   time.Time
}

const sweepInterval = time.Minute

func newClientLimiter(perMinute, burst int, now func() time.Time) *clientLimiter {
	return &clientLimiter{
		perSecond: float64(perMinute) / 60,
		burst:     float64(burst),
		buckets:   map[string]*bucket{},
		now:       now,
		lastSweep: now(),
	}
}

// allow spends one token of key's bucket; when there is none it says how long until there is.
func (l *clientLimiter) allow(key string) (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if now.Sub(l.lastSweep) >= sweepInterval {
		l.sweep(now)
	}
	b, ok := l.buckets[key]
	if !ok {
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[key] = b
	}
	b.tokens = min(l.burst, b.tokens+now.Sub(b.last).Seconds()*l.perSecond)
	b.last = now
	if b.tokens < 1 {
		return time.Duration((1 - b.tokens) / l.perSecond * float64(time.Second)), false
	}
	b.tokens--
	return 0, true
}

// sweep forgets buckets that would be full by now: a new bucket starts full anyway.
func (l *clientLimiter) sweep(now time.Time) {
	for key, b := range l.buckets {
		if b.tokens+now.Sub(b.last).Seconds()*l.perSecond >= l.burst {
			delete(l.buckets, key)
		}
	}
	l.lastSweep = now
}
