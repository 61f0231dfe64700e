package pg

import "github.com/jitgate/jitgate/gateway/pg/classify"

// rowPlanOf builds the mask plan of fields. With column rules, it asks the
// catalog which table column each field is, so the rules follow the data
// and not only the name the query gave it.
func (s *session) rowPlanOf(fields []field) *rowPlan {
	if s.cat == nil {
		p := newRowPlan(s.srv.cfg.Masker, fields, nil)
		p.fields = fields
		return p
	}
	gen := s.cat.gen.Load()
	src, expires := s.cat.sources(fields)
	p := newRowPlan(s.srv.cfg.Masker, fields, src)
	p.expires, p.gen, p.fields = expires, gen, fields
	return p
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
