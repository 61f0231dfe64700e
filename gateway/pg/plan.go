package pg

import (
	"github.com/jitgate/jitgate/gateway/mask"
	"github.com/jitgate/jitgate/gateway/pg/classify"
)

// rowPlanOf builds the mask plan of fields. With column rules, it asks the
// catalog which table column each field is, so the rules follow the data
// and not only the name the query gave it.
func (s *session) rowPlanOf(fields []field, derived bool) *rowPlan {
	if s.cat == nil {
		p := newRowPlan(s.srv.cfg.Masker, fields, nil, false)
		p.fields = fields
		return p
	}
	gen := s.cat.gen.Load()
	src, expires := s.cat.sources(fields)
	p := newRowPlan(s.srv.cfg.Masker, fields, src, derived)
	p.expires, p.gen, p.fields = expires, gen, fields
	return p
}

// derives reports whether statements of verdict v may compute result
// columns from a column a rule masks, or from columns that cannot be told.
func (s *session) derives(v classify.Verdict) bool {
	return s.cat != nil && derivesMasked(s.srv.cfg.Masker, v) // no catalog: no column rules
}

// derivesMasked reports whether a verdict's Derived holds a column m's
// rules mask, or columns that cannot be told.
func derivesMasked(m *mask.Masker, v classify.Verdict) bool {
	for _, name := range v.Derived {
		if name == classify.AnyColumn || m.Column(name) {
			return true
		}
	}
	return false
}

// stale reports whether p was built from sources that must be asked again:
// they expired, or a session changed the schema since. Plans of results
// without table columns never are, and cost no clock read.
func (s *session) stale(p *rowPlan) bool {
	return !p.expires.IsZero() && (p.gen != s.cat.gen.Load() || !s.srv.cfg.Clock.Now().Before(p.expires))
}

// changesSchema reports whether a statement may change what a relation's
// columns are or show: any write or risky statement but plain DML.
func changesSchema(v classify.Verdict) bool {
	if !v.Write && !v.Risky {
		return false
	}
	for _, k := range v.Kinds {
		switch k {
		case "INSERT", "UPDATE", "DELETE", "MERGE", "COPY", "SELECT":
		default:
			return true
		}
	}
	return false
}

// schemaChanged drops what the catalog said, after a statement of this
// session that may have changed the schema completed, and again when its
// transaction ends: only then do other connections, the catalog's own
// among them, see the change.
func (s *session) schemaChanged(txEnded bool) {
	if s.cat == nil {
		return
	}
	s.cat.forget()
	s.schemaTx = !txEnded
}
