package mask

import "math/bits"

// maxDetectors bounds the detectors of one Masker so that the set of
// triggered detectors is a fixed-size array: scanning a value must not
// allocate.
const maxDetectors = 512

// set is a set of detector indexes.
type set [maxDetectors / 64]uint64

func (s *set) add(i int) { s[i/64] |= 1 << (i % 64) }

func (s *set) has(i int) bool { return s[i/64]&(1<<(i%64)) != 0 }

func (s *set) union(o *set) {
	for i := range s {
		s[i] |= o[i]
	}
}

// empty is called for every value masked; comparing the array with == would
// call memequal, which costs more than the words' OR.
func (s *set) empty() bool {
	var or uint64
	for _, w := range s {
		or |= w
	}
	return or == 0
}

func trailingZeros(w uint64) int { return bits.TrailingZeros64(w) }

// only returns the member of s when it has exactly one.
func (s *set) only() (int, bool) {
	at := -1
	for w, word := range s {
		if word == 0 {
			continue
		}
		if at >= 0 || word&(word-1) != 0 {
			return 0, false
		}
		at = w*64 + trailingZeros(word)
	}
	return at, at >= 0
}
