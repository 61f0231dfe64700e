package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/jitgate/jitgate/grants"
	"github.com/jitgate/jitgate/internal/dbtest"
	"github.com/jitgate/jitgate/internal/oidctest"
)

type result struct {
	code   int
	stdout string
	stderr string
}

func runCLI(t *testing.T, ctx context.Context, vars map[string]string, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(ctx, args, &env{stdout: &out, stderr: &errOut, getenv: func(k string) string { return vars[k] }})
	t.Logf("jitgate %s -> %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, out.String(), errOut.String())
	return result{code, out.String(), errOut.String()}
}

const testConfig = `
database_url: %s
http:
  listen: %s
slack:
  mode: off
resources:
  - name: prod-db
    kind: postgres
    address: 127.0.0.1:5432
    database: app
    username: jitgate_app
    password: not-used-here
    reviewers: [alice@example.com]
    max_duration: 4h
    reason_pattern: '^INC-[0-9]+'
`

func writeConfig(t *testing.T, dbURL, listen string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "jitgate.yaml")
	require.NoError(t, os.WriteFile(path, fmt.Appendf(nil, testConfig, dbURL, listen), 0o600))
	return path
}

// migratedConfig gives a test its own empty database, migrated through the
// CLI itself, and a config file pointing at it.
func migratedConfig(t *testing.T) (string, *pgxpool.Pool) {
	t.Helper()
	dbURL := dbtest.NewEmptyURL(t)
	cfg := writeConfig(t, dbURL, "127.0.0.1:0")
	r := runCLI(t, context.Background(), nil, "migrate", "--config", cfg)
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, r.stdout, "applied")
	pool, err := pgxpool.New(context.Background(), dbURL)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	return cfg, pool
}

func rows(t *testing.T, pool *pgxpool.Pool, table string) int {
	t.Helper()
	var n int
	require.NoError(t, pool.QueryRow(context.Background(), "SELECT count(*) FROM "+table).Scan(&n))
	return n
}

func TestGrantsCreateListRevoke(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cfg, pool := migratedConfig(t)

	again := runCLI(t, ctx, nil, "migrate", "--config", cfg)
	require.Equal(t, 0, again.code)
	require.Contains(t, again.stdout, "up to date")

	created := runCLI(t, ctx, nil, "grants", "create", "--config", cfg, "--user", "Bob@Example.com",
		"--resource", "prod-db", "--duration", "90s", "--reason", "INC-42 hotfix", "--access", "write")
	require.Equal(t, 0, created.code, created.stderr)
	id := strings.TrimSpace(created.stdout)
	require.Regexp(t, `^[0-9a-f-]{36}$`, id, "stdout is the grant id alone, for scripts")

	list := runCLI(t, ctx, nil, "grants", "list", "--active", "--config", cfg)
	require.Equal(t, 0, list.code)
	require.Contains(t, list.stdout, id)
	require.Contains(t, list.stdout, "bob@example.com")
	require.Contains(t, list.stdout, "write")

	reqs := runCLI(t, ctx, nil, "requests", "list", "--config", cfg, "--status", "approved")
	require.Equal(t, 0, reqs.code)
	require.Contains(t, reqs.stdout, "INC-42 hotfix")

	// Flags may follow the positional id.
	revoked := runCLI(t, ctx, nil, "grants", "revoke", id, "--config", cfg, "--reason", "done early")
	require.Equal(t, 0, revoked.code, revoked.stderr)
	require.Contains(t, revoked.stdout, "revoked "+id)

	list = runCLI(t, ctx, nil, "grants", "list", "--active", "--config", cfg)
	require.NotContains(t, list.stdout, id)
	all := runCLI(t, ctx, nil, "grants", "list", "--config", cfg, "--json")
	require.Contains(t, all.stdout, `"Status":"revoked"`)

	twice := runCLI(t, ctx, nil, "grants", "revoke", id, "--config", cfg, "--reason", "again")
	require.Equal(t, 1, twice.code)
	require.Contains(t, twice.stderr, "already ended")

	var actors []string
	r, err := pool.Query(ctx, "SELECT actor || ' ' || action FROM audit_events ORDER BY id")
	require.NoError(t, err)
	for r.Next() {
		var s string
		require.NoError(t, r.Scan(&s))
		actors = append(actors, s)
	}
	require.NoError(t, r.Err())
	require.Len(t, actors, 3)
	require.Regexp(t, `^cli:\S+ request.operator$`, actors[0], "audited as the operator's direct grant")
	require.Equal(t, "jitgate grant.started", actors[1])
	require.Regexp(t, `^cli:\S+ grant.revoked$`, actors[2])

	ok := runCLI(t, ctx, nil, "audit", "verify", "--config", cfg)
	require.Equal(t, 0, ok.code)
	require.Contains(t, ok.stdout, "3 audit events")
}

func TestBadInputIsOneLineAndWritesNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cfg, pool := migratedConfig(t)
	create := []string{"grants", "create", "--config", cfg}
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"missing user", append(create, "--resource", "prod-db", "--duration", "1h", "--reason", "INC-1"), 2, "--user is required"},
		{"bad email", append(create, "--user", "bob", "--resource", "prod-db", "--duration", "1h", "--reason", "INC-1"), 2, "--user"},
		{"bad duration", append(create, "--user", "b@x.io", "--resource", "prod-db", "--duration", "2x", "--reason", "INC-1"), 2, `--duration: "2x" is not a duration`},
		{"too long", append(create, "--user", "b@x.io", "--resource", "prod-db", "--duration", "5h", "--reason", "INC-1"), 2, "--duration: duration 5h0m0s is longer than prod-db allows"},
		{"bad reason", append(create, "--user", "b@x.io", "--resource", "prod-db", "--duration", "1h", "--reason", "because"), 2, "--reason: reason must match"},
		{"bad access", append(create, "--user", "b@x.io", "--resource", "prod-db", "--duration", "1h", "--reason", "INC-1", "--access", "root"), 2, "--access"},
		{"unknown resource", append(create, "--user", "b@x.io", "--resource", "nope", "--duration", "1h", "--reason", "INC-1"), 2, `--resource: "nope" is not a resource`},
		{"unknown flag", append(create, "--usr", "b@x.io"), 2, "flag provided but not defined: -usr"},
		{"revoke without id", []string{"grants", "revoke", "--config", cfg, "--reason", "x"}, 2, "GRANT_ID"},
		{"revoke bad id", []string{"grants", "revoke", "nope", "--config", cfg, "--reason", "x"}, 2, `"nope" is not a grant id`},
		{"revoke no reason", []string{"grants", "revoke", "7f1c8a2e-8d2a-4c1e-9a53-3b1f3f0c9d11", "--config", cfg}, 2, "--reason is required"},
		{"revoke unknown", []string{"grants", "revoke", "7f1c8a2e-8d2a-4c1e-9a53-3b1f3f0c9d11", "--config", cfg, "--reason", "x"}, 1, "no grant"},
		{"bad status", []string{"requests", "list", "--config", cfg, "--status", "open"}, 2, `--status: "open"`},
		{"bad limit", []string{"grants", "list", "--config", cfg, "--limit", "0"}, 2, "--limit"},
		{"missing config", []string{"grants", "list", "--config", "/nonexistent/jitgate.yaml"}, 1, "config:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, ctx, nil, tt.args...)
			require.Equal(t, tt.code, r.code)
			lines := strings.Split(strings.TrimRight(r.stderr, "\n"), "\n")
			require.Contains(t, lines[0], tt.want)
			require.LessOrEqual(t, len(lines), 2, "one error line, then at most a pointer to --help")
			require.Empty(t, r.stdout)
		})
	}
	for _, table := range []string{"requests", "grants", "reviews", "audit_events"} {
		require.Equal(t, 0, rows(t, pool, table), table)
	}
}

func TestAuditVerifyCatchesEdit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cfg, pool := migratedConfig(t)
	for range 2 {
		r := runCLI(t, ctx, nil, "grants", "create", "--config", cfg, "--user", "b@x.io", "--resource", "prod-db", "--duration", "1h", "--reason", "INC-7")
		require.Equal(t, 0, r.code)
	}
	_, err := pool.Exec(ctx, `ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only;
		UPDATE audit_events SET details = '{"reason":"INC-8"}' WHERE id = (SELECT min(id) FROM audit_events)`)
	require.NoError(t, err)
	r := runCLI(t, ctx, nil, "audit", "verify", "--config", cfg)
	require.Equal(t, 1, r.code)
	require.Contains(t, r.stderr, "audit chain broken at event")
}

func TestCommandsRefuseUnmigratedDatabase(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cfg := writeConfig(t, dbtest.NewEmptyURL(t), "127.0.0.1:0")
	for _, args := range [][]string{{"grants", "list"}, {"serve"}, {"audit", "verify"}} {
		r := runCLI(t, ctx, nil, append(args, "--config", cfg)...)
		require.Equal(t, 1, r.code)
		require.Contains(t, r.stderr, "run `jitgate migrate`")
	}
}

func TestServeHealthAndShutdown(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	cfg := writeConfig(t, dbtest.NewURL(t), addr)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan result, 1)
	go func() { done <- runCLI(t, ctx, nil, "serve", "--config", cfg) }()

	get := func(path string) (int, string) {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		_, _ = b.ReadFrom(resp.Body)
		return resp.StatusCode, b.String()
	}
	require.Eventually(t, func() bool { code, _ := get("/healthz"); return code == 200 }, 20*time.Second, 20*time.Millisecond)
	code, body := get("/readyz")
	require.Equal(t, 200, code, body)
	code, body = get("/metrics")
	require.Equal(t, 200, code)
	require.Contains(t, body, "go_goroutines")

	cancel()
	select {
	case r := <-done:
		require.Equal(t, 0, r.code, r.stderr)
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop after its context ended")
	}
}

func TestConfigCheck(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	good := writeConfig(t, "postgres://u@127.0.0.1/db", "127.0.0.1:8080")
	r := runCLI(t, ctx, nil, "config", "check", "--config", good)
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, r.stdout, "prod-db (postgres)")

	bad := filepath.Join(t.TempDir(), "bad.yaml")
	require.NoError(t, os.WriteFile(bad, []byte(strings.Replace(fmt.Sprintf(testConfig, "postgres://u@h/db", "127.0.0.1:1"), "max_duration: 4h", "max_duration: 4x", 1)), 0o600))
	r = runCLI(t, ctx, nil, "config", "check", "--config", bad)
	require.Equal(t, 1, r.code)
	require.Contains(t, r.stderr, "resources[0].max_duration")
	require.Equal(t, 1, strings.Count(r.stderr, "\n"))

	// JITGATE_CONFIG is the default when --config is absent.
	r = runCLI(t, ctx, map[string]string{"JITGATE_CONFIG": good}, "config", "check")
	require.Equal(t, 0, r.code)
}

func TestHelpAndUnknownCommands(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := runCLI(t, ctx, nil, "--help")
	require.Equal(t, 0, r.code)
	for _, c := range commands() {
		require.Contains(t, r.stdout, c.path)
	}
	r = runCLI(t, ctx, nil, "grants", "create", "--help")
	require.Equal(t, 0, r.code)
	require.Contains(t, r.stdout, "-duration")
	require.Contains(t, r.stdout, "max_duration")
	r = runCLI(t, ctx, nil, "frobnicate")
	require.Equal(t, 2, r.code)
	require.Contains(t, r.stderr, `unknown command "frobnicate"`)
	r = runCLI(t, ctx, nil, "version")
	require.Equal(t, 0, r.code)
	require.Contains(t, r.stdout, "jitgate ")
}

func TestServeRunsPostgresGateway(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	issuer := oidctest.New(t)
	target := dbtest.NewURL(t)
	tu, err := url.Parse(target)
	require.NoError(t, err)
	free := func() string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		defer ln.Close()
		return ln.Addr().String()
	}
	httpAddr, pgAddr := free(), free()
	cfgPath := filepath.Join(t.TempDir(), "jitgate.yaml")
	require.NoError(t, os.WriteFile(cfgPath, fmt.Appendf(nil, `
database_url: %s
http:
  listen: %s
oidc:
  issuer: %s
  audience: %s
gateway:
  postgres:
    listen: %s
resources:
  - name: app
    kind: postgres
    address: %s
    database: %s
    username: postgres
    password: unused
    reviewers: [alice@example.com]
    max_duration: 1h
`, dbtest.NewURL(t), httpAddr, issuer.URL(), issuer.ClientID(), pgAddr, tu.Host, strings.TrimPrefix(tu.Path, "/")), 0o600))

	done := make(chan result, 1)
	go func() { done <- runCLI(t, ctx, nil, "serve", "--config", cfgPath) }()
	require.Eventually(t, func() bool {
		c, err := net.Dial("tcp", pgAddr)
		if err == nil {
			c.Close()
		}
		return err == nil
	}, 30*time.Second, 20*time.Millisecond)

	r := runCLI(t, ctx, nil, "grants", "create", "--config", cfgPath, "--user", "bob@example.com", "--resource", "app", "--duration", "10m", "--reason", "test")
	require.Equal(t, 0, r.code, r.stderr)
	connURL := (&url.URL{Scheme: "postgres", User: url.UserPassword("bob@example.com", issuer.Token(oidctest.User("bob@example.com"))), Host: pgAddr, Path: "/app", RawQuery: "sslmode=require"}).String()
	conn, err := pgx.Connect(ctx, connURL)
	require.NoError(t, err)
	var n int
	require.NoError(t, conn.QueryRow(ctx, "SELECT 40 + 2").Scan(&n))
	require.Equal(t, 42, n)
	conn.Close(ctx)

	cancel()
	select {
	case r := <-done:
		require.Equal(t, 0, r.code, r.stderr)
		require.Contains(t, r.stderr, "self-signed")
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop")
	}
}

func TestCommandsRefuseNewerSchema(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cfg, pool := migratedConfig(t)
	_, err := pool.Exec(ctx, "INSERT INTO goose_db_version (version_id, is_applied) VALUES (9999, true)")
	require.NoError(t, err)
	r := runCLI(t, ctx, nil, "serve", "--config", cfg)
	require.Equal(t, 1, r.code)
	require.Contains(t, r.stderr, "database schema is newer than this jitgate: upgrade jitgate before starting it")
}

func TestServeWritesCPUProfileOnStop(t *testing.T) {
	t.Parallel()
	addr := freeAddr(t)
	cfg := writeConfig(t, dbtest.NewURL(t), addr)
	prof := filepath.Join(t.TempDir(), "cpu.prof")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan result, 1)
	go func() { done <- runCLI(t, ctx, nil, "serve", "--config", cfg, "--cpuprofile", prof) }()
	require.Eventually(t, func() bool {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil
	}, 20*time.Second, 20*time.Millisecond, "serve is up")
	cancel()
	r := <-done
	require.Equal(t, 0, r.code, r.stderr)
	st, err := os.Stat(prof)
	require.NoError(t, err)
	require.Positive(t, st.Size(), "written when serve stopped")

	r = runCLI(t, context.Background(), nil, "serve", "--config", cfg, "--cpuprofile", filepath.Join(t.TempDir(), "no", "such", "dir", "cpu.prof"))
	require.Equal(t, 1, r.code)
	require.Contains(t, r.stderr, "--cpuprofile")
}

func TestIdentitiesListAndForget(t *testing.T) {
	t.Parallel()
	cfg, pool := migratedConfig(t)
	store := grants.NewStore(pool, grants.PolicyMap{})
	require.NoError(t, store.BindChatIdentity(context.Background(), "slack:T1:U1", "carol@example.com", time.Now()))

	r := runCLI(t, context.Background(), nil, "identities", "list", "--config", cfg)
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, r.stdout, "slack:T1:U1")
	require.Contains(t, r.stdout, "carol@example.com")

	r = runCLI(t, context.Background(), nil, "identities", "forget", "--config", cfg, "slack:T1:U1")
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, r.stdout, "forgot slack:T1:U1 (was carol@example.com)")
	require.NoError(t, store.BindChatIdentity(context.Background(), "slack:T1:U1", "carol.new@example.com", time.Now()))

	r = runCLI(t, context.Background(), nil, "identities", "forget", "--config", cfg, "slack:T1:nobody")
	require.Equal(t, 1, r.code)
	require.Contains(t, r.stderr, "no chat account slack:T1:nobody")
	require.Equal(t, 2, runCLI(t, context.Background(), nil, "identities", "forget", "--config", cfg).code)
}
