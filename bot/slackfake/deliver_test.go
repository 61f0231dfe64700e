package slackfake

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/stretchr/testify/require"
)

const secret = "8f742231b10e8888abcd99yyyzzz85a5"

// httpBot is a minimal bot in HTTP mode: it verifies signatures on the raw
// body like the real one must, and remembers what it accepted.
type httpBot struct {
	api *slack.Client
	mu  sync.Mutex
	got []*http.Request
	raw [][]byte
	// answer, when set, answers an accepted request.
	answer func(w http.ResponseWriter, body []byte, r *http.Request)
}

func (b *httpBot) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	sv, err := slack.NewSecretsVerifier(r.Header, secret)
	if err == nil {
		_, _ = sv.Write(body)
		err = sv.Ensure()
	}
	if err != nil {
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	b.mu.Lock()
	b.got, b.raw = append(b.got, r), append(b.raw, body)
	b.mu.Unlock()
	if b.answer != nil {
		b.answer(w, body, r)
	}
}

func (b *httpBot) accepted() ([]*http.Request, [][]byte) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]*http.Request{}, b.got...), append([][]byte{}, b.raw...)
}

func httpWorkspace(t *testing.T, cfg Config) (*Server, *httpBot) {
	t.Helper()
	s, api := workspaceWith(t, cfg)
	bot := &httpBot{api: api}
	srv := httptest.NewServer(bot)
	t.Cleanup(srv.Close)
	s.HTTPTarget(srv.URL, secret)
	return s, bot
}

func TestHTTPSlashCommandSigned(t *testing.T) {
	t.Parallel()
	s, bot := httpWorkspace(t, Config{})
	bot.answer = func(w http.ResponseWriter, _ []byte, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"response_type":"ephemeral","text":"Unknown resource prod-dbx"}`)
	}
	d, err := s.SlashCommand(waitCtx(t), "U1ALICE", "db-review", "/access", "prod-dbx 2h INC-1")
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, d.StatusCode)
	require.Equal(t, TransportHTTP, d.Transport)

	got, _ := bot.accepted()
	require.Len(t, got, 1)
	require.Equal(t, "/slack/commands", got[0].URL.Path)
	cmd, err := slack.SlashCommandParse(got[0])
	require.NoError(t, err)
	require.Equal(t, "/access", cmd.Command)
	require.Equal(t, "prod-dbx 2h INC-1", cmd.Text)
	require.Equal(t, "C0REVIEW", cmd.ChannelID)
	require.Equal(t, d.TriggerID, cmd.TriggerID)
	require.Equal(t, "Unknown resource prod-dbx", s.Ephemerals("U1ALICE")[0].Text)

	again, err := s.Redeliver(waitCtx(t), d)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, again.StatusCode)
	got, raw := bot.accepted()
	require.Len(t, got, 2)
	require.Equal(t, raw[0], raw[1], "a retry carries the identical body")
	require.Equal(t, "1", got[1].Header.Get("X-Slack-Retry-Num"))
	require.Equal(t, "http_timeout", got[1].Header.Get("X-Slack-Retry-Reason"))
}

func TestHTTPForgeries(t *testing.T) {
	t.Parallel()
	s, bot := httpWorkspace(t, Config{})
	for name, opt := range map[string]DeliveryOption{
		"bad signature":   WithBadSignature(),
		"no signature":    WithoutSignature(),
		"stale timestamp": WithStaleTimestamp(),
	} {
		d, err := s.SlashCommand(waitCtx(t), "U1ALICE", "C0REVIEW", "/access", "prod-db 2h INC-1", opt)
		require.NoError(t, err, name)
		require.Equal(t, http.StatusUnauthorized, d.StatusCode, name)
	}
	got, _ := bot.accepted()
	require.Empty(t, got)
	require.Empty(t, s.Ephemerals("U1ALICE"), "a refused command shows nothing")
}

func TestHTTPClickAndResponseURL(t *testing.T) {
	t.Parallel()
	s, bot := httpWorkspace(t, Config{})
	_, ts, err := bot.api.PostMessage("C0REVIEW", slack.MsgOptionText("request", false), slack.MsgOptionBlocks(
		slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "request", false, false), nil,
			slack.NewAccessory(slack.NewButtonBlockElement("deny", "req-9", slack.NewTextBlockObject(slack.PlainTextType, "Deny", false, false)).WithStyle(slack.StyleDanger)))))
	require.NoError(t, err)

	d, err := s.ClickButton(waitCtx(t), "U1ALICE", "C0REVIEW", ts, "deny", "forged-value")
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, d.StatusCode)
	got, _ := bot.accepted()
	require.Equal(t, "/slack/interactions", got[0].URL.Path)
	cb, err := slack.InteractionCallbackParse(got[0])
	require.NoError(t, err)
	require.Equal(t, slack.InteractionTypeBlockActions, cb.Type)
	action := cb.ActionCallback.BlockActions[0]
	require.Equal(t, "deny", action.ActionID)
	require.Equal(t, "forged-value", action.Value)
	require.NotEmpty(t, action.BlockID)
	require.Equal(t, "U1ALICE", cb.User.ID)
	require.Equal(t, ts, cb.Container.MessageTs)
	require.Equal(t, d.ResponseURL, cb.ResponseURL)

	_, _, err = bot.api.PostMessage("C0REVIEW", slack.MsgOptionReplaceOriginal(cb.ResponseURL), slack.MsgOptionText("denied", false))
	require.NoError(t, err)
	m, _ := s.Message("C0REVIEW", ts)
	require.Equal(t, "denied", m.Text)
	_, _, err = bot.api.PostMessage("C0REVIEW", slack.MsgOptionResponseURL(cb.ResponseURL, slack.ResponseTypeEphemeral), slack.MsgOptionText("you cannot", false))
	require.NoError(t, err)
	require.Equal(t, "you cannot", s.Ephemerals("U1ALICE")[0].Text)
	calls := s.Calls("response_url")
	require.Len(t, calls, 2)
	require.Equal(t, cb.ResponseURL, calls[0].Param("url"))
	require.Equal(t, "true", calls[0].Param("replace_original"))

	_, err = s.ClickButton(waitCtx(t), "U1ALICE", "C0REVIEW", ts, "no-such-button", "")
	require.Error(t, err)
}

func TestHTTPModalSubmission(t *testing.T) {
	t.Parallel()
	s, bot := httpWorkspace(t, Config{})
	modal := slack.ModalViewRequest{
		Type:       slack.VTModal,
		CallbackID: "request",
		Title:      slack.NewTextBlockObject(slack.PlainTextType, "Request access", false, false),
		Submit:     slack.NewTextBlockObject(slack.PlainTextType, "Request", false, false),
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			slack.NewInputBlock("resource", slack.NewTextBlockObject(slack.PlainTextType, "Resource", false, false), nil,
				slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, nil, "resource",
					slack.NewOptionBlockObject("prod-db", slack.NewTextBlockObject(slack.PlainTextType, "prod-db", false, false), nil))),
			slack.NewInputBlock("level", slack.NewTextBlockObject(slack.PlainTextType, "Level", false, false), nil,
				slack.NewRadioButtonsBlockElement("level",
					slack.NewOptionBlockObject("read", slack.NewTextBlockObject(slack.PlainTextType, "read", false, false), nil),
					slack.NewOptionBlockObject("write", slack.NewTextBlockObject(slack.PlainTextType, "write", false, false), nil))),
			slack.NewInputBlock("reason", slack.NewTextBlockObject(slack.PlainTextType, "Reason", false, false), nil,
				slack.NewPlainTextInputBlockElement(nil, "reason")),
		}},
	}
	var submitted []slack.InteractionCallback
	bot.answer = func(w http.ResponseWriter, _ []byte, r *http.Request) {
		if r.URL.Path == "/slack/commands" {
			cmd, _ := slack.SlashCommandParse(r)
			_, err := bot.api.OpenView(cmd.TriggerID, modal)
			if err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
			}
			return
		}
		cb, _ := slack.InteractionCallbackParse(r)
		bot.mu.Lock()
		submitted = append(submitted, cb)
		bot.mu.Unlock()
		if cb.View.State.Values["reason"]["reason"].Value == "" {
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"response_action":"errors","errors":{"reason":"Give a reason, e.g. INC-123"}}`)
		}
	}
	d, err := s.SlashCommand(waitCtx(t), "U1ALICE", "C0REVIEW", "/access", "")
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, d.StatusCode)
	views := s.Views("U1ALICE")
	require.Len(t, views, 1)

	d, err = s.SubmitView(waitCtx(t), "U1ALICE", "request", map[string]map[string]string{
		"resource": {"resource": "prod-db"}, "level": {"level": "write"},
	})
	require.NoError(t, err)
	require.Equal(t, map[string]string{"reason": "Give a reason, e.g. INC-123"}, d.ViewErrors())
	views = s.Views("U1ALICE")
	require.Len(t, views, 1, "a view answered with errors stays open")
	require.Equal(t, "Give a reason, e.g. INC-123", views[0].Errors["reason"])

	bot.mu.Lock()
	first := submitted[0]
	bot.mu.Unlock()
	state := first.View.State.Values
	require.Equal(t, "prod-db", state["resource"]["resource"].SelectedOption.Value)
	require.Equal(t, "write", state["level"]["level"].SelectedOption.Value)
	require.Equal(t, "request", first.View.CallbackID)
	require.Equal(t, slack.InteractionTypeViewSubmission, first.Type)

	_, err = s.SubmitView(waitCtx(t), "U1ALICE", views[0].ID, map[string]map[string]string{
		"resource": {"resource": "prod-db"}, "reason": {"reason": "INC-1"},
	})
	require.NoError(t, err)
	require.Empty(t, s.Views("U1ALICE"), "an empty answer closes the view")

	_, err = s.SubmitView(waitCtx(t), "U1ALICE", "request", nil)
	require.Error(t, err, "no view is open any more")
}

func TestHTTPNotAcknowledged(t *testing.T) {
	t.Parallel()
	s, bot := httpWorkspace(t, Config{AckTimeout: 100 * time.Millisecond})
	release := make(chan struct{})
	defer close(release)
	bot.answer = func(http.ResponseWriter, []byte, *http.Request) { <-release }
	_, err := s.SlashCommand(waitCtx(t), "U1ALICE", "C0REVIEW", "/access", "")
	require.ErrorIs(t, err, ErrNotAcknowledged)
}
