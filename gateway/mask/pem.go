package mask

import (
	"bytes"
	"regexp"
)

// pemHeader starts a PEM private key block (RSA, EC, OPENSSH, ENCRYPTED,
// PGP ... BLOCK). It is anchored at the -----BEGIN keyword.
var pemHeader = regexp.MustCompile(`^-----BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----`)

// pemDetector masks the body of private key blocks and keeps the BEGIN and
// END lines, which say what kind of key it was. A block without its END
// line, as in a truncated value, is masked to the end of the value.
func pemDetector() detector {
	return detector{name: "private_key", keywords: []string{"-----begin"}, find: findPEM}
}

func findPEM(v []byte, at []int, fs []finding) []finding {
	from := 0
	for _, begin := range at {
		if begin < from {
			continue
		}
		h := pemHeader.FindIndex(v[begin:])
		if h == nil {
			continue
		}
		start, end := begin+h[1], len(v)
		if i := bytes.Index(v[start:], []byte("-----END")); i >= 0 {
			end = start + i
		}
		from = end
		for start < end && isSpace(v[start]) {
			start++
		}
		for end > start && isSpace(v[end-1]) {
			end--
		}
		if !masked(v[start:end]) {
			fs = append(fs, finding{start: start, end: end, repl: stars})
		}
	}
	return fs
}

func isSpace(b byte) bool {
	return b == ' ' || b == '\t' || b == '\n' || b == '\r' || b == '\f' || b == '\v'
}
