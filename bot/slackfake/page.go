package slackfake

import (
	"context"
	_ "embed"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

//go:embed page.html
var pageHTML string

// servePage serves the demo page: one self-contained HTML file whose script
// renders /state.json with DOM text nodes only. The CSP lets no other script
// run and nothing load from elsewhere, as a second line behind the escaping.
func (s *Server) servePage(w http.ResponseWriter, r *http.Request) {
	nonce := randomHex(16)
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'nonce-"+nonce+"'; style-src 'nonce-"+nonce+"'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	_, _ = strings.NewReplacer("{{NONCE}}", nonce).WriteString(w, pageHTML)
}

// pageState is what the page renders.
type pageState struct {
	Version  uint64        `json:"version"`
	Bot      string        `json:"bot"`
	Users    []pageUser    `json:"users"`
	Channels []pageChannel `json:"channels"`
	Views    []pageView    `json:"views"`
}

type pageUser struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	IsBot bool   `json:"isBot"`
}

type pageChannel struct {
	ID       string        `json:"id"`
	Name     string        `json:"name"`
	IsIM     bool          `json:"isIM"`
	User     string        `json:"user,omitempty"`
	Messages []pageMessage `json:"messages"`
}

type pageMessage struct {
	TS        string          `json:"ts"`
	User      string          `json:"user"`
	Text      string          `json:"text"`
	Blocks    json.RawMessage `json:"blocks,omitempty"`
	Ephemeral string          `json:"ephemeral,omitempty"`
	Edited    bool            `json:"edited"`
	Replies   []pageMessage   `json:"replies,omitempty"`
}

type pageView struct {
	ID     string            `json:"id"`
	User   string            `json:"user"`
	Hash   string            `json:"hash"`
	View   json.RawMessage   `json:"view"`
	Errors map[string]string `json:"errors,omitempty"`
}

// serveState answers the page's long poll: with ?since=N it waits up to
// 25 seconds for the state to move past version N.
func (s *Server) serveState(w http.ResponseWriter, r *http.Request) {
	if since, err := strconv.ParseUint(r.URL.Query().Get("since"), 10, 64); err == nil {
		ctx, cancel := context.WithTimeout(r.Context(), 25*time.Second)
		s.waitVersion(ctx, since)
		cancel()
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(s.pageState())
}

func (s *Server) pageState() pageState {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := pageState{Version: s.version, Bot: s.cfg.BotUserID, Users: []pageUser{}, Channels: []pageChannel{}, Views: []pageView{}}
	for _, u := range s.users {
		st.Users = append(st.Users, pageUser{ID: u.ID, Name: u.Name, IsBot: u.IsBot})
	}
	for _, c := range s.channels {
		st.Channels = append(st.Channels, pageChannel{ID: c.ID, Name: c.Name, IsIM: c.IsIM, User: c.User, Messages: s.pageMessagesLocked(c.ID)})
	}
	for _, v := range s.views {
		if v.Open {
			st.Views = append(st.Views, pageView{ID: v.ID, User: v.User, Hash: v.Hash, View: v.JSON, Errors: v.Errors})
		}
	}
	return st
}

// pageMessagesLocked lists a channel's top-level messages with their replies.
func (s *Server) pageMessagesLocked(channel string) []pageMessage {
	out := []pageMessage{}
	index := map[string]int{}
	for _, m := range s.messages {
		if m.Channel != channel || m.Deleted {
			continue
		}
		pm := pageMessage{TS: m.TS, User: m.User, Text: m.Text, Blocks: m.Blocks, Ephemeral: m.Ephemeral, Edited: len(m.Edits) > 0}
		if i, ok := index[m.ThreadTS]; ok && m.ThreadTS != m.TS {
			out[i].Replies = append(out[i].Replies, pm)
			continue
		}
		index[m.TS] = len(out)
		out = append(out, pm)
	}
	return out
}

// uiRequest is what the page posts to /ui/{action}.
type uiRequest struct {
	User     string                       `json:"user"`
	Channel  string                       `json:"channel"`
	TS       string                       `json:"ts"`
	ActionID string                       `json:"action_id"`
	Value    string                       `json:"value"`
	Line     string                       `json:"line"`
	ViewID   string                       `json:"view_id"`
	Values   map[string]map[string]string `json:"values"`
}

// serveUI turns the page's clicks, commands and modal submissions into
// deliveries to the bot. It takes JSON only, from this origin only, so
// another site cannot make the page's user click.
func (s *Server) serveUI(w http.ResponseWriter, r *http.Request) {
	if !sameOrigin(r) || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		http.Error(w, "forbidden", http.StatusForbidden)
		return
	}
	var req uiRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody)).Decode(&req); err != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	var (
		d   *Delivery
		err error
	)
	ctx := r.Context()
	switch r.PathValue("action") {
	case "click":
		d, err = s.ClickButton(ctx, req.User, req.Channel, req.TS, req.ActionID, req.Value)
	case "command":
		command, text := SlashCommandLine(req.Line)
		d, err = s.SlashCommand(ctx, req.User, req.Channel, command, text)
	case "submit":
		d, err = s.SubmitView(ctx, req.User, req.ViewID, req.Values)
	case "close":
		err = s.CloseView(ctx, req.User, req.ViewID)
	default:
		http.NotFound(w, r)
		return
	}
	out := map[string]any{"ok": err == nil}
	switch {
	case err != nil:
		out["error"] = err.Error()
	case d != nil && d.StatusCode != 0 && d.StatusCode != http.StatusOK:
		out["ok"], out["error"] = false, "the bot answered HTTP "+strconv.Itoa(d.StatusCode)
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(out)
}

func sameOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	return err == nil && u.Host == r.Host
}
