package classify

import (
	"strings"
	"unicode"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"
)

// tag names a statement the way Postgres' command tags do ("SELECT",
// "DROP TABLE", "ALTER ROLE").
func tag(m proto.Message) string {
	if n, ok := m.(*pg_query.Node); ok {
		m = unwrap(n)
		if m == nil {
			return "UNKNOWN"
		}
	}
	switch x := m.(type) {
	case *pg_query.SelectStmt:
		if x.IntoClause != nil {
			return "SELECT INTO"
		}
		return "SELECT"
	case *pg_query.DropStmt:
		return "DROP " + objectName(x.RemoveType)
	case *pg_query.AlterTableStmt:
		return "ALTER " + objectName(x.Objtype)
	case *pg_query.RenameStmt:
		return "ALTER " + objectName(x.RenameType)
	case *pg_query.AlterObjectSchemaStmt:
		return "ALTER " + objectName(x.ObjectType)
	case *pg_query.AlterOwnerStmt:
		return "ALTER " + objectName(x.ObjectType)
	case *pg_query.DefineStmt:
		return "CREATE " + objectName(x.Kind)
	case *pg_query.CreateTableAsStmt:
		switch {
		case x.IsSelectInto:
			return "SELECT INTO"
		case x.Objtype == pg_query.ObjectType_OBJECT_MATVIEW:
			return "CREATE MATERIALIZED VIEW"
		}
		return "CREATE TABLE AS"
	case *pg_query.CreateFunctionStmt:
		if x.IsProcedure {
			return "CREATE PROCEDURE"
		}
		return "CREATE FUNCTION"
	case *pg_query.CreateRoleStmt:
		return "CREATE " + strings.TrimPrefix(x.StmtType.String(), "ROLESTMT_")
	case *pg_query.GrantStmt:
		if x.IsGrant {
			return "GRANT"
		}
		return "REVOKE"
	case *pg_query.GrantRoleStmt:
		if x.IsGrant {
			return "GRANT ROLE"
		}
		return "REVOKE ROLE"
	case *pg_query.VariableSetStmt:
		if x.Kind == pg_query.VariableSetKind_VAR_RESET || x.Kind == pg_query.VariableSetKind_VAR_RESET_ALL {
			return "RESET"
		}
		return "SET"
	case *pg_query.TransactionStmt:
		return transactionTags[x.Kind]
	case *pg_query.VacuumStmt:
		if x.IsVacuumcmd {
			return "VACUUM"
		}
		return "ANALYZE"
	case *pg_query.FetchStmt:
		if x.Ismove {
			return "MOVE"
		}
		return "FETCH"
	case *pg_query.DiscardStmt:
		return "DISCARD " + strings.TrimPrefix(x.Target.String(), "DISCARD_")
	case *pg_query.DeallocateStmt:
		if x.Isall || x.Name == "" {
			return "DEALLOCATE ALL"
		}
		return "DEALLOCATE"
	}
	name := string(m.ProtoReflect().Descriptor().Name())
	if t, ok := statementTags[name]; ok {
		return t
	}
	return words(strings.TrimSuffix(name, "Stmt"))
}

var transactionTags = map[pg_query.TransactionStmtKind]string{
	pg_query.TransactionStmtKind_TRANS_STMT_BEGIN:             "BEGIN",
	pg_query.TransactionStmtKind_TRANS_STMT_START:             "START TRANSACTION",
	pg_query.TransactionStmtKind_TRANS_STMT_COMMIT:            "COMMIT",
	pg_query.TransactionStmtKind_TRANS_STMT_ROLLBACK:          "ROLLBACK",
	pg_query.TransactionStmtKind_TRANS_STMT_SAVEPOINT:         "SAVEPOINT",
	pg_query.TransactionStmtKind_TRANS_STMT_RELEASE:           "RELEASE",
	pg_query.TransactionStmtKind_TRANS_STMT_ROLLBACK_TO:       "ROLLBACK TO SAVEPOINT",
	pg_query.TransactionStmtKind_TRANS_STMT_PREPARE:           "PREPARE TRANSACTION",
	pg_query.TransactionStmtKind_TRANS_STMT_COMMIT_PREPARED:   "COMMIT PREPARED",
	pg_query.TransactionStmtKind_TRANS_STMT_ROLLBACK_PREPARED: "ROLLBACK PREPARED",
}

// statementTags covers the node names that do not spell their tag.
var statementTags = map[string]string{
	"SelectStmt":                 "SELECT",
	"InsertStmt":                 "INSERT",
	"UpdateStmt":                 "UPDATE",
	"DeleteStmt":                 "DELETE",
	"MergeStmt":                  "MERGE",
	"CopyStmt":                   "COPY",
	"ExplainStmt":                "EXPLAIN",
	"VariableShowStmt":           "SHOW",
	"CreateStmt":                 "CREATE TABLE",
	"IndexStmt":                  "CREATE INDEX",
	"ViewStmt":                   "CREATE VIEW",
	"RuleStmt":                   "CREATE RULE",
	"CreateSeqStmt":              "CREATE SEQUENCE",
	"AlterSeqStmt":               "ALTER SEQUENCE",
	"CreateTrigStmt":             "CREATE TRIGGER",
	"CreateEventTrigStmt":        "CREATE EVENT TRIGGER",
	"AlterEventTrigStmt":         "ALTER EVENT TRIGGER",
	"CreatePLangStmt":            "CREATE LANGUAGE",
	"CreateFdwStmt":              "CREATE FOREIGN DATA WRAPPER",
	"AlterFdwStmt":               "ALTER FOREIGN DATA WRAPPER",
	"CreateForeignServerStmt":    "CREATE SERVER",
	"AlterForeignServerStmt":     "ALTER SERVER",
	"CreatedbStmt":               "CREATE DATABASE",
	"DropdbStmt":                 "DROP DATABASE",
	"AlterDatabaseStmt":          "ALTER DATABASE",
	"AlterDatabaseSetStmt":       "ALTER DATABASE",
	"AlterRoleSetStmt":           "ALTER ROLE",
	"CreateAmStmt":               "CREATE ACCESS METHOD",
	"CreateOpClassStmt":          "CREATE OPERATOR CLASS",
	"CreateOpFamilyStmt":         "CREATE OPERATOR FAMILY",
	"AlterOpFamilyStmt":          "ALTER OPERATOR FAMILY",
	"CreateStatsStmt":            "CREATE STATISTICS",
	"AlterStatsStmt":             "ALTER STATISTICS",
	"CompositeTypeStmt":          "CREATE TYPE",
	"CreateEnumStmt":             "CREATE TYPE",
	"CreateRangeStmt":            "CREATE TYPE",
	"AlterEnumStmt":              "ALTER TYPE",
	"AlterTSDictionaryStmt":      "ALTER TEXT SEARCH DICTIONARY",
	"AlterTSConfigurationStmt":   "ALTER TEXT SEARCH CONFIGURATION",
	"TruncateStmt":               "TRUNCATE TABLE",
	"LockStmt":                   "LOCK TABLE",
	"DoStmt":                     "DO",
	"CallStmt":                   "CALL",
	"LoadStmt":                   "LOAD",
	"CheckPointStmt":             "CHECKPOINT",
	"ClosePortalStmt":            "CLOSE CURSOR",
	"DeclareCursorStmt":          "DECLARE CURSOR",
	"ConstraintsSetStmt":         "SET CONSTRAINTS",
	"RefreshMatViewStmt":         "REFRESH MATERIALIZED VIEW",
	"SecLabelStmt":               "SECURITY LABEL",
	"AlterDefaultPrivilegesStmt": "ALTER DEFAULT PRIVILEGES",
	"AlterTableSpaceOptionsStmt": "ALTER TABLESPACE",
	"AlterTableMoveAllStmt":      "ALTER TABLE",
	"CreateTableSpaceStmt":       "CREATE TABLESPACE",
	"DropTableSpaceStmt":         "DROP TABLESPACE",
	"AlterObjectDependsStmt":     "ALTER EXTENSION",
	"AlterExtensionContentsStmt": "ALTER EXTENSION",
	"ImportForeignSchemaStmt":    "IMPORT FOREIGN SCHEMA",
	"ReassignOwnedStmt":          "REASSIGN OWNED",
	"DropOwnedStmt":              "DROP OWNED",
}

// objectNames covers the object types whose enum name is not their SQL name.
var objectNames = map[pg_query.ObjectType]string{
	pg_query.ObjectType_OBJECT_MATVIEW:         "MATERIALIZED VIEW",
	pg_query.ObjectType_OBJECT_FDW:             "FOREIGN DATA WRAPPER",
	pg_query.ObjectType_OBJECT_FOREIGN_SERVER:  "SERVER",
	pg_query.ObjectType_OBJECT_OPCLASS:         "OPERATOR CLASS",
	pg_query.ObjectType_OBJECT_OPFAMILY:        "OPERATOR FAMILY",
	pg_query.ObjectType_OBJECT_TABCONSTRAINT:   "CONSTRAINT",
	pg_query.ObjectType_OBJECT_DOMCONSTRAINT:   "CONSTRAINT",
	pg_query.ObjectType_OBJECT_LARGEOBJECT:     "LARGE OBJECT",
	pg_query.ObjectType_OBJECT_STATISTIC_EXT:   "STATISTICS",
	pg_query.ObjectType_OBJECT_TSCONFIGURATION: "TEXT SEARCH CONFIGURATION",
	pg_query.ObjectType_OBJECT_TSDICTIONARY:    "TEXT SEARCH DICTIONARY",
	pg_query.ObjectType_OBJECT_TSPARSER:        "TEXT SEARCH PARSER",
	pg_query.ObjectType_OBJECT_TSTEMPLATE:      "TEXT SEARCH TEMPLATE",
	pg_query.ObjectType_OBJECT_DEFACL:          "DEFAULT PRIVILEGES",
}

func objectName(t pg_query.ObjectType) string {
	if n, ok := objectNames[t]; ok {
		return n
	}
	return strings.ReplaceAll(strings.TrimPrefix(t.String(), "OBJECT_"), "_", " ")
}

// words turns "CreateForeignTable" into "CREATE FOREIGN TABLE".
func words(camel string) string {
	var b strings.Builder
	for i, r := range camel {
		if i > 0 && unicode.IsUpper(r) {
			b.WriteByte(' ')
		}
		b.WriteRune(unicode.ToUpper(r))
	}
	return b.String()
}
