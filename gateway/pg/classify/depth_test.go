package classify

import (
	"strings"
	"testing"

	pg_query "github.com/pganalyze/pg_query_go/v6"
)

func TestNestingDepth(t *testing.T) {
	t.Parallel()
	for sql, want := range map[string]int{
		"SELECT 1":                         0,
		"SELECT (1)":                       1,
		"SELECT ((1)), (2)":                2,
		"SELECT 1 + 1":                     1,
		"SELECT a, b + c + d":              2,
		"SELECT f(a + b, c)":               2,
		"SELECT '((((('":                   0,
		"SELECT $$((($$":                   0,
		"SELECT $a$ $$ ((( $a$":            0,
		"SELECT 1 -- (((":                  0,
		"SELECT /* (( /* ( */ ( */ 1":      0,
		"SELECT E'\\'(((('":                0,
		"SELECT 'a''((('":                  0,
		"SELECT 'a'\n'((('":                0,
		"SELECT 'a' -- c\n'((('":           0,
		"SELECT \"(((\"":                   0,
		"SELECT U&\"(((\"":                 0,
		"SELECT U&'((('":                   0,
		"SELECT 'a\\' (((":                 3,
		"SELECT 1; SELECT ((2))":           2,
		"SELECT CASE WHEN a THEN 1 END":    1,
		"SELECT a = 1 AND b = 2 AND c = 3": 3,
		"SELECT 1 UNION SELECT 2, 3":       1,
		"SELECT $1$$(($$":                  0,
		"SELECT 1$$(($$":                   0,
		"SELECT a$$ ((":                    2,
		"SELECT 1 <--(\n)":                 1,
		"CREATE FUNCTION f() BEGIN ATOMIC SELECT 1; SELECT (2); END": 2,
	} {
		if got := nestingDepth(sql, 1000); got != want {
			t.Errorf("nestingDepth(%q) = %d, want %d", sql, got, want)
		}
	}
}

func TestRealisticStatementsAreNotTooDeep(t *testing.T) {
	t.Parallel()
	long := func(head, item, sep string, n int) string {
		items := make([]string, n)
		for i := range items {
			items[i] = item
		}
		return head + strings.Join(items, sep)
	}
	c := New(Options{})
	for _, sql := range []string{
		long("SELECT * FROM t WHERE ", "a = 1", " AND ", 5000),
		long("SELECT * FROM t WHERE ", "(a = 1 AND b = 2)", " OR ", 5000),
		long("SELECT * FROM t WHERE id IN (", "1", ", ", 50000) + ")",
		long("INSERT INTO t VALUES ", "(1, 'x', now(), -2.5)", ", ", 10000),
		long("SELECT ", "coalesce(a, b) || ', '", " || ", 30),
		long("SELECT * FROM t0", " JOIN t ON t.a = t0.a AND t.b = t0.b", "", 40),
		long("SELECT 1", " UNION ALL SELECT 2", "", 60),
	} {
		if v := c.Classify(sql); v.Refuse {
			t.Errorf("%.80q...: refused: %q", sql, v.Reasons)
		}
	}
}

// TestDepthAgreesWithLexer checks this package's lexer against Postgres'
// own (pg_query.Scan): fed the real tokens, the same meter must never find
// the text deeper than the quick scan did.
func TestDepthAgreesWithLexer(t *testing.T) {
	t.Parallel()
	for _, tc := range append(append([]classifyCase{}, evasions...), ordinary...) {
		checkDepthAgainstLexer(t, tc.sql)
	}
	for _, sql := range []string{
		"SELECT E'\\\\' ((((", "SELECT B'1''' ((( '", "SELECT X'1'\n'(((' ((",
		"SELECT 'a'\n-- x\n'(((' (", "SELECT 'a'\t\n\v'((('", "SELECT $_$ $__$ ((( $_$ (",
		"SELECT 1.e5 (", "SELECT a<->(b) @-- ((\n-(", "SELECT 0x1F + (1)", "SELECT 1_000 + (1)",
		"SELECT $1$(", "SELECT ééé((", "SELECT u&'\\0041' (", "$0AT", "$AT", "SELECT $1_and + (1)",
		"SELECT $1abc AND (1)",
	} {
		checkDepthAgainstLexer(t, sql)
	}
}

func checkDepthAgainstLexer(t *testing.T, sql string) {
	t.Helper()
	if len(sql) > 1<<16 {
		return
	}
	ref, ok := lexerDepth(sql)
	if !ok {
		return
	}
	if got := nestingDepth(sql, 1<<20); got < ref {
		t.Errorf("%q: nestingDepth = %d, Postgres' tokens give %d", sql, got, ref)
	}
}

// lexerDepth runs the meter over the tokens of Postgres' lexer.
func lexerDepth(sql string) (int, bool) {
	res, err := pg_query.Scan(sql)
	if err != nil {
		return 0, false
	}
	m := newMeter(1 << 20)
	prev := wordOther
	for _, tok := range res.Tokens {
		text := sql[tok.Start:tok.End]
		word := wordOther
		switch tok.Token {
		case pg_query.Token_ASCII_40, pg_query.Token_ASCII_91:
			m.push(levelBracket)
		case pg_query.Token_ASCII_41, pg_query.Token_ASCII_93:
			m.closeBracket()
		case pg_query.Token_ASCII_44:
			m.comma()
		case pg_query.Token_ASCII_59:
			m.semicolon()
		case pg_query.Token_SQL_COMMENT, pg_query.Token_C_COMMENT:
			continue
		case pg_query.Token_Op, pg_query.Token_TYPECAST, pg_query.Token_LESS_EQUALS,
			pg_query.Token_GREATER_EQUALS, pg_query.Token_NOT_EQUALS,
			pg_query.Token_ASCII_43, pg_query.Token_ASCII_45, pg_query.Token_ASCII_42,
			pg_query.Token_ASCII_47, pg_query.Token_ASCII_37, pg_query.Token_ASCII_94,
			pg_query.Token_ASCII_60, pg_query.Token_ASCII_62, pg_query.Token_ASCII_61:
			m.op(1)
		default:
			if tok.KeywordKind != pg_query.KeywordKind_NO_KEYWORD {
				word = wordOf(text)
				m.word(word, prev)
			}
		}
		prev = word
	}
	return m.done(), true
}
