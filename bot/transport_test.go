package bot

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/stretchr/testify/require"

	"github.com/jitgate/jitgate/bot/slackfake"
)

const testSecret = "8f742231b10e8888abcd99yyyzzz85a5-jitgate"

// signedHeader signs body as Slack does, written out independently of
// verifyRequest so that the two check each other.
func signedHeader(secret string, at time.Time, body []byte) http.Header {
	ts := strconv.FormatInt(at.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("v0:" + ts + ":" + string(body)))
	h := http.Header{}
	h.Set("X-Slack-Request-Timestamp", ts)
	h.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac.Sum(nil)))
	return h
}

// logSink keeps what a test's logger wrote, and echoes it to the test's
// output, so tests can check what was (and was not) logged.
type logSink struct {
	mu  sync.Mutex
	buf bytes.Buffer
	out io.Writer
}

func (s *logSink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.buf.Write(p)
	return s.out.Write(p)
}

func (s *logSink) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

func recordingLogger(t *testing.T) (*slog.Logger, *logSink) {
	sink := &logSink{out: t.Output()}
	return slog.New(slog.NewTextHandler(sink, &slog.HandlerOptions{Level: slog.LevelDebug})), sink
}

// stubInbound records what reached it and answers with its hooks (nil when
// a hook is unset).
type stubInbound struct {
	onCommand     func(context.Context, slack.SlashCommand) any
	onInteraction func(context.Context, slack.InteractionCallback) any

	mu           sync.Mutex
	commands     []slack.SlashCommand
	interactions []slack.InteractionCallback
	// left is how long each call's context had before its deadline, when
	// the call arrived; -1 when it had no deadline.
	left []time.Duration
}

func (s *stubInbound) command(ctx context.Context, cmd slack.SlashCommand) any {
	s.record(ctx, func() { s.commands = append(s.commands, cmd) })
	if s.onCommand == nil {
		return nil
	}
	return s.onCommand(ctx, cmd)
}

func (s *stubInbound) interaction(ctx context.Context, cb slack.InteractionCallback) any {
	s.record(ctx, func() { s.interactions = append(s.interactions, cb) })
	if s.onInteraction == nil {
		return nil
	}
	return s.onInteraction(ctx, cb)
}

func (s *stubInbound) record(ctx context.Context, add func()) {
	left := time.Duration(-1)
	if d, ok := ctx.Deadline(); ok {
		left = time.Until(d)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	add()
	s.left = append(s.left, left)
}

func (s *stubInbound) calls() (cmds []slack.SlashCommand, cbs []slack.InteractionCallback) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append(cmds, s.commands...), append(cbs, s.interactions...)
}

// requireDeadlines checks that every call so far had a deadline no later
// than workDeadline from its arrival.
func (s *stubInbound) requireDeadlines(t *testing.T) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	require.NotEmpty(t, s.left)
	for _, left := range s.left {
		require.Positive(t, left, "the inbound's context has a deadline still ahead")
		require.LessOrEqual(t, left, workDeadline)
	}
}

// transportWorkspace starts a fake Slack with two users, a review channel and a
// Web API client for the bot.
func transportWorkspace(t *testing.T, cfg slackfake.Config) (*slackfake.Server, *slack.Client) {
	t.Helper()
	fake := slackfake.StartTest(t, cfg)
	fake.AddUser(slackfake.User{ID: "U1ALICE", Name: "alice", Email: "alice@example.com", EmailVerified: true})
	fake.AddUser(slackfake.User{ID: "U2BOB", Name: "bob", Email: "bob@example.com", EmailVerified: true})
	fake.AddChannel(slackfake.Channel{ID: "C0REVIEW", Name: "db-review"})
	api := slack.New(fake.BotToken(), slack.OptionAPIURL(fake.APIURL()), slack.OptionAppLevelToken(fake.AppToken()))
	return fake, api
}

// postReview posts a message with an Approve button, as the bot would.
func postReview(t *testing.T, api *slack.Client) string {
	t.Helper()
	_, ts, err := api.PostMessage("C0REVIEW", slack.MsgOptionText("access request", false), slack.MsgOptionBlocks(
		slack.NewActionBlock("review", slack.NewButtonBlockElement(actionApprove, "req-42",
			slack.NewTextBlockObject(slack.PlainTextType, "Approve", false, false)))))
	require.NoError(t, err)
	return ts
}

// openReasonModal opens a modal with one reason input for the user behind
// a trigger, so the fake can submit it.
func openReasonModal(api *slack.Client, triggerID string) error {
	_, err := api.OpenView(triggerID, slack.ModalViewRequest{
		Type:       slack.VTModal,
		CallbackID: viewDeny,
		Title:      slack.NewTextBlockObject(slack.PlainTextType, "Deny", false, false),
		Submit:     slack.NewTextBlockObject(slack.PlainTextType, "Deny", false, false),
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			slack.NewInputBlock(inputReason, slack.NewTextBlockObject(slack.PlainTextType, "Reason", false, false), nil,
				slack.NewPlainTextInputBlockElement(nil, inputReason)),
		}},
	})
	return err
}

// ackText is the text of an ack's message payload.
func ackText(t *testing.T, body []byte) string {
	t.Helper()
	var msg slack.Msg
	require.NoError(t, json.Unmarshal(body, &msg))
	return msg.Text
}

func deliveryCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}
