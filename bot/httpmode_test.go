package bot

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/stretchr/testify/require"

	"github.com/jitgate/jitgate/bot/slackfake"
)

// httpBot serves h to the fake in HTTP mode and returns its base URL.
func httpBot(t *testing.T, fake *slackfake.Server, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	fake.HTTPTarget(srv.URL, testSecret)
	return srv.URL
}

// postRaw sends body to the bot as is, with header.
func postRaw(t *testing.T, url string, header http.Header, body []byte) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(deliveryCtx(t), http.MethodPost, url, bytes.NewReader(body))
	require.NoError(t, err)
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	answer, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(answer)
}

func TestHTTPSlashCommand(t *testing.T) {
	t.Parallel()
	fake, _ := transportWorkspace(t, slackfake.Config{})
	log, logs := recordingLogger(t)
	in := &stubInbound{onCommand: func(context.Context, slack.SlashCommand) any {
		return &slack.Msg{ResponseType: slack.ResponseTypeEphemeral, Text: "Request *received*"}
	}}
	httpBot(t, fake, newHTTPHandler(in, testSecret, time.Now, log))

	d, err := fake.SlashCommand(deliveryCtx(t), "U1ALICE", "C0REVIEW", "/access", "prod-db 2h INC-1")
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, d.StatusCode)
	require.Equal(t, "Request *received*", ackText(t, d.Body))
	require.Equal(t, "Request *received*", fake.Ephemerals("U1ALICE")[0].Text)

	cmds, cbs := in.calls()
	require.Empty(t, cbs)
	require.Len(t, cmds, 1)
	require.Equal(t, "/access", cmds[0].Command)
	require.Equal(t, "prod-db 2h INC-1", cmds[0].Text)
	require.Equal(t, "U1ALICE", cmds[0].UserID)
	require.Equal(t, "C0REVIEW", cmds[0].ChannelID)
	require.Equal(t, d.TriggerID, cmds[0].TriggerID)
	require.Equal(t, d.ResponseURL, cmds[0].ResponseURL)
	in.requireDeadlines(t)

	again, err := fake.Redeliver(deliveryCtx(t), d)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, again.StatusCode)
	cmds, _ = in.calls()
	require.Len(t, cmds, 2, "a retry is passed on: the core de-duplicates")
	require.Equal(t, cmds[0], cmds[1])
	require.Contains(t, logs.String(), "retry=1")
}

func TestHTTPClick(t *testing.T) {
	t.Parallel()
	fake, api := transportWorkspace(t, slackfake.Config{})
	log, _ := recordingLogger(t)
	in := &stubInbound{}
	httpBot(t, fake, newHTTPHandler(in, testSecret, time.Now, log))
	ts := postReview(t, api)

	d, err := fake.ClickButton(deliveryCtx(t), "U2BOB", "C0REVIEW", ts, actionApprove, "")
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, d.StatusCode)
	require.Empty(t, d.Body, "nil is an empty ack")

	_, cbs := in.calls()
	require.Len(t, cbs, 1)
	cb := cbs[0]
	require.Equal(t, slack.InteractionTypeBlockActions, cb.Type)
	require.Equal(t, "U2BOB", cb.User.ID)
	require.Equal(t, "C0REVIEW", cb.Channel.ID)
	require.Equal(t, ts, cb.Container.MessageTs)
	require.Equal(t, d.TriggerID, cb.TriggerID)
	require.Equal(t, actionApprove, cb.ActionCallback.BlockActions[0].ActionID)
	require.Equal(t, "req-42", cb.ActionCallback.BlockActions[0].Value)
	in.requireDeadlines(t)
}

func TestHTTPViewSubmissionErrors(t *testing.T) {
	t.Parallel()
	fake, api := transportWorkspace(t, slackfake.Config{})
	log, _ := recordingLogger(t)
	in := &stubInbound{
		onCommand: func(_ context.Context, cmd slack.SlashCommand) any {
			if err := openReasonModal(api, cmd.TriggerID); err != nil {
				return &slack.Msg{Text: "could not open the modal"}
			}
			return nil
		},
		onInteraction: func(_ context.Context, cb slack.InteractionCallback) any {
			if cb.View.State.Values[inputReason][inputReason].Value == "" {
				return slack.NewErrorsViewSubmissionResponse(map[string]string{inputReason: "Say why"})
			}
			return nil
		},
	}
	httpBot(t, fake, newHTTPHandler(in, testSecret, time.Now, log))

	d, err := fake.SlashCommand(deliveryCtx(t), "U2BOB", "C0REVIEW", "/access", "")
	require.NoError(t, err)
	require.Empty(t, d.Body)
	require.Len(t, fake.Views("U2BOB"), 1)

	d, err = fake.SubmitView(deliveryCtx(t), "U2BOB", viewDeny, nil)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, d.StatusCode)
	require.Equal(t, map[string]string{inputReason: "Say why"}, d.ViewErrors())
	require.Len(t, fake.Views("U2BOB"), 1, "the modal stays open")

	d, err = fake.SubmitView(deliveryCtx(t), "U2BOB", viewDeny, map[string]map[string]string{inputReason: {inputReason: "not in change window"}})
	require.NoError(t, err)
	require.Nil(t, d.ViewErrors())
	require.Empty(t, fake.Views("U2BOB"), "an empty ack closes the modal")
	_, cbs := in.calls()
	require.Len(t, cbs, 2)
	require.Equal(t, slack.InteractionTypeViewSubmission, cbs[1].Type)
	require.Equal(t, viewDeny, cbs[1].View.CallbackID)
}

func TestHTTPRefusesUnsigned(t *testing.T) {
	t.Parallel()
	fake, _ := transportWorkspace(t, slackfake.Config{})
	log, logs := recordingLogger(t)
	in := &stubInbound{}
	httpBot(t, fake, newHTTPHandler(in, testSecret, time.Now, log))
	for _, tc := range []struct {
		name   string
		forge  slackfake.DeliveryOption
		reason string
	}{
		{"forged signature", slackfake.WithBadSignature(), "signature does not match"},
		{"no signature", slackfake.WithoutSignature(), "missing X-Slack-Signature"},
		{"6 minutes old", slackfake.WithStaleTimestamp(), "outside the accepted window"},
		{"6 minutes ahead", slackfake.WithTimestamp(time.Now().Add(6 * time.Minute)), "outside the accepted window"},
	} {
		d, err := fake.SlashCommand(deliveryCtx(t), "U1ALICE", "C0REVIEW", "/access", "prod-db 2h INC-1", tc.forge)
		require.NoError(t, err, tc.name)
		require.Equal(t, http.StatusUnauthorized, d.StatusCode, tc.name)
		require.Equal(t, "invalid request signature\n", string(d.Body), tc.name)
		require.Contains(t, logs.String(), tc.reason, tc.name)
	}
	cmds, _ := in.calls()
	require.Empty(t, cmds, "nothing unsigned reaches the inbound")
	require.Empty(t, fake.Ephemerals("U1ALICE"))
	require.NotContains(t, logs.String(), testSecret)
	require.NotContains(t, logs.String(), "prod-db", "no body in the log")
}

func TestHTTPBodyTooLarge(t *testing.T) {
	t.Parallel()
	log, _ := recordingLogger(t)
	in := &stubInbound{}
	srv := httptest.NewServer(newHTTPHandler(in, testSecret, time.Now, log))
	t.Cleanup(srv.Close)
	body := []byte("text=" + strings.Repeat("a", maxSlackBody))
	for _, path := range []string{"/slack/commands", "/slack/interactions", "/slack/events"} {
		resp, _ := postRaw(t, srv.URL+path, signedHeader(testSecret, time.Now(), body), body)
		require.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode, path)
	}
	cmds, cbs := in.calls()
	require.Empty(t, cmds)
	require.Empty(t, cbs)
}

func TestHTTPMalformedButSigned(t *testing.T) {
	t.Parallel()
	log, _ := recordingLogger(t)
	in := &stubInbound{}
	srv := httptest.NewServer(newHTTPHandler(in, testSecret, time.Now, log))
	t.Cleanup(srv.Close)
	for _, tc := range []struct{ path, body string }{
		{"/slack/commands", "command=%zz"},
		{"/slack/commands", "text=prod-db"},
		{"/slack/interactions", "payload=" + url.QueryEscape("{not json")},
		{"/slack/interactions", "payload=" + url.QueryEscape(`{"user":{"id":"U1ALICE"}}`)},
		{"/slack/interactions", ""},
		{"/slack/events", "type=url_verification"},
		{"/slack/events", `{"type":"url_verification"}`},
	} {
		resp, answer := postRaw(t, srv.URL+tc.path, signedHeader(testSecret, time.Now(), []byte(tc.body)), []byte(tc.body))
		require.Equal(t, http.StatusBadRequest, resp.StatusCode, tc.body)
		require.Equal(t, "malformed request\n", answer)
	}
	cmds, cbs := in.calls()
	require.Empty(t, cmds)
	require.Empty(t, cbs)
}

func TestHTTPQueryStringIsNotSigned(t *testing.T) {
	t.Parallel()
	log, _ := recordingLogger(t)
	in := &stubInbound{}
	srv := httptest.NewServer(newHTTPHandler(in, testSecret, time.Now, log))
	t.Cleanup(srv.Close)
	body := []byte("command=%2Faccess&user_id=U1ALICE&text=prod-db")
	resp, _ := postRaw(t, srv.URL+"/slack/commands?user_id=U0ADMIN&command=%2Fother", signedHeader(testSecret, time.Now(), body), body)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	cmds, _ := in.calls()
	require.Len(t, cmds, 1)
	require.Equal(t, "U1ALICE", cmds[0].UserID)
	require.Equal(t, "/access", cmds[0].Command)
}

func TestHTTPEvents(t *testing.T) {
	t.Parallel()
	log, _ := recordingLogger(t)
	in := &stubInbound{}
	srv := httptest.NewServer(newHTTPHandler(in, testSecret, time.Now, log))
	t.Cleanup(srv.Close)
	events := srv.URL + "/slack/events"

	challenge := []byte(`{"token":"Jhj5dZrVaK7ZwHHjRyZWjbDl","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}`)
	resp, answer := postRaw(t, events, signedHeader(testSecret, time.Now(), challenge), challenge)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P", answer)
	require.Equal(t, "text/plain; charset=utf-8", resp.Header.Get("Content-Type"))

	resp, _ = postRaw(t, events, nil, challenge)
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode, "url_verification is signed too")

	event := []byte(`{"type":"event_callback","team_id":"T0FAKE","event":{"type":"app_home_opened","user":"U1ALICE"},"event_id":"Ev1"}`)
	resp, answer = postRaw(t, events, signedHeader(testSecret, time.Now(), event), event)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Empty(t, answer)
	cmds, cbs := in.calls()
	require.Empty(t, cmds)
	require.Empty(t, cbs)
}

func TestHTTPOnlyPost(t *testing.T) {
	t.Parallel()
	log, _ := recordingLogger(t)
	srv := httptest.NewServer(newHTTPHandler(&stubInbound{}, testSecret, time.Now, log))
	t.Cleanup(srv.Close)
	resp, err := http.Get(srv.URL + "/slack/commands")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
}

func TestHTTPInboundPanics(t *testing.T) {
	t.Parallel()
	fake, _ := transportWorkspace(t, slackfake.Config{})
	log, logs := recordingLogger(t)
	in := &stubInbound{onCommand: func(_ context.Context, cmd slack.SlashCommand) any {
		if cmd.Text == "boom" {
			panic("boom")
		}
		return &slack.Msg{Text: "ok"}
	}}
	httpBot(t, fake, newHTTPHandler(in, testSecret, time.Now, log))

	d, err := fake.SlashCommand(deliveryCtx(t), "U1ALICE", "C0REVIEW", "/access", "boom")
	require.NoError(t, err)
	require.Equal(t, http.StatusInternalServerError, d.StatusCode)
	require.Equal(t, "internal error\n", string(d.Body))
	require.Contains(t, logs.String(), "slack handler panicked")

	d, err = fake.SlashCommand(deliveryCtx(t), "U1ALICE", "C0REVIEW", "/access", "prod-db")
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, d.StatusCode)
}

// A slow handler still lets the ack go out in time, and its work is not
// cut short by the ack: it finishes with its context alive.
func TestHTTPLateInbound(t *testing.T) {
	t.Parallel()
	fake, _ := transportWorkspace(t, slackfake.Config{AckTimeout: 2 * time.Second})
	log, logs := recordingLogger(t)
	release, finished, inTime := make(chan struct{}), make(chan error, 1), make(chan bool, 2)
	in := &stubInbound{onCommand: func(ctx context.Context, cmd slack.SlashCommand) any {
		if cmd.Text == "quick" {
			inTime <- answerInTime(ctx)
			return &slack.Msg{Text: "on time"}
		}
		<-release
		finished <- ctx.Err()
		inTime <- answerInTime(ctx)
		return &slack.Msg{Text: "too late"}
	}}
	h := &httpMode{in: in, secret: testSecret, now: time.Now, log: log, deadline: 100 * time.Millisecond}
	httpBot(t, fake, h.routes())

	d, err := fake.SlashCommand(deliveryCtx(t), "U1ALICE", "C0REVIEW", "/access", "slow")
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, d.StatusCode)
	require.Empty(t, d.Body)
	require.Less(t, d.Elapsed, time.Second)
	close(release)
	require.NoError(t, <-finished, "the work outlives the ack and the HTTP response")
	require.False(t, <-inTime, "the handler learns its answer missed the ack")
	require.Contains(t, logs.String(), "overran its ack deadline")
	require.Empty(t, fake.Ephemerals("U1ALICE"))

	d, err = fake.SlashCommand(deliveryCtx(t), "U1ALICE", "C0REVIEW", "/access", "quick")
	require.NoError(t, err)
	require.True(t, <-inTime)
	require.Contains(t, string(d.Body), "on time", "an answer claimed in time is the ack")
}
