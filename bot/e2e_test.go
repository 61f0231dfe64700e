package bot

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/slack-go/slack"
	"github.com/stretchr/testify/require"

	"github.com/jitgate/jitgate/bot/slackfake"
	"github.com/jitgate/jitgate/broker"
	"github.com/jitgate/jitgate/grants"
)

func TestApproveFlow(t *testing.T) {
	t.Parallel()
	both(t, func(t *testing.T, h *e2e) {
		req, m := h.ask("prod-db 2h INC-123 fixing the index")
		require.Equal(t, grants.RequestPending, req.Status)
		require.Equal(t, email(bob), req.Requester, "the requester is their Slack profile email")
		require.Equal(t, 2*time.Hour, req.Duration)
		require.Equal(t, grants.AccessRead, req.Access, "read unless asked for write")
		require.True(t, hasAction(m, actionApprove) && hasAction(m, actionDeny))
		require.Contains(t, blocksText(m), "<@"+alice+">", "reviewers are mentioned")
		require.Contains(t, blocksText(m), "INC-123 fixing the index")

		h.click(alice, m, actionApprove)
		h.threadWith(m, ":unlock:")
		g, err := h.store.ActiveGrant(h.ctx, email(bob), "prod-db", time.Now())
		require.NoError(t, err, "approval became a grant in the database")
		require.Equal(t, req.ID, g.RequestID)

		h.threadWith(m, "approved (1 of 1)")
		controls := h.threadWith(m, actionExtend)
		require.True(t, hasAction(controls, actionRelease) && hasAction(controls, actionRevoke))
		h.waitFor("the outcome DM", func(s *slackfake.Server) bool { return len(s.DMs(bob)) > 0 })
		dm := h.fake.DMs(bob)[0]
		require.Contains(t, blocksText(dm), `host=127.0.0.1 port=15432 user=bob@example.com dbname=prod-db sslmode=require`)

		h.waitFor("the request message to lose its buttons", func(s *slackfake.Server) bool {
			got, _ := s.Message(m.Channel, m.TS)
			return !hasAction(got, actionApprove) && len(got.Edits) > 0
		})
		require.Equal(t, grants.RequestApproved, h.request(req).Status)
		require.Contains(t, blocksText(h.message(m)), "Approved by <@"+alice+">", "deciders are mentioned, not spelled out")
	})
}

func TestDenyWithReason(t *testing.T) {
	t.Parallel()
	both(t, func(t *testing.T, h *e2e) {
		req, m := h.ask("prod-db 1h INC-7 look at orders")
		h.click(alice, m, actionDeny)
		h.waitFor("the deny modal", func(s *slackfake.Server) bool { return len(s.Views(alice)) == 1 })
		d, err := h.fake.SubmitView(h.ctx, alice, viewDeny, map[string]map[string]string{inputReason: {inputReason: "use the replica"}})
		require.NoError(t, err)
		require.Nil(t, d.ViewErrors())
		h.threadWith(m, "denied the request")
		h.threadWith(m, "use the replica")
		got := h.request(req)
		require.Equal(t, grants.RequestDenied, got.Status)
		require.Equal(t, email(alice), got.DecidedBy)
		require.Equal(t, "use the replica", got.DecisionReason)
		h.waitFor("the denial DM", func(s *slackfake.Server) bool {
			dms := s.DMs(bob)
			return len(dms) > 0 && strings.Contains(blocksText(dms[len(dms)-1]), "use the replica")
		})
		require.Empty(t, h.fake.Views(alice), "the modal closed")
		h.waitFor("the message to name the denier", func(s *slackfake.Server) bool {
			got, _ := s.Message(m.Channel, m.TS)
			return strings.Contains(blocksText(got), "Denied by <@"+alice+">")
		})
	})
}

func TestPendingRequestTimesOut(t *testing.T) {
	t.Parallel()
	both(t, func(t *testing.T, h *e2e) {
		req, m := h.ask("prod-db 1h INC-9 nobody is around")
		h.shift = 61 * time.Minute
		require.NoError(t, h.jobs.RunOnce(h.ctx))
		h.threadWith(m, "the request timed out")
		h.waitFor("the message to show it timed out", func(s *slackfake.Server) bool {
			got, _ := s.Message(m.Channel, m.TS)
			return !hasAction(got, actionApprove) && strings.Contains(got.Text, "timed out")
		})
		require.Equal(t, grants.RequestTimedOut, h.request(req).Status)
		h.waitFor("the DM", func(s *slackfake.Server) bool { return len(s.DMs(bob)) > 0 })
	})
}

func TestBadSignaturesAreRefused(t *testing.T) {
	t.Parallel()
	h := newE2E(t, slackfake.TransportHTTP)
	for name, opt := range map[string]slackfake.DeliveryOption{
		"forged":  slackfake.WithBadSignature(),
		"missing": slackfake.WithoutSignature(),
		"stale":   slackfake.WithStaleTimestamp(),
		"future":  slackfake.WithTimestamp(time.Now().Add(6 * time.Minute)),
	} {
		d := h.command(bob, "prod-db 1h INC-1 x", opt)
		require.Equal(t, http.StatusUnauthorized, d.StatusCode, name)
	}
	reqs, err := h.store.ListRequests(h.ctx, "", 10)
	require.NoError(t, err)
	require.Empty(t, reqs, "nothing changed")

	// A forged click on a real request changes nothing either.
	req, m := h.ask("prod-db 1h INC-2 real")
	d, err := h.fake.ClickButton(h.ctx, alice, m.Channel, m.TS, actionApprove, "", slackfake.WithBadSignature())
	require.NoError(t, err)
	require.Equal(t, http.StatusUnauthorized, d.StatusCode)
	require.Equal(t, grants.RequestPending, h.request(req).Status)
}

func TestReplayedDeliveriesChangeNothing(t *testing.T) {
	t.Parallel()
	both(t, func(t *testing.T, h *e2e) {
		d := h.command(bob, "prod-db 1h INC-3 once")
		_, err := h.fake.Redeliver(h.ctx, d)
		require.NoError(t, err)
		h.waitFor("the request's message", func(s *slackfake.Server) bool { return len(s.Messages(h.channel)) == 1 })
		reqs, err := h.store.ListRequests(h.ctx, "", 10)
		require.NoError(t, err)
		require.Len(t, reqs, 1, "a retried slash command files one request")

		m := h.fake.Messages(h.channel)[0]
		click := h.click(alice, m, actionApprove)
		_, err = h.fake.Redeliver(h.ctx, click)
		require.NoError(t, err)
		h.threadWith(m, ":unlock:")
		h.bot.Wait()
		reviews, err := h.store.Reviews(h.ctx, reqs[0].ID)
		require.NoError(t, err)
		require.Len(t, reviews, 1)
		require.Equal(t, 1, h.threadCount(m, "approved (1 of 1)"))
	})
}

func TestOwnApproveAndStrangersAreRefused(t *testing.T) {
	t.Parallel()
	both(t, func(t *testing.T, h *e2e) {
		req, m := h.ask("prod-db 1h INC-4 mine")
		h.click(bob, m, actionApprove)
		h.ephemeralFor(bob, "cannot review your own request")
		h.click(eve, m, actionApprove)
		h.ephemeralFor(eve, "Only the resource's reviewers")
		h.bot.Wait()
		require.Equal(t, grants.RequestPending, h.request(req).Status)
		reviews, err := h.store.Reviews(h.ctx, req.ID)
		require.NoError(t, err)
		require.Empty(t, reviews)
		require.True(t, hasAction(h.message(m), actionApprove), "still waiting for a reviewer")
	})
}

func TestConcurrentApprovalsMakeOneGrant(t *testing.T) {
	t.Parallel()
	both(t, func(t *testing.T, h *e2e) {
		req, m := h.ask("prod-db 1h INC-5 race")
		var wg sync.WaitGroup
		for _, r := range reviewers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := h.fake.ClickButton(h.ctx, r, m.Channel, m.TS, actionApprove, "")
				require.NoError(t, err)
			}()
		}
		wg.Wait()
		h.threadWith(m, ":unlock:")
		h.bot.Wait()
		h.waitFor("nine reviewers told they were late", func(s *slackfake.Server) bool {
			n := 0
			for _, r := range reviewers {
				n += len(s.Ephemerals(r))
			}
			return n == len(reviewers)-1
		})
		require.Equal(t, 1, h.threadCount(m, "approved (1 of 1)"), "one approved message")
		require.Equal(t, 1, h.threadCount(m, ":unlock:"), "one grant-started reply")
		grantsNow, err := h.store.ListGrants(h.ctx, true, time.Now(), 10)
		require.NoError(t, err)
		require.Len(t, grantsNow, 1)
		require.Equal(t, req.ID, grantsNow[0].RequestID)
	})
}

func TestUserTextIsShownLiterally(t *testing.T) {
	t.Parallel()
	h := newE2E(t, slackfake.TransportSocket)
	evil := "INC-6 <!channel> <https://evil.example|click> *bold* <@U0ALICE>"
	_, m := h.ask("prod-db 1h " + evil)
	h.click(alice, m, actionDeny)
	h.waitFor("the deny modal", func(s *slackfake.Server) bool { return len(s.Views(alice)) == 1 })
	_, err := h.fake.SubmitView(h.ctx, alice, viewDeny, map[string]map[string]string{inputReason: {inputReason: evil}})
	require.NoError(t, err)
	h.threadWith(m, "denied the request")
	h.waitFor("the DM", func(s *slackfake.Server) bool { return len(s.DMs(bob)) > 0 })

	literal := 0
	for _, c := range append(h.fake.Calls("chat.postMessage"), h.fake.Calls("chat.update")...) {
		require.NotContains(t, c.Param("text"), "<!channel>", "notification text")
		require.NotContains(t, c.Param("text"), "<https://evil")
		var blocks []any
		require.NoError(t, json.Unmarshal([]byte(c.Param("blocks")), &blocks))
		walkText(blocks, func(typ, text string) {
			if typ == "plain_text" {
				if strings.Contains(text, evil) {
					literal++
				}
				return
			}
			require.NotContains(t, text, "<!channel>", "mrkdwn %q", text)
			require.NotContains(t, text, "<https://evil", "mrkdwn %q", text)
			require.NotContains(t, text, "*bold*", "mrkdwn %q", text)
		})
	}
	require.GreaterOrEqual(t, literal, 2, "the reason and the deny reason are shown verbatim as plain text")
}

// walkText calls fn with every text object's type and text in blocks.
func walkText(v any, fn func(typ, text string)) {
	switch x := v.(type) {
	case map[string]any:
		if typ, ok := x["type"].(string); ok && (typ == "mrkdwn" || typ == "plain_text") {
			if text, ok := x["text"].(string); ok {
				fn(typ, text)
			}
		}
		for _, e := range x {
			walkText(e, fn)
		}
	case []any:
		for _, e := range x {
			walkText(e, fn)
		}
	}
}

func TestSlackFailuresAreRetriedAndNothingIsLost(t *testing.T) {
	t.Parallel()
	both(t, func(t *testing.T, h *e2e) {
		h.fake.FailNext("chat.postMessage", 2, slackfake.RateLimited)
		h.fake.FailNext("chat.update", 3, slackfake.ServerError)
		req, m := h.ask("prod-db 1h INC-8 flaky slack")
		h.fake.FailNext("chat.postMessage", 6, slackfake.ServerError)
		h.fake.FailNext("chat.update", 6, slackfake.RateLimited)
		h.click(alice, m, actionApprove)
		h.threadWith(m, ":unlock:")
		h.waitFor("the request message to show the approval", func(s *slackfake.Server) bool {
			got, _ := s.Message(m.Channel, m.TS)
			return !hasAction(got, actionApprove)
		})
		require.Equal(t, grants.RequestApproved, h.request(req).Status)
		failed := 0
		for _, c := range h.fake.Calls("") {
			if c.Error == "ratelimited" || c.Error == "server_error" {
				failed++
			}
		}
		require.Equal(t, 17, failed, "every injected failure was met and retried")
		require.Len(t, h.fake.Messages(h.channel), 1, "no duplicate request message")
	})
}

func TestSlackTimeoutsAreRetried(t *testing.T) {
	t.Parallel()
	h := newE2EWithTimeout(t, slackfake.TransportSocket, 300*time.Millisecond)
	h.fake.FailNext("chat.postMessage", 1, slackfake.Timeout)
	_, m := h.ask("prod-db 1h INC-10 slow slack")
	require.True(t, hasAction(m, actionApprove))
	var timedOut int
	for _, c := range h.fake.Calls("chat.postMessage") {
		if c.Error == "timeout" {
			timedOut++
		}
	}
	require.Equal(t, 1, timedOut)
}

func TestBadRequestsSayWhatToFix(t *testing.T) {
	t.Parallel()
	h := newE2E(t, slackfake.TransportHTTP)
	for text, want := range map[string]string{
		"nope 1h INC-1 x":          `There is no resource &quot;nope&quot;`,
		"prod-db 5h INC-1 x":       "longer than prod-db allows (4h0m0s at most)",
		"prod-db 1h because":       "Reason must match ^INC-[0-9]+",
		"prod-db soon INC-1":       "is not a duration",
		"prod-db 1h --root INC-1":  "Unknown option",
		"prod-db 1h":               "Say why you need access",
		"<!channel> 1h INC-1 spam": "There is no resource &quot;&lt;!channel&gt;&quot;",
	} {
		got := answerText(t, h.command(bob, text))
		require.Contains(t, strings.ReplaceAll(got, `"`, "&quot;"), want, text)
		require.NotContains(t, got, "<!channel>")
	}
	reqs, err := h.store.ListRequests(h.ctx, "", 10)
	require.NoError(t, err)
	require.Empty(t, reqs, "nothing stored")

	h.fake.AddUser(slackfake.User{ID: "U0NOMAIL", Name: "nomail", Email: "nomail@example.com"})
	require.Contains(t, answerText(t, h.command("U0NOMAIL", "prod-db 1h INC-1 x")), "no verified email")
}

func TestRequestModal(t *testing.T) {
	t.Parallel()
	both(t, func(t *testing.T, h *e2e) {
		d := h.command(bob, "")
		require.Empty(t, strings.TrimSpace(string(d.Body)), "an empty ack; the modal opens")
		h.waitFor("the request modal", func(s *slackfake.Server) bool { return len(s.Views(bob)) == 1 })
		values := map[string]map[string]string{
			inputResource: {inputResource: "prod-db"},
			inputAccess:   {inputAccess: "write"},
			inputDuration: {inputDuration: (30 * time.Minute).String()},
			inputReason:   {inputReason: "no ticket"},
		}
		sub, err := h.fake.SubmitView(h.ctx, bob, viewRequest, values)
		require.NoError(t, err)
		require.Contains(t, sub.ViewErrors()[inputReason], "Reason must match", "the error is shown under the field")
		require.Len(t, h.fake.Views(bob), 1, "the modal stays open")

		values[inputReason][inputReason] = "INC-11 via the form"
		sub, err = h.fake.SubmitView(h.ctx, bob, viewRequest, values)
		require.NoError(t, err)
		require.Nil(t, sub.ViewErrors())
		h.waitFor("the request's message", func(s *slackfake.Server) bool { return len(s.Messages(h.channel)) == 1 })
		reqs, err := h.store.ListRequests(h.ctx, "", 10)
		require.NoError(t, err)
		require.Len(t, reqs, 1)
		require.Equal(t, grants.AccessWrite, reqs[0].Access)
		require.Equal(t, 30*time.Minute, reqs[0].Duration)
	})
}

func TestGrantButtonsExtendReleaseRevoke(t *testing.T) {
	t.Parallel()
	both(t, func(t *testing.T, h *e2e) {
		_, m := h.ask("prod-db 1h INC-12 buttons")
		h.click(alice, m, actionApprove)
		controls := h.threadWith(m, actionExtend)
		g, err := h.store.ActiveGrant(h.ctx, email(bob), "prod-db", time.Now())
		require.NoError(t, err)

		h.click(bob, controls, actionExtend)
		h.waitFor("the extend modal", func(s *slackfake.Server) bool { return len(s.Views(bob)) == 1 })
		sub, err := h.fake.SubmitView(h.ctx, bob, viewExtend, map[string]map[string]string{
			inputDuration: {inputDuration: (30 * time.Minute).String()}, inputReason: {inputReason: "migration is slow"}})
		require.NoError(t, err)
		require.Nil(t, sub.ViewErrors())
		h.threadWith(m, "extended the access")
		ext, err := h.store.GetGrant(h.ctx, g.ID)
		require.NoError(t, err)
		require.Equal(t, g.ExpiresAt.Add(30*time.Minute), ext.ExpiresAt)

		h.click(eve, controls, actionRelease)
		h.ephemeralFor(eve, "nothing changed")
		h.click(bob, controls, actionRelease)
		h.threadWith(m, "released the access")
		rel, err := h.store.GetGrant(h.ctx, g.ID)
		require.NoError(t, err)
		require.Equal(t, grants.GrantReleased, rel.Status)
		h.waitFor("the buttons to go", func(s *slackfake.Server) bool {
			got, _ := s.Message(controls.Channel, controls.TS)
			return !hasAction(got, actionExtend)
		})

		// A reviewer revokes another grant, with a reason.
		_, m2 := h.ask("prod-db 1h INC-13 again")
		h.click(alice, m2, actionApprove)
		controls2 := h.threadWith(m2, actionRevoke)
		h.click(carol, controls2, actionRevoke)
		h.waitFor("the revoke modal", func(s *slackfake.Server) bool { return len(s.Views(carol)) == 1 })
		_, err = h.fake.SubmitView(h.ctx, carol, viewRevoke, map[string]map[string]string{inputReason: {inputReason: "incident over"}})
		require.NoError(t, err)
		h.threadWith(m2, "revoked the access")
		_, err = h.store.ActiveGrant(h.ctx, email(bob), "prod-db", time.Now())
		require.ErrorIs(t, err, grants.ErrNotFound)
	})
}

func TestHeldStatementIsDecidedInTheThread(t *testing.T) {
	t.Parallel()
	both(t, func(t *testing.T, h *e2e) {
		_, m := h.ask("prod-db 1h INC-14 migration")
		h.click(alice, m, actionApprove)
		h.threadWith(m, ":unlock:")
		g, err := h.store.ActiveGrant(h.ctx, email(bob), "prod-db", time.Now())
		require.NoError(t, err)
		sess, err := h.store.StartSession(h.ctx, g.ID, "postgres", "127.0.0.1:1", time.Now())
		require.NoError(t, err)

		for _, tc := range []struct {
			button string
			want   bool
		}{{actionStatementDeny, false}, {actionStatementApprove, true}} {
			answer := holdStatement(t, h, g.ID, sess.ID, "DROP TABLE users_"+tc.button)
			held := h.threadWith(m, "DROP TABLE users_"+tc.button)
			require.True(t, hasAction(held, actionStatementApprove))
			h.click(bob, held, actionStatementApprove)
			h.ephemeralFor(bob, "cannot review your own request")
			h.click(carol, held, tc.button)
			require.Equal(t, tc.want, <-answer)
			h.waitFor("the statement message to lose its buttons", func(s *slackfake.Server) bool {
				got, _ := s.Message(held.Channel, held.TS)
				return !hasAction(got, actionStatementApprove)
			})
		}
	})
}

// holdStatement asks reviewers about a statement as the gateway would, and
// delivers their answer.
func holdStatement(t *testing.T, h *e2e, grantID, sessionID uuid.UUID, stmt string) <-chan bool {
	t.Helper()
	st := broker.NewStatements(h.store, time.Now, h.bot.log)
	st.Poll = 20 * time.Millisecond
	out := make(chan bool, 1)
	go func() {
		ctx, cancel := context.WithTimeout(h.ctx, time.Minute)
		defer cancel()
		ok, err := st.ReviewStatement(ctx, broker.HeldStatement{GrantID: grantID, SessionID: sessionID, Statement: stmt, Reasons: []string{"DROP TABLE"}})
		if err != nil {
			t.Errorf("review statement: %v", err)
		}
		out <- ok
	}()
	return out
}

func TestIdentityIsBoundToTheSlackAccount(t *testing.T) {
	t.Parallel()
	h := newE2E(t, slackfake.TransportSocket)
	req, m := h.ask("two-man 1h carol tries twice")
	h.click(carol, m, actionApprove)
	h.threadWith(m, "approved (1 of 2)")

	// carol changes her Slack email and, once the bot's cache is stale,
	// tries to approve again as a second reviewer.
	h.fake.AddUser(slackfake.User{ID: carol, Name: "carol", Email: "carol+1@example.com", EmailVerified: true})
	h.bot.people.users = newTTLCache[string, grants.Identity](h.bot.cfg.Now)
	h.click(carol, m, actionApprove)
	h.ephemeralFor(carol, "another email than the one jitgate knows your account by")
	h.bot.Wait()
	reviews, err := h.store.Reviews(h.ctx, req.ID)
	require.NoError(t, err)
	require.Len(t, reviews, 1, "one person, one review")
	require.Equal(t, grants.RequestPending, h.request(req).Status)

	// A member of another workspace in a shared channel is nobody here.
	h.fake.AddUser(slackfake.User{ID: "U0GUEST", Name: "guest", Email: "alice2@example.com", EmailVerified: true, TeamID: "T0OTHER"})
	h.click("U0GUEST", m, actionApprove)
	h.ephemeralFor("U0GUEST", "Only members of this workspace")
}

func TestSlowModalSubmissionsStillApply(t *testing.T) {
	t.Parallel()
	both(t, func(t *testing.T, h *e2e) {
		_, m := h.ask("prod-db 1h INC-15 slow slack")
		h.click(alice, m, actionApprove)
		controls := h.threadWith(m, actionRevoke)

		// Three rate-limited lookups of who submitted: the ack goes out
		// empty (the modal closes) before the revoke is decided.
		h.click(carol, controls, actionRevoke)
		h.waitFor("the revoke modal", func(s *slackfake.Server) bool { return len(s.Views(carol)) == 1 })
		h.fake.FailNext("users.info", 3, slackfake.RateLimited)
		d, err := h.fake.SubmitView(h.ctx, carol, viewRevoke, map[string]map[string]string{inputReason: {inputReason: "slow but sure"}})
		require.NoError(t, err)
		require.Nil(t, d.ViewErrors())
		h.threadWith(m, "revoked the access")

		// A late refusal is told by DM, since the modal is gone.
		_, m2 := h.ask("prod-db 1h INC-16 again")
		h.click(alice, m2, actionApprove)
		controls2 := h.threadWith(m2, actionRevoke)
		h.click(eve, controls2, actionRevoke)
		h.waitFor("the revoke modal", func(s *slackfake.Server) bool { return len(s.Views(eve)) == 1 })
		h.fake.FailNext("users.info", 3, slackfake.RateLimited)
		_, err = h.fake.SubmitView(h.ctx, eve, viewRevoke, map[string]map[string]string{inputReason: {inputReason: "not mine to revoke"}})
		require.NoError(t, err)
		h.waitFor("the late refusal", func(s *slackfake.Server) bool {
			for _, dm := range s.DMs(eve) {
				if strings.Contains(dm.Text, "Your form was not applied") {
					return true
				}
			}
			return false
		})
		_, err = h.store.ActiveGrant(h.ctx, email(bob), "prod-db", time.Now())
		require.NoError(t, err, "eve revoked nothing")
	})
}

func TestDeliveriesWithoutATriggerAreRefused(t *testing.T) {
	t.Parallel()
	h := newE2E(t, slackfake.TransportHTTP)
	cmd := slack.SlashCommand{UserID: bob, ChannelID: h.channel, Command: "/access", Text: "prod-db 1h INC-17 no trigger"}
	got := h.bot.command(h.ctx, cmd)
	require.Contains(t, got.(*commandAnswer).Text, "without the ID jitgate tells repeated deliveries apart by")
	again := h.bot.command(h.ctx, cmd)
	require.Contains(t, again.(*commandAnswer).Text, "without the ID", "and the next one is not mistaken for a repeat")
	reqs, err := h.store.ListRequests(h.ctx, "", 10)
	require.NoError(t, err)
	require.Empty(t, reqs)
}

func TestDeletedRequestMessageIsPostedAgain(t *testing.T) {
	t.Parallel()
	h := newE2E(t, slackfake.TransportSocket)
	req, m := h.ask("prod-db 1h INC-18 someone tidies the channel")
	_, _, err := h.bot.cfg.API.DeleteMessageContext(h.ctx, m.Channel, m.TS)
	require.NoError(t, err)
	require.Empty(t, h.fake.Messages(h.channel))

	_, err = h.store.Review(h.ctx, req.ID, grants.Identity{Email: email(alice)}, grants.Approve, "", time.Now())
	require.NoError(t, err)
	h.waitFor("the request message again", func(s *slackfake.Server) bool { return len(s.Messages(h.channel)) == 1 })
	again := h.fake.Messages(h.channel)[0]
	require.NotEqual(t, m.TS, again.TS)
	require.Contains(t, blocksText(again), "Approved by <@"+alice+">")
	h.threadWith(again, ":unlock:")
}
