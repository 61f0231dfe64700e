package slackfake

import (
	"context"
	"encoding/json"
	"fmt"
)

// SubmitView delivers a view_submission: user pressed Submit on their open
// view whose ID or callback_id is view. values gives what they entered, by
// block_id then action_id: the text of a text input, or the value of the
// chosen option of a select or radio buttons. Inputs left out are submitted
// empty. The bot's answer is applied as Slack would: none closes the view,
// response_action "errors" keeps it open with View.Errors set (see also
// Delivery.ViewErrors), "update", "push" and "clear" do what they say.
func (s *Server) SubmitView(ctx context.Context, user, view string, values map[string]map[string]string, opts ...DeliveryOption) (*Delivery, error) {
	s.mu.Lock()
	u := s.user(user)
	var v *View
	for _, x := range s.openViewsLocked(user) {
		if x.ID == view || x.CallbackID == view {
			v = x
		}
	}
	if u == nil || v == nil {
		s.mu.Unlock()
		return nil, fmt.Errorf("slackfake: submit: no open view %q for user %q", view, user)
	}
	state, err := viewState(v, values)
	if err != nil {
		s.mu.Unlock()
		return nil, err
	}
	d := &Delivery{Type: "interactive", user: u.ID, viewID: v.ID}
	d.TriggerID = s.newTriggerLocked(u.ID)
	viewJSON := s.viewJSON(v, state)
	userRef := s.userRef(u)
	s.mu.Unlock()

	return s.interactive(ctx, d, map[string]any{
		"type":          "view_submission",
		"user":          userRef,
		"trigger_id":    d.TriggerID,
		"view":          viewJSON,
		"response_urls": []any{},
	}, opts)
}

// viewState builds state.values for every input block of the view.
func viewState(v *View, values map[string]map[string]string) (map[string]any, error) {
	var view struct {
		Blocks json.RawMessage `json:"blocks"`
	}
	_ = json.Unmarshal(v.JSON, &view)
	out := map[string]any{}
	inputs := map[string]string{} // block_id → action_id
	for _, b := range parseBlockList(view.Blocks) {
		if b.Type != "input" || b.Element == nil {
			continue
		}
		actionID, _ := b.Element["action_id"].(string)
		inputs[b.BlockID] = actionID
		out[b.BlockID] = map[string]any{actionID: actionValue(b.Element, values[b.BlockID][actionID])}
	}
	for blockID, actions := range values {
		for actionID := range actions {
			if inputs[blockID] != actionID {
				return nil, fmt.Errorf("slackfake: submit: view %s has no input %s/%s", v.ID, blockID, actionID)
			}
		}
	}
	return map[string]any{"values": out}, nil
}

// CloseView closes the user's view as its Cancel button would, sending
// view_closed to the bot when the view asked for notify_on_close.
func (s *Server) CloseView(ctx context.Context, user, viewID string) error {
	s.mu.Lock()
	v := s.view(viewID)
	u := s.user(user)
	if v == nil || !v.Open || v.User != user || u == nil {
		s.mu.Unlock()
		return fmt.Errorf("slackfake: close: no open view %q for user %q", viewID, user)
	}
	var notify struct {
		NotifyOnClose bool `json:"notify_on_close"`
	}
	_ = json.Unmarshal(v.JSON, &notify)
	v.Open = false
	s.changedLocked()
	viewJSON, userRef := s.viewJSON(v, nil), s.userRef(u)
	s.mu.Unlock()
	if !notify.NotifyOnClose {
		return nil
	}
	d := &Delivery{Type: "interactive", user: user}
	_, err := s.interactive(ctx, d, map[string]any{
		"type": "view_closed", "user": userRef, "view": viewJSON, "is_cleared": false,
	}, nil)
	return err
}
