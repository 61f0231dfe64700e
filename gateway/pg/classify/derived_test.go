package classify

import (
	"slices"
	"testing"
)

func TestDerived(t *testing.T) {
	t.Parallel()
	c := New(Options{CacheSize: -1})
	checkNames(t, c, func(v Verdict) []string { return v.Derived }, []namesCase{
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
		{"SELECT count(*) FROM users a JOIN users b USING (ssn)", nil},
		{"SELECT u.to_jsonb->>'password' FROM users u", []string{"to_jsonb", AnyColumn}},
		{"SELECT u.concat FROM users u", []string{"concat", AnyColumn}},
		{"SELECT u.array_agg FROM users u", []string{"array_agg", AnyColumn}},
		{"SELECT u.id, u.password FROM users u", nil},
		{"SELECT most_common_vals FROM pg_stats WHERE tablename = 'users'", []string{AnyColumn}},
		{"SELECT word FROM ts_stat('SELECT to_tsvector(password) FROM users')", []string{AnyColumn}},
		{"EXECUTE p", []string{AnyColumn}},
		{"FETCH 10 FROM c", []string{AnyColumn}},
		{"SELECT 1; SELECT password || '' FROM users; SELECT email || '' FROM users", []string{"password", "email"}},
	})
}

type namesCase struct {
	sql  string
	want []string
}

// checkNames checks the names field gives of each case's verdict, in any
// order.
func checkNames(t *testing.T, c *Classifier, field func(Verdict) []string, cases []namesCase) {
	t.Helper()
	for _, tc := range cases {
		if got := field(c.Classify(tc.sql)); !slices.Equal(sorted(got), sorted(tc.want)) {
			t.Errorf("%s: got %q, want %q", tc.sql, got, tc.want)
		}
	}
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

func TestRewritten(t *testing.T) {
	t.Parallel()
	c := New(Options{CacheSize: -1})
	checkNames(t, c, func(v Verdict) []string { return v.Rewritten }, []namesCase{
		{"UPDATE users SET note = password WHERE id = 1", nil},
		{"UPDATE users SET note = password WHERE id = 1 RETURNING note", []string{"password"}},
		{"UPDATE users SET note = $1 WHERE password = 'x' RETURNING id", nil},
		{"INSERT INTO users (id, note) SELECT id + 100, ssn::text FROM users RETURNING note", []string{"id", "ssn"}},
		{"INSERT INTO users (id) VALUES (1) ON CONFLICT (id) DO UPDATE SET email = users.password RETURNING email", []string{"password"}},
		{"INSERT INTO users SELECT * FROM users_old RETURNING id", []string{AnyColumn}},
		{"WITH x AS (UPDATE users SET note = ssn::text RETURNING note) SELECT note FROM x", []string{"ssn"}},
		{"MERGE INTO users u USING users s ON u.id = s.id WHEN MATCHED THEN UPDATE SET note = s.password RETURNING u.note", []string{"password"}},
		{"UPDATE users SET email = s.p FROM (SELECT id, password AS p FROM users) s WHERE users.id = s.id RETURNING users.email", []string{"id", "p", "password"}},
		{"WITH s AS (SELECT password AS p FROM users) UPDATE users SET email = (SELECT p FROM s) RETURNING email", []string{"p", "password"}},
		{"WITH s AS (SELECT password AS p FROM users) INSERT INTO users (id, email) SELECT 77, p FROM s RETURNING email", []string{"p", "password"}},
		{"PREPARE q AS UPDATE users SET email = password RETURNING email; EXECUTE q", []string{"password"}},
	})
}

func TestSent(t *testing.T) {
	t.Parallel()
	c := New(Options{CacheSize: -1})
	checkNames(t, c, func(v Verdict) []string { return v.Sent }, []namesCase{
		{"SELECT set_config('application_name', 'x', false)", nil},
		{"SELECT set_config('application_name', password, false) FROM users", []string{"password"}},
		{"SELECT 1 FROM users WHERE set_config('my.x', ssn::text, false) IS NOT NULL", []string{"ssn"}},
		{"SELECT pg_notify('c', u::text) FROM users u", []string{"u", AnyColumn}},
		{"SELECT pg_notify(note, (SELECT password FROM users LIMIT 1)) FROM users", []string{"note", "password"}},
		{"NOTIFY c, 'x'", nil},
		{"WITH c AS (SELECT password AS p FROM users) SELECT set_config('my.a', p, false) FROM c", []string{"p", "password"}},
		{"SELECT set_config('my.a', p, false) FROM users AS u(i, e, n, p)", []string{"p", AnyColumn}},
		{"SELECT pg_notify('c', 'x') FROM (SELECT password FROM users) s", nil},
		{"PREPARE q AS SELECT set_config('my.q', password, false) FROM users", []string{"password"}},
	})
}
