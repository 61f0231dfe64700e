package classify

import (
	"slices"
	"testing"
)

func TestDerived(t *testing.T) {
	t.Parallel()
	c := New(Options{CacheSize: -1})
	for _, tc := range []struct {
		sql  string
		want []string
	}{
		// Plain columns of the outermost list are named by the server.
		{"SELECT id, password FROM users WHERE password = 'x' ORDER BY password", nil},
		{"SELECT * FROM users", nil},
		{"SELECT u FROM users u", nil},
		{"SELECT s.p FROM (SELECT id, password AS p FROM users) s", []string{"id", "password"}},
		{"SELECT count(*) FROM (SELECT * FROM users WHERE password IS NULL) s", nil},
		{"SELECT id FROM users WHERE id IN (SELECT user_id FROM tokens WHERE secret = 'x')", nil},
		{"SELECT n * 2 FROM generate_series(1, 3) g(n)", []string{"n"}},
		{"SELECT a + b FROM (VALUES (1, 2)) v(a, b)", []string{"a", "b"}},
		// Expressions, subqueries, set operations, functions in FROM.
		{"SELECT password || '' AS p FROM users", []string{"password"}},
		{"SELECT upper(u.password) FROM users u", []string{"password"}},
		{"SELECT (SELECT password FROM users LIMIT 1)", []string{"password"}},
		{"SELECT EXISTS (SELECT 1 FROM users WHERE password LIKE 'a%')", []string{"password"}},
		{"SELECT password FROM users UNION ALL SELECT 'x'", []string{"password"}},
		{"SELECT 'x' UNION SELECT password FROM users", []string{"password"}},
		{"SELECT * FROM users UNION ALL SELECT * FROM users", []string{AnyColumn}},
		{"WITH t AS (SELECT password FROM users) SELECT password || '' FROM t", []string{"password"}},
		{"WITH t AS (SELECT * FROM users UNION SELECT * FROM users) SELECT * FROM t", []string{AnyColumn}},
		{"SELECT * FROM users, LATERAL upper(password) x", []string{"password"}},
		{"SELECT x FROM users, LATERAL (SELECT password || '' AS x) l", []string{"password"}},
		{"SELECT * FROM unnest(ARRAY(SELECT password FROM users))", []string{"password"}},
		{"UPDATE users SET note = 'x' WHERE id = 1 RETURNING note, password || ''", []string{"password"}},
		{"UPDATE users SET note = 'x' WHERE id = 1 RETURNING note, password", nil},
		{"WITH d AS (DELETE FROM users WHERE id = 1 RETURNING password) SELECT * FROM d", []string{"password"}},
		{"COPY (SELECT password || '' FROM users) TO STDOUT", []string{"password"}},
		{"COPY (SELECT password FROM users) TO STDOUT", nil},
		// Whole rows, new column names, table readers, earlier statements.
		{"SELECT row_to_json(u) FROM users u", []string{"u", AnyColumn}},
		{"SELECT to_jsonb(u.*) FROM users u", []string{AnyColumn}},
		{"SELECT (u).password FROM users u", []string{"u", AnyColumn}},
		{"SELECT p || '' FROM users AS u(i, e, n, p)", []string{"p", AnyColumn}},
		{"SELECT d || '' FROM (SELECT * FROM users) s(a, b, c, d)", []string{"d", AnyColumn}},
		{"SELECT table_to_xml('users', true, false, '')", []string{AnyColumn}},
		{"SELECT ssn AS n FROM users a FULL JOIN people b USING (ssn)", []string{"ssn"}},
		{"SELECT * FROM users NATURAL FULL JOIN people", []string{AnyColumn}},
		{"EXECUTE p", []string{AnyColumn}},
		{"FETCH 10 FROM c", []string{AnyColumn}},
		{"SELECT 1; SELECT password || '' FROM users; SELECT email || '' FROM users", []string{"password", "email"}},
	} {
		got := c.Classify(tc.sql).Derived
		if !slices.Equal(sorted(got), sorted(tc.want)) {
			t.Errorf("%s: Derived = %q, want %q", tc.sql, got, tc.want)
		}
	}
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}
