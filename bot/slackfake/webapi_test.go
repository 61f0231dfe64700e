package slackfake

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/jitgate/jitgate/internal/fakeclock"
	"github.com/slack-go/slack"
	"github.com/stretchr/testify/require"
)

// workspace starts a fake with two people, a review channel and a group.
func workspace(t *testing.T) (*Server, *slack.Client) {
	t.Helper()
	return workspaceWith(t, Config{})
}

func workspaceWith(t *testing.T, cfg Config) (*Server, *slack.Client) {
	t.Helper()
	s := StartTest(t, cfg)
	s.AddUser(User{ID: "U1ALICE", Name: "alice", Email: "alice@example.com", EmailVerified: true})
	s.AddUser(User{ID: "U2BOB", Name: "bob", Email: "bob@example.com", EmailVerified: true})
	s.AddUser(User{ID: "U3EVE", Name: "eve", Email: "eve@example.com"})
	s.AddChannel(Channel{ID: "C0REVIEW", Name: "db-review"})
	s.AddUserGroup("dba", "U2BOB")
	return s, slack.New(s.BotToken(), slack.OptionAPIURL(s.APIURL()))
}

func TestAuthTest(t *testing.T) {
	t.Parallel()
	s, api := workspace(t)
	resp, err := api.AuthTest()
	require.NoError(t, err)
	require.Equal(t, s.BotUserID(), resp.UserID)
	require.Equal(t, "T0FAKE", resp.TeamID)
	require.Len(t, s.Calls("auth.test"), 1)
}

func TestAuthFailures(t *testing.T) {
	t.Parallel()
	s, _ := workspace(t)
	_, err := slack.New("xoxb-wrong", slack.OptionAPIURL(s.APIURL())).AuthTest()
	require.EqualError(t, err, "invalid_auth")

	_, err = slack.New("", slack.OptionAPIURL(s.APIURL())).GetUserInfo("U1ALICE")
	require.EqualError(t, err, "not_authed")

	// The app token opens sockets, nothing else; the bot token cannot open one.
	_, _, err = slack.New(s.AppToken(), slack.OptionAPIURL(s.APIURL())).PostMessage("C0REVIEW", slack.MsgOptionText("hi", false))
	require.EqualError(t, err, "invalid_auth")
	_, _, err = slack.New(s.BotToken(), slack.OptionAPIURL(s.APIURL()), slack.OptionAppLevelToken(s.BotToken())).StartSocketModeContext(context.Background())
	require.EqualError(t, err, "invalid_auth")

	calls := s.Calls("")
	require.Len(t, calls, 4)
	require.Equal(t, "invalid_auth", calls[0].Error)
	require.Empty(t, s.Messages("C0REVIEW"))
}

func TestPostUpdateAndThread(t *testing.T) {
	t.Parallel()
	s, api := workspace(t)
	blocks := []slack.Block{
		slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "*alice* asks for prod-db", false, false), nil, nil),
		slack.NewActionBlock("review",
			slack.NewButtonBlockElement("approve", "req-1", slack.NewTextBlockObject(slack.PlainTextType, "Approve", false, false)).WithStyle(slack.StylePrimary)),
	}
	ch, ts, err := api.PostMessage("#db-review", slack.MsgOptionText("alice asks for prod-db", false), slack.MsgOptionBlocks(blocks...))
	require.NoError(t, err)
	require.Equal(t, "C0REVIEW", ch)

	msgs := s.Messages("C0REVIEW")
	require.Len(t, msgs, 1)
	require.Equal(t, ts, msgs[0].TS)
	require.Equal(t, s.BotUserID(), msgs[0].User)
	require.Contains(t, string(msgs[0].Blocks), `"action_id":"approve"`)

	_, _, _, err = api.UpdateMessage(ch, ts, slack.MsgOptionText("approved", false), slack.MsgOptionBlocks())
	require.NoError(t, err)
	m, ok := s.Message(ch, ts)
	require.True(t, ok)
	require.Equal(t, "approved", m.Text)
	require.JSONEq(t, `[]`, string(m.Blocks))
	require.Len(t, m.Edits, 1)
	require.Equal(t, "alice asks for prod-db", m.Edits[0].Text)

	_, reply, err := api.PostMessage(ch, slack.MsgOptionText("approved by bob", false), slack.MsgOptionTS(ts))
	require.NoError(t, err)
	thread := s.Thread(ch, ts)
	require.Len(t, thread, 1)
	require.Equal(t, reply, thread[0].TS)
	require.Len(t, s.Messages(ch), 1, "a reply is not a top-level message")
	require.Greater(t, reply, ts)

	_, _, _, err = api.UpdateMessage(ch, "1.000001", slack.MsgOptionText("x", false))
	require.EqualError(t, err, "message_not_found")
	_, _, err = api.PostMessage("C0NOPE", slack.MsgOptionText("x", false))
	require.EqualError(t, err, "channel_not_found")
}

func TestDMsAndEphemeral(t *testing.T) {
	t.Parallel()
	s, api := workspace(t)
	ch, _, _, err := api.OpenConversation(&slack.OpenConversationParameters{Users: []string{"U1ALICE"}})
	require.NoError(t, err)
	require.Equal(t, s.DMChannel("U1ALICE"), ch.ID)

	_, _, err = api.PostMessage(ch.ID, slack.MsgOptionText("approved: psql ...", false))
	require.NoError(t, err)
	// A user ID as channel posts into the same DM.
	got, _, err := api.PostMessage("U1ALICE", slack.MsgOptionText("second", false))
	require.NoError(t, err)
	require.Equal(t, ch.ID, got)
	dms := s.DMs("U1ALICE")
	require.Len(t, dms, 2)
	require.Equal(t, "second", dms[1].Text)

	ts, err := api.PostEphemeral("C0REVIEW", "U2BOB", slack.MsgOptionText("only reviewers may approve", false))
	require.NoError(t, err)
	eph := s.Ephemerals("U2BOB")
	require.Len(t, eph, 1)
	require.Equal(t, ts, eph[0].TS)
	require.Empty(t, s.Messages("C0REVIEW"), "ephemeral messages are not in the channel")
	require.Empty(t, s.Ephemerals("U1ALICE"))
}

func TestUsersAndGroups(t *testing.T) {
	t.Parallel()
	s, api := workspace(t)
	u, err := api.GetUserInfo("U1ALICE")
	require.NoError(t, err)
	require.Equal(t, "alice@example.com", u.Profile.Email)
	require.True(t, u.IsEmailConfirmed)
	require.False(t, u.IsBot)

	eve, err := api.GetUserInfo("U3EVE")
	require.NoError(t, err)
	require.False(t, eve.IsEmailConfirmed)

	bot, err := api.GetUserInfo(s.BotUserID())
	require.NoError(t, err)
	require.True(t, bot.IsBot)

	_, err = api.GetUserInfo("UNOBODY")
	require.EqualError(t, err, "user_not_found")

	bob, err := api.GetUserByEmail("BOB@example.com")
	require.NoError(t, err)
	require.Equal(t, "U2BOB", bob.ID)
	_, err = api.GetUserByEmail("mallory@example.com")
	require.EqualError(t, err, "users_not_found")

	groups, err := api.GetUserGroups(slack.GetUserGroupsOptionIncludeUsers(true))
	require.NoError(t, err)
	require.Len(t, groups, 1)
	require.Equal(t, "dba", groups[0].Handle)
	require.Equal(t, []string{"U2BOB"}, groups[0].Users)
	members, err := api.GetUserGroupMembers(groups[0].ID)
	require.NoError(t, err)
	require.Equal(t, []string{"U2BOB"}, members)
}

func TestFaults(t *testing.T) {
	t.Parallel()
	s, api := workspace(t)
	s.FailNext("chat.postMessage", 1, RateLimited)
	s.FailNext("chat.postMessage", 1, ServerError)

	_, _, err := api.PostMessage("C0REVIEW", slack.MsgOptionText("one", false))
	var rl *slack.RateLimitedError
	require.ErrorAs(t, err, &rl)
	require.Equal(t, time.Second, rl.RetryAfter)

	_, _, err = api.PostMessage("C0REVIEW", slack.MsgOptionText("one", false))
	var sc slack.StatusCodeError
	require.ErrorAs(t, err, &sc)
	require.Equal(t, http.StatusInternalServerError, sc.Code)

	_, _, err = api.PostMessage("C0REVIEW", slack.MsgOptionText("one", false))
	require.NoError(t, err)
	require.Len(t, s.Messages("C0REVIEW"), 1, "failed calls post nothing")

	calls := s.Calls("chat.postMessage")
	require.Len(t, calls, 3)
	require.Equal(t, []string{"ratelimited", "server_error", ""}, []string{calls[0].Error, calls[1].Error, calls[2].Error})
	require.Equal(t, "one", calls[2].Param("text"))
}

func TestTimeoutFault(t *testing.T) {
	t.Parallel()
	s, api := workspace(t)
	s.FailNext("chat.update", 1, Timeout)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, _, _, err := api.UpdateMessageContext(ctx, "C0REVIEW", "1.000001", slack.MsgOptionText("x", false))
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Equal(t, "timeout", s.Calls("chat.update")[0].Error)
}

func TestViews(t *testing.T) {
	t.Parallel()
	s, api := workspace(t)
	s.mu.Lock()
	trigger := s.newTriggerLocked("U1ALICE")
	s.mu.Unlock()

	modal := slack.ModalViewRequest{
		Type:       slack.VTModal,
		CallbackID: "request",
		Title:      slack.NewTextBlockObject(slack.PlainTextType, "Request access", false, false),
		Submit:     slack.NewTextBlockObject(slack.PlainTextType, "Request", false, false),
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			slack.NewInputBlock("reason", slack.NewTextBlockObject(slack.PlainTextType, "Reason", false, false), nil,
				slack.NewPlainTextInputBlockElement(nil, "reason")),
		}},
	}
	resp, err := api.OpenView(trigger, modal)
	require.NoError(t, err)
	require.NotEmpty(t, resp.View.ID)
	require.Equal(t, "request", resp.View.CallbackID)

	views := s.Views("U1ALICE")
	require.Len(t, views, 1)
	require.Equal(t, resp.View.ID, views[0].ID)

	_, err = api.OpenView(trigger, modal)
	require.EqualError(t, err, "exchanged_trigger_id")
	_, err = api.OpenView("1.2.3", modal)
	require.EqualError(t, err, "invalid_trigger_id")

	modal.Title = slack.NewTextBlockObject(slack.PlainTextType, "Request access (2)", false, false)
	upd, err := api.UpdateView(modal, "", resp.View.Hash, resp.View.ID)
	require.NoError(t, err)
	require.Equal(t, "Request access (2)", upd.View.Title.Text)
	_, err = api.UpdateView(modal, "", "stale-hash", resp.View.ID)
	require.EqualError(t, err, "hash_conflict")

	var view struct {
		Title struct{ Text string } `json:"title"`
	}
	v, _ := s.View(resp.View.ID)
	require.NoError(t, json.Unmarshal(v.JSON, &view))
	require.Equal(t, "Request access (2)", view.Title.Text)
}

func TestWaitFor(t *testing.T) {
	t.Parallel()
	s, api := workspace(t)
	go func() { _, _, _ = api.PostMessage("C0REVIEW", slack.MsgOptionText("later", false)) }()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, s.WaitFor(ctx, func(s *Server) bool { return len(s.Messages("C0REVIEW")) == 1 }))

	short, cancel2 := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel2()
	err := s.WaitFor(short, func(*Server) bool { return false })
	require.True(t, errors.Is(err, context.DeadlineExceeded))
}

func TestJSONBody(t *testing.T) {
	t.Parallel()
	s, _ := workspace(t)
	body := `{"channel":"C0REVIEW","text":"hi","blocks":[{"type":"divider"}]}`
	req, err := http.NewRequest(http.MethodPost, s.APIURL()+"chat.postMessage", bytes.NewBufferString(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("Authorization", "Bearer "+s.BotToken())
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var out struct {
		OK bool   `json:"ok"`
		TS string `json:"ts"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	require.True(t, out.OK)
	m, ok := s.Message("C0REVIEW", out.TS)
	require.True(t, ok)
	require.JSONEq(t, `[{"type":"divider"}]`, string(m.Blocks))
	require.JSONEq(t, `[{"type":"divider"}]`, s.Calls("chat.postMessage")[0].Param("blocks"))
}

func TestTriggerExpiresAndViewsPush(t *testing.T) {
	t.Parallel()
	clock := fakeclock.New(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	s, api := workspaceWith(t, Config{Now: clock.Now})
	s.mu.Lock()
	first, second, third := s.newTriggerLocked("U1ALICE"), s.newTriggerLocked("U1ALICE"), s.newTriggerLocked("U1ALICE")
	s.mu.Unlock()
	modal := func(id string) slack.ModalViewRequest {
		return slack.ModalViewRequest{Type: slack.VTModal, CallbackID: id, Title: slack.NewTextBlockObject(slack.PlainTextType, id, false, false)}
	}
	root, err := api.OpenView(first, modal("root"))
	require.NoError(t, err)
	pushed, err := api.PushView(second, modal("deny-reason"))
	require.NoError(t, err)
	require.Equal(t, root.View.ID, pushed.View.RootViewID)
	require.Equal(t, root.View.ID, pushed.View.PreviousViewID)
	views := s.Views("U1ALICE")
	require.Len(t, views, 2)
	require.Equal(t, "deny-reason", views[1].CallbackID)

	clock.Advance(4 * time.Second)
	_, err = api.OpenView(third, modal("late"))
	require.EqualError(t, err, "expired_trigger_id")
}
