package mask

import "unsafe"

// Append appends v to dst with every detected secret replaced, and reports
// whether anything was replaced. When nothing is detected it appends v
// unchanged and allocates nothing beyond growing dst.
func (m *Masker) Append(dst, v []byte) ([]byte, bool) {
	var hits set
	scanInto(&m.pre, v, &hits)
	if hits.empty() {
		return append(dst, v...), false
	}
	return m.maskHits(dst, v, &hits)
}

// AppendMasked is Append for callers that keep the original when nothing
// is found: it appends only a masked value, and leaves dst as it was
// otherwise, which saves copying every clean value of a result.
func (m *Masker) AppendMasked(dst, v []byte) ([]byte, bool) {
	var hits set
	scanInto(&m.pre, v, &hits)
	if hits.empty() {
		return dst, false
	}
	out, ok := m.maskHits(dst, v, &hits)
	if !ok {
		return out[:len(dst)], false
	}
	return out, true
}

// String masks free text: statements for recordings, Slack messages.
func (m *Masker) String(s string) string {
	// scan only reads: a view of s's bytes saves copying every statement.
	hits := scan(&m.pre, unsafe.Slice(unsafe.StringData(s), len(s)))
	if hits.empty() {
		return s
	}
	out, ok := m.maskHits(nil, []byte(s), &hits)
	if !ok {
		return s
	}
	return string(out)
}

// maskHits is mask, or the shortcut of the one detector in hits.
func (m *Masker) maskHits(dst, v []byte, hits *set) ([]byte, bool) {
	if d, ok := hits.only(); ok && m.detectors[d].alone != nil {
		return m.detectors[d].alone(dst, v)
	}
	return m.mask(dst, v, hits)
}

// mask runs the detectors in hits on v, each with where its keywords start.
func (m *Masker) mask(dst, v []byte, hits *set) ([]byte, bool) {
	s, _ := m.scratch.Get().(*scratch)
	if s == nil {
		s = &scratch{}
	}
	defer m.scratch.Put(s)
	s.keywords = m.pre.keywords.find(v, s.keywords[:0])
	ks, at, fs := s.keywords, s.at[:0], s.findings[:0]
	for w, word := range hits {
		for ; word != 0; word &= word - 1 {
			det := w*64 + trailingZeros(word)
			at, ks = startsOf(det, ks, at[:0])
			fs = m.detectors[det].find(v, at, fs)
		}
	}
	s.at, s.findings = at, fs
	if len(fs) == 0 {
		return append(dst, v...), false
	}
	return write(dst, v, clean(fs)), true
}

// startsOf appends to at the distinct starts of det's keywords at the front
// of ks, which is ordered by detector, and returns ks past them.
func startsOf(det int, ks []keyword, at []int) ([]int, []keyword) {
	for len(ks) > 0 && ks[0].det < det {
		ks = ks[1:]
	}
	for ; len(ks) > 0 && ks[0].det == det; ks = ks[1:] {
		if n := len(at); n == 0 || at[n-1] != ks[0].start {
			at = append(at, ks[0].start)
		}
	}
	return at, ks
}
