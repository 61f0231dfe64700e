package slackfake

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
	"github.com/stretchr/testify/require"
)

const evil = `<script>alert(1)</script>`

func get(t *testing.T, url string) (*http.Response, string) {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(body)
}

func TestPageEscapesMessageText(t *testing.T) {
	t.Parallel()
	s, api := workspace(t)
	_, _, err := api.PostMessage("C0REVIEW", slack.MsgOptionText(evil, false),
		slack.MsgOptionBlocks(slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, evil, false, false), nil, nil)))
	require.NoError(t, err)

	resp, page := get(t, s.URL()+"/")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, resp.Header.Get("Content-Type"), "text/html")
	has := func(sub string) bool { return strings.Contains(page, sub) }
	require.False(t, has("alert(1)"), "message text never reaches the HTML")
	require.Equal(t, 1, strings.Count(page, "<script"), "only the page's own script")
	for _, sink := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"} {
		require.False(t, has(sink), "the page inserts text with text nodes and textContent only, not %s", sink)
	}
	require.False(t, regexp.MustCompile(`(src|href)="?https?:`).MatchString(page), "no external assets")
	require.True(t, has(".textContent") || has("createTextNode"))

	csp := resp.Header.Get("Content-Security-Policy")
	nonce := regexp.MustCompile(`'nonce-([0-9a-f]+)'`).FindStringSubmatch(csp)
	require.NotNil(t, nonce, csp)
	require.True(t, has(`<script nonce="`+nonce[1]+`">`))

	resp, body := get(t, s.URL()+"/state.json")
	require.Contains(t, resp.Header.Get("Content-Type"), "application/json")
	require.NotContains(t, body, "<script>", "JSON escapes < and >")
	var st pageState
	require.NoError(t, json.Unmarshal([]byte(body), &st))
	var review *pageChannel
	for i := range st.Channels {
		if st.Channels[i].ID == "C0REVIEW" {
			review = &st.Channels[i]
		}
	}
	require.NotNil(t, review)
	require.Equal(t, evil, review.Messages[0].Text, "state.json carries the text as data")
}

func TestStateLongPoll(t *testing.T) {
	t.Parallel()
	s, api := workspace(t)
	_, body := get(t, s.URL()+"/state.json")
	var st pageState
	require.NoError(t, json.Unmarshal([]byte(body), &st))

	done := make(chan pageState, 1)
	go func() {
		resp, err := http.Get(s.URL() + "/state.json?since=" + jsonNumber(st.Version))
		if err != nil {
			close(done)
			return
		}
		defer resp.Body.Close()
		var next pageState
		_ = json.NewDecoder(resp.Body).Decode(&next)
		done <- next
	}()
	_, _, err := api.PostMessage("C0REVIEW", slack.MsgOptionText("news", false))
	require.NoError(t, err)
	select {
	case next := <-done:
		require.Greater(t, next.Version, st.Version)
	case <-time.After(10 * time.Second):
		t.Fatal("long poll did not return after a change")
	}
}

func jsonNumber(v uint64) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestPageDeliversClicksAndCommands(t *testing.T) {
	t.Parallel()
	s, api := workspace(t)
	commands := make(chan slack.SlashCommand, 1)
	clicks := make(chan slack.InteractionCallback, 1)
	socketBot(t, s, func(c *socketmode.Client, evt socketmode.Event) {
		switch evt.Type {
		case socketmode.EventTypeSlashCommand:
			_ = c.Ack(*evt.Request)
			commands <- evt.Data.(slack.SlashCommand)
		case socketmode.EventTypeInteractive:
			_ = c.Ack(*evt.Request)
			clicks <- evt.Data.(slack.InteractionCallback)
		}
	})
	_, ts, err := api.PostMessage("C0REVIEW", slack.MsgOptionBlocks(slack.NewActionBlock("review",
		slack.NewButtonBlockElement("approve", "req-1", slack.NewTextBlockObject(slack.PlainTextType, "Approve", false, false)))))
	require.NoError(t, err)

	ui := func(action, body string, header http.Header) (int, map[string]any) {
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, s.URL()+"/ui/"+action, strings.NewReader(body))
		req.Header = header
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	jsonHeader := http.Header{"Content-Type": {"application/json"}}

	code, out := ui("command", `{"user":"U1ALICE","channel":"C0REVIEW","line":"/access prod-db 2h INC-1"}`, jsonHeader)
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, true, out["ok"], out)
	cmd := <-commands
	require.Equal(t, "/access", cmd.Command)
	require.Equal(t, "prod-db 2h INC-1", cmd.Text)

	code, out = ui("click", `{"user":"U2BOB","channel":"C0REVIEW","ts":"`+ts+`","action_id":"approve"}`, jsonHeader)
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, true, out["ok"], out)
	cb := <-clicks
	require.Equal(t, "U2BOB", cb.User.ID)
	require.Equal(t, "req-1", cb.ActionCallback.BlockActions[0].Value)

	// A form post from another site cannot click for the page's user.
	code, _ = ui("click", `{}`, http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
	require.Equal(t, http.StatusForbidden, code)
	code, _ = ui("click", `{}`, http.Header{"Content-Type": {"application/json"}, "Origin": {"https://evil.example"}})
	require.Equal(t, http.StatusForbidden, code)
}
