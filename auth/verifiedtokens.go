package auth

import (
	"crypto/sha256"
	"slices"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
)

// verifiedTokens remembers, for a short while, the Caller each recently verified token was
// turned into, so that a client sending the same bearer token with every request pays for its
// signature check (an ECDSA or RSA verification and two JSON decodings, a fifth of the API's CPU
// for a point read: docs/benchmarks.md) about once a minute rather than on every request.
//
// Only tokens that passed every check are kept, by their SHA-256 (never the token itself). The
// Authenticator uses an entry only while each check it stands for would still pass: before the
// token's expiry (with its issuer's clock skew, as go-oidc counts it), within verifiedTokenTTL of
// the verification, and while its issuer's key set holds the very keys it was verified with and
// they are not yet old (keySetPolicy.maxAge): a key the issuer withdrew stops a remembered token
// exactly when it would stop a new one. The partner's registration is asked on each use. A
// refused token is never kept, so forged tokens cost what they cost before. The set is bounded
// (least recently used go first).
//
// A token longer than maxRememberedToken is verified every time: an issuer signing huge claims
// (a subject of half a megabyte) could otherwise pin gigabytes here; with the bound the set holds
// at most a few tens of megabytes.
type verifiedTokens struct {
	entries *lru.Cache[[sha256.Size]byte, verifiedToken]
}

type verifiedToken struct {
	caller Caller
	// expires is the token's last valid instant by the wall clock, its clock skew included.
	expires time.Time
	// verifiedAt and keysFetchedAt are by the key sets' clock (keySetPolicy.now).
	verifiedAt, keysFetchedAt time.Time
}

const (
	// verifiedTokenTTL bounds how long a verified token is trusted without checking it again.
	verifiedTokenTTL = time.Minute
	// maxVerifiedTokens bounds the set: a few megabytes for tokens of typical size (1-2 KiB),
	// at most 32 MiB of remembered claims.
	maxVerifiedTokens = 4096
	// maxRememberedToken is the longest token remembered, in bytes.
	maxRememberedToken = 8 << 10
)

func newVerifiedTokens() *verifiedTokens {
	entries, err := lru.New[[sha256.Size]byte, verifiedToken](maxVerifiedTokens)
	if err != nil { // only for a size below 1
		panic(err)
	}
	return &verifiedTokens{entries: entries}
}

// lookup returns what token was verified into, if it is remembered and usable says the entry
// still holds; an entry that no longer holds is forgotten (the set is safe for concurrent use:
// a fresh entry another request added meanwhile may go too, which costs one verification).
func (v *verifiedTokens) lookup(token string, usable func(verifiedToken) bool) (Caller, bool) {
	key := sha256.Sum256([]byte(token))
	entry, ok := v.entries.Get(key)
	if !ok {
		return Caller{}, false
	}
	if !usable(entry) {
		v.entries.Remove(key)
		return Caller{}, false
	}
	caller := entry.caller
	caller.Scopes = slices.Clone(caller.Scopes) // each request's own, as a verification gives
	return caller, true
}

// remember keeps what token was verified into.
func (v *verifiedTokens) remember(token string, entry verifiedToken) {
	if len(token) > maxRememberedToken {
		return
	}
	entry.caller.Scopes = slices.Clone(entry.caller.Scopes) // not the slice the first request holds
	v.entries.Add(sha256.Sum256([]byte(token)), entry)
}

// size is how many verified tokens are kept.
func (v *verifiedTokens) size() int { return v.entries.Len() }
