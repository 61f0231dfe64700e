package pg

import (
	"github.com/jitgate/jitgate/gateway/mask"
	"github.com/jitgate/jitgate/gateway/pg/classify"
)

// rowPlanOf builds the mask plan of fields. With column rules, it asks the
// catalog which table column each field is, so the rules follow the data
// and not only the name the query gave it.
func (s *session) rowPlanOf(fields []field, derived reach) *rowPlan {
	if s.cat == nil {
		p := newRowPlan(s.srv.cfg.Masker, fields, nil, reachNone)
		p.fields = fields
		return p
	}
	gen := s.cat.gen.Load()
	src, expires := s.cat.sources(fields)
	p := newRowPlan(s.srv.cfg.Masker, fields, src, derived)
	p.expires, p.gen, p.fields = expires, gen, fields
	return p
}

// reach says which result columns a statement may fill from masked
// columns, beyond those the server names a masked table column for.
type reach uint8

const (
	reachNone reach = iota
	// reachUnnamed: the columns that are no table's, which it may compute
	// from masked ones.
	reachUnnamed
	// reachAll: every column, as it returns values it wrote from masked
	// ones (UPDATE users SET note = password RETURNING note).
	reachAll
	reaches
)

// masks reports whether r masks column f whole.
func (r reach) masks(f field) bool {
	return r == reachAll || r == reachUnnamed && f.table == 0
}

// derives says which result columns statements of verdict v may fill from
// a column a rule masks, or from columns that cannot be told.
func (s *session) derives(v classify.Verdict) reach {
	switch {
	case s.cat == nil: // no column rules
		return reachNone
	case anyMasked(s.srv.cfg.Masker, v.Rewritten):
		return reachAll
	case anyMasked(s.srv.cfg.Masker, v.Derived):
		return reachUnnamed
	}
	return reachNone
}

// anyMasked reports whether names (a verdict's Derived or Rewritten) hold
// a column m's rules mask, or columns that cannot be told.
func anyMasked(m *mask.Masker, names []string) bool {
	for _, name := range names {
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
