package pg

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/require"

	"github.com/jitgate/jitgate/broker"
	"github.com/jitgate/jitgate/grants"
	"github.com/jitgate/jitgate/internal/config"
	"github.com/jitgate/jitgate/internal/oidctest"
)

const bob = "bob@example.com"

func pgCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

func connectErr(t *testing.T, connURL string) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, connURL)
	if err == nil {
		conn.Close(ctx)
	}
	return err
}

func TestConnectRefusals(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	other := oidctest.New(t)

	require.ErrorContains(t, connectErr(t, h.url(bob, h.token(bob), "prod-db")), "no active grant for prod-db — ask in Slack: /access prod-db <duration> <reason>")
	h.grant(bob, grants.AccessWrite, time.Hour)
	require.NoError(t, connectErr(t, h.url(bob, h.token(bob), "prod-db")))

	tests := []struct {
		name string
		url  string
		want string
	}{
		{"wrong key", h.url(bob, h.issuer.Token(oidctest.User(bob), oidctest.WithKey(oidctest.NewRSAKey())), "prod-db"), "28000"},
		{"expired", h.url(bob, h.issuer.Token(oidctest.User(bob), oidctest.Expired()), "prod-db"), "28000"},
		{"wrong audience", h.url(bob, h.issuer.Token(oidctest.User(bob), oidctest.WithAudience("someone-else")), "prod-db"), "28000"},
		{"wrong issuer", h.url(bob, other.Token(oidctest.User(bob)), "prod-db"), "28000"},
		{"user is not the token's email", h.url("carol@example.com", h.token(bob), "prod-db"), "28000"},
		{"garbage token", h.url(bob, "not-a-token", "prod-db"), "28000"},
		{"unknown resource", h.url(bob, h.token(bob), "nope"), "28000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := connectErr(t, tt.url)
			require.Error(t, err)
			require.Equal(t, tt.want, pgCode(err), err.Error())
			require.NotContains(t, err.Error(), "unused-trust-auth")
		})
	}
	plain := strings.Replace(h.url(bob, h.token(bob), "prod-db"), "sslmode=require", "sslmode=disable", 1)
	err := connectErr(t, plain)
	require.ErrorContains(t, err, "jitgate requires TLS")
}

func TestPsqlSeesMaskedRows(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.grant(bob, grants.AccessRead, time.Hour)
	out, err := h.psql(bob, "-A", "-t", "-c", "SELECT id, email, note, password, api_token, ssn FROM users ORDER BY id")
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 2)
	require.NotContains(t, out, "alice@example.com")
	require.NotContains(t, out, "4111 1111 1111 1111")
	require.NotContains(t, out, "hunter2")
	require.NotContains(t, out, "ghp_aaaa")
	require.NotContains(t, out, "123456789")
	require.Contains(t, lines[0], "@example.com", "the domain of a masked email stays")
	require.Contains(t, lines[0], "1111", "the last four digits of a card stay")
	require.Equal(t, "2|no email here|nothing secret|||", lines[1], "a clean row is unchanged")
}

func TestPgxBinaryResultsMaskedAndCleanRowsUnchanged(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.grant(bob, grants.AccessRead, time.Hour)
	conn := h.connect(bob)
	ctx := context.Background()

	// Binary results for every column.
	rows, err := conn.Query(ctx, "SELECT id, email, note, password, api_token, ssn FROM users ORDER BY id", pgx.QueryResultFormats{pgx.BinaryFormatCode})
	require.NoError(t, err)
	type user struct {
		id                           int32
		email, note, password, token *string
		ssn                          *int32
	}
	var got []user
	for rows.Next() {
		var u user
		require.NoError(t, rows.Scan(&u.id, &u.email, &u.note, &u.password, &u.token, &u.ssn))
		got = append(got, u)
	}
	require.NoError(t, rows.Err())
	require.Len(t, got, 2)
	require.NotEqual(t, "alice@example.com", *got[0].email)
	require.Contains(t, *got[0].email, "@example.com")
	require.NotContains(t, *got[0].note, "4111 1111 1111 1111")
	require.Equal(t, "********", *got[0].password, "masked column")
	require.Equal(t, "********", *got[0].token, "masked column by glob")
	require.Nil(t, got[0].ssn, "a masked non-text column becomes NULL")

	// Byte for byte: the clean row through the gateway equals the target's.
	direct, err := h.target.Query(ctx, "SELECT id, email, note FROM users WHERE id = 2", pgx.QueryResultFormats{pgx.BinaryFormatCode})
	require.NoError(t, err)
	require.True(t, direct.Next())
	want := bytes.Join(direct.RawValues(), []byte{0})
	direct.Close()
	via, err := conn.Query(ctx, "SELECT id, email, note FROM users WHERE id = 2", pgx.QueryResultFormats{pgx.BinaryFormatCode})
	require.NoError(t, err)
	require.True(t, via.Next())
	require.Equal(t, want, bytes.Join(via.RawValues(), []byte{0}))
	via.Close()
}

// refusedStatements are risky in ways people try to hide; each must be
// refused through the gateway in both protocols.
var refusedStatements = []string{
	"DROP TABLE items",
	"/* harmless */ drop table ITEMS",
	"SELECT 1; DROP TABLE items",
	"select 1;DROP TABLE items --",
	"TRUNCATE items",
	"DELETE FROM items",
	"DELETE FROM items WHERE 1 = 1",
	"UPDATE items SET name = 'x' WHERE true",
	"WITH gone AS (DELETE FROM items RETURNING *) SELECT count(*) FROM gone",
	"DO $$ BEGIN EXECUTE 'DROP TABLE items'; END $$",
	"DO $x$ BEGIN PERFORM 1; END $x$",
	"SELECT pg_read_file('/etc/passwd')",
	"SELECT pg_catalog.pg_read_file('/etc/passwd')",
	"SELECT name FROM items ORDER BY length(pg_read_file('/etc/hostname'))",
	"SELECT * FROM (SELECT (SELECT pg_ls_dir('.') LIMIT 1)) s",
	"COPY items TO PROGRAM 'cat > /tmp/x'",
	"COPY items FROM '/etc/passwd'",
	"ALTER TABLE items ADD COLUMN x int",
	"GRANT ALL ON items TO PUBLIC",
	"CREATE ROLE evil SUPERUSER",
	"SET ROLE postgres",
	"SET SESSION AUTHORIZATION postgres",
	"CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1'",
	"SELECT set_config('standard_conforming_strings', 'off', false)",
	"SET standard_conforming_strings = off",
	"SET client_encoding = 'SJIS'",
	"SELECT pg_terminate_backend(pg_backend_pid())",
	"this is not sql",
}

func TestEvasionsAreRefusedAndSessionStaysUsable(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{risky: config.RiskyBlock})
	h.grant(bob, grants.AccessWrite, time.Hour)
	ctx := context.Background()
	for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeSimpleProtocol, pgx.QueryExecModeExec, pgx.QueryExecModeDescribeExec} {
		conn := h.connect(bob)
		for _, sql := range refusedStatements {
			_, err := conn.Exec(ctx, sql, mode)
			require.Error(t, err, "%v: %s", mode, sql)
			require.Equal(t, "42501", pgCode(err), "%v: %s: %v", mode, sql, err)
			var n int
			require.NoError(t, conn.QueryRow(ctx, "SELECT count(*) FROM items", mode).Scan(&n), "usable after %q", sql)
			require.Equal(t, 100, n, "nothing was changed by %q", sql)
		}
		// Ordinary reads and writes pass.
		_, err := conn.Exec(ctx, "INSERT INTO items VALUES (1000, 'new')", mode)
		require.NoError(t, err)
		_, err = conn.Exec(ctx, "UPDATE items SET name = 'renamed' WHERE id = $1", mode, 1000)
		require.NoError(t, err)
		_, err = conn.Exec(ctx, "DELETE FROM items WHERE id = 1000", mode)
		require.NoError(t, err)
	}
}

func TestRefusalInsideTransaction(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{risky: config.RiskyBlock})
	h.grant(bob, grants.AccessWrite, time.Hour)
	ctx := context.Background()
	for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeSimpleProtocol, pgx.QueryExecModeExec} {
		conn := h.connect(bob)
		tx, err := conn.Begin(ctx)
		require.NoError(t, err)
		_, err = tx.Exec(ctx, "INSERT INTO items VALUES (2000, 'in tx')", mode)
		require.NoError(t, err)
		_, err = tx.Exec(ctx, "DROP TABLE items", mode)
		require.Equal(t, "42501", pgCode(err))
		require.Equal(t, byte('T'), conn.PgConn().TxStatus(), "still in the transaction")
		var n int
		require.NoError(t, tx.QueryRow(ctx, "SELECT count(*) FROM items WHERE id = 2000", mode).Scan(&n))
		require.Equal(t, 1, n, "the transaction's own work is intact")
		require.NoError(t, tx.Rollback(ctx))
		require.NoError(t, conn.QueryRow(ctx, "SELECT count(*) FROM items WHERE id = 2000", mode).Scan(&n))
		require.Equal(t, 0, n)
	}
}

func TestReadGrantRefusesWrites(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{risky: config.RiskyAllow})
	h.grant(bob, grants.AccessRead, time.Hour)
	conn := h.connect(bob)
	ctx := context.Background()
	for _, sql := range []string{
		"INSERT INTO items VALUES (3000, 'x')",
		"UPDATE items SET name = 'x' WHERE id = 1",
		"SET default_transaction_read_only = off",
		"BEGIN READ WRITE",
		"SELECT nextval('s')",
		"CREATE TABLE t (a int)",
	} {
		_, err := conn.Exec(ctx, sql)
		require.Equal(t, "42501", pgCode(err), sql)
		require.ErrorContains(t, err, "read-only")
	}
	var ro string
	require.NoError(t, conn.QueryRow(ctx, "SHOW default_transaction_read_only").Scan(&ro))
	require.Equal(t, "on", ro, "the target enforces read-only too")
}

func TestCancelThroughGateway(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.grant(bob, grants.AccessRead, time.Hour)
	conn := h.connect(bob)
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := conn.Exec(ctx, "SELECT pg_sleep(30)")
	require.Error(t, err)
	require.Less(t, time.Since(start), 10*time.Second, "the sleep was cancelled, not waited out")
	// pgx closes a connection whose query was interrupted; a new one works,
	// and the target is no longer sleeping.
	h.onTarget("query = 'SELECT pg_sleep(30)' AND state = 'active'", 0, 10*time.Second, "")
}

func TestCancelRequestWithPsql(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.grant(bob, grants.AccessRead, time.Hour)
	conn := h.connect(bob)
	ctx := context.Background()
	done := make(chan error, 1)
	go func() {
		_, err := conn.PgConn().Exec(ctx, "SELECT pg_sleep(30)").ReadAll()
		done <- err
	}()
	h.onTarget("query = 'SELECT pg_sleep(30)' AND state = 'active'", 1, 10*time.Second, "")
	require.NoError(t, conn.PgConn().CancelRequest(ctx))
	select {
	case err := <-done:
		require.Equal(t, "57014", pgCode(err), "query_canceled")
	case <-time.After(10 * time.Second):
		t.Fatal("cancel did not reach the target")
	}
	var one int
	require.NoError(t, conn.QueryRow(ctx, "SELECT 1").Scan(&one), "the session survives a cancel")
}

func TestCopyInAndOut(t *testing.T) {
	t.Parallel()
	inBothModes(t, func(t *testing.T, plaintext bool) {
		h := newHarness(t, harnessOpts{risky: config.RiskyAllow, plaintext: plaintext})
		h.grant(bob, grants.AccessWrite, time.Hour)
		conn := h.connect(bob)
		ctx := context.Background()
		n, err := conn.CopyFrom(ctx, pgx.Identifier{"items"}, []string{"id", "name"}, pgx.CopyFromRows([][]any{{5001, "a"}, {5002, "b"}}))
		require.NoError(t, err)
		require.Equal(t, int64(2), n)

		var out bytes.Buffer
		tag, err := conn.PgConn().CopyTo(ctx, &out, "COPY (SELECT id, email, note FROM users ORDER BY id) TO STDOUT")
		require.NoError(t, err)
		require.Equal(t, int64(2), tag.RowsAffected())
		require.NotContains(t, out.String(), "alice@example.com")
		require.NotContains(t, out.String(), "4111 1111 1111 1111")
		require.Contains(t, out.String(), "2\tno email here\tnothing secret\n")

		_, err = conn.PgConn().CopyTo(ctx, &out, "COPY users TO STDOUT (FORMAT binary)")
		require.Error(t, err, "binary COPY cannot be masked")
	})
}

func TestLargeResult(t *testing.T) {
	t.Parallel()
	inBothModes(t, func(t *testing.T, plaintext bool) {
		h := newHarness(t, harnessOpts{plaintext: plaintext})
		h.grant(bob, grants.AccessRead, time.Hour)
		conn := h.connect(bob)
		rows, err := conn.Query(context.Background(), "SELECT g, repeat('x', 1000) FROM generate_series(1, 100000) g")
		require.NoError(t, err)
		total, count := 0, 0
		for rows.Next() {
			total += len(rows.RawValues()[1])
			count++
		}
		require.NoError(t, rows.Err())
		require.Equal(t, 100000, count)
		require.Equal(t, 100_000_000, total)
	})
}

func TestPipelinedExtendedQueries(t *testing.T) {
	t.Parallel()
	inBothModes(t, func(t *testing.T, plaintext bool) {
		h := newHarness(t, harnessOpts{risky: config.RiskyBlock, plaintext: plaintext})
		h.grant(bob, grants.AccessWrite, time.Hour)
		conn := h.connect(bob)
		ctx := context.Background()
		b := &pgx.Batch{}
		for i := range 50 {
			b.Queue("SELECT name FROM items WHERE id = $1", i+1)
		}
		res := conn.SendBatch(ctx, b)
		for i := range 50 {
			var name string
			require.NoError(t, res.QueryRow().Scan(&name))
			require.Equal(t, fmt.Sprintf("item %d", i+1), name)
		}
		require.NoError(t, res.Close())

		// A refused statement in a pipeline fails the batch, and the
		// connection goes on.
		b = &pgx.Batch{}
		b.Queue("SELECT 1")
		b.Queue("DROP TABLE items")
		b.Queue("SELECT 2")
		err := conn.SendBatch(ctx, b).Close()
		require.Equal(t, "42501", pgCode(err))
		var n int
		require.NoError(t, conn.QueryRow(ctx, "SELECT count(*) FROM items").Scan(&n))
		require.Equal(t, 100, n)
	})
}

// inBothModes runs f over TLS and over plaintext, where the gateway reads
// the client's socket directly (msgReader.eachRaw) instead of through TLS.
func inBothModes(t *testing.T, f func(t *testing.T, plaintext bool)) {
	for _, plaintext := range []bool{false, true} {
		t.Run(map[bool]string{false: "tls", true: "plaintext"}[plaintext], func(t *testing.T) {
			t.Parallel()
			f(t, plaintext)
		})
	}
}

// endedSession waits for conn to be cut off and returns the error it got.
func endedSession(t *testing.T, conn *pgx.Conn) error {
	t.Helper()
	var last error
	require.Eventually(t, func() bool {
		_, last = conn.Exec(context.Background(), "SELECT 1")
		return last != nil
	}, 2*time.Second, 20*time.Millisecond, "cut off within 2 seconds")
	return last
}

func TestRevokeCutsSessionOff(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	g := h.grant(bob, grants.AccessRead, time.Hour)
	conn := h.connect(bob)
	done := make(chan error, 1)
	go func() {
		_, err := conn.Exec(context.Background(), "SELECT pg_sleep(20)")
		done <- err
	}()
	h.onTarget("query = 'SELECT pg_sleep(20)' AND state = 'active'", 1, 10*time.Second, "the cut-off must interrupt a running statement")
	_, err := h.store.Revoke(context.Background(), g.ID, grants.Identity{Email: "alice@example.com"}, "incident over", h.clock.Now())
	require.NoError(t, err)
	select {
	case err := <-done:
		require.Equal(t, "57P01", pgCode(err), err)
		require.ErrorContains(t, err, "access to prod-db ended: grant revoked by alice@example.com (incident over)")
	case <-time.After(2 * time.Second):
		t.Fatal("session not cut off within 2 seconds of the revoke")
	}
	require.Eventually(t, func() bool { return h.registry.Count() == 0 }, 2*time.Second, 10*time.Millisecond)
}

func TestExpiryCutsSessionOff(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.grant(bob, grants.AccessRead, 90*time.Second)
	conn := h.connect(bob)
	h.clock.Advance(89 * time.Second)
	_, err := conn.Exec(context.Background(), "SELECT 1")
	require.NoError(t, err)
	h.clock.Advance(time.Second)
	err = endedSession(t, conn)
	require.Equal(t, "57P01", pgCode(err), err)
	require.ErrorContains(t, err, "access to prod-db ended: grant expired")

	// And no new session starts under it.
	require.ErrorContains(t, connectErr(t, h.url(bob, h.token(bob), "prod-db")), "no active grant")
}

func TestStatementsAreRecordedMasked(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{risky: config.RiskyBlock})
	g := h.grant(bob, grants.AccessWrite, time.Hour)
	conn := h.connect(bob)
	ctx := context.Background()
	_, err := conn.Exec(ctx, "SELECT * FROM users WHERE email = 'alice@example.com'", pgx.QueryExecModeSimpleProtocol)
	require.NoError(t, err)
	_, err = conn.Exec(ctx, "SELECT * FROM users WHERE email = $1", "alice@example.com")
	require.NoError(t, err)
	_, err = conn.Exec(ctx, "DROP TABLE users")
	require.Error(t, err)
	conn.Close(ctx)

	evs := h.events(g)
	var all strings.Builder
	for _, e := range evs {
		fmt.Fprintf(&all, "%s|%s|%v|%s|%s|%d|%s\n", e.Kind, e.Statement, e.Params, e.Classification, e.Decision, e.Rows, e.SQLState)
	}
	t.Log(all.String())
	require.NotContains(t, all.String(), "alice@example.com")
	require.Contains(t, all.String(), "query|SELECT * FROM users WHERE email = '")
	require.Contains(t, all.String(), "execute|SELECT * FROM users WHERE email = $1|[")
	require.Contains(t, all.String(), "DROP TABLE users|[]|risky|block|0|42501")
	var ended struct {
		reason string
	}
	require.Eventually(t, func() bool {
		return h.pool.QueryRow(ctx, "SELECT coalesce(end_reason, '') FROM sessions WHERE grant_id = $1", g.ID).Scan(&ended.reason) == nil && ended.reason != ""
	}, 5*time.Second, 20*time.Millisecond)
	require.Equal(t, "client disconnected", ended.reason)
}

type fakeReviewer struct {
	mu     sync.Mutex
	answer bool
	wait   bool
	held   []broker.HeldStatement
}

func (f *fakeReviewer) ReviewStatement(ctx context.Context, held broker.HeldStatement) (bool, error) {
	f.mu.Lock()
	f.held = append(f.held, held)
	answer, wait := f.answer, f.wait
	f.mu.Unlock()
	if wait {
		<-ctx.Done()
		return false, ctx.Err()
	}
	return answer, nil
}

func TestRiskyStatementHeldForReview(t *testing.T) {
	t.Parallel()
	rev := &fakeReviewer{answer: true}
	h := newHarness(t, harnessOpts{risky: config.RiskyReview, reviewer: rev})
	h.grant(bob, grants.AccessWrite, time.Hour)
	conn := h.connect(bob)
	ctx := context.Background()
	_, err := conn.Exec(ctx, "TRUNCATE items")
	require.NoError(t, err, "approved by the reviewer")
	rev.mu.Lock()
	require.Len(t, rev.held, 1)
	require.Equal(t, "TRUNCATE items", rev.held[0].Statement)
	require.Equal(t, bob, rev.held[0].Requester)
	rev.answer = false
	rev.mu.Unlock()
	_, err = conn.Exec(ctx, "DROP TABLE items")
	require.Equal(t, "42501", pgCode(err))
	require.ErrorContains(t, err, "a reviewer denied")

	rev.mu.Lock()
	rev.wait = true
	rev.mu.Unlock()
	_, err = conn.Exec(ctx, "DROP TABLE items")
	require.ErrorContains(t, err, "no reviewer decided within 2s")
	var n int
	require.NoError(t, conn.QueryRow(ctx, "SELECT count(*) FROM users").Scan(&n))
}

func TestPgbenchThroughGateway(t *testing.T) {
	t.Parallel()
	inBothModes(t, func(t *testing.T, plaintext bool) {
		h := newHarness(t, harnessOpts{risky: config.RiskyAllow, plaintext: plaintext})
		h.grant(bob, grants.AccessWrite, time.Hour)
		host, port, _ := net.SplitHostPort(h.addr)
		env := append(os.Environ(), "PGPASSWORD="+h.token(bob), "PGSSLMODE="+h.sslmode, "PGCLIENTENCODING=UTF8")
		run := func(args ...string) string {
			cmd := exec.Command("pgbench", append([]string{"-h", host, "-p", port, "-U", bob}, append(args, "prod-db")...)...)
			cmd.Env = env
			out, err := cmd.CombinedOutput()
			require.NoError(t, err, "pgbench %v:\n%s", args, out)
			return string(out)
		}
		run("-i", "-s", "1", "-q")
		for _, mode := range []string{"simple", "prepared"} {
			out := run("-S", "-c", "2", "-t", "200", "-M", mode)
			require.Contains(t, out, "number of transactions actually processed: 400/400", mode)
		}
	})
}

func TestSQLPrepareThenProtocolBindIsDecidedAgain(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{risky: config.RiskyBlock})
	h.grant(bob, grants.AccessWrite, time.Hour)
	conn := h.connect(bob)
	ctx := context.Background()
	// PREPARE of a risky statement is itself refused...
	_, err := conn.Exec(ctx, "PREPARE wipe AS DELETE FROM items", pgx.QueryExecModeSimpleProtocol)
	require.Equal(t, "42501", pgCode(err))
	// ...and EXECUTE of a name never prepared is refused, not guessed.
	_, err = conn.Exec(ctx, "EXECUTE wipe", pgx.QueryExecModeSimpleProtocol)
	require.Equal(t, "42501", pgCode(err))
	// A harmless SQL-prepared statement runs through a protocol Bind.
	_, err = conn.Exec(ctx, "PREPARE one AS SELECT count(*) FROM items", pgx.QueryExecModeSimpleProtocol)
	require.NoError(t, err)
	res := conn.PgConn().ExecPrepared(ctx, "one", nil, nil, nil).Read()
	require.NoError(t, res.Err)
	require.Equal(t, "100", string(res.Rows[0][0]))
}

// passwordRole makes a login role that the test server (configured by
// deploy/dev-postgres.sh) asks for a password with method.
func passwordRole(t *testing.T, h *harness, role, method, password string) {
	t.Helper()
	ctx := context.Background()
	_, err := h.target.Exec(ctx, "CREATE ROLE "+role+" LOGIN")
	if err != nil && pgCode(err) != "42710" { // duplicate_object: another test made it
		require.NoError(t, err)
	}
	_, err = h.target.Exec(ctx, fmt.Sprintf("SET password_encryption = '%s'; ALTER ROLE %s PASSWORD '%s'; GRANT SELECT ON items TO %s", method, role, password, role))
	require.NoError(t, err)
	u, err := url.Parse(h.target.Config().ConnString())
	require.NoError(t, err)
	u.User = url.UserPassword(role, "wrong-"+password)
	conn, err := pgx.Connect(ctx, u.String())
	if err == nil {
		conn.Close(ctx)
		t.Skipf("the test server does not ask %s for a password; run the tests with make test", role)
	}
	require.Equal(t, "28P01", pgCode(err), "a wrong password is refused by the server")
}

func TestTargetPasswordAuthentication(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ role, method string }{{"jitgate_scram", "scram-sha-256"}, {"jitgate_md5", "md5"}} {
		t.Run(c.method, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, harnessOpts{username: c.role, password: "s3cret-" + c.method})
			passwordRole(t, h, c.role, c.method, "s3cret-"+c.method)
			h.grant(bob, grants.AccessRead, time.Hour)
			conn := h.connect(bob)
			var who string
			require.NoError(t, conn.QueryRow(context.Background(), "SELECT current_user").Scan(&who))
			require.Equal(t, c.role, who)

			bad := newHarness(t, harnessOpts{username: c.role, password: "not-it"})
			bad.grant(bob, grants.AccessRead, time.Hour)
			err := connectErr(t, bad.url(bob, bad.token(bob), "prod-db"))
			require.Equal(t, "57P03", pgCode(err))
			require.NotContains(t, err.Error(), "not-it", "the target's password is never shown")
		})
	}
}

func TestDirectTLSNegotiation(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.grant(bob, grants.AccessRead, time.Hour)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, h.url(bob, h.token(bob), "prod-db")+"&sslnegotiation=direct")
	require.NoError(t, err)
	defer conn.Close(ctx)
	require.True(t, conn.PgConn().Conn() != nil)
	var one int
	require.NoError(t, conn.QueryRow(ctx, "SELECT 1").Scan(&one))
}

func TestConnectionCapPerPerson(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{maxPerUser: 1})
	h.grant(bob, grants.AccessRead, time.Hour)
	first := h.connect(bob)
	err := connectErr(t, h.url(bob, h.token(bob), "prod-db"))
	require.Equal(t, "53300", pgCode(err))
	first.Close(context.Background())
	require.Eventually(t, func() bool { return connectErr(t, h.url(bob, h.token(bob), "prod-db")) == nil }, 5*time.Second, 20*time.Millisecond)
}

func TestHandshakeTimeout(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{handshake: 200 * time.Millisecond})
	conn, err := net.Dial("tcp", h.addr)
	require.NoError(t, err)
	defer conn.Close()
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(10*time.Second)))
	// Say nothing: the gateway hangs up instead of holding the socket.
	_, err = conn.Read(make([]byte, 1))
	require.Error(t, err)
	var ne net.Error
	require.False(t, errors.As(err, &ne) && ne.Timeout(), "the gateway closed it, not our own deadline")
}

// A held statement that carries a password reaches reviewers, and the
// recording, with its constants replaced, however the password is quoted.
func TestHeldCredentialsAreNotShown(t *testing.T) {
	t.Parallel()
	rev := &fakeReviewer{answer: false} // denied: nothing runs on the shared server
	h := newHarness(t, harnessOpts{risky: config.RiskyReview, reviewer: rev})
	g := h.grant(bob, grants.AccessWrite, time.Hour)
	conn := h.connect(bob)
	ctx := context.Background()
	for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeSimpleProtocol, pgx.QueryExecModeExec} {
		for _, sql := range []string{
			"ALTER ROLE jitgate_nobody PASSWORD $$hunter2hunter2$$",
			"ALTER ROLE jitgate_nobody PASSWORD/**/E'hunter2hunter2'",
		} {
			_, err := conn.Exec(ctx, sql, mode)
			require.ErrorContains(t, err, "a reviewer denied", sql)
		}
	}
	conn.Close(ctx)
	rev.mu.Lock()
	require.Len(t, rev.held, 4)
	for _, held := range rev.held {
		require.NotContains(t, held.Statement, "hunter2", "shown to reviewers")
		require.Contains(t, held.Statement, "ALTER ROLE jitgate_nobody PASSWORD")
	}
	rev.mu.Unlock()
	for _, e := range h.events(g) {
		require.NotContains(t, e.Statement, "hunter2", "recorded")
	}
}

// slowRows yields a COPY row every interval, n times: an upload during
// which the server says nothing.
type slowRows struct {
	n        int
	interval time.Duration
}

func (r *slowRows) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, io.EOF
	}
	time.Sleep(r.interval)
	r.n--
	return copy(p, fmt.Sprintf("%d\tslow\n", 1000+r.n)), nil
}

func TestIdleSessionIsClosed(t *testing.T) {
	t.Parallel()
	const idle = 1500 * time.Millisecond
	h := newHarness(t, harnessOpts{idle: idle, plaintext: true})
	g := h.grant(bob, grants.AccessWrite, time.Hour)
	conn := h.connect(bob)
	ctx := context.Background()

	for range 15 {
		_, err := conn.Exec(ctx, "SELECT 1")
		require.NoError(t, err, "a session in use is not idle")
		time.Sleep(idle / 5)
	}
	// Only the client speaks for longer than the idle timeout.
	tag, err := conn.PgConn().CopyFrom(ctx, &slowRows{n: 15, interval: idle / 5}, "COPY items FROM STDIN")
	require.NoError(t, err, "an upload is activity")
	require.Equal(t, int64(15), tag.RowsAffected())

	var reason string
	require.Eventually(t, func() bool {
		return h.pool.QueryRow(ctx, "SELECT coalesce(end_reason, '') FROM sessions WHERE grant_id = $1", g.ID).Scan(&reason) == nil && reason != ""
	}, 3*idle, 20*time.Millisecond, "an idle session ends")
	require.Equal(t, "idle timeout", reason)
	_, err = conn.Exec(ctx, "SELECT 1")
	require.Equal(t, "57P01", pgCode(err), err)
	require.ErrorContains(t, err, "idle for 1.5s")
}

// A client that goes without Terminate, right after a message that gets no
// answer (so its FIN may come with that message's bytes and nothing else
// wakes the gateway), still ends its session within seconds: nothing waits
// for the idle timeout.
func TestClientGoneWithoutTerminate(t *testing.T) {
	t.Parallel()
	for _, plaintext := range []bool{true, false} {
		h := newHarness(t, harnessOpts{plaintext: plaintext})
		g := h.grant(bob, grants.AccessRead, time.Hour)
		parse := append([]byte{'P', 0, 0, 0, 16, 0}, "SELECT 2\x00\x00\x00"...)
		for range 5 {
			conn := h.connect(bob)
			_, err := conn.Exec(context.Background(), "SELECT 1")
			require.NoError(t, err)
			raw := conn.PgConn().Conn()
			_, err = raw.Write(parse)
			require.NoError(t, err)
			require.NoError(t, raw.Close())
		}
		var ended int
		require.Eventually(t, func() bool {
			err := h.pool.QueryRow(context.Background(), "SELECT count(*) FROM sessions WHERE grant_id = $1 AND end_reason = 'client disconnected'", g.ID).Scan(&ended)
			return err == nil && ended == 5
		}, rawRecheck+2*time.Second, 10*time.Millisecond, "plaintext %v: sessions end when their clients go", plaintext)
		require.Zero(t, h.registry.Count())
	}
}
