package pg

// Column rules follow the table column a result comes from, not only the
// name the query gives it: aliases, subqueries, CTEs, joins and views all
// come back masked, in every protocol, and so does COPY.

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/stretchr/testify/require"

	"github.com/jitgate/jitgate/grants"
)

// renamedSecrets each return, in one text column under a name no rule
// covers, a value of users.password or users.api_token from row 1.
var renamedSecrets = []struct{ name, sql string }{
	{"alias", "SELECT password AS pw FROM users WHERE id = 1"},
	{"alias without AS", "SELECT u.api_token t FROM users u WHERE id = 1"},
	{"subquery alias", "SELECT x FROM (SELECT password AS x FROM users WHERE id = 1) s"},
	{"CTE", "WITH c AS (SELECT password AS p FROM users WHERE id = 1) SELECT p AS q FROM c"},
	{"join", "SELECT b.api_token AS tok FROM users a JOIN users b USING (id) WHERE a.id = 1"},
	{"view", "SELECT pw FROM logins WHERE id = 1"},
	{"view of a view", "SELECT k FROM logins_again WHERE id = 1"},
	{"view under an alias", "SELECT l.pw AS anything FROM logins l WHERE id = 1"},
}

// queryMode is a way pgx sends a query: its name and QueryRow arguments.
type queryMode struct {
	name string
	args []any
}

// requireQueriesMasked checks that each query returns its one text value masked
// whole, in each mode.
func requireQueriesMasked(t *testing.T, conn *pgx.Conn, queries []struct{ name, sql string }, modes []queryMode) {
	t.Helper()
	for _, q := range queries {
		for _, m := range modes {
			var v string
			require.NoError(t, conn.QueryRow(context.Background(), q.sql, m.args...).Scan(&v), "%s, %s", q.name, m.name)
			require.Equal(t, "********", v, "%s, %s", q.name, m.name)
		}
	}
}

func seedViews(t *testing.T, h *harness) {
	t.Helper()
	_, err := h.target.Exec(context.Background(), `
		CREATE VIEW logins AS SELECT id, password AS pw FROM users;
		CREATE VIEW logins_again AS SELECT id, pw AS k FROM logins;`)
	require.NoError(t, err)
}

func TestColumnRulesFollowTheSourceColumn(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	seedViews(t, h)
	h.grant(bob, grants.AccessRead, time.Hour)
	conn := h.connect(bob)
	ctx := context.Background()

	modes := []queryMode{
		{"simple protocol", []any{pgx.QueryExecModeSimpleProtocol}},
		{"extended, text", []any{pgx.QueryResultFormats{pgx.TextFormatCode}}},
		{"extended, binary", []any{pgx.QueryResultFormats{pgx.BinaryFormatCode}}},
	}
	requireQueriesMasked(t, conn, renamedSecrets, modes)
	for _, m := range modes {
		var ssn *int32
		require.NoError(t, conn.QueryRow(ctx, "SELECT ssn AS n FROM users WHERE id = 1", m.args...).Scan(&ssn), m.name)
		require.Nil(t, ssn, "a renamed non-text column under a rule becomes NULL (%s)", m.name)
	}

	args := []string{"-A", "-t"}
	for _, q := range renamedSecrets {
		args = append(args, "-c", q.sql)
	}
	out, err := h.psql(bob, args...)
	require.NoError(t, err)
	require.Equal(t, strings.Repeat("********\n", len(renamedSecrets)), out)
}

// derivedSecrets each compute, in one text column the server names no
// table column for, a value of users.password from row 1.
var derivedSecrets = []struct{ name, sql string }{
	{"expression", "SELECT password || '' AS p FROM users WHERE id = 1"},
	{"function", "SELECT upper(u.password) AS p FROM users u WHERE id = 1"},
	{"union", "SELECT password AS p FROM users WHERE id = 1 UNION ALL SELECT 'x' LIMIT 1"},
	{"union of stars", "SELECT p FROM (SELECT * FROM users WHERE id = 1 UNION SELECT * FROM users WHERE id = 1) s(a, b, c, p) LIMIT 1"},
	{"scalar subquery", "SELECT (SELECT password FROM users WHERE id = 1) AS p"},
	{"expression over a subquery", "SELECT x || '' FROM (SELECT password AS x FROM users WHERE id = 1) s"},
	{"function in FROM", "SELECT x FROM users, LATERAL upper(password) x WHERE id = 1"},
	{"whole row", "SELECT row_to_json(u)->>'password' FROM users u WHERE id = 1"},
	{"new column names", "SELECT p || '' FROM users AS u(i, e, n, p) WHERE i = 1"},
	{"view of an expression", "SELECT p FROM computed_logins WHERE id = 1"},
	{"returning", "UPDATE users SET note = note WHERE id = 1 RETURNING password || ''"},
	{"function as a field", "SELECT u.to_jsonb->>'password' FROM users u WHERE id = 1"},
	{"statistics", "SELECT most_common_vals::text FROM pg_stats WHERE tablename = 'users' AND attname = 'password'"},
	{"query as text", "SELECT word FROM ts_stat('SELECT to_tsvector(''simple'', password) FROM users') LIMIT 1"},
	{"returning what it wrote", "UPDATE users SET email = password WHERE id = 1 RETURNING email"},
	{"returning what a CTE wrote", "WITH x AS (UPDATE users SET email = password WHERE id = 1 RETURNING email) SELECT email FROM x"},
	{"returning what came from FROM", "UPDATE users SET email = s.p FROM (SELECT id, password AS p FROM users) s WHERE users.id = s.id AND users.id = 1 RETURNING users.email"},
	{"aggregate as a field", "SELECT u.array_agg::text FROM users u WHERE id = 1"},
}

// Column rules follow a value into what is computed from it: every result
// column the server names no table column for, in a statement that
// derives from a masked column, is masked whole. A computed column of a
// statement that touches no masked column passes unchanged.
func TestColumnRulesFollowDerivedColumns(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{risky: "allow"})
	_, err := h.target.Exec(context.Background(), `
		CREATE VIEW computed_logins AS SELECT id, lower(password) AS p, upper(email) AS e FROM users;
		INSERT INTO users SELECT g, NULL, NULL, 'hunter2', NULL, NULL FROM generate_series(100, 120) g;
		ANALYZE users`)
	require.NoError(t, err)
	h.grant(bob, grants.AccessWrite, time.Hour)
	conn := h.connect(bob)
	ctx := context.Background()
	modes := []queryMode{
		{"simple protocol", []any{pgx.QueryExecModeSimpleProtocol}},
		{"extended, cached", []any{pgx.QueryExecModeCacheStatement}},
		{"extended, binary", []any{pgx.QueryResultFormats{pgx.BinaryFormatCode}}},
	}
	requireQueriesMasked(t, conn, derivedSecrets, modes)
	for _, m := range modes {
		var id int32
		var note, email string
		require.NoError(t, conn.QueryRow(ctx, "SELECT id + 1, note || '!', upper(email) FROM users WHERE id = 2", m.args...).Scan(&id, &note, &email), m.name)
		require.Equal(t, []any{int32(3), "nothing secret!", "NO EMAIL HERE"}, []any{id, note, email}, "clean computed columns pass (%s)", m.name)
		var masked *int32
		require.NoError(t, conn.QueryRow(ctx, "SELECT ssn + 0 FROM users WHERE id = 1", m.args...).Scan(&masked), m.name)
		require.Nil(t, masked, "a computed non-text column becomes NULL (%s)", m.name)
		var n int64
		require.NoError(t, conn.QueryRow(ctx, "SELECT count(*) FROM users a JOIN users b USING (ssn)", m.args...).Scan(&n), m.name)
		require.Equal(t, int64(1), n, "a join on a masked column derives nothing (%s)", m.name)
		var e string
		require.NoError(t, conn.QueryRow(ctx, "SELECT e FROM computed_logins WHERE id = 2", m.args...).Scan(&e), m.name)
		require.Equal(t, "********", e, "a view's computed columns are masked with its definition (%s)", m.name)
	}
	// Values sent outside the rows cannot be masked there: refused.
	for _, sql := range []string{
		"SELECT set_config('application_name', password, false) FROM users WHERE id = 1",
		"SELECT 1 FROM users WHERE id = 1 AND set_config('my.x', ssn::text, false) IS NOT NULL",
		"SELECT pg_notify('c', u::text) FROM users u WHERE id = 1",
		"WITH c AS (SELECT password AS p FROM users WHERE id = 1) SELECT set_config('my.a', p, false) IS NULL FROM c",
		"PREPARE sends AS SELECT set_config('my.q', password, false) FROM users WHERE id = 1",
	} {
		_, err := conn.Exec(ctx, sql)
		var pe *pgconn.PgError
		require.True(t, errors.As(err, &pe), "%s: %v", sql, err)
		require.Equal(t, "42501", pe.Code, sql)
		require.Contains(t, pe.Message, "outside the result rows", sql)
	}
	_, err = conn.Exec(ctx, "SELECT pg_notify('c', note), set_config('application_name', 'tool', false) FROM users WHERE id = 2")
	require.NoError(t, err, "values of clean columns may be sent")

	// What SQL PREPARE holds is followed when it is executed, by EXECUTE
	// or by a protocol Bind of its name.
	for i, m := range modes {
		name := fmt.Sprintf("rewrite%d", i)
		_, err := conn.Exec(ctx, "PREPARE "+name+" AS UPDATE users SET email = password WHERE id = 1 RETURNING email")
		require.NoError(t, err)
		var v string
		require.NoError(t, conn.QueryRow(ctx, "EXECUTE "+name, m.args...).Scan(&v), m.name)
		require.Equal(t, "********", v, "EXECUTE of a prepared rewrite (%s)", m.name)
	}
	_, err = conn.Exec(ctx, "PREPARE derived_q AS SELECT password || '' FROM users WHERE id = 1")
	require.NoError(t, err)
	res := conn.PgConn().ExecPrepared(ctx, "derived_q", nil, nil, nil).Read()
	require.NoError(t, res.Err)
	require.Equal(t, "********", string(res.Rows[0][0]), "a protocol Bind of a name from SQL PREPARE")

	var tok string
	require.NoError(t, conn.QueryRow(ctx, "SELECT api_token || '' AS t FROM users WHERE id = 1").Scan(&tok))
	require.Equal(t, "********", tok)

	args := []string{"-A", "-t", "-q"}
	for _, q := range derivedSecrets {
		args = append(args, "-c", q.sql)
	}
	out, err := h.psql(bob, args...)
	require.NoError(t, err)
	require.Equal(t, strings.Repeat("********\n", len(derivedSecrets)), out)

	out, err = h.psql(bob, "-c", "COPY (SELECT id, password || '' FROM users WHERE id = 1) TO STDOUT")
	require.NoError(t, err)
	require.Equal(t, "1\t********\n", out, "COPY of a query follows the same rule")
	out, err = h.psql(bob, "-c", "COPY (SELECT id, note || '' FROM users WHERE id = 2) TO STDOUT")
	require.NoError(t, err)
	require.Equal(t, "2\tnothing secret\n", out)
}

func TestCleanRowsOfRenamedColumnsPassByteForByte(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.grant(bob, grants.AccessRead, time.Hour)
	conn := h.connect(bob)
	ctx := context.Background()
	const q = "SELECT u.id AS i, u.email AS e, u.note AS n FROM users u WHERE id = 2"
	for _, formats := range []pgx.QueryResultFormats{{pgx.TextFormatCode}, {pgx.BinaryFormatCode}} {
		direct, err := h.target.Query(ctx, q, formats)
		require.NoError(t, err)
		require.True(t, direct.Next())
		want := bytes.Join(direct.RawValues(), []byte{0})
		direct.Close()
		via, err := conn.Query(ctx, q, formats)
		require.NoError(t, err)
		require.True(t, via.Next())
		require.Equal(t, want, bytes.Join(via.RawValues(), []byte{0}))
		via.Close()
	}
}

// A renamed column is seen once what the catalog said has expired.
func TestRenamedColumnIsSeenAfterTheTTL(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{risky: "allow"})
	_, err := h.target.Exec(context.Background(), "CREATE VIEW notes AS SELECT id, note AS n FROM users")
	require.NoError(t, err)
	h.grant(bob, grants.AccessRead, time.Hour)
	conn := h.connect(bob)
	ctx := context.Background()
	read := func(mode pgx.QueryExecMode) string {
		var v string
		require.NoError(t, conn.QueryRow(ctx, "SELECT n FROM notes WHERE id = 2", mode).Scan(&v))
		return v
	}
	modes := []pgx.QueryExecMode{pgx.QueryExecModeSimpleProtocol, pgx.QueryExecModeCacheStatement}
	for _, mode := range modes {
		require.Equal(t, "nothing secret", read(mode), mode)
	}
	_, err = h.target.Exec(ctx, "ALTER TABLE users RENAME COLUMN note TO note_token")
	require.NoError(t, err)
	h.clock.Advance(defaultCatalogTTL)
	for _, mode := range modes {
		require.Equal(t, "********", read(mode), mode)
	}
}

// When the catalog cannot be asked, every column that comes from a table
// is masked whole: the side connection here fails because the target's
// login may hold one connection only, which the session itself holds.
func TestCatalogFailureMasks(t *testing.T) {
	t.Parallel()
	var b [4]byte
	_, _ = rand.Read(b[:])
	role := "jitgate_one_conn_" + hex.EncodeToString(b[:])
	h := newHarness(t, harnessOpts{username: role, password: "unused"})
	ctx := context.Background()
	_, err := h.target.Exec(ctx, "CREATE ROLE "+role+" LOGIN CONNECTION LIMIT 1; "+
		"CREATE TABLE g (id int, twice int GENERATED ALWAYS AS (id * 2) STORED); INSERT INTO g VALUES (1); "+
		"GRANT SELECT ON ALL TABLES IN SCHEMA public TO "+role)
	require.NoError(t, err)
	t.Cleanup(func() {
		_, _ = h.target.Exec(context.Background(), "DROP OWNED BY "+role+"; DROP ROLE "+role)
	})
	h.grant(bob, grants.AccessRead, time.Hour)
	conn := h.connect(bob)

	var note, plain string
	var id *int32
	require.NoError(t, conn.QueryRow(ctx, "SELECT note, 'plain' FROM users WHERE id = 2").Scan(&note, &plain))
	require.Equal(t, "********", note, "a column whose source could not be looked up is masked")
	require.Equal(t, "plain", plain, "a value from no table needs no lookup")
	require.NoError(t, conn.QueryRow(ctx, "SELECT id FROM users WHERE id = 2", pgx.QueryExecModeSimpleProtocol).Scan(&id))
	require.Nil(t, id)

	var out bytes.Buffer
	_, err = conn.PgConn().CopyTo(ctx, &out, "COPY (SELECT note FROM users ORDER BY id) TO STDOUT")
	require.NoError(t, err)
	require.Equal(t, "********\n********\n", out.String())

	// Which columns COPY of a whole table leaves out (generated ones) is
	// not known either: every column it sends is masked.
	out.Reset()
	_, err = conn.PgConn().CopyTo(ctx, &out, "COPY g TO STDOUT")
	require.NoError(t, err)
	require.Equal(t, "\\N\n", out.String())
	var one int
	require.NoError(t, conn.QueryRow(ctx, "SELECT 1").Scan(&one), "the session stays usable")
}

func TestCopyToStdoutMasksRuleColumns(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	seedViews(t, h)
	_, err := h.target.Exec(context.Background(), `
		CREATE TABLE keys (id int, api_key text, twice int GENERATED ALWAYS AS (id * 2) STORED, login_token text);
		INSERT INTO keys VALUES (1, 'k1', DEFAULT, 'lt1');`)
	require.NoError(t, err)
	h.grant(bob, grants.AccessRead, time.Hour)
	conn := h.connect(bob)
	ctx := context.Background()

	tests := []struct {
		sql  string
		want string
	}{
		{"COPY users (id, password, ssn) TO STDOUT", "1\t********\t\\N\n2\t\\N\t\\N\n"},
		{"COPY keys TO STDOUT", "1\tk1\t********\n"},
		{"COPY keys (id, login_token) TO STDOUT (FORMAT csv)", "1,********\n"},
		{"COPY (SELECT id, password AS pw, api_token AS t FROM users ORDER BY id) TO STDOUT (FORMAT csv, HEADER)", "id,pw,t\n1,********,********\n2,,\n"},
		{"COPY (SELECT k FROM logins_again ORDER BY id) TO STDOUT", "********\n\\N\n"},
		{`COPY (SELECT 'a,"b' AS x, password AS p, E'two\nlines' AS y FROM users WHERE id = 1) TO STDOUT WITH CSV`, `"a,""b",********,"two` + "\n" + `lines"` + "\n"},
		{"COPY (SELECT password FROM users ORDER BY id) TO STDOUT (NULL 'hunter2')", "********\n********\n"},
	}
	for _, tt := range tests {
		var out bytes.Buffer
		_, err := conn.PgConn().CopyTo(ctx, &out, tt.sql)
		require.NoError(t, err, tt.sql)
		require.Equal(t, tt.want, out.String(), tt.sql)
	}

	var out bytes.Buffer
	_, err = conn.PgConn().CopyTo(ctx, &out, "COPY users TO STDOUT")
	require.NoError(t, err)
	lines := strings.Split(out.String(), "\n")
	require.Len(t, lines, 3)
	require.Equal(t, "2\tno email here\tnothing secret\t\\N\t\\N\t\\N", lines[1], "a clean row is unchanged")
	cols := strings.Split(lines[0], "\t")
	require.Equal(t, []string{"********", "********", "\\N"}, cols[3:], "password, api_token, ssn")
	require.NotContains(t, cols[1], "alice@", "the detectors still run")

	psqlOut, err := h.psql(bob, "-c", "COPY (SELECT u.api_token AS t FROM users u ORDER BY id) TO STDOUT")
	require.NoError(t, err)
	require.Equal(t, "********\n\\N\n", psqlOut)
}

func TestCopyWithUncertainColumnsIsRefused(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	g := h.grant(bob, grants.AccessRead, time.Hour)
	conn := h.connect(bob)
	ctx := context.Background()
	for _, sql := range []string{
		"COPY users TO STDOUT; SELECT 1",
		"SET search_path = public; COPY users TO STDOUT",
		"COPY users TO STDOUT (ENCODING 'SJIS')",
		"COPY users TO STDOUT (FORMAT binary)",
	} {
		_, err := conn.PgConn().CopyTo(ctx, &bytes.Buffer{}, sql)
		require.Equal(t, "42501", pgCode(err), "%s: %v", sql, err)
		var one int
		require.NoError(t, conn.QueryRow(ctx, "SELECT 1").Scan(&one), "the session stays usable")
	}
	_, err := conn.PgConn().CopyTo(ctx, &bytes.Buffer{}, "COPY no_such_table TO STDOUT")
	require.Equal(t, "42P01", pgCode(err), "the server's own error, once")
	var blocked int
	for _, ev := range h.events(g) {
		if ev.Decision == "block" && ev.SQLState == "42501" {
			blocked++
		}
	}
	require.Equal(t, 4, blocked, "refusals are recorded")
}

// COPY in the extended protocol is described before each Execute.
func TestExtendedCopyMasksRuleColumns(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.grant(bob, grants.AccessRead, time.Hour)
	r := h.raw(bob)
	r.send(&pgproto3.Parse{Name: "c", Query: "COPY (SELECT id, api_token AS t FROM users ORDER BY id) TO STDOUT"},
		&pgproto3.Describe{ObjectType: 'S', Name: "c"},
		&pgproto3.Bind{PreparedStatement: "c"}, &pgproto3.Execute{}, &pgproto3.Sync{})
	log, values := r.ready()
	require.Equal(t, []string{"1\t********\n", "2\t\\N\n"}, values)
	require.Equal(t, 1, strings.Count(strings.Join(log, "|"), "ParameterDescription"), "the gateway's own describe stays hidden")
	r.send(&pgproto3.Bind{PreparedStatement: "c"}, &pgproto3.Execute{}, &pgproto3.Sync{})
	_, values = r.ready()
	require.Equal(t, []string{"1\t********\n", "2\t\\N\n"}, values, "and again")

	r.send(&pgproto3.Parse{Query: "COPY no_such_table TO STDOUT"}, &pgproto3.Bind{}, &pgproto3.Execute{}, &pgproto3.Sync{})
	log, _ = r.ready()
	require.Contains(t, strings.Join(log, "|"), "Error 42P01", "the client learns why its group failed")
	r.send(&pgproto3.Query{String: "SELECT 1"})
	_, values = r.ready()
	require.Equal(t, []string{"1"}, values)
}

// A view is resolved only after the views it reads, whatever order the
// catalog returns them in: outer_v has the lower OID but reads inner_v.
func TestViewsAreResolvedInnerFirst(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	ctx := context.Background()
	_, err := h.target.Exec(ctx, `
		CREATE VIEW outer_v AS SELECT 'x'::text AS k;
		CREATE VIEW inner_v AS SELECT id, password AS pw FROM users;
		CREATE OR REPLACE VIEW outer_v AS SELECT pw AS k FROM inner_v WHERE id = 1;
		CREATE VIEW report AS SELECT o.k, i.id FROM outer_v o, inner_v i;`)
	require.NoError(t, err)
	h.grant(bob, grants.AccessRead, time.Hour)
	conn := h.connect(bob)
	for _, sql := range []string{
		"SELECT k FROM report LIMIT 1",
		"SELECT o.k FROM outer_v o, inner_v i LIMIT 1",
		"SELECT k FROM outer_v",
	} {
		h.clock.Advance(defaultCatalogTTL) // a fresh lookup each time
		var k string
		require.NoError(t, conn.QueryRow(ctx, sql).Scan(&k), sql)
		require.Equal(t, "********", k, sql)
	}
	h.clock.Advance(defaultCatalogTTL)
	var out bytes.Buffer
	_, err = conn.PgConn().CopyTo(ctx, &out, "COPY (SELECT o.k FROM outer_v o, inner_v i LIMIT 1) TO STDOUT")
	require.NoError(t, err)
	require.Equal(t, "********\n", out.String())
	h.clock.Advance(defaultCatalogTTL)
	psqlOut, err := h.psql(bob, "-At", "-c", "SELECT k FROM report LIMIT 1")
	require.NoError(t, err)
	require.Equal(t, "********\n", psqlOut)
}

// A whole-row reference (attribute 0) is masked only when a column of its
// relation is; in binary it is a record the detectors cannot read, so it
// is masked always.
func TestWholeRowReferences(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	seedViews(t, h)
	_, err := h.target.Exec(context.Background(), "CREATE VIEW item_names AS SELECT id, name FROM items")
	require.NoError(t, err)
	h.grant(bob, grants.AccessRead, time.Hour)
	conn := h.connect(bob)
	ctx := context.Background()
	raw := func(sql string, args ...any) []byte {
		rows, err := conn.Query(ctx, sql, args...)
		require.NoError(t, err, sql)
		defer rows.Close()
		require.True(t, rows.Next(), sql)
		v := bytes.Clone(rows.RawValues()[0])
		require.NoError(t, rows.Err())
		return v
	}
	for _, args := range [][]any{{pgx.QueryExecModeSimpleProtocol}, {pgx.QueryResultFormats{pgx.TextFormatCode}}} {
		require.Equal(t, `(1,"item 1")`, string(raw("SELECT i FROM items i WHERE id = 1", args...)))
		require.Equal(t, `(1,"item 1")`, string(raw("SELECT n FROM item_names n WHERE id = 1", args...)), "a view of clean columns")
		for _, sql := range []string{"SELECT u FROM users u WHERE id = 1", "SELECT l FROM logins l WHERE id = 1"} {
			require.NotContains(t, string(raw(sql, args...)), "hunter2", sql)
		}
	}
	require.Nil(t, raw("SELECT i FROM items i WHERE id = 1", pgx.QueryResultFormats{pgx.BinaryFormatCode}))

	out, err := h.psql(bob, "-At", "-c", "SELECT i FROM items i WHERE id = 2")
	require.NoError(t, err)
	require.Equal(t, "(2,\"item 2\")\n", out)
}

// A session that replaces a view through the gateway sees the new
// definition at once, not after the TTL: DDL drops what the catalog said.
func TestReplacedViewIsSeenAtOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{risky: "allow"})
	h.grant(bob, grants.AccessWrite, time.Hour)
	conn := h.connect(bob)
	ctx := context.Background()
	modes := []pgx.QueryExecMode{pgx.QueryExecModeSimpleProtocol, pgx.QueryExecModeCacheStatement, pgx.QueryExecModeExec}
	for i, mode := range modes {
		view := fmt.Sprintf("tv%d", i)
		_, err := conn.Exec(ctx, "CREATE TEMP VIEW "+view+" AS SELECT 'x'::text AS k", mode)
		require.NoError(t, err)
		var k string
		require.NoError(t, conn.QueryRow(ctx, "SELECT k FROM "+view, mode).Scan(&k))
		require.Equal(t, "x", k)
		_, err = conn.Exec(ctx, "CREATE OR REPLACE TEMP VIEW "+view+" AS SELECT password AS k FROM users WHERE id = 1", mode)
		require.NoError(t, err)
		require.NoError(t, conn.QueryRow(ctx, "SELECT k FROM "+view, mode).Scan(&k), mode)
		require.Equal(t, "********", k, mode)
	}

	// In a pipeline, the SELECT is planned before the DDL ahead of it ran.
	_, err := conn.Exec(ctx, "CREATE TEMP VIEW batch_v AS SELECT 'x'::text AS k")
	require.NoError(t, err)
	var k string
	require.NoError(t, conn.QueryRow(ctx, "SELECT k FROM batch_v").Scan(&k))
	b := &pgx.Batch{}
	b.Queue("CREATE OR REPLACE TEMP VIEW batch_v AS SELECT password AS k FROM users WHERE id = 1")
	b.Queue("SELECT k FROM batch_v").QueryRow(func(row pgx.Row) error { return row.Scan(&k) })
	require.NoError(t, conn.SendBatch(ctx, b).Close())
	require.Equal(t, "********", k, "pipelined")

	// Inside the transaction that replaced it, the catalog still shows the
	// old definition, but it waits for the view's lock and so masks it.
	_, err = conn.Exec(ctx, "CREATE TEMP VIEW tx_v AS SELECT 'x'::text AS k")
	require.NoError(t, err)
	require.NoError(t, conn.QueryRow(ctx, "SELECT k FROM tx_v").Scan(&k))
	tx, err := conn.Begin(ctx)
	require.NoError(t, err)
	_, err = tx.Exec(ctx, "CREATE OR REPLACE TEMP VIEW tx_v AS SELECT password AS k FROM users WHERE id = 1")
	require.NoError(t, err)
	require.NoError(t, tx.QueryRow(ctx, "SELECT k FROM tx_v").Scan(&k))
	require.Equal(t, "********", k)
	require.NoError(t, tx.Commit(ctx))
	require.NoError(t, conn.QueryRow(ctx, "SELECT k FROM tx_v").Scan(&k))
	require.Equal(t, "********", k)
	var name string
	require.NoError(t, conn.QueryRow(ctx, "SELECT name FROM items WHERE id = 1").Scan(&name))
	require.Equal(t, "item 1", name, "after the transaction, clean columns pass again")

	out, err := h.psql(bob, "-At", "-c", "CREATE TEMP VIEW pv AS SELECT 'x'::text AS k", "-c", "SELECT k FROM pv",
		"-c", "CREATE OR REPLACE TEMP VIEW pv AS SELECT password AS k FROM users WHERE id = 1", "-c", "SELECT k FROM pv",
		"-c", "CREATE TEMP VIEW pv2 AS SELECT 'y'::text AS k", "-c", "SELECT k FROM pv2",
		"-c", "CREATE OR REPLACE TEMP VIEW pv2 AS SELECT password AS k FROM users WHERE id = 1; SELECT k FROM pv2")
	require.NoError(t, err)
	require.Equal(t, "CREATE VIEW\nx\nCREATE VIEW\n********\nCREATE VIEW\ny\nCREATE VIEW\n********\n", out)
}

// A session holding a lock on a table makes describing the views over it
// wait: those views are masked, briefly, but the catalog is not taken for
// down, and other relations are told as usual.
func TestLockedTableMasksOnlyItsViews(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	ctx := context.Background()
	_, err := h.target.Exec(ctx, `
		CREATE VIEW v1 AS SELECT id, note FROM users;
		CREATE VIEW v2 AS SELECT id, note FROM users;
		CREATE VIEW v3 AS SELECT id, note FROM users;
		CREATE VIEW v4 AS SELECT id, note FROM users;`)
	require.NoError(t, err)
	h.grant(bob, grants.AccessWrite, time.Hour)
	locker, other := h.connect(bob), h.connect(bob)
	tx, err := locker.Begin(ctx)
	require.NoError(t, err)
	_, err = tx.Exec(ctx, "LOCK TABLE users IN ACCESS EXCLUSIVE MODE")
	require.NoError(t, err)

	var a, b, c, d string
	require.NoError(t, tx.QueryRow(ctx, "SELECT a.note, b.note, c.note, d.note FROM v1 a, v2 b, v3 c, v4 d WHERE a.id = 2 AND b.id = 2 AND c.id = 2 AND d.id = 2").Scan(&a, &b, &c, &d))
	require.Equal(t, []string{"********", "********", "********", "********"}, []string{a, b, c, d}, "views whose tables are locked are masked")
	var name string
	var id *int32
	require.NoError(t, other.QueryRow(ctx, "SELECT name, id FROM items WHERE id = 9", pgx.QueryExecModeSimpleProtocol).Scan(&name, &id))
	require.Equal(t, "item 9", name, "other relations are not masked")
	require.NotNil(t, id)
	require.NoError(t, tx.Rollback(ctx))

	h.clock.Advance(lockedRetry)
	require.NoError(t, other.QueryRow(ctx, "SELECT note FROM v1 WHERE id = 2").Scan(&a))
	require.Equal(t, "nothing secret", a, "once the lock is gone, the view is told again")
}
