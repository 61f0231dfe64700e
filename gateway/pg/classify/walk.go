package classify

import (
	"reflect"
	"slices"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"
)

// walker visits every node of a parse tree and records what it finds.
type walker struct {
	v       Verdict
	ops     []sessionOp
	literal bool // looked at the value of a constant or parameter
	// sends are the arguments of the statement's calls that send values
	// outside the result rows (derived.go).
	sends []*pg_query.Node
}

func walkTree(tree *pg_query.ParseResult) *analysis {
	w := &walker{}
	for _, raw := range tree.GetStmts() {
		if raw.GetStmt() == nil {
			continue
		}
		w.v.Kinds = append(w.v.Kinds, tag(raw.Stmt))
		w.walk(raw.Stmt)
		derived, rewritten, sent := derivedOf(raw.Stmt, w.sends)
		w.sends = w.sends[:0]
		w.v.Derived = appendNew(w.v.Derived, derived)
		w.v.Rewritten = appendNew(w.v.Rewritten, rewritten)
		w.v.Sent = appendNew(w.v.Sent, sent)
	}
	return &analysis{verdict: w.v.shared(), ops: w.ops, literal: w.literal}
}

// appendNew appends the names of add that list does not hold yet. It
// never writes into list's spare room, which a cached verdict may share.
func appendNew(list, add []string) []string {
	list = slices.Clip(list)
	for _, name := range add {
		if !slices.Contains(list, name) {
			list = append(list, name)
		}
	}
	return list
}

// walk visits m and, unless the visit handled them itself, all its children.
func (w *walker) walk(m proto.Message) {
	v := reflect.ValueOf(m).Elem()
	in := infoOf(v)
	if !w.visit(m, in) {
		return
	}
	eachChild(v, in, func(c proto.Message) bool {
		w.walk(c)
		return true
	})
}

// visit applies the rules for one node and reports whether to descend.
func (w *walker) visit(m proto.Message, in *messageInfo) bool {
	if in.stmt {
		w.statement(m, in.rule)
	}
	switch x := m.(type) {
	case *pg_query.SelectStmt:
		if x.IntoClause != nil || len(x.LockingClause) > 0 {
			w.v.Write = true // SELECT INTO creates a table; FOR UPDATE/SHARE locks rows
		}
	case *pg_query.UpdateStmt:
		w.settingsTable(x.Relation)
		w.where("UPDATE", x.WhereClause)
	case *pg_query.DeleteStmt:
		w.where("DELETE", x.WhereClause)
	case *pg_query.MergeStmt:
		w.merge(x)
	case *pg_query.CommonTableExpr:
		w.cte(x)
	case *pg_query.FuncCall:
		w.funcCall(x)
	case *pg_query.VariableSetStmt:
		w.set(x)
	case *pg_query.TransactionStmt:
		w.transaction(x)
	case *pg_query.CopyStmt:
		w.copy(x)
	case *pg_query.CreateFunctionStmt:
		w.securityDefiner(x.Options)
	case *pg_query.AlterFunctionStmt:
		w.securityDefiner(x.Actions)
	case *pg_query.DiscardStmt:
		if x.Target == pg_query.DiscardMode_DISCARD_ALL {
			w.v.risky("DISCARD ALL resets role and read-only settings")
			w.ops = append(w.ops, sessionOp{kind: opDeallocateAll})
		}
	case *pg_query.ExecuteStmt:
		w.ops = append(w.ops, sessionOp{kind: opExecute, name: x.Name})
	case *pg_query.ClosePortalStmt:
		w.v.Portals = append(w.v.Portals, PortalOp{Kind: CloseCursor, Name: x.Portalname})
	case *pg_query.DeallocateStmt:
		if x.Isall || x.Name == "" {
			w.ops = append(w.ops, sessionOp{kind: opDeallocateAll})
		} else {
			w.ops = append(w.ops, sessionOp{kind: opDeallocate, name: x.Name})
			w.v.Renames = append(w.v.Renames, x.Name)
		}
	case *pg_query.CreateRoleStmt, *pg_query.AlterRoleStmt,
		*pg_query.CreateUserMappingStmt, *pg_query.AlterUserMappingStmt,
		*pg_query.CreateForeignServerStmt, *pg_query.AlterForeignServerStmt,
		*pg_query.CreateSubscriptionStmt, *pg_query.AlterSubscriptionStmt:
		// Passwords and connection strings sit in these statements'
		// constants, quoted in any of the ways SQL allows.
		w.v.Secret = true
	case *pg_query.ExplainStmt:
		w.explain(x)
		return false
	case *pg_query.PrepareStmt:
		w.prepare(x)
		return false
	}
	return true
}

// statement applies the per-type rule to statement nodes, wherever they sit
// (top level, CTEs, CREATE SCHEMA elements, rule actions, function bodies).
func (w *walker) statement(m proto.Message, r rule) {
	switch r {
	case ruleRead:
	case ruleWrite:
		w.v.Write = true
	default:
		// Every statement type not known to be harmless, including any
		// that a newer parser adds, writes and is risky.
		w.v.Write = true
		w.v.risky(tag(m))
	}
}

type rule uint8

const (
	ruleRisky rule = iota // the zero value: anything not listed
	ruleRead
	ruleWrite
)

var statementRules = map[string]rule{
	// Reads, unless what they contain says otherwise (visit, walk).
	"SelectStmt": ruleRead, "VariableShowStmt": ruleRead, "ExplainStmt": ruleRead,
	"TransactionStmt": ruleRead, "VariableSetStmt": ruleRead, "DiscardStmt": ruleRead,
	"DeallocateStmt": ruleRead, "ListenStmt": ruleRead, "UnlistenStmt": ruleRead,
	"NotifyStmt": ruleRead, "FetchStmt": ruleRead, "ClosePortalStmt": ruleRead,
	"DeclareCursorStmt": ruleRead, "PrepareStmt": ruleRead, "ExecuteStmt": ruleRead,
	"ConstraintsSetStmt": ruleRead, "ReturnStmt": ruleRead, "CopyStmt": ruleRead,

	// Writes that need no review by themselves.
	"InsertStmt": ruleWrite, "UpdateStmt": ruleWrite, "DeleteStmt": ruleWrite,
	"MergeStmt": ruleWrite, "CreateStmt": ruleWrite, "CreateTableAsStmt": ruleWrite,
	"IndexStmt": ruleWrite, "ViewStmt": ruleWrite, "CreateSeqStmt": ruleWrite,
	"CreateSchemaStmt": ruleWrite, "CreateEnumStmt": ruleWrite,
	"CompositeTypeStmt": ruleWrite, "CreateRangeStmt": ruleWrite,
	"CreateDomainStmt": ruleWrite, "CreateStatsStmt": ruleWrite,
	"CreatedbStmt": ruleWrite, "CommentStmt": ruleWrite, "LockStmt": ruleWrite,
	"VacuumStmt": ruleWrite, "ClusterStmt": ruleWrite, "ReindexStmt": ruleWrite,
	"RefreshMatViewStmt": ruleWrite, "CheckPointStmt": ruleWrite,
}

// explain classifies the inner statement only when ANALYZE runs it; a plain
// EXPLAIN plans it without running it.
func (w *walker) explain(x *pg_query.ExplainStmt) {
	if w.explainAnalyzes(x.Options) && x.Query != nil {
		w.walk(x.Query)
	}
}

func (w *walker) explainAnalyzes(options []*pg_query.Node) bool {
	for _, o := range options {
		d := o.GetDefElem()
		if d == nil || !strings.EqualFold(d.Defname, "analyze") {
			continue
		}
		if d.Arg == nil {
			return true
		}
		w.literal = true
		if on, ok := defElemBool(d.Arg); !ok || on {
			return true
		}
	}
	return false
}

// prepare records the prepared statement for the session. PREPARE itself
// carries what the statement would do: the name can also be run through the
// extended protocol (Bind), which a SQL-level session does not see.
func (w *walker) prepare(x *pg_query.PrepareStmt) {
	inner := &walker{}
	if x.Query != nil {
		inner.walk(x.Query)
		inner.v.Derived, inner.v.Rewritten, inner.v.Sent = derivedOf(x.Query, inner.sends)
	}
	w.literal = w.literal || inner.literal
	if len(inner.ops) > 0 {
		w.v.refuse("PREPARE of a statement that uses prepared statements")
	}
	w.v.merge(inner.v)
	w.ops = append(w.ops, sessionOp{kind: opPrepare, name: x.Name, verdict: inner.v})
	w.v.Renames = append(w.v.Renames, x.Name)
}

func (w *walker) cte(x *pg_query.CommonTableExpr) {
	switch x.GetCtequery().GetNode().(type) {
	case *pg_query.Node_InsertStmt, *pg_query.Node_UpdateStmt,
		*pg_query.Node_DeleteStmt, *pg_query.Node_MergeStmt:
		w.v.risky("data-modifying WITH")
	}
}

// settingsTable refuses UPDATE of pg_settings: a rule turns it into
// set_config, so it can change any setting, including how input is lexed.
func (w *walker) settingsTable(rel *pg_query.RangeVar) {
	if rel != nil && strings.EqualFold(rel.Relname, "pg_settings") {
		w.v.refuse("UPDATE pg_settings changes server settings")
	}
}

func (w *walker) copy(x *pg_query.CopyStmt) {
	// Whether a file name was given is read from a string literal (FROM ''
	// and FROM STDIN look alike in the tree), so the verdict is not shared
	// with texts that differ in it.
	w.literal = true
	if x.IsFrom {
		w.v.Write = true
	}
	switch {
	case x.IsProgram:
		w.v.Write = true
		w.v.risky("COPY with PROGRAM runs a command on the server")
	case x.Filename != "":
		w.v.Write = true
		w.v.risky("COPY with a server file")
	case x.IsFrom:
		w.v.CopyIns++
	}
}

func (w *walker) securityDefiner(options []*pg_query.Node) {
	for _, o := range options {
		if d := o.GetDefElem(); d != nil && d.Defname == "security" && d.Arg.GetBoolean().GetBoolval() {
			w.v.risky("SECURITY DEFINER")
		}
	}
}

func (w *walker) transaction(x *pg_query.TransactionStmt) {
	if k := portalOps[x.Kind]; k != 0 {
		w.v.Portals = append(w.v.Portals, PortalOp{Kind: k, Name: x.SavepointName})
	}
	switch x.Kind {
	case pg_query.TransactionStmtKind_TRANS_STMT_PREPARE,
		pg_query.TransactionStmtKind_TRANS_STMT_COMMIT_PREPARED,
		pg_query.TransactionStmtKind_TRANS_STMT_ROLLBACK_PREPARED:
		w.v.Write = true
		w.v.risky(tag(x))
	}
	w.transactionModes(x.Options)
}

// portalOps are the transaction statements that drop portals or mark a
// point to drop them back to. COMMIT PREPARED and ROLLBACK PREPARED end
// another, already prepared, transaction and run outside any.
var portalOps = map[pg_query.TransactionStmtKind]PortalOpKind{
	pg_query.TransactionStmtKind_TRANS_STMT_COMMIT:      EndTransaction,
	pg_query.TransactionStmtKind_TRANS_STMT_ROLLBACK:    EndTransaction,
	pg_query.TransactionStmtKind_TRANS_STMT_PREPARE:     EndTransaction,
	pg_query.TransactionStmtKind_TRANS_STMT_SAVEPOINT:   Savepoint,
	pg_query.TransactionStmtKind_TRANS_STMT_RELEASE:     Release,
	pg_query.TransactionStmtKind_TRANS_STMT_ROLLBACK_TO: RollbackTo,
}

// transactionModes looks at the modes of BEGIN, START TRANSACTION, SET
// TRANSACTION and SET SESSION CHARACTERISTICS.
func (w *walker) transactionModes(modes []*pg_query.Node) {
	for _, m := range modes {
		d := m.GetDefElem()
		if d == nil || d.Defname != "transaction_read_only" {
			continue
		}
		if on, ok := w.constant(d.Arg).setting(); !ok || !isOn(on) {
			w.v.risky(turnsOffReadOnly)
		}
	}
}
