package mask

import (
	"bytes"
	"regexp"
)

// detector finds one kind of secret. It runs only on values in which one of
// its keywords appears (or, for the card detector, a long digit run), so its
// find may be slow but must not miss what its keywords announce.
type detector struct {
	name     string
	keywords []string // any of them, ignoring ASCII case, triggers find
	digitRun bool     // a run of minCardDigits digits triggers find
	// find appends what it finds in v; at holds where its keywords start in
	// v, in increasing order.
	find func(v []byte, at []int, fs []finding) []finding
	// alone, when set, is a shortcut for a value that triggers this
	// detector and no other: it appends v to dst masked as find, clean and
	// write would, and reports whether it replaced anything.
	alone func(dst, v []byte) ([]byte, bool)
}

// anchored is a detector's regular expression that matches only where one
// of the detector's keywords starts. Running it at those places alone, and
// not across the whole value, keeps its cost to the length of its matches:
// Go's regexp engine tries every start position of an unanchored search.
type anchored struct {
	re       *regexp.Regexp // begins with ^ and with the keywords
	groups   []int          // mask the first of these that took part
	repl     string
	boundary bool                     // the keyword must not follow a word byte
	skip     func(secret []byte) bool // optional: a match that is no secret
	// key, when set, is what the expression's key name consumes after the
	// keyword. A failed attempt fails the same way for every keyword in the
	// rest of that name, so they are skipped: without this, a long name
	// made of keywords (secretsecret...) costs quadratic time.
	key *[256]bool
}

func (p anchored) find(v []byte, at []int, fs []finding) []finding {
	next := 0
	for _, start := range at {
		if start < next || p.boundary && start > 0 && isWord(v[start-1]) {
			continue
		}
		m := p.re.FindSubmatchIndex(v[start:])
		if m == nil {
			if p.key != nil {
				next = start + run(v[start:], p.key)
			}
			continue
		}
		next = start + m[1]
		for _, g := range p.groups {
			s, e := m[2*g], m[2*g+1]
			if s < 0 {
				continue
			}
			if secret := v[start+s : start+e]; !masked(secret) && (p.skip == nil || !p.skip(secret)) {
				fs = append(fs, finding{start: start + s, end: start + e, repl: p.repl})
			}
			break
		}
	}
	return fs
}

// isWord reports whether b can be part of a token or identifier.
func isWord(b byte) bool {
	return 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9' || b == '_'
}

func isDigit(b byte) bool { return '0' <= b && b <= '9' }

// jsonLiteral reports whether an unquoted assigned value is a JSON or YAML
// literal: masking it would change its type and it holds no secret.
func jsonLiteral(b []byte) bool {
	for _, lit := range [...]string{"null", "true", "false", "nil", "none"} {
		if bytes.EqualFold(b, []byte(lit)) {
			return true
		}
	}
	return false
}
