package classify

import "slices"

// Verdict is what a piece of SQL text does, merged over all its statements.
type Verdict struct {
	Write   bool       // changes data, schema, or server state (INSERT/UPDATE/DELETE/MERGE/DDL/COPY FROM/SELECT INTO/nextval/setval/LOCK/VACUUM...)
	Risky   bool       // needs the resource's risky policy (allow/review/block)
	Refuse  bool       // must be refused whatever the policy (cannot parse, too long/deep, changes how the server lexes input...)
	Secret  bool       // its constants carry credentials (a role's password, a server's or subscription's connection options): show and record it through Redact
	Reasons []string   // short human reasons for Risky and Refuse, e.g. "DROP TABLE", "DELETE without WHERE", "calls pg_read_file"
	Kinds   []string   // statement tags, one per statement, e.g. "SELECT", "INSERT"
	CopyIns int        // COPY ... FROM STDIN statements: each reads data from the client
	Renames []string   // names the text prepares or deallocates with SQL PREPARE and DEALLOCATE (DEALLOCATE ALL and DISCARD ALL are Kinds)
	Portals []PortalOp // what the text does to the server's portals, in the order of its statements
	// Derived are the columns (by name, as the server folds it) whose
	// values may reach result columns the server names no table column
	// for; AnyColumn stands for columns that cannot be named. See
	// derived.go.
	Derived []string
	// Rewritten are the columns the values a data-modifying statement
	// writes, and returns with RETURNING, are computed from.
	Rewritten []string
	// Sent are the columns the values it sends outside the result rows
	// (set_config, pg_notify) are computed from.
	Sent []string
}

// PortalOp is a statement that drops portals, or marks which ones a later
// statement will drop: the server keeps a portal only until its
// transaction ends, a rollback to a savepoint set before the portal was
// made, or a CLOSE of its name.
type PortalOp struct {
	Kind PortalOpKind
	// Name is the savepoint's or the cursor's, as the server folds it;
	// "" for CLOSE ALL.
	Name string
}

// PortalOpKind says what a PortalOp does.
type PortalOpKind uint8

const (
	// EndTransaction is COMMIT, ROLLBACK (also AND CHAIN, END, ABORT) and
	// PREPARE TRANSACTION: every portal of the transaction is dropped.
	EndTransaction PortalOpKind = iota + 1
	Savepoint                   // SAVEPOINT Name
	Release                     // RELEASE SAVEPOINT Name: its portals stay, now the enclosing level's
	RollbackTo                  // ROLLBACK TO SAVEPOINT Name: portals made since it are dropped
	CloseCursor                 // CLOSE Name, or CLOSE ALL
)

// merge folds the effects of o into v; Kinds are left alone because they
// belong to the statements of the text, not to what they reach.
func (v *Verdict) merge(o Verdict) {
	v.Write = v.Write || o.Write
	v.Risky = v.Risky || o.Risky
	v.Refuse = v.Refuse || o.Refuse
	v.Secret = v.Secret || o.Secret
	for _, r := range o.Reasons {
		v.reason(r)
	}
	v.Derived = appendNew(v.Derived, o.Derived)
	v.Rewritten = appendNew(v.Rewritten, o.Rewritten)
	v.Sent = appendNew(v.Sent, o.Sent)
}

// maxReasons bounds the reasons kept: a text of thousands of statements
// could otherwise make them long, and slow to keep distinct. The flags stay
// exact.
const maxReasons = 16

func (v *Verdict) reason(r string) {
	if len(v.Reasons) < maxReasons && !slices.Contains(v.Reasons, r) {
		v.Reasons = append(v.Reasons, r)
	}
}

func (v *Verdict) risky(reason string) {
	v.Risky = true
	v.reason(reason)
}

func (v *Verdict) refuse(reason string) {
	v.Refuse = true
	v.reason(reason)
}

// clone returns a copy that shares no memory with v, so that cached verdicts
// can be handed out without callers being able to change them.
func (v Verdict) clone() Verdict {
	v.Reasons = slices.Clone(v.Reasons)
	v.Kinds = slices.Clone(v.Kinds)
	v.Renames = slices.Clone(v.Renames)
	v.Portals = slices.Clone(v.Portals)
	v.Derived = slices.Clone(v.Derived)
	v.Rewritten = slices.Clone(v.Rewritten)
	v.Sent = slices.Clone(v.Sent)
	return v
}

// shared returns v with its slices clipped to their length, for the
// session's hot path: the first append to either copies it, so what a
// caller adds never shows in the cached verdict, and no copy is made per
// statement. The elements themselves are the cache's.
func (v Verdict) shared() Verdict {
	v.Reasons = slices.Clip(v.Reasons)
	v.Kinds = slices.Clip(v.Kinds)
	v.Renames = slices.Clip(v.Renames)
	v.Portals = slices.Clip(v.Portals)
	v.Derived = slices.Clip(v.Derived)
	v.Rewritten = slices.Clip(v.Rewritten)
	v.Sent = slices.Clip(v.Sent)
	return v
}
