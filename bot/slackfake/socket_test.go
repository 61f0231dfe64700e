package slackfake

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
	"github.com/stretchr/testify/require"
)

// socketBot runs slack-go's real Socket Mode client against the fake and
// hands its events to handle (which must ack what it wants acked).
func socketBot(t *testing.T, s *Server, handle func(*socketmode.Client, socketmode.Event)) {
	t.Helper()
	api := slack.New(s.BotToken(), slack.OptionAPIURL(s.APIURL()), slack.OptionAppLevelToken(s.AppToken()))
	client := socketmode.New(api)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = client.RunContext(ctx)
	}()
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case evt := <-client.Events:
				handle(client, evt)
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
}

func waitCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestSocketModeSlashCommand(t *testing.T) {
	t.Parallel()
	s, _ := workspace(t)
	got := make(chan slack.SlashCommand, 1)
	socketBot(t, s, func(c *socketmode.Client, evt socketmode.Event) {
		if evt.Type == socketmode.EventTypeSlashCommand {
			got <- evt.Data.(slack.SlashCommand)
			_ = c.Ack(*evt.Request, map[string]any{"text": "Request *received*"})
		}
	})

	d, err := s.SlashCommand(waitCtx(t), "U1ALICE", "C0REVIEW", "/access", "prod-db 2h INC-1")
	require.NoError(t, err)
	require.Equal(t, TransportSocket, d.Transport)
	require.JSONEq(t, `{"text":"Request *received*"}`, string(d.Body))

	cmd := <-got
	require.Equal(t, "/access", cmd.Command)
	require.Equal(t, "prod-db 2h INC-1", cmd.Text)
	require.Equal(t, "U1ALICE", cmd.UserID)
	require.Equal(t, "C0REVIEW", cmd.ChannelID)
	require.Equal(t, d.TriggerID, cmd.TriggerID)
	require.Equal(t, d.ResponseURL, cmd.ResponseURL)

	eph := s.Ephemerals("U1ALICE")
	require.Len(t, eph, 1, "the ack's text is shown to the user")
	require.Equal(t, "Request *received*", eph[0].Text)
}

func TestSocketModeClickAndNoAck(t *testing.T) {
	t.Parallel()
	s, api := workspace(t)
	acks := make(chan slack.InteractionCallback, 1)
	socketBot(t, s, func(c *socketmode.Client, evt socketmode.Event) {
		if evt.Type == socketmode.EventTypeInteractive {
			cb := evt.Data.(slack.InteractionCallback)
			if cb.ActionCallback.BlockActions[0].ActionID == "approve" {
				_ = c.Ack(*evt.Request)
				acks <- cb
			}
		}
	})
	_, ts, err := api.PostMessage("C0REVIEW", slack.MsgOptionBlocks(slack.NewActionBlock("review",
		slack.NewButtonBlockElement("approve", "req-1", slack.NewTextBlockObject(slack.PlainTextType, "Approve", false, false)),
		slack.NewButtonBlockElement("deny", "req-1", slack.NewTextBlockObject(slack.PlainTextType, "Deny", false, false)))))
	require.NoError(t, err)

	_, err = s.ClickButton(waitCtx(t), "U2BOB", "C0REVIEW", ts, "approve", "")
	require.NoError(t, err)
	cb := <-acks
	require.Equal(t, slack.InteractionTypeBlockActions, cb.Type)
	require.Equal(t, "U2BOB", cb.User.ID)
	require.Equal(t, "C0REVIEW", cb.Channel.ID)
	require.Equal(t, ts, cb.Message.Timestamp)
	require.Equal(t, ts, cb.Container.MessageTs)
	require.Equal(t, "review", cb.ActionCallback.BlockActions[0].BlockID)
	require.Equal(t, "req-1", cb.ActionCallback.BlockActions[0].Value)

	// The handler never acks "deny": Slack gives up after 3 seconds.
	start := time.Now()
	_, err = s.ClickButton(waitCtx(t), "U2BOB", "C0REVIEW", ts, "deny", "")
	require.ErrorIs(t, err, ErrNotAcknowledged)
	require.EqualError(t, err, "not acknowledged")
	require.GreaterOrEqual(t, time.Since(start), 3*time.Second)
}

func TestSocketModeReconnects(t *testing.T) {
	t.Parallel()
	s, _ := workspace(t)
	socketBot(t, s, func(c *socketmode.Client, evt socketmode.Event) {
		if evt.Type == socketmode.EventTypeSlashCommand {
			_ = c.Ack(*evt.Request)
		}
	})
	ctx := waitCtx(t)
	require.NoError(t, s.WaitFor(ctx, func(s *Server) bool { return s.Sockets() == 1 }))

	s.DropSocket()
	require.NoError(t, s.WaitFor(ctx, func(s *Server) bool { return s.SocketOpens() == 2 && s.Sockets() == 1 }))
	_, err := s.SlashCommand(ctx, "U1ALICE", "C0REVIEW", "/access", "")
	require.NoError(t, err)

	s.SendDisconnect("refresh_requested")
	require.NoError(t, s.WaitFor(ctx, func(s *Server) bool { return s.SocketOpens() == 3 && s.Sockets() == 1 }))
	_, err = s.SlashCommand(ctx, "U1ALICE", "C0REVIEW", "/access", "")
	require.NoError(t, err)
	require.Len(t, s.Calls("apps.connections.open"), 3, "every reconnect goes through apps.connections.open")
}

func TestSocketModeNoClient(t *testing.T) {
	t.Parallel()
	s := StartTest(t, Config{SocketWait: 50 * time.Millisecond})
	s.AddUser(User{ID: "U1ALICE", Name: "alice"})
	_, err := s.SlashCommand(context.Background(), "U1ALICE", "", "/access", "")
	require.True(t, errors.Is(err, ErrNoSocket))
}
