package pg

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/require"

	"github.com/jitgate/jitgate/grants"
)

func TestHideErrorValues(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		code string
		typ  byte
		in   string
		want string
		stmt string
	}{
		{"22P02", 'M', `invalid input syntax for type integer: "hunter2"`, `invalid input syntax for type integer: "***"`, ""},
		{"22P02", 'M', `invalid input syntax for type json: "a"b"`, `invalid input syntax for type json: "***"`, ""},
		{"22007", 'M', `invalid input syntax for type date: "half a "secret"`, `invalid input syntax for type date: "***"`, ""},
		{"22008", 'H', `Perhaps you need a different "datestyle" setting.`, `Perhaps you need a different "datestyle" setting.`, ""},
		{"22P02", 'W', `COPY users, line 1, column ssn: "123-45-6789"`, `COPY users, line 1, column ssn: ***`, ""},
		{"22001", 'M', `value too long for type character varying(5)`, `value too long for type character varying(***)`, ""},
		{"23505", 'D', `Key (email)=(alice@example.com) already exists.`, `Key (email)=(***) already exists.`, ""},
		{"23505", 'D', `Key (a, b)=(x) y), z) already exists.`, `Key (a, b)=(***) already exists.`, ""},
		{"23503", 'D', `Key (owner)=(42) is not present in table "people".`, `Key (owner)=(***) is not present in table "people".`, ""},
		{"23P01", 'D', `Key (r)=([1,5)) conflicts with existing key (r)=([2,3)).`, `Key (r)=(***).`, ""},
		{"23502", 'D', `Failing row contains (null, alice@example.com, hunter2).`, `Failing row contains (***).`, ""},
		{"23514", 'D', `something new: hunter2`, `***`, ""},
		{"23505", 'M', `duplicate key value violates unique constraint "users_email_key"`, `duplicate key value violates unique constraint "users_email_key"`, ""},
		{"42703", 'M', `column "hunter" does not exist`, `column "hunter" does not exist`, "SELECT Hunter FROM t"},
		{"42P01", 'D', `Key (a)=(b)`, `Key (a)=(b)`, ""},
		{"42P01", 'M', `relation "hunter2" does not exist`, `relation "***" does not exist`, "SELECT password::regclass FROM users"},
		{"42P01", 'M', `relation "a"b" does not exist`, `relation "***" does not exist`, "SELECT x::regclass"},
		{"42704", 'M', `role "x" in "hunter2" of "y"`, `role "***"`, `SELECT 'x', 'y'`},
		{"42601", 'M', `syntax error at or near "FORM"`, `syntax error at or near "FORM"`, "SELECT 1 form t"},
		{"42703", 'M', `column "pass" does not exist`, `column "***" does not exist`, "SELECT password FROM t"},
		{"42703", 'M', `column "a b" does not exist`, `column "a b" does not exist`, `SELECT "a b" FROM t`},
		{"42601", 'H', `hint with "quotes"`, `hint with "quotes"`, ""},
		{"22P02", 'W', `JSON data, line 1: hunter2`, `JSON data, line 1: ***`, ""},
		{"2200N", 'D', `line 1: Start tag expected, '<' not found hunter2`, `line 1: ***`, ""},
		{"22008", 'M', `date out of range: 123456789-01-01`, `date out of range: ***`, ""},
		{"22023", 'M', `setseed parameter 1.23457e+08 is out of allowed range`, `setseed parameter *** is out of allowed range`, ""},
		{"22023", 'D', `no colon hunter2`, `***`, ""},
		{"42883", 'q', `hunter2`, `***`, ""},
		{"42704", 'M', `unrecognized configuration parameter "x" hunter2"`, `unrecognized configuration parameter "***"`, `SELECT current_setting('x" ' || password)`},
		{"42704", 'M', `unrecognized configuration parameter "users" hunter2 "x"`, `unrecognized configuration parameter "***"`, `SELECT current_setting('users" '||password||' "x') FROM users`},
		{"42704", 'M', `unrecognized configuration parameter "my.setting"`, `unrecognized configuration parameter "***"`, `SELECT current_setting('my.setting') -- my.setting`},
		{"42P01", 'M', `relation "Mixed Case" does not exist`, `relation "Mixed Case" does not exist`, `SELECT * FROM "Mixed Case" WHERE $1 = $$x$$`},
		{"42P01", 'M', `relation "t" does not exist`, `relation "***" does not exist`, `DO $body$ SELECT * FROM t $body$`},
	} {
		got, changed := hideErrorValues(errorShape{code: []byte(tc.code)}, tc.typ, []byte(tc.in), tc.stmt)
		if string(got) != tc.want || changed != (tc.in != tc.want) {
			t.Errorf("%s %c %q: got %q (changed %v), want %q", tc.code, tc.typ, tc.in, got, changed, tc.want)
		}
	}
}

// Errors that do not point into the statement echo values unquoted after
// a colon, or as numbers; those the statement holds, and those of errors
// the parser raised about its text, are kept.
func TestHideUnquotedErrorValues(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		code   string
		placed bool
		in     string
		want   string
		stmt   string
	}{
		{"42883", false, `operator does not exist: hunter2`, `operator does not exist: ***`, "SELECT password::regoper FROM users"},
		{"42883", false, `operator does not exist: hunter2(int,int)`, `operator does not exist: ***`, "SELECT (password || '(int,int)')::regoperator FROM users"},
		{"42883", false, `operator does not exist: x(int,int)`, `operator does not exist: x(int,int)`, "SELECT 'x(int,int)'::regoperator"},
		{"42883", true, `operator does not exist: integer +++ text`, `operator does not exist: integer +++ text`, "SELECT 1 +++ t FROM x"},
		{"54000", false, `requested character too large for encoding: 123456789`, `requested character too large for encoding: ***`, "SELECT chr(ssn) FROM users"},
		{"42704", false, `large object 123456789 does not exist`, `large object *** does not exist`, "SELECT lo_get(ssn) FROM users"},
		{"42704", false, `large object 1234 does not exist`, `large object 1234 does not exist`, "SELECT lo_get(1234)"},
		{"42704", false, `large object 1234 does not exist`, `large object *** does not exist`, "SELECT lo_get(12345)"},
		{"42601", false, `improper relation name (too many dotted names): hunter2.a.b.c`, `improper relation name (too many dotted names): ***`, "SELECT (password || '.a.b.c')::regclass FROM users"},
		{"42P18", false, `could not determine data type of parameter $1`, `could not determine data type of parameter $1`, "SELECT $1"},
		{"42704", false, `type "int4" of 2 columns`, `type "***" of *** columns`, "SELECT 1"},
		{"P0001", false, `processed 12 rows: done`, `processed 12 rows: done`, "CALL p()"},
		{"00000", false, `drop cascades to 3 other objects`, `drop cascades to 3 other objects`, "DROP TABLE t CASCADE"},
		{"08P01", false, `bind message supplies 2 parameters, but prepared statement "" requires 1`, `bind message supplies 2 parameters, but prepared statement "" requires 1`, ""},
		{"XX000", false, `cache lookup failed for relation 16384`, `cache lookup failed for relation ***`, ""},
	} {
		e := errorShape{code: []byte(tc.code), placed: tc.placed}
		got, changed := hideErrorValues(e, 'M', []byte(tc.in), tc.stmt)
		if string(got) != tc.want || changed != (tc.in != tc.want) {
			t.Errorf("%s %q: got %q (changed %v), want %q", tc.code, tc.in, got, changed, tc.want)
		}
	}
}

// A value masked in rows does not come back in an error about it: a cast
// that fails, a row that breaks a constraint.
func TestErrorsDoNotEchoValues(t *testing.T) {
	h := newHarness(t, harnessOpts{risky: "allow"})
	h.grant(bob, grants.AccessWrite, time.Hour)
	conn := h.connect(bob)
	ctx := context.Background()
	for sql, want := range map[string]string{
		"SELECT password::int FROM users WHERE id = 1":                                                 "22P02",
		"SELECT ssn::text::date FROM users WHERE id = 1":                                               "22008",
		"INSERT INTO users SELECT NULL, email, note, password, api_token, ssn FROM users WHERE id = 1": "23502",
		"INSERT INTO users SELECT id, email, note, password, api_token, ssn FROM users WHERE id = 1":   "23505",
		"SELECT password::regclass FROM users WHERE id = 1":                                            "42P01",
		"SELECT current_setting(password) FROM users WHERE id = 1":                                     "42704",
		"SELECT password::json FROM users WHERE id = 1":                                                "22P02",
		"SELECT make_date(ssn, 1, 1) FROM users WHERE id = 1":                                          "22008",
		"SELECT xmlparse(content '<a>' || password) FROM users WHERE id = 1":                           "2200N",
		"SELECT current_setting('x\" ' || password) FROM users WHERE id = 1":                           "42704",
		"SELECT password::regrole FROM users WHERE id = 1":                                             "42704",
		"SELECT password::regoper FROM users WHERE id = 1":                                             "42883",
		"SELECT chr(ssn) FROM users WHERE id = 1":                                                      "54000",
		"SELECT lo_get(ssn) FROM users WHERE id = 1":                                                   "42704",
		"SELECT (password || '.a.b.c')::regclass FROM users WHERE id = 1":                              "42601",
	} {
		_, err := conn.Exec(ctx, sql)
		var pe *pgconn.PgError
		require.True(t, errors.As(err, &pe), "%s: %v", sql, err)
		require.Equal(t, want, pe.Code, "%s: %s", sql, pe.Message)
		all := strings.Join([]string{pe.Message, pe.Detail, pe.Hint, pe.Where}, " | ")
		for _, secret := range []string{"hunter2", "123456789", "alice@example.com"} {
			require.NotContains(t, all, secret, sql)
		}
		t.Logf("%s: %s", sql, all)
	}
}
