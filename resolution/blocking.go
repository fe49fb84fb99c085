package resolution

import (
	"cmp"
	"context"
	"hash/maphash"
	"slices"
)

// DefaultMaxBlock is the most records one blocking key may gather: a key shared by more (a very
// common name in one jurisdiction) is left out rather than compared in all its pairs, which
// grow with the square of its records. Such records still meet through their other keys.
const DefaultMaxBlock = 64

// Blocking is the outcome of Pairs: the pairs of records worth scoring and what was left out.
type Blocking struct {
	// Pairs are indexes into the records, the smaller first, each pair once, in order.
	Pairs [][2]int
	// SkippedKeys counts the keys that gathered more than the block's bound.
	SkippedKeys int
}

var keySeed = maphash.MakeSeed()

// keyed is one blocking key of one record: the key's hash, the record's index, and whether the
// record holds it only as a word's initial (Key.OfWord).
type keyed struct {
	hash   uint64
	record int
	ofWord bool
}

// Pairs returns the pairs of records that meet at a blocking key: the Keys of any of their
// names and aliases within their Scope, or the same registration number within their Scope. A
// key whose pairs would gather more than maxBlock records makes none. Keys are hashed and
// sorted, not mapped, so that a hundred thousand records with tens of keys each cost one sort;
// two keys of equal hash are taken for one key, which can only add a pair that scoring then
// weighs.
// It stops when ctx ends, with ctx's error.
func Pairs(ctx context.Context, records []*Record, maxBlock int) (Blocking, error) {
	var all []keyed
	for i, r := range records {
		if i%1024 == 0 && ctx.Err() != nil {
			return Blocking{}, ctx.Err()
		}
		mine := map[uint64]bool{} // hash -> held only as a word's initial
		for _, words := range slices.Concat(r.Names, r.Aliases) {
			for _, k := range Keys(r.Scope, words) {
				h := maphash.String(keySeed, k.Text)
				ofWord, seen := mine[h]
				mine[h] = k.OfWord && (!seen || ofWord)
			}
		}
		if r.Registration != "" {
			mine[maphash.String(keySeed, "#"+r.Scope+"|"+r.Registration)] = false
		}
		for h, ofWord := range mine {
			all = append(all, keyed{hash: h, record: i, ofWord: ofWord})
		}
	}
	slices.SortFunc(all, func(a, b keyed) int { return cmp.Compare(a.hash, b.hash) })
	var out Blocking
	seen := map[[2]int]bool{}
	for start := 0; start < len(all); {
		end := start + 1
		for end < len(all) && all[end].hash == all[start].hash {
			end++
		}
		block := all[start:end]
		start = end
		if ctx.Err() != nil {
			return Blocking{}, ctx.Err()
		}
		holders := 0 // who hold the key itself, not only as an initial
		for _, k := range block {
			if !k.ofWord {
				holders++
			}
		}
		if holders == 0 || len(block) == 1 {
			continue
		}
		if holders > maxBlock || len(block) > maxBlock {
			out.SkippedKeys++
			continue
		}
		for i, x := range block {
			for _, y := range block[i+1:] {
				if x.ofWord && y.ofWord {
					continue
				}
				pair := [2]int{min(x.record, y.record), max(x.record, y.record)}
				if !seen[pair] {
					seen[pair] = true
					out.Pairs = append(out.Pairs, pair)
				}
			}
		}
	}
	slices.SortFunc(out.Pairs, func(a, b [2]int) int {
		return cmp.Or(cmp.Compare(a[0], b[0]), cmp.Compare(a[1], b[1]))
	})
	return out, nil
}
