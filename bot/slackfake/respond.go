package slackfake

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
)

// responseTarget is what a response_url answers into.
type responseTarget struct {
	user, channel, messageTS string
	uses                     int
}

// maxResponseUses is how often Slack lets an app use one response_url.
const maxResponseUses = 5

func (s *Server) newResponseURLLocked(t *responseTarget) string {
	id := randomHex(12)
	s.responses[id] = t
	return s.url + "/response/" + id
}

// answer is a message the bot sends back through a response_url or in the
// body of its ack: the fields Slack reads.
type answer struct {
	Text            string          `json:"text"`
	Blocks          json.RawMessage `json:"blocks"`
	ResponseType    string          `json:"response_type"`
	ReplaceOriginal bool            `json:"replace_original"`
	DeleteOriginal  bool            `json:"delete_original"`
	ThreadTS        string          `json:"thread_ts"`
}

// serveResponseURL takes a post to a response_url, records it as a call of
// method "response_url" (Params["url"] is the URL) and shows it.
func (s *Server) serveResponseURL(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		http.Error(w, "read body", http.StatusBadRequest)
		return
	}
	params, _ := parseParams(r, body)
	params["url"] = s.url + r.URL.Path
	call := Call{Method: "response_url", Params: params, Body: body, Time: s.cfg.Now(), Status: http.StatusOK}

	var a answer
	code := ""
	s.mu.Lock()
	t := s.responses[r.PathValue("id")]
	switch {
	case t == nil:
		code = "expired_url"
	case t.uses >= maxResponseUses:
		code = "used_url"
	case json.Unmarshal(body, &a) != nil:
		code = "invalid_payload"
	default:
		t.uses++
		s.showAnswerLocked(t, a)
	}
	s.mu.Unlock()

	if code == "expired_url" || code == "used_url" {
		call.Status = http.StatusNotFound
	}
	call.Error = code
	s.recordCall(call)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(call.Status)
	if code != "" {
		_ = json.NewEncoder(w).Encode(map[string]any{"ok": false, "error": code})
		return
	}
	_, _ = io.WriteString(w, `{"ok":true}`)
}

// showAnswerLocked applies a response_url post or an ack's message the way
// Slack shows it.
func (s *Server) showAnswerLocked(t *responseTarget, a answer) {
	blocks, _ := parseBlocks(string(a.Blocks))
	orig := s.message(t.channel, t.messageTS)
	switch {
	case a.DeleteOriginal && orig != nil:
		orig.Deleted = true
		s.changedLocked()
	case a.ReplaceOriginal && orig != nil:
		s.replaceLocked(orig, a.Text, blocks, blocks != nil)
	case a.Text == "" && blocks == nil:
	case a.ResponseType == "in_channel":
		m := s.newMessageLocked(t.channel, a.Text, blocks)
		m.ThreadTS = a.ThreadTS
	default:
		m := s.newMessageLocked(t.channel, a.Text, blocks)
		m.Ephemeral, m.ThreadTS = t.user, a.ThreadTS
	}
}

// applyAnswer shows what the bot answered a delivery with: a slash command's
// message, or a view submission's response_action.
func (s *Server) applyAnswer(d *Delivery) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case d.viewID != "":
		s.applyViewAnswerLocked(d)
	case d.Type == "slash_commands" && len(d.Body) > 0:
		var a answer
		if json.Unmarshal(d.Body, &a) != nil {
			a = answer{Text: strings.TrimSpace(string(d.Body))}
		}
		a.ReplaceOriginal, a.DeleteOriginal = false, false
		s.showAnswerLocked(&responseTarget{user: d.user, channel: d.channel}, a)
	}
}

func (s *Server) applyViewAnswerLocked(d *Delivery) {
	v := s.view(d.viewID)
	if v == nil || !v.Open {
		return
	}
	var resp struct {
		ResponseAction string            `json:"response_action"`
		Errors         map[string]string `json:"errors"`
		View           json.RawMessage   `json:"view"`
	}
	_ = json.Unmarshal(d.Body, &resp)
	switch resp.ResponseAction {
	case "errors":
		v.Errors = resp.Errors
		s.changedLocked()
	case "update":
		if raw, req, ok := parseView(string(resp.View)); ok {
			s.setViewLocked(v, raw, req)
		}
	case "push":
		if raw, req, ok := parseView(string(resp.View)); ok {
			nv := &View{ID: s.nextID("V"), User: v.User, Open: true, RootViewID: v.RootViewID, PreviousViewID: v.ID}
			s.setViewLocked(nv, raw, req)
			s.views = append(s.views, nv)
		}
	case "clear":
		for _, x := range s.openViewsLocked(v.User) {
			x.Open = false
		}
		s.changedLocked()
	default:
		v.Open = false
		s.changedLocked()
	}
}
