package bot

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack"
	"github.com/stretchr/testify/require"

	"github.com/jitgate/jitgate/bot/slackfake"
)

// runInBackground runs run until the returned stop (also called at cleanup)
// cancels its context; stop returns what run returned, or fails the test
// when run does not return within a second.
func runInBackground(t *testing.T, run func(context.Context) error) (stop func() error) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx) }()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case err = <-done:
			case <-time.After(time.Second):
				err = errors.New("did not return within a second of its context ending")
			}
		})
		return err
	}
	t.Cleanup(func() { require.NoError(t, stop()) })
	return stop
}

// socketBot runs runSocketMode against the fake until the test ends.
func socketBot(t *testing.T, api *slack.Client, in inbound) (*logSink, func() error) {
	log, logs := recordingLogger(t)
	stop := runInBackground(t, func(ctx context.Context) error { return runSocketMode(ctx, api, in, log) })
	return logs, stop
}

func waitConnected(t *testing.T, fake *slackfake.Server, opens int) {
	t.Helper()
	require.NoError(t, fake.WaitFor(deliveryCtx(t), func(s *slackfake.Server) bool {
		return s.SocketOpens() == opens && s.Sockets() == 1
	}))
}

func TestSocketDeliveries(t *testing.T) {
	t.Parallel()
	fake, api := transportWorkspace(t, slackfake.Config{})
	in := &stubInbound{
		onCommand: func(_ context.Context, cmd slack.SlashCommand) any {
			if err := openReasonModal(api, cmd.TriggerID); err != nil {
				return &slack.Msg{Text: "could not open the modal"}
			}
			return &slack.Msg{Text: "Request *received*"}
		},
		onInteraction: func(_ context.Context, cb slack.InteractionCallback) any {
			if cb.Type == slack.InteractionTypeViewSubmission {
				return slack.NewErrorsViewSubmissionResponse(map[string]string{inputReason: "Say why"})
			}
			return nil
		},
	}
	logs, _ := socketBot(t, api, in)
	ts := postReview(t, api)

	d, err := fake.SlashCommand(deliveryCtx(t), "U1ALICE", "C0REVIEW", "/access", "prod-db 2h INC-1")
	require.NoError(t, err)
	require.Equal(t, slackfake.TransportSocket, d.Transport)
	require.Equal(t, "Request *received*", ackText(t, d.Body))
	require.Equal(t, "Request *received*", fake.Ephemerals("U1ALICE")[0].Text)

	d, err = fake.ClickButton(deliveryCtx(t), "U2BOB", "C0REVIEW", ts, actionApprove, "")
	require.NoError(t, err)
	require.Nil(t, d.Body, "nil is an empty ack")

	d, err = fake.SubmitView(deliveryCtx(t), "U1ALICE", viewDeny, nil)
	require.NoError(t, err)
	require.Equal(t, map[string]string{inputReason: "Say why"}, d.ViewErrors())

	cmds, cbs := in.calls()
	require.Len(t, cmds, 1)
	require.Equal(t, "/access", cmds[0].Command)
	require.Equal(t, "prod-db 2h INC-1", cmds[0].Text)
	require.Equal(t, "U1ALICE", cmds[0].UserID)
	require.Equal(t, "C0REVIEW", cmds[0].ChannelID)
	require.Len(t, cbs, 2)
	require.Equal(t, slack.InteractionTypeBlockActions, cbs[0].Type)
	require.Equal(t, "U2BOB", cbs[0].User.ID)
	require.Equal(t, ts, cbs[0].Container.MessageTs)
	require.Equal(t, actionApprove, cbs[0].ActionCallback.BlockActions[0].ActionID)
	require.Equal(t, "req-42", cbs[0].ActionCallback.BlockActions[0].Value)
	require.Equal(t, slack.InteractionTypeViewSubmission, cbs[1].Type)
	in.requireDeadlines(t)
	require.Contains(t, logs.String(), `level=INFO msg="slack socket mode connected"`)
	require.NotContains(t, logs.String(), "ticket=", "the socket URL's ticket stays out of the log")
}

func TestSocketRedelivery(t *testing.T) {
	t.Parallel()
	fake, api := transportWorkspace(t, slackfake.Config{})
	in := &stubInbound{}
	logs, _ := socketBot(t, api, in)

	d, err := fake.SlashCommand(deliveryCtx(t), "U1ALICE", "C0REVIEW", "/access", "prod-db")
	require.NoError(t, err)
	_, err = fake.Redeliver(deliveryCtx(t), d)
	require.NoError(t, err)
	cmds, _ := in.calls()
	require.Len(t, cmds, 2, "a retry is passed on: the core de-duplicates")
	require.Equal(t, cmds[0].TriggerID, cmds[1].TriggerID)
	require.Contains(t, logs.String(), "retry=1")
}

func TestSocketReconnects(t *testing.T) {
	t.Parallel()
	fake, api := transportWorkspace(t, slackfake.Config{})
	in := &stubInbound{}
	logs, _ := socketBot(t, api, in)
	waitConnected(t, fake, 1)

	fake.DropSocket()
	waitConnected(t, fake, 2)
	_, err := fake.SlashCommand(deliveryCtx(t), "U1ALICE", "C0REVIEW", "/access", "after drop")
	require.NoError(t, err)

	fake.SendDisconnect("refresh_requested")
	waitConnected(t, fake, 3)
	_, err = fake.SlashCommand(deliveryCtx(t), "U1ALICE", "C0REVIEW", "/access", "after refresh")
	require.NoError(t, err)

	cmds, _ := in.calls()
	require.Len(t, cmds, 2)
	require.Len(t, fake.Calls("apps.connections.open"), 3)
	require.Equal(t, 3, strings.Count(logs.String(), "slack socket mode connected"))
}

func TestSocketSurvivesFailingOpen(t *testing.T) {
	t.Parallel()
	fake, api := transportWorkspace(t, slackfake.Config{})
	fake.FailNext("apps.connections.open", 3, slackfake.ServerError)
	in := &stubInbound{}
	logs, _ := socketBot(t, api, in)
	waitConnected(t, fake, 1)

	opens := fake.Calls("apps.connections.open")
	require.Len(t, opens, 4)
	for _, c := range opens[:3] {
		require.Equal(t, "server_error", c.Error)
	}
	require.Empty(t, opens[3].Error)
	// 100, 200 and 400 ms apart.
	require.GreaterOrEqual(t, opens[3].Time.Sub(opens[0].Time), 700*time.Millisecond)
	require.Equal(t, 3, strings.Count(logs.String(), "connect failed"))

	_, err := fake.SlashCommand(deliveryCtx(t), "U1ALICE", "C0REVIEW", "/access", "")
	require.NoError(t, err)
}

func TestSocketHonoursRetryAfter(t *testing.T) {
	t.Parallel()
	fake, api := transportWorkspace(t, slackfake.Config{})
	fake.FailNext("apps.connections.open", 1, slackfake.RateLimited) // Retry-After: 1
	socketBot(t, api, &stubInbound{})
	waitConnected(t, fake, 1)
	opens := fake.Calls("apps.connections.open")
	require.Len(t, opens, 2)
	require.GreaterOrEqual(t, opens[1].Time.Sub(opens[0].Time), time.Second)
}

// A connect that hangs is given up after connectTimeout.
func TestSocketConnectTimeout(t *testing.T) {
	t.Parallel()
	fake, api := transportWorkspace(t, slackfake.Config{})
	fake.FailNext("apps.connections.open", 1, slackfake.Timeout)
	log, logs := recordingLogger(t)
	sm := &socketMode{api: api, in: &stubInbound{}, log: log, deadline: ackDeadline,
		minRetry: 10 * time.Millisecond, maxRetry: 10 * time.Millisecond, connectTimeout: 200 * time.Millisecond}
	runInBackground(t, sm.run)
	waitConnected(t, fake, 1)
	require.Len(t, fake.Calls("apps.connections.open"), 2)
	require.Contains(t, logs.String(), "open connection: timed out")
}

func TestSocketStopsWhenContextEnds(t *testing.T) {
	t.Parallel()
	t.Run("connected", func(t *testing.T) {
		t.Parallel()
		fake, api := transportWorkspace(t, slackfake.Config{})
		_, stop := socketBot(t, api, &stubInbound{})
		waitConnected(t, fake, 1)
		require.NoError(t, stop())
		require.NoError(t, fake.WaitFor(deliveryCtx(t), func(s *slackfake.Server) bool { return s.Sockets() == 0 }))
	})
	t.Run("while retrying", func(t *testing.T) {
		t.Parallel()
		fake, api := transportWorkspace(t, slackfake.Config{})
		fake.FailNext("apps.connections.open", 1000, slackfake.ServerError)
		_, stop := socketBot(t, api, &stubInbound{})
		require.NoError(t, fake.WaitFor(deliveryCtx(t), func(s *slackfake.Server) bool {
			return len(s.Calls("apps.connections.open")) >= 2
		}))
		require.NoError(t, stop())
	})
	t.Run("while handling", func(t *testing.T) {
		t.Parallel()
		fake, api := transportWorkspace(t, slackfake.Config{})
		started := make(chan struct{})
		in := &stubInbound{onCommand: func(ctx context.Context, _ slack.SlashCommand) any {
			close(started)
			<-ctx.Done()
			return nil
		}}
		_, stop := socketBot(t, api, in)
		go func() { _, _ = fake.SlashCommand(deliveryCtx(t), "U1ALICE", "C0REVIEW", "/access", "") }()
		<-started
		start := time.Now()
		require.NoError(t, stop())
		require.Less(t, time.Since(start), ackDeadline, "the handler's context ends with runSocketMode's")
	})
}

func TestSocketRefusedToken(t *testing.T) {
	t.Parallel()
	fake, _ := transportWorkspace(t, slackfake.Config{})
	api := slack.New(fake.BotToken(), slack.OptionAPIURL(fake.APIURL()), slack.OptionAppLevelToken("xapp-wrong"))
	log, _ := recordingLogger(t)
	err := runSocketMode(deliveryCtx(t), api, &stubInbound{}, log)
	require.ErrorContains(t, err, "invalid_auth")
}

func TestSocketInboundPanics(t *testing.T) {
	t.Parallel()
	fake, api := transportWorkspace(t, slackfake.Config{})
	in := &stubInbound{onCommand: func(_ context.Context, cmd slack.SlashCommand) any {
		if cmd.Text == "boom" {
			panic("boom")
		}
		return &slack.Msg{Text: "ok"}
	}}
	logs, _ := socketBot(t, api, in)

	d, err := fake.SlashCommand(deliveryCtx(t), "U1ALICE", "C0REVIEW", "/access", "boom")
	require.NoError(t, err, "acknowledged all the same")
	require.Nil(t, d.Body)
	require.Contains(t, logs.String(), "slack handler panicked")

	d, err = fake.SlashCommand(deliveryCtx(t), "U1ALICE", "C0REVIEW", "/access", "again")
	require.NoError(t, err)
	require.Equal(t, "ok", ackText(t, d.Body))
	require.Equal(t, 1, fake.SocketOpens(), "the connection survived")
}

// Slack drops Socket Mode answers of 20 KB or more: such an answer is
// replaced by an empty ack rather than lost with the ack.
func TestSocketOversizedAnswer(t *testing.T) {
	t.Parallel()
	fake, api := transportWorkspace(t, slackfake.Config{})
	in := &stubInbound{onCommand: func(context.Context, slack.SlashCommand) any {
		return &slack.Msg{Text: strings.Repeat("x", 25_000)}
	}}
	logs, _ := socketBot(t, api, in)
	d, err := fake.SlashCommand(deliveryCtx(t), "U1ALICE", "C0REVIEW", "/access", "")
	require.NoError(t, err)
	require.Nil(t, d.Body)
	require.Contains(t, logs.String(), "ack payload refused; acknowledged empty")
}

// A slow handler still lets the ack go out in time, and its work is not
// cut short by the ack.
func TestSocketLateInbound(t *testing.T) {
	t.Parallel()
	fake, api := transportWorkspace(t, slackfake.Config{AckTimeout: 2 * time.Second})
	release, finished, inTime := make(chan struct{}), make(chan error, 1), make(chan bool, 1)
	in := &stubInbound{onCommand: func(ctx context.Context, _ slack.SlashCommand) any {
		<-release
		finished <- ctx.Err()
		inTime <- answerInTime(ctx)
		return &slack.Msg{Text: "too late"}
	}}
	log, logs := recordingLogger(t)
	sm := &socketMode{api: api, in: in, log: log, deadline: 100 * time.Millisecond,
		minRetry: 100 * time.Millisecond, maxRetry: time.Second, connectTimeout: 10 * time.Second}
	runInBackground(t, sm.run)

	d, err := fake.SlashCommand(deliveryCtx(t), "U1ALICE", "C0REVIEW", "/access", "")
	require.NoError(t, err)
	require.Nil(t, d.Body)
	require.Less(t, d.Elapsed, time.Second)
	close(release)
	require.NoError(t, <-finished, "the work outlives the ack")
	require.False(t, <-inTime, "the handler learns its answer missed the ack")
	require.Contains(t, logs.String(), "overran its ack deadline")
	require.Empty(t, fake.Ephemerals("U1ALICE"))
}

// rawSlack is a bare Socket Mode endpoint for what the fake cannot send:
// each connection gets hello and then the given envelopes, and the
// envelope IDs of the acks it reads come out of acks. open answers each
// apps.connections.open call; n counts from 1.
type rawSlack struct {
	envelopes []string
	open      func(n int) string // "" for a socket URL, else a Slack error code
	acks      chan string
	opened    chan struct{} // one per apps.connections.open call

	mu    sync.Mutex
	opens int
}

func startRawSlack(t *testing.T, r *rawSlack) *slack.Client {
	r.acks, r.opened = make(chan string, 16), make(chan struct{}, 16)
	mux := http.NewServeMux()
	var srv *httptest.Server
	mux.HandleFunc("POST /api/apps.connections.open", func(w http.ResponseWriter, _ *http.Request) {
		r.mu.Lock()
		r.opens++
		n := r.opens
		r.mu.Unlock()
		select {
		case r.opened <- struct{}{}:
		default:
		}
		w.Header().Set("Content-Type", "application/json")
		if code := r.open(n); code != "" {
			_ = json.NewEncoder(w).Encode(map[string]any{"ok": false, "error": code})
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"ok": true, "url": "ws" + strings.TrimPrefix(srv.URL, "http") + "/socket"})
	})
	mux.HandleFunc("GET /socket", func(w http.ResponseWriter, req *http.Request) {
		ws, err := (&websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}).Upgrade(w, req, nil)
		if err != nil {
			return
		}
		defer ws.Close()
		for _, msg := range append([]string{`{"type":"hello","num_connections":1}`}, r.envelopes...) {
			if ws.WriteMessage(websocket.TextMessage, []byte(msg)) != nil {
				return
			}
		}
		for {
			var ack struct {
				EnvelopeID string `json:"envelope_id"`
			}
			if ws.ReadJSON(&ack) != nil {
				return
			}
			r.acks <- ack.EnvelopeID
		}
	})
	srv = httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return slack.New("xoxb-raw", slack.OptionAPIURL(srv.URL+"/api/"), slack.OptionAppLevelToken("xapp-raw"))
}

// Envelopes the bot has no use for, or that slack-go cannot read, are
// acknowledged all the same: an unacked envelope comes back again and again.
func TestSocketAcksWhatItDoesNotUse(t *testing.T) {
	t.Parallel()
	raw := &rawSlack{open: func(int) string { return "" }, envelopes: []string{
		`{"envelope_id":"env-event","type":"events_api","accepts_response_payload":false,"payload":{"type":"event_callback","team_id":"T0","api_app_id":"A0","event":{"type":"app_mention","user":"U1ALICE","text":"hi","ts":"1.2","channel":"C0REVIEW","event_ts":"1.2"},"event_id":"Ev1","event_time":1}}`,
		`{"envelope_id":"env-unknown-event","type":"events_api","payload":{"type":"event_callback","event":{"type":"brand_new_event"}}}`,
		`{"envelope_id":"env-unknown-type","type":"brand_new_type","payload":{}}`,
	}}
	api := startRawSlack(t, raw)
	in := &stubInbound{}
	socketBot(t, api, in)
	var got []string
	for range 3 {
		select {
		case id := <-raw.acks:
			got = append(got, id)
		case <-deliveryCtx(t).Done():
			t.Fatalf("acked only %v", got)
		}
	}
	require.ElementsMatch(t, []string{"env-event", "env-unknown-event", "env-unknown-type"}, got)
	cmds, cbs := in.calls()
	require.Empty(t, cmds)
	require.Empty(t, cbs)
}

// Once connected, a token Slack later refuses is retried rather than
// ending Socket Mode (and the process) for good.
func TestSocketRefusedLaterIsRetried(t *testing.T) {
	t.Parallel()
	raw := &rawSlack{open: func(n int) string {
		if n == 1 {
			return ""
		}
		return "invalid_auth"
	}}
	raw.envelopes = []string{`{"type":"disconnect","reason":"refresh_requested"}`}
	api := startRawSlack(t, raw)
	log, logs := recordingLogger(t)
	sm := &socketMode{api: api, in: &stubInbound{}, log: log, deadline: ackDeadline,
		minRetry: 10 * time.Millisecond, maxRetry: 20 * time.Millisecond, connectTimeout: 10 * time.Second}
	stop := runInBackground(t, sm.run)
	ctx := deliveryCtx(t)
	for n := range 4 {
		select {
		case <-raw.opened:
		case <-ctx.Done():
			t.Fatalf("gave up after %d apps.connections.open", n)
		}
	}
	require.NoError(t, stop())
	require.Contains(t, logs.String(), "slack refused the connection")
}
