package slackfake

import (
	"encoding/json"
	"time"
)

// trigger is a trigger_id handed to the bot with a delivery; it opens one
// view within TriggerTTL.
type trigger struct {
	user    string
	expires time.Time
	used    bool
}

func (s *Server) newTriggerLocked(user string) string {
	id := s.nextID("") + "." + randomHex(8)
	s.triggers[id] = &trigger{user: user, expires: s.cfg.Now().Add(s.cfg.TriggerTTL)}
	return id
}

// useTriggerLocked spends a trigger_id and returns its user.
func (s *Server) useTriggerLocked(id string) (string, string) {
	t := s.triggers[id]
	switch {
	case t == nil:
		return "", "invalid_trigger_id"
	case t.used:
		return "", "exchanged_trigger_id"
	case s.cfg.Now().After(t.expires):
		return "", "expired_trigger_id"
	}
	t.used = true
	return t.user, ""
}

// viewRequest is the part of a view object the fake reads.
type viewRequest struct {
	Type            string `json:"type"`
	CallbackID      string `json:"callback_id"`
	ExternalID      string `json:"external_id"`
	PrivateMetadata string `json:"private_metadata"`
}

func parseView(raw string) (json.RawMessage, viewRequest, bool) {
	var v viewRequest
	if raw == "" || json.Unmarshal([]byte(raw), &v) != nil || v.Type != "modal" {
		return nil, v, false
	}
	return json.RawMessage(raw), v, true
}

func (s *Server) setViewLocked(v *View, raw json.RawMessage, req viewRequest) {
	v.JSON = raw
	v.CallbackID = req.CallbackID
	v.ExternalID = req.ExternalID
	v.PrivateMetadata = req.PrivateMetadata
	v.Hash = s.nextID("") + "." + randomHex(4)
	v.Errors = nil
	s.changedLocked()
}

// viewJSON is a view as Slack hands it back: the bot's view plus the fields
// Slack adds.
func (s *Server) viewJSON(v *View, state any) map[string]any {
	out := map[string]any{}
	var fields map[string]json.RawMessage
	_ = json.Unmarshal(v.JSON, &fields)
	for k, f := range fields {
		out[k] = f
	}
	if state == nil {
		state = map[string]any{"values": map[string]any{}}
	}
	for k, f := range map[string]any{
		"id": v.ID, "team_id": s.cfg.TeamID, "app_id": s.cfg.AppID, "bot_id": s.cfg.BotID,
		"hash": v.Hash, "root_view_id": v.RootViewID, "previous_view_id": nilIfEmpty(v.PreviousViewID),
		"callback_id": v.CallbackID, "external_id": v.ExternalID, "private_metadata": v.PrivateMetadata,
		"state": state,
	} {
		out[k] = f
	}
	return out
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func (s *Server) viewsOpen(r *apiRequest) (result, string) {
	raw, req, ok := parseView(r.param("view"))
	if !ok {
		return nil, "invalid_arguments"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	user, code := s.useTriggerLocked(r.param("trigger_id"))
	if code != "" {
		return nil, code
	}
	for _, old := range s.openViewsLocked(user) {
		old.Open = false
	}
	v := &View{ID: s.nextID("V"), User: user, Open: true}
	v.RootViewID = v.ID
	s.setViewLocked(v, raw, req)
	s.views = append(s.views, v)
	return result{"view": s.viewJSON(v, nil)}, ""
}

// maxViewStack is Slack's limit of stacked modals.
const maxViewStack = 3

func (s *Server) viewsPush(r *apiRequest) (result, string) {
	raw, req, ok := parseView(r.param("view"))
	if !ok {
		return nil, "invalid_arguments"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	user, code := s.useTriggerLocked(r.param("trigger_id"))
	if code != "" {
		return nil, code
	}
	stack := s.openViewsLocked(user)
	if len(stack) >= maxViewStack {
		return nil, "push_limit_reached"
	}
	v := &View{ID: s.nextID("V"), User: user, Open: true}
	v.RootViewID = v.ID
	if len(stack) > 0 {
		v.RootViewID, v.PreviousViewID = stack[0].ID, stack[len(stack)-1].ID
	}
	s.setViewLocked(v, raw, req)
	s.views = append(s.views, v)
	return result{"view": s.viewJSON(v, nil)}, ""
}

func (s *Server) viewsUpdate(r *apiRequest) (result, string) {
	raw, req, ok := parseView(r.param("view"))
	if !ok {
		return nil, "invalid_arguments"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var v *View
	for _, x := range s.views {
		if x.Open && ((r.param("view_id") != "" && x.ID == r.param("view_id")) ||
			(r.param("external_id") != "" && x.ExternalID == r.param("external_id"))) {
			v = x
		}
	}
	switch {
	case v == nil:
		return nil, "not_found"
	case r.param("hash") != "" && r.param("hash") != v.Hash:
		return nil, "hash_conflict"
	}
	if req.ExternalID == "" {
		req.ExternalID = v.ExternalID
	}
	s.setViewLocked(v, raw, req)
	return result{"view": s.viewJSON(v, nil)}, ""
}
