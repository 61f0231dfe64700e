package pg

// rowPlanOf builds the mask plan of fields. With column rules, it asks the
// catalog which table column each field is, so the rules follow the data
// and not only the name the query gave it.
func (s *session) rowPlanOf(fields []field) *rowPlan {
	if s.cat == nil {
		return newRowPlan(s.srv.cfg.Masker, fields, nil)
	}
	src, expires := s.cat.sources(fields)
	p := newRowPlan(s.srv.cfg.Masker, fields, src)
	p.expires = expires
	return p
}

// stale reports whether p was built from sources that must be asked again.
// Plans of results without table columns never are, and cost no clock read.
func (s *session) stale(p *rowPlan) bool {
	return !p.expires.IsZero() && !s.srv.cfg.Clock.Now().Before(p.expires)
}
