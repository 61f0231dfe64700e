package classify

import (
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
)

const turnsOffReadOnly = "turns off read-only"

// riskySettings change who the session acts as, what is logged or checked,
// or what the server loads; the prefixes cover whole families.
var riskySettings = map[string]bool{
	"session_replication_role":   true, // "replica" skips triggers and foreign keys
	"allow_system_table_mods":    true,
	"allow_in_place_tablespaces": true,
	"zero_damaged_pages":         true,
	"ignore_checksum_failure":    true,
	"ignore_system_indexes":      true,
	"ignore_invalid_pages":       true,
	"local_preload_libraries":    true,
	"session_preload_libraries":  true,
	"shared_preload_libraries":   true,
	"dynamic_library_path":       true,
	"lo_compat_privileges":       true,
}

var riskySettingPrefixes = []string{"log_", "debug_", "trace_", "pgaudit."}

func (w *walker) set(x *pg_query.VariableSetStmt) {
	switch x.Kind {
	case pg_query.VariableSetKind_VAR_RESET_ALL:
		w.v.risky("RESET ALL resets role and read-only settings")
	case pg_query.VariableSetKind_VAR_SET_MULTI:
		w.transactionModes(x.Args) // SET TRANSACTION, SET SESSION CHARACTERISTICS
	default:
		w.setting(strings.ToLower(x.Name), func() (string, bool) {
			if x.Kind != pg_query.VariableSetKind_VAR_SET_VALUE || len(x.Args) != 1 {
				return "", false // DEFAULT, RESET, FROM CURRENT, lists
			}
			return w.constant(x.Args[0]).setting()
		})
	}
}

// setting judges a change of one setting. value is called only for settings
// whose verdict depends on the value, so that "SET application_name = 'x'"
// never reads its constant.
//
// Refused: client_encoding other than UTF8 (in encodings such as SJIS or
// GBK a multi-byte character may end in a backslash or quote byte, so the
// server would split the text into different tokens than the parser here)
// and standard_conforming_strings other than on (backslashes in '...' would
// escape quotes). backslash_quote and escape_string_warning are allowed: with
// UTF8 and standard strings the first only decides whether \' inside E'...'
// is an error, never where a string ends, and the second only warns.
func (w *walker) setting(name string, value func() (string, bool)) {
	switch name {
	case "client_encoding":
		if v, ok := value(); !ok || !isUTF8(v) {
			w.v.refuse("changes client_encoding")
		}
	case "standard_conforming_strings":
		if v, ok := value(); !ok || !isOn(v) {
			w.v.refuse("turns off standard_conforming_strings")
		}
	case "transaction_read_only", "default_transaction_read_only":
		if v, ok := value(); !ok || !isOn(v) {
			w.v.risky(turnsOffReadOnly)
		}
	case "role":
		w.v.risky("changes role")
	case "session_authorization":
		w.v.risky("changes session authorization")
	default:
		if riskySetting(name) {
			w.v.risky("sets " + name)
		}
	}
}

func riskySetting(name string) bool {
	if riskySettings[name] {
		return true
	}
	for _, p := range riskySettingPrefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// isUTF8 reads an encoding name the way Postgres does: case and punctuation
// do not matter, and UNICODE is an alias of UTF8.
func isUTF8(name string) bool {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		if 'a' <= r && r <= 'z' || '0' <= r && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String() == "utf8" || b.String() == "unicode"
}

func isOn(v string) bool {
	on, ok := parseBool(v)
	return ok && on
}
