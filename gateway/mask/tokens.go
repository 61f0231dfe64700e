package mask

import "strings"

// token is a credential format: a public prefix and a run of characters
// from one alphabet. Matching one is a few comparisons where a regular
// expression with counted repetition costs microseconds.
type token struct {
	name     string
	prefixes []string // case-sensitive; also the keywords
	alphabet *[256]bool
	min, max int // run length after the prefix
	trim     string
}

// Alphabets of token formats, read-only lookup tables.
var (
	base32   = alphabet("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
	alnum    = alphabet("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
	alnumU   = alphabet("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")
	base64ur = alphabet("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
	alnumD   = alphabet("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-")
	dotted   = alphabet("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-.")
)

// tokenFormats are the formats this package knows. Each keeps its public
// prefix and masks the rest: the prefix tells a reader what leaked without
// revealing any of it.
func tokenFormats() []token {
	return []token{
		// AWS access key ids are base32 after their four-letter kind.
		{"aws_access_key", []string{"AKIA", "ASIA", "ABIA", "ACCA"}, base32, 16, 16, ""},
		{"github_token", []string{"ghp_", "gho_", "ghu_", "ghs_", "ghr_"}, alnum, 36, 255, ""},
		{"github_pat", []string{"github_pat_"}, alnumU, 22, 255, ""},
		// GitLab's routable tokens carry dotted parts; a sentence's full stop
		// is not one of them.
		{"gitlab_token", []string{"glpat-"}, dotted, 20, 1 << 10, "."},
		{"slack_token", []string{"xoxb-", "xoxp-", "xoxa-", "xoxr-", "xoxs-", "xapp-"}, alnumD, 10, 1 << 10, "-"},
		{"stripe_key", []string{"sk_live_", "sk_test_", "rk_live_", "rk_test_", "pk_live_"}, alnum, 16, 255, ""},
		{"google_api_key", []string{"AIza"}, base64ur, 35, 35, ""},
	}
}

func alphabet(chars string) *[256]bool {
	var a [256]bool
	for i := 0; i < len(chars); i++ {
		a[chars[i]] = true
	}
	return &a
}

func tokenDetectors() []detector {
	var ds []detector
	for _, t := range tokenFormats() {
		ds = append(ds, detector{name: t.name, keywords: t.prefixes, find: t.find})
	}
	return append(ds, detector{name: "jwt", keywords: []string{"eyj"}, find: findJWTs})
}

// find masks, at each keyword, a token that stands alone: no word byte
// before it, and its run of alphabet bytes neither shorter than min nor
// longer than max.
func (t token) find(v []byte, at []int, fs []finding) []finding {
	next := 0
	for _, start := range at {
		if start < next || start > 0 && (isWord(v[start-1]) || t.alphabet[v[start-1]]) {
			continue
		}
		prefix := t.prefix(v[start:])
		if prefix == 0 {
			continue
		}
		from := start + prefix
		end := from + run(v[from:], t.alphabet)
		for end > from && strings.IndexByte(t.trim, v[end-1]) >= 0 {
			end--
		}
		if n := end - from; n < t.min || n > t.max || end < len(v) && isWord(v[end]) {
			continue
		}
		fs = append(fs, finding{start: from, end: end, repl: stars})
		next = end
	}
	return fs
}

// prefix returns the length of the prefix that v starts with, or 0.
func (t token) prefix(v []byte) int {
	for _, p := range t.prefixes {
		if len(v) >= len(p) && string(v[:len(p)]) == p {
			return len(p)
		}
	}
	return 0
}

// run returns how many bytes v starts with that are in the alphabet.
func run(v []byte, a *[256]bool) int {
	n := 0
	for n < len(v) && a[v[n]] {
		n++
	}
	return n
}

// findJWTs masks JSON Web Tokens: three base64url segments split by dots,
// the header a JSON object, so starting with eyJ ("{"). It keeps eyJ.
func findJWTs(v []byte, at []int, fs []finding) []finding {
	next := 0
	for _, start := range at {
		if start < next || start > 0 && (isWord(v[start-1]) || base64ur[v[start-1]]) ||
			len(v)-start < 3 || string(v[start:start+3]) != "eyJ" {
			continue
		}
		from := start + 3
		end, ok := jwtEnd(v, from)
		if !ok {
			continue
		}
		fs = append(fs, finding{start: from, end: end, repl: stars})
		next = end
	}
	return fs
}

// jwtEnd returns where a JWT whose header continues at v[i] ends: header
// and payload of four or more bytes, the signature possibly empty.
func jwtEnd(v []byte, i int) (int, bool) {
	for seg, min := range [...]int{4, 4, 0} {
		n := run(v[i:], base64ur)
		if n < min {
			return 0, false
		}
		i += n
		if seg < 2 {
			if i >= len(v) || v[i] != '.' {
				return 0, false
			}
			i++
		}
	}
	return i, true
}
