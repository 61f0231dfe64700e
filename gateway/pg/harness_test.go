package pg

import (
	"context"
	"crypto/tls"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/jitgate/jitgate/broker"
	"github.com/jitgate/jitgate/gateway"
	"github.com/jitgate/jitgate/gateway/auth"
	"github.com/jitgate/jitgate/gateway/mask"
	"github.com/jitgate/jitgate/gateway/pg/classify"
	"github.com/jitgate/jitgate/grants"
	"github.com/jitgate/jitgate/internal/config"
	"github.com/jitgate/jitgate/internal/dbtest"
	"github.com/jitgate/jitgate/internal/fakeclock"
	"github.com/jitgate/jitgate/internal/oidctest"
)

// harness is a gateway in front of a real target database, with a real
// OIDC issuer and jitgate's own database, all on loopback.
type harness struct {
	t        testing.TB
	addr     string
	issuer   *oidctest.Issuer
	store    *grants.Store
	pool     *pgxpool.Pool
	target   *pgxpool.Pool
	clock    *fakeclock.Clock
	registry *gateway.Registry
	recorder *gateway.Recorder
	srv      *Server
	// sslmode is what clients ask for: require, or disable with
	// harnessOpts.plaintext, where the gateway reads client sockets
	// directly (msgReader.eachRaw) rather than through TLS.
	sslmode string
}

type harnessOpts struct {
	// username and password, when set, are the target login the gateway
	// uses instead of the test server's superuser.
	username, password string
	risky              config.Risky
	reviewer           broker.StatementReviewer
	plaintext          bool
	maxPerUser         int
	handshake          time.Duration
	idle               time.Duration
	// noColumnRules leaves masking to the detectors alone.
	noColumnRules bool
}

var testStart = time.Now().UTC().Truncate(time.Second)

func newHarness(t testing.TB, o harnessOpts) *harness {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))

	targetURL := dbtest.NewEmptyURL(t)
	u, err := url.Parse(targetURL)
	require.NoError(t, err)
	target, err := pgxpool.New(ctx, targetURL)
	require.NoError(t, err)
	t.Cleanup(target.Close)
	seedTarget(t, target)

	if o.risky == "" {
		o.risky = config.RiskyBlock
	}
	resources := []config.Resource{{
		Name: "prod-db", Kind: config.KindPostgres, Address: u.Host, Database: strings.TrimPrefix(u.Path, "/"),
		Username: u.User.Username(), Password: "unused-trust-auth", Reviewers: []string{"alice@example.com"},
		Approvals: 1, MaxDuration: 4 * time.Hour, Risky: o.risky,
	}}
	if o.username != "" {
		resources[0].Username, resources[0].Password = o.username, config.Secret(o.password)
	}
	cfg := &config.Config{Resources: resources}
	pool := dbtest.NewPool(t)
	store := grants.NewStore(pool, cfg)
	clock := fakeclock.New(testStart)
	registry := gateway.NewRegistry(clock, store, o.maxPerUser, log)
	watcher := broker.NewWatcher(pool, registry, log)
	go watcher.Run(ctx)
	<-watcher.Listening()
	recorder := gateway.NewRecorder(store, 10000, 20*time.Millisecond, log)
	go recorder.Run(ctx)

	issuer := oidctest.New(t)
	verifier, err := auth.NewVerifier(ctx, auth.Config{Issuer: issuer.URL(), Audience: issuer.ClientID()})
	require.NoError(t, err)
	columns := []string{"password", "*_token", "ssn"}
	if o.noColumnRules {
		columns = nil
	}
	masker, err := mask.New(columns)
	require.NoError(t, err)
	cert, err := gateway.SelfSigned(nil)
	require.NoError(t, err)
	srv, err := New(Config{
		Resources: resources, TLS: &tls.Config{Certificates: []tls.Certificate{cert}}, AllowPlaintext: o.plaintext,
		Verifier: verifier, Grants: store, Registry: registry, Recorder: recorder,
		Masker: masker, Classifier: classify.New(classify.Options{}),
		Reviewer: o.reviewer, ReviewTimeout: 2 * time.Second, Clock: clock, Log: log,
		HandshakeTimeout: o.handshake, IdleTimeout: o.idle,
	})
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	done := make(chan struct{})
	go func() { _ = srv.Serve(ctx, ln); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return &harness{t: t, addr: ln.Addr().String(), issuer: issuer, store: store, pool: pool, target: target,
		clock: clock, registry: registry, recorder: recorder, srv: srv, sslmode: map[bool]string{false: "require", true: "disable"}[o.plaintext]}
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// seedTarget makes the target's tables: some rows hold secrets.
func seedTarget(t testing.TB, target *pgxpool.Pool) {
	_, err := target.Exec(context.Background(), `
		CREATE TABLE users (id int PRIMARY KEY, email text, note text, password text, api_token varchar(80), ssn int);
		INSERT INTO users VALUES
			(1, 'alice@example.com', 'card 4111 1111 1111 1111 on file', 'hunter2', 'ghp_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 123456789),
			(2, 'no email here', 'nothing secret', NULL, NULL, NULL);
		CREATE TABLE items (id int PRIMARY KEY, name text);
		INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 100) g;`)
	require.NoError(t, err)
}

// grant gives email access to prod-db, as an operator would.
func (h *harness) grant(email string, access grants.Access, d time.Duration) grants.Grant {
	h.t.Helper()
	g, err := h.store.OperatorGrant(context.Background(), grants.NewRequest{
		Requester: email, Resource: "prod-db", Access: access, Duration: d, Reason: "test",
	}, "cli:test", h.clock.Now())
	require.NoError(h.t, err)
	return g
}

func (h *harness) token(email string) string {
	return h.issuer.Token(oidctest.User(email))
}

// url is a connection URL for email with token as the password.
func (h *harness) url(email, token, database string) string {
	u := url.URL{Scheme: "postgres", User: url.UserPassword(email, token), Host: h.addr, Path: "/" + database}
	u.RawQuery = "sslmode=" + h.sslmode
	return u.String()
}

func (h *harness) connect(email string) *pgx.Conn {
	h.t.Helper()
	conn, err := pgx.Connect(context.Background(), h.url(email, h.token(email), "prod-db"))
	require.NoError(h.t, err)
	h.t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// psql runs the real psql through the gateway and returns its output.
func (h *harness) psql(email string, args ...string) (string, error) {
	h.t.Helper()
	host, port, _ := net.SplitHostPort(h.addr)
	cmd := exec.Command("psql", append([]string{"-X", "-h", host, "-p", port, "-U", email, "-d", "prod-db", "-v", "ON_ERROR_STOP=0"}, args...)...)
	cmd.Env = append(os.Environ(), "PGPASSWORD="+h.token(email), "PGSSLMODE="+h.sslmode, "PGCLIENTENCODING=UTF8", "PGCONNECT_TIMEOUT=10")
	out, err := cmd.CombinedOutput()
	h.t.Logf("psql %s:\n%s", strings.Join(args, " "), out)
	return string(out), err
}

// events waits for the recorder and returns the session events of every
// session under grant g.
func (h *harness) events(g grants.Grant) []grants.SessionEvent {
	h.t.Helper()
	require.NoError(h.t, h.recorder.Flush(context.Background()))
	rows, err := h.pool.Query(context.Background(), "SELECT id FROM sessions WHERE grant_id = $1 ORDER BY started_at", g.ID)
	require.NoError(h.t, err)
	ids, err := pgx.CollectRows(rows, pgx.RowTo[[16]byte])
	require.NoError(h.t, err)
	var out []grants.SessionEvent
	for _, id := range ids {
		evs, err := h.store.SessionEvents(context.Background(), id)
		require.NoError(h.t, err)
		out = append(out, evs...)
	}
	return out
}

// onTarget waits until the target runs exactly want backends whose
// pg_stat_activity row matches cond (a SQL condition).
func (h *harness) onTarget(cond string, want int, within time.Duration, msg string) {
	h.t.Helper()
	require.Eventually(h.t, func() bool {
		var n int
		_ = h.target.QueryRow(context.Background(), "SELECT count(*) FROM pg_stat_activity WHERE "+cond).Scan(&n)
		return n == want
	}, within, 10*time.Millisecond, msg)
}
