package classify

import (
	"reflect"
	"slices"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"
)

// A result column the server names a table column for (RowDescription's
// table and attribute) can be masked by that column's rules. One computed
// from columns (`password || ''`), put out by a set operation
// (`SELECT password ... UNION ...`) or by a function in FROM has no such
// name. Derived lists the columns whose values may reach such results, so
// the gateway can mask every unnamed result column of a statement that
// derives from a masked column.
//
// Only what can reach a result counts: the target lists of subqueries,
// CTEs and set operations, whole expressions in the outermost target list
// or RETURNING, and the arguments of functions in FROM. A WHERE, JOIN ON,
// GROUP BY or ORDER BY filters and orders rows but puts no value out, so
// `WHERE password = $1` derives nothing. A plain column in the outermost
// target list is left out: the server names its table column.

// AnyColumn in Derived stands for columns that cannot be named: a whole
// row (`row_to_json(u)`, `u.*` in an expression), a star in a set
// operation, a relation given new column names (`users AS u(a, b)`), a
// function that reads whole tables or queries (`table_to_xml`), the result
// of a statement prepared or a cursor declared earlier (EXECUTE, FETCH).
const AnyColumn = "*"

// A data-modifying statement's RETURNING puts out the table's columns,
// which the server names, with the values it just wrote into them: `UPDATE
// users SET note = password RETURNING note` returns a password as
// users.note. Rewritten lists the columns the written values (SET, the
// INSERT's source, ON CONFLICT and MERGE actions) are computed from, when
// the statement returns anything; the gateway masks every returned column
// when one is masked.

// Some functions send a value outside the result rows: set_config's value
// comes back in a ParameterStatus message, or later from current_setting;
// pg_notify's payload goes to every listener. Sent lists the columns their
// arguments are computed from, wherever in the statement they are called.

// derivation collects what reaches unnamed result columns.
type derivation struct {
	names []string
	// written collects what the values of a returning write are
	// computed from.
	written *derivation
	// single are one-part column references, which may instead name a
	// relation's whole row; relations are the names of the statement's
	// relations and aliases, to tell them apart at the end.
	single    []string
	relations []string
}

// derivedOf returns the Derived, Rewritten and Sent of one statement;
// sends are the arguments of its calls that send values (see funcCall).
func derivedOf(stmt *pg_query.Node, sends []*pg_query.Node) (derived, rewritten, sent []string) {
	w := &derivation{}
	w.written = w // what a write's own CTEs write counts as written too
	d := &derivation{written: w}
	d.top(unwrap(stmt))
	out := &derivation{}
	for _, arg := range sends {
		out.all(arg)
	}
	if len(out.names) > 0 {
		// A computed value sent may come through a CTE, a subquery or
		// new column names: whatever those bring in counts.
		out.names = appendNew(out.names, d.names)
		out.single = appendNew(out.single, d.single)
	}
	if len(d.single) > 0 || len(w.single) > 0 || len(out.single) > 0 {
		d.collectRelations(stmt)
		d.wholeRows(d)
		d.wholeRows(w)
		d.wholeRows(out)
	}
	return d.names, w.names, out.names
}

// wholeRows adds AnyColumn to x when a one-part reference it counted
// names one of the statement's relations.
func (d *derivation) wholeRows(x *derivation) {
	for _, s := range x.single {
		if slices.Contains(d.relations, s) {
			x.add(AnyColumn)
		}
	}
}

// dml handles a data-modifying statement, and reports whether m is one.
// Its RETURNING is a target list, where a plain column is left out when
// outer (the server names it); what it writes (parts, and what its CTEs
// and FROM items bring in, which the written values may come from) counts
// into Rewritten when it returns anything.
func (d *derivation) dml(m proto.Message, outer, setOp bool) bool {
	var with *pg_query.WithClause
	var from, returning []*pg_query.Node
	var parts []proto.Message
	switch x := m.(type) {
	case *pg_query.InsertStmt:
		with, returning, parts = x.WithClause, x.ReturningList, []proto.Message{x.SelectStmt, x.OnConflictClause}
	case *pg_query.UpdateStmt:
		with, from, returning, parts = x.WithClause, x.FromClause, x.ReturningList, []proto.Message{nodes(x.TargetList)}
	case *pg_query.DeleteStmt:
		with, from, returning = x.WithClause, x.UsingClause, x.ReturningList
	case *pg_query.MergeStmt:
		with, from, returning, parts = x.WithClause, []*pg_query.Node{x.SourceRelation}, x.ReturningList, []proto.Message{nodes(x.MergeWhenClauses)}
	default:
		return false
	}
	if outer && len(returning) == 0 {
		return true
	}
	for _, t := range returning {
		if rt := t.GetResTarget(); rt != nil && !(outer && plainColumn(rt.Val)) {
			d.all(rt.Val)
		}
	}
	d.clauses(with, from, nil, setOp)
	if len(returning) > 0 && parts != nil { // a DELETE writes nothing
		for _, p := range parts {
			d.written.all(p)
		}
		d.written.clauses(with, from, nil, false)
	}
	return true
}

func (d *derivation) add(name string) {
	if !slices.Contains(d.names, name) {
		d.names = append(d.names, name)
	}
}

// top handles a statement whose results go to the client.
func (d *derivation) top(m proto.Message) {
	if d.dml(m, true, false) {
		return
	}
	switch x := m.(type) {
	case *pg_query.SelectStmt:
		if x.Larg != nil || x.Rarg != nil {
			d.query(m, true)
			return
		}
		for _, t := range x.TargetList {
			if rt := t.GetResTarget(); rt != nil && !plainColumn(rt.Val) {
				d.all(rt.Val)
			}
		}
		d.clauses(x.WithClause, x.FromClause, x.ValuesLists, false)
	case *pg_query.CopyStmt:
		if x.Query != nil {
			d.top(unwrap(x.Query))
		}
	case *pg_query.ExecuteStmt, *pg_query.FetchStmt:
		d.add(AnyColumn)
	}
}

// query handles a query whose every output column can reach a result: a
// subquery, a CTE, an arm of a set operation (setOp, where a star too is
// unnamed).
func (d *derivation) query(m proto.Message, setOp bool) {
	if m == nil || reflect.ValueOf(m).IsNil() || d.dml(m, false, setOp) {
		return
	}
	switch x := m.(type) {
	case *pg_query.SelectStmt:
		if x.Larg != nil || x.Rarg != nil {
			d.clauses(x.WithClause, nil, nil, true)
			d.query(x.Larg, true)
			d.query(x.Rarg, true)
			return
		}
		for _, t := range x.TargetList {
			switch rt := t.GetResTarget(); {
			case rt == nil:
			case star(rt.Val):
				// Outside a set operation a star passes its columns
				// on as they are: named by the server, or by what
				// the outer query computes from them.
				if setOp {
					d.add(AnyColumn)
				}
			default:
				d.all(rt.Val)
			}
		}
		d.clauses(x.WithClause, x.FromClause, x.ValuesLists, setOp)
	default:
		d.all(m)
	}
}

// clauses handles what a query reads from: its CTEs, FROM items and VALUES.
func (d *derivation) clauses(with *pg_query.WithClause, from, values []*pg_query.Node, setOp bool) {
	if with != nil {
		for _, c := range with.Ctes {
			if cte := c.GetCommonTableExpr(); cte != nil {
				if len(cte.Aliascolnames) > 0 && hasStar(cte.Ctequery) {
					d.add(AnyColumn)
				}
				d.query(unwrap(cte.Ctequery), setOp)
			}
		}
	}
	for _, f := range from {
		d.fromItem(unwrap(f), setOp)
	}
	for _, v := range values {
		d.all(v)
	}
}

func (d *derivation) fromItem(m proto.Message, setOp bool) {
	if m == nil || reflect.ValueOf(m).IsNil() {
		return
	}
	switch x := m.(type) {
	case *pg_query.RangeVar:
		if x.Alias != nil && len(x.Alias.Colnames) > 0 || statistics(x.Relname) {
			// users AS u(a, b, c, p): p is password.
			d.add(AnyColumn)
		}
	case *pg_query.JoinExpr:
		d.fromItem(unwrap(x.Larg), setOp)
		d.fromItem(unwrap(x.Rarg), setOp)
		if x.Jointype == pg_query.JoinType_JOIN_FULL {
			// A FULL JOIN's merged columns are COALESCEs of both sides'.
			for _, u := range x.UsingClause {
				d.add(u.GetString_().GetSval())
			}
		}
		if x.Alias != nil && len(x.Alias.Colnames) > 0 || x.IsNatural && x.Jointype == pg_query.JoinType_JOIN_FULL {
			d.add(AnyColumn)
		}
	case *pg_query.RangeSubselect:
		if x.Alias != nil && len(x.Alias.Colnames) > 0 && hasStar(x.Subquery) {
			d.add(AnyColumn)
		}
		d.query(unwrap(x.Subquery), setOp)
	case *pg_query.RangeTableSample:
		d.fromItem(unwrap(x.Relation), setOp)
	default:
		// Functions in FROM, XMLTABLE, JSON_TABLE: what they are given is
		// what they put out.
		d.all(m)
	}
}

// all counts every column reference below m.
func (d *derivation) all(m proto.Message) {
	if m == nil || reflect.ValueOf(m).IsNil() {
		return
	}
	switch x := m.(type) {
	case *pg_query.ColumnRef:
		d.columnRef(x)
		return
	case *pg_query.FuncCall:
		if readsTables(x) {
			d.add(AnyColumn)
		}
	}
	v := reflect.ValueOf(m).Elem()
	eachChild(v, infoOf(v), func(c proto.Message) bool {
		d.all(c)
		return true
	})
}

func (d *derivation) columnRef(x *pg_query.ColumnRef) {
	if len(x.Fields) == 0 {
		return
	}
	last := x.Fields[len(x.Fields)-1]
	if last.GetAStar() != nil {
		d.add(AnyColumn) // u.* in an expression is the whole row
		return
	}
	name := last.GetString_().GetSval()
	if rowFunction(x) {
		d.add(AnyColumn)
	}
	d.add(name)
	if len(x.Fields) == 1 && !slices.Contains(d.single, name) {
		d.single = append(d.single, name)
	}
}

// collectRelations gathers every relation name and alias of the
// statement, wherever it is.
func (d *derivation) collectRelations(m proto.Message) {
	if m == nil || reflect.ValueOf(m).IsNil() {
		return
	}
	switch x := m.(type) {
	case *pg_query.RangeVar:
		d.relations = append(d.relations, x.Relname)
	case *pg_query.Alias:
		d.relations = append(d.relations, x.Aliasname)
	case *pg_query.CommonTableExpr:
		d.relations = append(d.relations, x.Ctename)
	}
	v := reflect.ValueOf(m).Elem()
	eachChild(v, infoOf(v), func(c proto.Message) bool {
		d.collectRelations(c)
		return true
	})
}

// plainColumn reports whether n is a column reference, or a star, alone:
// the server names the table column of what it puts out.
func plainColumn(n *pg_query.Node) bool {
	c := n.GetColumnRef()
	return c != nil && !rowFunction(c)
}

// rowFunction reports a reference `u.f` that may be the call f(u) of a
// function of the whole row (`u.to_jsonb` is to_jsonb(u)): the built-in
// functions whose one argument takes any row.
func rowFunction(c *pg_query.ColumnRef) bool {
	if len(c.Fields) < 2 {
		return false
	}
	switch c.Fields[len(c.Fields)-1].GetString_().GetSval() {
	case "array_agg", "json_agg", "jsonb_agg", "json_agg_strict", "jsonb_agg_strict", "any_value",
		"to_json", "to_jsonb", "row_to_json", "json_build_array", "jsonb_build_array",
		"json_build_object", "jsonb_build_object", "concat", "quote_literal", "quote_nullable",
		"record_out", "record_send", "any_out", "anyelement_out", "anynonarray_out",
		"anycompatible_out", "anycompatiblenonarray_out", "hash_record", "hstore", "populate_record":
		return true
	}
	return false
}

// statistics reports the catalogs that hold sample values of every
// column: pg_stats shows a masked column's most common values.
func statistics(relname string) bool {
	switch relname {
	case "pg_stats", "pg_stats_ext", "pg_stats_ext_exprs", "pg_statistic", "pg_statistic_ext_data":
		return true
	}
	return false
}

// star reports whether n is `*` or `t.*`.
func star(n *pg_query.Node) bool {
	c := n.GetColumnRef()
	return c != nil && len(c.Fields) > 0 && c.Fields[len(c.Fields)-1].GetAStar() != nil
}

// hasStar reports whether a query's target list holds a star.
func hasStar(n *pg_query.Node) bool {
	s := n.GetSelectStmt()
	if s == nil {
		return true // not a plain SELECT: assume the worst
	}
	return selectHasStar(s)
}

func selectHasStar(s *pg_query.SelectStmt) bool {
	if s.Larg != nil || s.Rarg != nil {
		return s.Larg != nil && selectHasStar(s.Larg) || s.Rarg != nil && selectHasStar(s.Rarg)
	}
	for _, t := range s.TargetList {
		if rt := t.GetResTarget(); rt != nil && star(rt.Val) {
			return true
		}
	}
	return false
}

// nodes wraps a list for all.
func nodes(list []*pg_query.Node) proto.Message {
	return &pg_query.List{Items: list}
}

// readsTables reports calls that put out whole tables or the results of
// queries given as text.
func readsTables(x *pg_query.FuncCall) bool {
	switch _, name := funcName(x.Funcname); name {
	case "ts_stat", "ts_rewrite":
		return true // they run a query given as text
	case "table_to_xml", "table_to_xmlschema", "table_to_xml_and_xmlschema",
		"query_to_xml", "query_to_xmlschema", "query_to_xml_and_xmlschema",
		"cursor_to_xml", "cursor_to_xmlschema",
		"schema_to_xml", "schema_to_xmlschema", "schema_to_xml_and_xmlschema",
		"database_to_xml", "database_to_xmlschema", "database_to_xml_and_xmlschema":
		return true
	}
	return false
}
