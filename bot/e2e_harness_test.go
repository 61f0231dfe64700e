package bot

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/stretchr/testify/require"

	"github.com/jitgate/jitgate/bot/slackfake"
	"github.com/jitgate/jitgate/broker"
	"github.com/jitgate/jitgate/grants"
	"github.com/jitgate/jitgate/internal/dbtest"
)

const signingSecret = "e2e-signing-secret"

// The workspace: bob asks, alice and carol review prod-db, eve is nobody.
const (
	bob   = "U0BOB"
	alice = "U0ALICE"
	carol = "U0CAROL"
	eve   = "U0EVE"
)

// reviewers are ten more reviewers of prod-db, for concurrent clicks.
var reviewers = []string{"U0R0", "U0R1", "U0R2", "U0R3", "U0R4", "U0R5", "U0R6", "U0R7", "U0R8", "U0R9"}

func email(user string) string {
	return strings.ToLower(strings.TrimPrefix(user, "U0")) + "@example.com"
}

// e2e is the bot running for real against the fake Slack and a database of
// its own, with the feed telling it every change.
type e2e struct {
	t       *testing.T
	ctx     context.Context
	fake    *slackfake.Server
	store   *grants.Store
	bot     *Bot
	jobs    *broker.Jobs
	channel string
	mode    string
	shift   time.Duration // added to the jobs' clock
}

func policies() grants.PolicyMap {
	all := []string{email(alice), email(carol)}
	for _, r := range reviewers {
		all = append(all, email(r))
	}
	return grants.PolicyMap{
		"prod-db":  {Reviewers: all, Approvals: 1, MaxDuration: 4 * time.Hour, PendingTTL: time.Hour, ReasonPattern: regexp.MustCompile(`^INC-[0-9]+`)},
		"two-man":  {Reviewers: []string{email(alice), "group:db-admins"}, Approvals: 2, MaxDuration: time.Hour},
		"prod-web": {Reviewers: []string{email(alice)}, Approvals: 1, MaxDuration: 2 * time.Hour},
	}
}

func newE2E(t *testing.T, mode string) *e2e {
	return newE2EWithTimeout(t, mode, 0)
}

// newE2EWithTimeout gives each Slack API attempt timeout.
func newE2EWithTimeout(t *testing.T, mode string, timeout time.Duration) *e2e {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	fake := slackfake.StartTest(t, slackfake.Config{PingInterval: time.Second})
	for _, u := range append([]string{bob, alice, carol, eve}, reviewers...) {
		fake.AddUser(slackfake.User{ID: u, Name: strings.ToLower(u[2:]), Email: email(u), EmailVerified: true})
	}
	fake.AddUserGroup("db-admins", carol)
	channel := fake.AddChannel(slackfake.Channel{Name: "db-access"})
	pool := dbtest.NewPool(t)
	pol := policies()
	store := grants.NewStore(pool, pol)
	b, err := New(Config{
		API:   NewAPI(fake.BotToken(), fake.AppToken(), fake.APIURL(), timeout),
		Store: store,
		Resources: []Resource{
			{Name: "prod-db", Kind: "postgres", Channel: channel, Reviewers: pol["prod-db"].Reviewers[:2], MaxDuration: 4 * time.Hour},
			{Name: "two-man", Kind: "postgres", Channel: channel, Reviewers: pol["two-man"].Reviewers, MaxDuration: time.Hour},
			{Name: "prod-web", Kind: "ssh", Channel: channel, Reviewers: pol["prod-web"].Reviewers, MaxDuration: 2 * time.Hour},
		},
		SigningSecret: signingSecret,
		Gateways:      map[string]string{"postgres": "127.0.0.1:15432", "ssh": "127.0.0.1:2222"},
		Log:           log,
	})
	require.NoError(t, err)
	feed := broker.NewFeed(pool, pol, "slack", b, log)
	feed.Poll, feed.MaxBackoff = 100*time.Millisecond, 500*time.Millisecond
	go feed.Run(ctx)
	h := &e2e{t: t, ctx: ctx, fake: fake, store: store, bot: b, channel: channel, mode: mode}
	h.jobs = broker.NewJobs(pool, pol, func() time.Time { return time.Now().Add(h.shift) }, log)

	switch mode {
	case slackfake.TransportHTTP:
		srv := httptest.NewServer(b.HTTPHandler())
		t.Cleanup(srv.Close)
		fake.HTTPTarget(srv.URL, signingSecret)
	case slackfake.TransportSocket:
		fake.SocketMode()
		done := make(chan error, 1)
		go func() { done <- b.RunSocketMode(ctx) }()
		t.Cleanup(func() { cancel(); <-done })
		h.waitFor("the bot to connect over Socket Mode", func(s *slackfake.Server) bool { return s.Sockets() > 0 })
	}
	t.Cleanup(b.Wait)
	return h
}

// both runs a test in HTTP mode and in Socket Mode.
func both(t *testing.T, test func(t *testing.T, h *e2e)) {
	for _, mode := range []string{slackfake.TransportHTTP, slackfake.TransportSocket} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			test(t, newE2E(t, mode))
		})
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

var _ io.Writer = testWriter{}

func (h *e2e) waitFor(what string, cond func(*slackfake.Server) bool) {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(h.ctx, 20*time.Second)
	defer cancel()
	require.NoError(h.t, h.fake.WaitFor(ctx, cond), "waiting for %s", what)
}

func (h *e2e) command(user, text string, opts ...slackfake.DeliveryOption) *slackfake.Delivery {
	h.t.Helper()
	d, err := h.fake.SlashCommand(h.ctx, user, h.channel, "/access", text, opts...)
	require.NoError(h.t, err)
	return d
}

// ask files a request as bob and returns it with its channel message.
func (h *e2e) ask(text string) (grants.Request, slackfake.Message) {
	h.t.Helper()
	before := len(h.fake.Messages(h.channel))
	d := h.command(bob, text)
	require.Contains(h.t, answerText(h.t, d), "Asked for")
	h.waitFor("the request's message", func(s *slackfake.Server) bool { return len(s.Messages(h.channel)) > before })
	m := h.fake.Messages(h.channel)[before]
	reqs, err := h.store.ListRequests(h.ctx, "", 1)
	require.NoError(h.t, err)
	require.Len(h.t, reqs, 1)
	return reqs[0], m
}

func (h *e2e) click(user string, m slackfake.Message, action string) *slackfake.Delivery {
	h.t.Helper()
	d, err := h.fake.ClickButton(h.ctx, user, m.Channel, m.TS, action, "")
	require.NoError(h.t, err)
	if d.Transport == slackfake.TransportHTTP {
		require.Equal(h.t, http.StatusOK, d.StatusCode)
	}
	return d
}

// message re-reads a message as it is now.
func (h *e2e) message(m slackfake.Message) slackfake.Message {
	got, ok := h.fake.Message(m.Channel, m.TS)
	require.True(h.t, ok)
	return got
}

// threadWith waits for a reply in m's thread whose text contains substr.
func (h *e2e) threadWith(m slackfake.Message, substr string) slackfake.Message {
	h.t.Helper()
	var found slackfake.Message
	h.waitFor("a thread reply with "+substr, func(s *slackfake.Server) bool {
		for _, r := range s.Thread(m.Channel, m.TS) {
			if strings.Contains(r.Text+blocksText(r), substr) {
				found = r
				return true
			}
		}
		return false
	})
	return found
}

func (h *e2e) threadCount(m slackfake.Message, substr string) int {
	n := 0
	for _, r := range h.fake.Thread(m.Channel, m.TS) {
		if strings.Contains(r.Text, substr) {
			n++
		}
	}
	return n
}

func (h *e2e) request(id grants.Request) grants.Request {
	h.t.Helper()
	r, err := h.store.GetRequest(h.ctx, id.ID)
	require.NoError(h.t, err)
	return r
}

func (h *e2e) ephemeralFor(user, substr string) {
	h.t.Helper()
	h.waitFor("an ephemeral message to "+user+" with "+substr, func(s *slackfake.Server) bool {
		for _, m := range s.Ephemerals(user) {
			if strings.Contains(m.Text, substr) {
				return true
			}
		}
		return false
	})
}

// answerText is a slash command's ephemeral answer.
func answerText(t *testing.T, d *slackfake.Delivery) string {
	t.Helper()
	var msg slack.Msg
	require.NoError(t, json.Unmarshal(d.Body, &msg), "answer %q", d.Body)
	return msg.Text
}

// hasAction reports whether a message still offers the button.
func hasAction(m slackfake.Message, action string) bool {
	return strings.Contains(blocksText(m), `"action_id":"`+action+`"`)
}

// blocksText is a message's blocks as JSON without HTML escaping, so
// "<@U1>" reads as it was posted.
func blocksText(m slackfake.Message) string {
	var v any
	if json.Unmarshal(m.Blocks, &v) != nil {
		return ""
	}
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	return b.String()
}
