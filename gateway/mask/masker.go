package mask

import (
	"fmt"
	"sync"
)

// whole replaces a value masked by a column rule.
const whole = "********"

// Masker finds and masks secrets. It is safe for concurrent use.
type Masker struct {
	columns   columnRules
	detectors []detector
	pre       prefilter
	scratch   sync.Pool // of *scratch
}

// scratch is the working memory of masking one value, reused so that a
// value with a secret costs no allocation either once the gateway is warm.
type scratch struct {
	keywords []keyword
	at       []int
	findings []finding
}

// Option changes what New builds.
type Option func(*options)

type options struct {
	gitleaks bool
}

// WithoutGitleaks leaves gitleaks' rules out: only the package's own
// detectors run.
func WithoutGitleaks() Option {
	return func(o *options) { o.gitleaks = false }
}

// New builds a Masker; columns are path.Match globs over column names
// (case-insensitive), e.g. password, secret, "*_token", api_key, ssn.
func New(columns []string, opts ...Option) (*Masker, error) {
	o := options{gitleaks: true}
	for _, opt := range opts {
		opt(&o)
	}
	rules, err := newColumnRules(columns)
	if err != nil {
		return nil, err
	}
	ds := ownDetectors()
	if o.gitleaks {
		gl, err := gitleaksDetectors()
		if err != nil {
			return nil, fmt.Errorf("load gitleaks rules: %w", err)
		}
		ds = append(ds, gl...)
	}
	pre, err := newPrefilter(ds)
	if err != nil {
		return nil, err
	}
	return &Masker{columns: rules, detectors: ds, pre: pre}, nil
}

// ownDetectors are this package's detectors. Order breaks ties between
// findings of the same bytes: the earlier detector's replacement wins, so
// labelled values come before emails and cards, and user:pass@host.com
// reads user:****@host.com, secret=4111... reads secret=****.
func ownDetectors() []detector {
	ds := []detector{pemDetector()}
	ds = append(ds, tokenDetectors()...)
	ds = append(ds, assignDetectors()...)
	return append(ds, emailDetector(), cardDetector())
}

// Column reports whether a column name is covered by a column rule, in
// which case the whole value is masked.
func (m *Masker) Column(name string) bool { return m.columns.match(name) }

// HasColumnRules reports whether any column rule is set: without one, no
// column name can change how a value is masked, so callers need not find
// out where a column comes from.
func (m *Masker) HasColumnRules() bool { return len(m.columns) > 0 }

// Whole returns the replacement for a whole value under a column rule.
func (m *Masker) Whole() string { return whole }
