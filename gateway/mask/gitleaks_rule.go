package mask

import (
	"bytes"
	"math"

	"github.com/zricethezav/gitleaks/v8/config"
)

// gitleaksRule applies one gitleaks rule to a value the way gitleaks'
// detector applies it to a file: the secret is the rule's secret group (or
// the first group that matched, or the whole match), it must be random
// enough, and no allowlist may excuse it.
type gitleaksRule struct {
	rule   config.Rule
	global []*config.Allowlist
}

// window is how far from a keyword a gitleaks match may reach. Many rules
// start with a lazy [\w.-]{0,50}? before their keyword, which Go's engine
// runs at hundreds of nanoseconds a byte: over a long text with one keyword
// in it, a window around each keyword costs a fraction of the whole. The
// default rules' matches reach far less than this from their keywords; a
// value shorter than two windows is searched whole, as gitleaks would.
const window = 256

// find runs the rule's expression on the parts of v around its keywords.
func (g *gitleaksRule) find(v []byte, at []int, fs []finding) []finding {
	for len(at) > 0 {
		lo, hi := max(at[0]-window, 0), min(at[0]+window, len(v))
		for at = at[1:]; len(at) > 0 && at[0]-window <= hi; at = at[1:] {
			hi = min(at[0]+window, len(v))
		}
		fs = g.findIn(v, lo, hi, fs)
	}
	return fs
}

// findIn appends the rule's findings within v[lo:hi].
func (g *gitleaksRule) findIn(v []byte, lo, hi int, fs []finding) []finding {
	for _, m := range g.rule.Regex.FindAllSubmatchIndex(v[lo:hi], -1) {
		for i := range m {
			if m[i] >= 0 {
				m[i] += lo
			}
		}
		start, end := g.secret(m)
		secret := v[start:end]
		if masked(secret) || g.rule.Entropy != 0 && entropy(secret) <= g.rule.Entropy {
			continue
		}
		if g.allowed(secret, v[m[0]:m[1]], lineAround(v, m[0], m[1])) {
			continue
		}
		fs = append(fs, finding{start: start, end: end, repl: stars})
	}
	return fs
}

// secret returns the span of the secret within match m.
func (g *gitleaksRule) secret(m []int) (int, int) {
	if n := g.rule.SecretGroup; n > 0 {
		if 2*n+1 < len(m) && m[2*n] >= 0 {
			return m[2*n], m[2*n+1]
		}
		return m[0], m[1]
	}
	for i := 2; i+1 < len(m); i += 2 {
		if m[i] >= 0 && m[i+1] > m[i] {
			return m[i], m[i+1]
		}
	}
	return m[0], m[1]
}

func (g *gitleaksRule) allowed(secret, match, line []byte) bool {
	for _, list := range [][]*config.Allowlist{g.global, g.rule.Allowlists} {
		for _, a := range list {
			if allows(a, secret, match, line) {
				return true
			}
		}
	}
	return false
}

// allows mirrors gitleaks' checkFindingAllowed for a value that has no path
// and no commit: under AND, a list that names paths or commits never
// applies.
func allows(a *config.Allowlist, secret, match, line []byte) bool {
	target := secret
	switch a.RegexTarget {
	case "match":
		target = match
	case "line":
		target = line
	}
	regex := a.RegexAllowed(string(target))
	stop, _ := a.ContainsStopWord(string(secret))
	if a.MatchCondition != config.AllowlistMatchAnd {
		return regex || stop
	}
	if len(a.Paths) > 0 || len(a.Commits) > 0 {
		return false
	}
	return (len(a.Regexes) == 0 || regex) && (len(a.StopWords) == 0 || stop)
}

// lineAround returns the lines of v that hold v[start:end].
func lineAround(v []byte, start, end int) []byte {
	from := bytes.LastIndexByte(v[:start], '\n') + 1
	to := bytes.IndexByte(v[end:], '\n')
	if to < 0 {
		return v[from:]
	}
	return v[from : end+to]
}

// entropy is the Shannon entropy of b in bits per byte, as gitleaks
// computes it per rune (secrets are ASCII).
func entropy(b []byte) float64 {
	var counts [256]int
	for _, c := range b {
		counts[c]++
	}
	e, n := 0.0, float64(len(b))
	for _, c := range counts {
		if c > 0 {
			f := float64(c) / n
			e -= f * math.Log2(f)
		}
	}
	return e
}
