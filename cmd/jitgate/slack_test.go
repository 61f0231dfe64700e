package main

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/jitgate/jitgate/bot/slackfake"
	"github.com/jitgate/jitgate/internal/dbtest"
	"github.com/jitgate/jitgate/internal/oidctest"
)

// TestServeRunsSlackBot runs the whole product as `serve` does, once per
// Slack transport: a request in Slack, an approval, a session through the
// gateway, and a risky statement held in the request's thread until a
// reviewer approves it there.
func TestServeRunsSlackBot(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"socket", "http"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			serveWithSlack(t, mode)
		})
	}
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().String()
}

func serveWithSlack(t *testing.T, mode string) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	fake := slackfake.StartTest(t, slackfake.Config{})
	fake.AddUser(slackfake.User{ID: "U0BOB", Name: "bob", Email: "bob@example.com", EmailVerified: true})
	fake.AddUser(slackfake.User{ID: "U0ALICE", Name: "alice", Email: "alice@example.com", EmailVerified: true})
	channel := fake.AddChannel(slackfake.Channel{Name: "db-access"})
	issuer := oidctest.New(t)
	target := dbtest.NewURL(t)
	tu, err := url.Parse(target)
	require.NoError(t, err)
	tpool, err := pgxpool.New(ctx, target)
	require.NoError(t, err)
	defer tpool.Close()
	_, err = tpool.Exec(ctx, "CREATE TABLE victim (id int)")
	require.NoError(t, err)

	httpAddr, pgAddr := freeAddr(t), freeAddr(t)
	cfgPath := filepath.Join(t.TempDir(), "jitgate.yaml")
	require.NoError(t, os.WriteFile(cfgPath, fmt.Appendf(nil, `
database_url: %s
http:
  listen: %s
oidc:
  issuer: %s
  audience: %s
slack:
  mode: %s
  bot_token: %s
  app_token: %s
  signing_secret: serve-test-secret
  api_url: %s
gateway:
  postgres:
    listen: %s
    review_timeout: 1m
resources:
  - name: app
    kind: postgres
    address: %s
    database: %s
    username: postgres
    password: unused
    channel: %s
    reviewers: [alice@example.com]
    max_duration: 1h
    risky: review
`, dbtest.NewURL(t), httpAddr, issuer.URL(), issuer.ClientID(), mode, fake.BotToken(), fake.AppToken(), fake.APIURL(),
		pgAddr, tu.Host, strings.TrimPrefix(tu.Path, "/"), channel), 0o600))

	done := make(chan result, 1)
	go func() { done <- runCLI(t, ctx, nil, "serve", "--config", cfgPath) }()
	wait := func(what string, cond func(*slackfake.Server) bool) {
		t.Helper()
		wctx, wcancel := context.WithTimeout(ctx, 30*time.Second)
		defer wcancel()
		require.NoError(t, fake.WaitFor(wctx, cond), "waiting for %s", what)
	}
	if mode == "socket" {
		wait("the bot to connect", func(s *slackfake.Server) bool { return s.Sockets() > 0 })
	} else {
		fake.HTTPTarget("http://"+httpAddr, "serve-test-secret")
		require.Eventually(t, func() bool {
			c, err := net.Dial("tcp", httpAddr)
			if err == nil {
				c.Close()
			}
			return err == nil
		}, 30*time.Second, 20*time.Millisecond)
	}

	_, err = fake.SlashCommand(ctx, "U0BOB", channel, "/access", "app 30m --write INC-1 clean up")
	require.NoError(t, err)
	wait("the request message", func(s *slackfake.Server) bool { return len(s.Messages(channel)) == 1 })
	req := fake.Messages(channel)[0]
	_, err = fake.ClickButton(ctx, "U0ALICE", channel, req.TS, "request_approve", "")
	require.NoError(t, err)
	wait("the connection instructions", func(s *slackfake.Server) bool { return len(s.DMs("U0BOB")) > 0 })

	connURL := (&url.URL{Scheme: "postgres", User: url.UserPassword("bob@example.com", issuer.Token(oidctest.User("bob@example.com"))), Host: pgAddr, Path: "/app", RawQuery: "sslmode=require"}).String()
	conn, err := pgx.Connect(ctx, connURL)
	require.NoError(t, err)
	defer conn.Close(ctx)
	dropped := make(chan error, 1)
	go func() { _, err := conn.Exec(ctx, "DROP TABLE victim"); dropped <- err }()

	var held slackfake.Message
	wait("the held statement in the thread", func(s *slackfake.Server) bool {
		for _, m := range s.Thread(channel, req.TS) {
			if strings.Contains(string(m.Blocks), "DROP TABLE victim") && strings.Contains(string(m.Blocks), "statement_approve") {
				held = m
				return true
			}
		}
		return false
	})
	select {
	case err := <-dropped:
		t.Fatalf("the statement ran before anyone approved it: %v", err)
	default:
	}
	_, err = fake.ClickButton(ctx, "U0ALICE", channel, held.TS, "statement_approve", "")
	require.NoError(t, err)
	select {
	case err := <-dropped:
		require.NoError(t, err, "approved in Slack, the statement ran")
	case <-time.After(30 * time.Second):
		t.Fatal("the approved statement did not run")
	}
	var n int
	require.NoError(t, tpool.QueryRow(ctx, "SELECT count(*) FROM pg_tables WHERE tablename = 'victim'").Scan(&n))
	require.Zero(t, n)

	cancel()
	select {
	case r := <-done:
		require.Equal(t, 0, r.code, r.stderr)
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop")
	}
}
