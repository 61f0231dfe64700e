package classify

import (
	"reflect"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// truth is what a condition is known to select. A condition that does not
// depend on the row selects all rows or none; one that does is assumed to
// select some (a column compared to a value, a join, a subquery).
type truth uint8

const (
	truthRows    truth = iota // depends on the row
	truthTrue                 // every row
	truthFalse                // no row
	truthNull                 // no row
	truthUnknown              // every row or none, not known which
)

// selectsAll reports whether a condition may select every row.
func (t truth) selectsAll() bool { return t == truthTrue || t == truthUnknown }

func truthOf(v cval) truth {
	switch v.kind {
	case kBool:
		if v.b {
			return truthTrue
		}
		return truthFalse
	case kNull:
		return truthNull
	case kStr: // an untyped literal used as a condition is read as boolean
		if b, ok := parseBool(v.s); ok {
			return truthOf(cval{kind: kBool, b: b})
		}
	}
	return truthUnknown
}

func (t truth) value() cval {
	switch t {
	case truthTrue:
		return cval{kind: kBool, b: true}
	case truthFalse:
		return cval{kind: kBool, b: false}
	case truthNull:
		return cval{kind: kNull}
	}
	return unknown
}

func and3(a, b truth) truth {
	switch {
	case a == truthFalse || b == truthFalse:
		return truthFalse
	case a == truthTrue:
		return b
	case b == truthTrue:
		return a
	case a == truthNull || b == truthNull:
		return truthNull // never true
	case a == truthRows || b == truthRows:
		return truthRows // a subset of the rows the row-dependent side selects
	}
	return truthUnknown
}

func or3(a, b truth) truth {
	switch {
	case a == truthTrue || b == truthTrue:
		return truthTrue
	case a == truthFalse:
		return b
	case b == truthFalse:
		return a
	case a == truthUnknown || b == truthUnknown:
		return truthUnknown // when the unknown side is true, every row
	case a == truthRows || b == truthRows:
		return truthRows
	}
	return truthNull
}

func not3(t truth) truth {
	switch t {
	case truthTrue:
		return truthFalse
	case truthFalse:
		return truthTrue
	}
	return t
}

// where marks UPDATE and DELETE that reach every row: no WHERE, a WHERE that
// does not depend on the row (WHERE true, WHERE 1 = 1, WHERE $1) unless it
// is surely false or null, or one that compares something with itself.
func (w *walker) where(kind string, cond *pg_query.Node) {
	if cond == nil {
		w.v.risky(kind + " without WHERE")
		return
	}
	if w.condition(cond).selectsAll() {
		w.v.risky(kind + " whose WHERE matches every row")
	}
}

// merge marks MERGE that updates or deletes every row: a join condition that
// matches everything, or WHEN NOT MATCHED BY SOURCE without a narrowing condition.
func (w *walker) merge(x *pg_query.MergeStmt) {
	joinAll := x.JoinCondition == nil || w.condition(x.JoinCondition).selectsAll()
	for _, n := range x.MergeWhenClauses {
		c := n.GetMergeWhenClause()
		if c == nil || (c.CommandType != pg_query.CmdType_CMD_UPDATE && c.CommandType != pg_query.CmdType_CMD_DELETE) {
			continue
		}
		switch c.MatchKind {
		case pg_query.MergeMatchKind_MERGE_WHEN_MATCHED:
			if joinAll && (c.Condition == nil || w.condition(c.Condition).selectsAll()) {
				w.v.risky("MERGE whose join matches every row")
			}
		case pg_query.MergeMatchKind_MERGE_WHEN_NOT_MATCHED_BY_SOURCE:
			if c.Condition == nil || w.condition(c.Condition).selectsAll() {
				w.v.risky("MERGE WHEN NOT MATCHED BY SOURCE changes every unmatched row")
			}
		}
	}
}

// condition judges a WHERE or ON condition. Only row-independent parts are
// evaluated, so "WHERE aid = 48213" never reads its constant and its verdict
// can be shared with every other aid.
func (w *walker) condition(n *pg_query.Node) truth {
	if !rowDependent(n) {
		return truthOf(w.constant(n))
	}
	switch x := n.GetNode().(type) {
	case *pg_query.Node_BoolExpr:
		args := x.BoolExpr.Args
		switch x.BoolExpr.Boolop {
		case pg_query.BoolExprType_AND_EXPR:
			t := truthTrue
			for _, a := range args {
				t = and3(t, w.condition(a))
			}
			return t
		case pg_query.BoolExprType_OR_EXPR:
			t := truthFalse
			for _, a := range args {
				t = or3(t, w.condition(a))
			}
			return t
		case pg_query.BoolExprType_NOT_EXPR:
			if len(args) == 1 {
				return not3(w.condition(args[0]))
			}
		}
	case *pg_query.Node_AExpr:
		if w.tautology(x.AExpr) {
			return truthUnknown
		}
	}
	return truthRows
}

// rowDependent reports whether n refers to a column anywhere (or to the
// cursor's row), which is how it can select some rows and not others.
func rowDependent(n *pg_query.Node) bool {
	var dependent func(m proto.Message) bool
	dependent = func(m proto.Message) bool {
		switch m.(type) {
		case *pg_query.ColumnRef, *pg_query.CurrentOfExpr:
			return true
		}
		v := reflect.ValueOf(m).Elem()
		return !eachChild(v, infoOf(v), func(c proto.Message) bool {
			return !dependent(c)
		})
	}
	return dependent(n)
}

// tautology recognises "x = x", "x <= x", "x >= x" and "x IS NOT DISTINCT
// FROM x", true on every row where x is not null.
func (w *walker) tautology(x *pg_query.A_Expr) bool {
	if x.Lexpr == nil || x.Rexpr == nil {
		return false
	}
	switch x.Kind {
	case pg_query.A_Expr_Kind_AEXPR_OP:
		op, ok := operatorName(x.Name)
		if !ok || (op != "=" && op != "<=" && op != ">=") {
			return false
		}
	case pg_query.A_Expr_Kind_AEXPR_NOT_DISTINCT:
	default:
		return false
	}
	return w.sameNode(x.Lexpr, x.Rexpr)
}

// sameNode compares two expressions ignoring where they sit in the text.
// Comparing two constants reads them, so it counts as looking at a literal;
// a constant never equals a non-constant, whatever its value, so comparing
// those does not (and "WHERE aid = 5" stays shareable).
func (w *walker) sameNode(a, b *pg_query.Node) bool {
	if a == nil || b == nil {
		return a == b
	}
	ca, cb := isConstNode(a), isConstNode(b)
	if ca != cb {
		return false
	}
	if ca {
		w.literal = true
	}
	return w.same(a.ProtoReflect(), b.ProtoReflect())
}

func isConstNode(n *pg_query.Node) bool {
	switch n.GetNode().(type) {
	case *pg_query.Node_AConst, *pg_query.Node_ParamRef:
		return true
	}
	return false
}

func (w *walker) same(a, b protoreflect.Message) bool {
	if a.Descriptor() != b.Descriptor() {
		return false
	}
	fields := a.Descriptor().Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		if fd.Name() == "location" {
			continue
		}
		if a.Has(fd) != b.Has(fd) {
			return false
		}
		if !a.Has(fd) {
			continue
		}
		if !w.sameValue(fd, a.Get(fd), b.Get(fd)) {
			return false
		}
	}
	return true
}

func (w *walker) sameValue(fd protoreflect.FieldDescriptor, a, b protoreflect.Value) bool {
	if fd.IsList() {
		la, lb := a.List(), b.List()
		if la.Len() != lb.Len() {
			return false
		}
		for i := range la.Len() {
			if !w.sameElem(fd, la.Get(i), lb.Get(i)) {
				return false
			}
		}
		return true
	}
	return w.sameElem(fd, a, b)
}

func (w *walker) sameElem(fd protoreflect.FieldDescriptor, a, b protoreflect.Value) bool {
	if fd.Kind() != protoreflect.MessageKind {
		return a.Equal(b)
	}
	if na, ok := a.Message().Interface().(*pg_query.Node); ok {
		nb, _ := b.Message().Interface().(*pg_query.Node)
		return w.sameNode(na, nb)
	}
	return w.same(a.Message(), b.Message())
}
