package classify

import (
	"math/big"
	"strconv"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
)

// cval is the value of an expression that does not depend on the row, as far
// as it can be known without a database. Whatever is not certain is unknown;
// callers treat unknown as "could be anything".
type cval struct {
	kind ckind
	b    bool
	n    *big.Rat
	s    string
}

type ckind uint8

const (
	kUnknown ckind = iota
	kNull
	kBool
	kNum
	kStr
)

var unknown = cval{}

// constant evaluates n. It is the only way the walker reads constants or
// parameters, and it records that it did: such a verdict must not be shared
// with texts that differ only in their constants.
func (w *walker) constant(n *pg_query.Node) cval {
	switch x := n.GetNode().(type) {
	case *pg_query.Node_AConst:
		w.literal = true
		return constValue(x.AConst)
	case *pg_query.Node_ParamRef:
		w.literal = true
		return unknown
	case *pg_query.Node_TypeCast:
		return cast(w.constant(x.TypeCast.Arg), x.TypeCast.TypeName)
	case *pg_query.Node_AExpr:
		return w.aexpr(x.AExpr)
	case *pg_query.Node_BoolExpr:
		return w.boolExpr(x.BoolExpr)
	case *pg_query.Node_NullTest:
		v := w.constant(x.NullTest.Arg)
		if v.kind == kUnknown || x.NullTest.Argisrow {
			return unknown
		}
		isNull := v.kind == kNull
		if x.NullTest.Nulltesttype == pg_query.NullTestType_IS_NOT_NULL {
			isNull = !isNull
		}
		return cval{kind: kBool, b: isNull}
	case *pg_query.Node_BooleanTest:
		return booleanTest(truthOf(w.constant(x.BooleanTest.Arg)), x.BooleanTest.Booltesttype)
	}
	return unknown
}

func constValue(c *pg_query.A_Const) cval {
	if c.Isnull {
		return cval{kind: kNull}
	}
	switch v := c.Val.(type) {
	case *pg_query.A_Const_Ival:
		return cval{kind: kNum, n: new(big.Rat).SetInt64(int64(v.Ival.GetIval()))}
	case *pg_query.A_Const_Fval:
		if r, ok := parseNumber(v.Fval.GetFval()); ok {
			return cval{kind: kNum, n: r}
		}
	case *pg_query.A_Const_Boolval:
		return cval{kind: kBool, b: v.Boolval.GetBoolval()}
	case *pg_query.A_Const_Sval:
		return cval{kind: kStr, s: v.Sval.GetSval()}
	}
	return unknown
}

// parseNumber reads a decimal number exactly. Forms it does not know (hex,
// underscores, NaN, huge exponents) are left unknown.
func parseNumber(s string) (*big.Rat, bool) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 64 {
		return nil, false
	}
	mantissa, exp, hasExp := strings.Cut(strings.ToLower(s), "e")
	if hasExp {
		if e, err := strconv.Atoi(exp); err != nil || e < -64 || e > 64 {
			return nil, false
		}
	}
	if mantissa != "" && (mantissa[0] == '+' || mantissa[0] == '-') {
		mantissa = mantissa[1:]
	}
	whole, frac, _ := strings.Cut(mantissa, ".")
	if whole+frac == "" || !allDigits(whole) || !allDigits(frac) {
		return nil, false
	}
	return new(big.Rat).SetString(s)
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// parseBool accepts the spellings Postgres reads as a boolean. Prefixes,
// which Postgres also accepts, stay unknown.
func parseBool(s string) (value, ok bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "t", "true", "y", "yes", "on", "1":
		return true, true
	case "f", "false", "n", "no", "off", "0":
		return false, true
	}
	return false, false
}

// cast applies a type cast to a known value, for the few types whose
// conversion is exact and certain; the rest are unknown.
func cast(v cval, t *pg_query.TypeName) cval {
	if v.kind == kNull || v.kind == kUnknown {
		return v
	}
	name, ok := builtinType(t)
	if !ok {
		return unknown
	}
	switch name {
	case "bool", "boolean":
		switch v.kind {
		case kBool:
			return v
		case kStr:
			if b, ok := parseBool(v.s); ok {
				return cval{kind: kBool, b: b}
			}
		case kNum:
			if v.n.IsInt() {
				return cval{kind: kBool, b: v.n.Sign() != 0}
			}
		}
	case "int2", "int4", "int8", "smallint", "integer", "bigint", "int":
		switch v.kind {
		case kNum:
			return cval{kind: kNum, n: roundHalfAway(v.n)}
		case kStr:
			if r, ok := parseNumber(v.s); ok && r.IsInt() && !strings.ContainsAny(v.s, ".eE") {
				return cval{kind: kNum, n: r}
			}
		case kBool:
			return cval{kind: kNum, n: big.NewRat(boolInt(v.b), 1)}
		}
	case "numeric", "decimal":
		switch v.kind {
		case kNum:
			return v
		case kStr:
			if r, ok := parseNumber(v.s); ok {
				return cval{kind: kNum, n: r}
			}
		}
	case "text", "varchar":
		if v.kind == kStr {
			return v
		}
	}
	return unknown
}

// builtinType names a cast target when it surely is the built-in type:
// unqualified or in pg_catalog, without type modifiers or array bounds.
func builtinType(t *pg_query.TypeName) (string, bool) {
	names := t.GetNames()
	if len(names) == 0 || len(names) > 2 || len(t.Typmods) > 0 || len(t.ArrayBounds) > 0 || t.Setof || t.PctType {
		return "", false
	}
	if len(names) == 2 && names[0].GetString_().GetSval() != "pg_catalog" {
		return "", false
	}
	return names[len(names)-1].GetString_().GetSval(), true
}

func roundHalfAway(r *big.Rat) *big.Rat {
	if r.IsInt() {
		return r
	}
	half := big.NewRat(1, 2)
	if r.Sign() < 0 {
		half.Neg(half)
	}
	shifted := new(big.Rat).Add(r, half)
	return new(big.Rat).SetInt(new(big.Int).Quo(shifted.Num(), shifted.Denom()))
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// aexpr evaluates operators on known values: comparisons, IS [NOT] DISTINCT
// FROM, IN, BETWEEN and integer-exact arithmetic.
func (w *walker) aexpr(x *pg_query.A_Expr) cval {
	op, ok := operatorName(x.Name)
	if !ok {
		return unknown
	}
	switch x.Kind {
	case pg_query.A_Expr_Kind_AEXPR_OP:
		if x.Lexpr == nil {
			return prefix(op, w.constant(x.Rexpr))
		}
		if op == "=" && (isNullConst(x.Lexpr) || isNullConst(x.Rexpr)) {
			// transform_null_equals turns "x = NULL" into "x IS NULL".
			w.literal = true
			return unknown
		}
		return binary(op, w.constant(x.Lexpr), w.constant(x.Rexpr))
	case pg_query.A_Expr_Kind_AEXPR_DISTINCT, pg_query.A_Expr_Kind_AEXPR_NOT_DISTINCT:
		same := notDistinct(w.constant(x.Lexpr), w.constant(x.Rexpr))
		if same.kind == kBool && x.Kind == pg_query.A_Expr_Kind_AEXPR_DISTINCT {
			same.b = !same.b
		}
		return same
	case pg_query.A_Expr_Kind_AEXPR_IN:
		return w.in(op, x)
	case pg_query.A_Expr_Kind_AEXPR_BETWEEN, pg_query.A_Expr_Kind_AEXPR_NOT_BETWEEN:
		return w.between(x)
	}
	return unknown
}

// operatorName returns an operator's name when it surely is a built-in one.
func operatorName(name []*pg_query.Node) (string, bool) {
	switch len(name) {
	case 1:
		return name[0].GetString_().GetSval(), true
	case 2:
		if name[0].GetString_().GetSval() == "pg_catalog" {
			return name[1].GetString_().GetSval(), true
		}
	}
	return "", false
}

func isNullConst(n *pg_query.Node) bool {
	c := n.GetAConst()
	return c != nil && c.Isnull
}

func prefix(op string, v cval) cval {
	if v.kind == kNull {
		return v
	}
	if v.kind != kNum {
		return unknown
	}
	switch op {
	case "+":
		return v
	case "-":
		return cval{kind: kNum, n: new(big.Rat).Neg(v.n)}
	}
	return unknown
}

func binary(op string, l, r cval) cval {
	if l.kind == kUnknown || r.kind == kUnknown {
		return unknown
	}
	if l.kind == kNull || r.kind == kNull {
		return cval{kind: kNull}
	}
	switch op {
	case "+", "-", "*":
		return arithmetic(op, l, r)
	case "=", "<>", "!=", "<", ">", "<=", ">=":
		return compare(op, l, r)
	}
	return unknown
}

func arithmetic(op string, l, r cval) cval {
	l, r, ok := coerce(l, r)
	if !ok || l.kind != kNum {
		return unknown
	}
	z := new(big.Rat)
	switch op {
	case "+":
		z.Add(l.n, r.n)
	case "-":
		z.Sub(l.n, r.n)
	case "*":
		z.Mul(l.n, r.n)
	}
	if z.Num().BitLen() > 1024 || z.Denom().BitLen() > 1024 {
		return unknown
	}
	return cval{kind: kNum, n: z}
}

func compare(op string, l, r cval) cval {
	l, r, ok := coerce(l, r)
	if !ok {
		return unknown
	}
	var c int
	switch l.kind {
	case kNum:
		c = l.n.Cmp(r.n)
	case kStr, kBool:
		// Only equality is certain: ordering strings depends on collation.
		if op != "=" && op != "<>" && op != "!=" {
			return unknown
		}
		if l != r {
			c = 1
		}
	default:
		return unknown
	}
	var b bool
	switch op {
	case "=":
		b = c == 0
	case "<>", "!=":
		b = c != 0
	case "<":
		b = c < 0
	case ">":
		b = c > 0
	case "<=":
		b = c <= 0
	case ">=":
		b = c >= 0
	}
	return cval{kind: kBool, b: b}
}

// coerce brings two known, non-null values to one kind the way an untyped
// literal is read as the other side's type.
func coerce(l, r cval) (cval, cval, bool) {
	if l.kind == r.kind {
		if l.kind == kNum {
			return cval{kind: kNum, n: l.n}, cval{kind: kNum, n: r.n}, true
		}
		return l, r, true
	}
	if l.kind == kStr {
		r, l, ok := coerce(r, l)
		return l, r, ok
	}
	if r.kind != kStr {
		return l, r, false
	}
	switch l.kind {
	case kNum:
		if n, ok := parseNumber(r.s); ok {
			return l, cval{kind: kNum, n: n}, true
		}
	case kBool:
		if b, ok := parseBool(r.s); ok {
			return l, cval{kind: kBool, b: b}, true
		}
	}
	return l, r, false
}

func notDistinct(l, r cval) cval {
	if l.kind == kUnknown || r.kind == kUnknown {
		return unknown
	}
	if l.kind == kNull || r.kind == kNull {
		return cval{kind: kBool, b: l.kind == r.kind}
	}
	return compare("=", l, r)
}

// in evaluates "x IN (a, b)" as "x = a OR x = b" and NOT IN as "x <> a AND x <> b".
func (w *walker) in(op string, x *pg_query.A_Expr) cval {
	items := x.Rexpr.GetList().GetItems()
	if items == nil || (op != "=" && op != "<>") {
		return unknown
	}
	l := w.constant(x.Lexpr)
	acc := truthFalse
	if op == "<>" {
		acc = truthTrue
	}
	for _, it := range items {
		t := truthOf(binary(op, l, w.constant(it)))
		if op == "=" {
			acc = or3(acc, t)
		} else {
			acc = and3(acc, t)
		}
	}
	return acc.value()
}

func (w *walker) between(x *pg_query.A_Expr) cval {
	bounds := x.Rexpr.GetList().GetItems()
	if len(bounds) != 2 {
		return unknown
	}
	v := w.constant(x.Lexpr)
	t := and3(truthOf(binary(">=", v, w.constant(bounds[0]))), truthOf(binary("<=", v, w.constant(bounds[1]))))
	if x.Kind == pg_query.A_Expr_Kind_AEXPR_NOT_BETWEEN {
		t = not3(t)
	}
	return t.value()
}

func (w *walker) boolExpr(x *pg_query.BoolExpr) cval {
	var t truth
	switch x.Boolop {
	case pg_query.BoolExprType_AND_EXPR:
		t = truthTrue
		for _, a := range x.Args {
			t = and3(t, truthOf(w.constant(a)))
		}
	case pg_query.BoolExprType_OR_EXPR:
		t = truthFalse
		for _, a := range x.Args {
			t = or3(t, truthOf(w.constant(a)))
		}
	case pg_query.BoolExprType_NOT_EXPR:
		if len(x.Args) != 1 {
			return unknown
		}
		t = not3(truthOf(w.constant(x.Args[0])))
	default:
		return unknown
	}
	return t.value()
}

func booleanTest(t truth, test pg_query.BoolTestType) cval {
	if t == truthUnknown || t == truthRows {
		return unknown
	}
	var b bool
	switch test {
	case pg_query.BoolTestType_IS_TRUE:
		b = t == truthTrue
	case pg_query.BoolTestType_IS_NOT_TRUE:
		b = t != truthTrue
	case pg_query.BoolTestType_IS_FALSE:
		b = t == truthFalse
	case pg_query.BoolTestType_IS_NOT_FALSE:
		b = t != truthFalse
	case pg_query.BoolTestType_IS_UNKNOWN:
		b = t == truthNull
	case pg_query.BoolTestType_IS_NOT_UNKNOWN:
		b = t != truthNull
	default:
		return unknown
	}
	return cval{kind: kBool, b: b}
}

// setting renders a constant the way a SET argument reads it.
func (v cval) setting() (string, bool) {
	switch v.kind {
	case kStr:
		return v.s, true
	case kNum:
		return v.n.RatString(), true
	case kBool:
		if v.b {
			return "on", true
		}
		return "off", true
	}
	return "", false
}

// defElemBool reads the argument of an option such as EXPLAIN's ANALYZE.
func defElemBool(arg *pg_query.Node) (value, ok bool) {
	switch x := arg.GetNode().(type) {
	case *pg_query.Node_Boolean:
		return x.Boolean.Boolval, true
	case *pg_query.Node_Integer:
		switch x.Integer.Ival {
		case 0:
			return false, true
		case 1:
			return true, true
		}
	case *pg_query.Node_String_:
		return parseBool(x.String_.Sval)
	}
	return false, false
}
