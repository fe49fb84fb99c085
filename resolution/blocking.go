package resolution

import (
	"cmp"
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

// keyed is one blocking key of one record: the key's hash and the record's index.
type keyed struct {
	hash   uint64
	record int
}

// Pairs returns the pairs of records that share a blocking key: the Keys of any of their names
// within their Scope, or the same registration number within their Scope. A key that gathers
// more than maxBlock records makes no pair. Keys are hashed and sorted, not mapped, so that a
// hundred thousand records with tens of keys each cost one sort; two keys of equal hash are
// taken for one key, which can only add a pair that scoring then weighs.
func Pairs(records []*Record, maxBlock int) Blocking {
	var all []keyed
	for i, r := range records {
		var mine []uint64
		for _, words := range slices.Concat(r.Names, r.Aliases) {
			for _, k := range Keys(r.Scope, words) {
				mine = append(mine, maphash.String(keySeed, k))
			}
		}
		if r.Registration != "" {
			mine = append(mine, maphash.String(keySeed, "#"+r.Scope+"|"+r.Registration))
		}
		slices.Sort(mine)
		for _, h := range slices.Compact(mine) {
			all = append(all, keyed{hash: h, record: i})
		}
	}
	slices.SortFunc(all, func(a, b keyed) int {
		return cmp.Or(cmp.Compare(a.hash, b.hash), cmp.Compare(a.record, b.record))
	})
	var out Blocking
	seen := map[[2]int]bool{}
	for start := 0; start < len(all); {
		end := start + 1
		for end < len(all) && all[end].hash == all[start].hash {
			end++
		}
		switch n := end - start; {
		case n > maxBlock:
			out.SkippedKeys++
		case n > 1:
			for i := start; i < end; i++ {
				for j := i + 1; j < end; j++ {
					pair := [2]int{all[i].record, all[j].record}
					if !seen[pair] {
						seen[pair] = true
						out.Pairs = append(out.Pairs, pair)
					}
				}
			}
		}
		start = end
	}
	slices.SortFunc(out.Pairs, func(a, b [2]int) int {
		return cmp.Or(cmp.Compare(a[0], b[0]), cmp.Compare(a[1], b[1]))
	})
	return out
}
