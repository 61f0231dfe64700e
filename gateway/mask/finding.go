package mask

import "slices"

// stars replaces a secret. It has a fixed length so that the length of the
// secret is not revealed.
const stars = "****"

// finding is a part of a value to replace.
type finding struct {
	start, end int
	repl       string // replacement text, unless card
	card       bool   // replace digits but the last four, keep separators
}

// clean orders findings and merges overlaps, so that every secret byte is
// covered exactly once. When two findings overlap and neither contains the
// other, their union becomes plain stars: no detector's partial
// replacement can be trusted to cover the other's secret.
func clean(fs []finding) []finding {
	slices.SortStableFunc(fs, func(a, b finding) int {
		if a.start != b.start {
			return a.start - b.start
		}
		return b.end - a.end
	})
	out := fs[:0]
	for _, f := range fs {
		if len(out) == 0 || f.start >= out[len(out)-1].end {
			out = append(out, f)
			continue
		}
		last := &out[len(out)-1]
		if f.end > last.end {
			last.end = f.end
			last.repl, last.card = stars, false
		}
	}
	return out
}

// write appends v to dst with the findings, ordered and disjoint, replaced.
func write(dst, v []byte, fs []finding) []byte {
	last := 0
	for _, f := range fs {
		dst = append(dst, v[last:f.start]...)
		if f.card {
			dst = appendCard(dst, v[f.start:f.end])
		} else {
			dst = append(dst, f.repl...)
		}
		last = f.end
	}
	return append(dst, v[last:]...)
}

// masked reports whether b is empty or all stars: already masked, or nothing
// to mask. Detectors skip such values, which makes masking idempotent.
func masked(b []byte) bool {
	for _, c := range b {
		if c != '*' {
			return false
		}
	}
	return true
}
