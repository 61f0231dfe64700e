package slackfake

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
)

// ClickButton delivers a block_actions interaction: user clicked the element
// with actionID in the message channel/messageTS (ephemeral messages too).
// value "" sends the button's own value; any other value is sent as given, so
// tests can forge clicks. A button that an update removed can still be
// clicked, as from a stale client.
func (s *Server) ClickButton(ctx context.Context, user, channel, messageTS, actionID, value string, opts ...DeliveryOption) (*Delivery, error) {
	s.mu.Lock()
	u, c := s.user(user), s.channel(channel)
	var m *Message
	if c != nil {
		m = s.message(c.ID, messageTS)
	}
	if u == nil || m == nil || m.Deleted {
		s.mu.Unlock()
		return nil, fmt.Errorf("slackfake: click: no user %q or message %s in %q", user, messageTS, channel)
	}
	blockID, el, ok := findAction(m, actionID)
	if !ok {
		s.mu.Unlock()
		return nil, fmt.Errorf("slackfake: click: no element %q in message %s", actionID, messageTS)
	}
	d := &Delivery{Type: "interactive", user: u.ID, channel: c.ID, messageTS: m.TS}
	d.TriggerID = s.newTriggerLocked(u.ID)
	d.ResponseURL = s.newResponseURLLocked(&responseTarget{user: u.ID, channel: c.ID, messageTS: m.TS})
	actionTS := s.nextTSLocked()
	msg := messageJSON(m)
	channelName := c.Name
	if c.IsIM {
		channelName = "directmessage"
	}
	userRef := s.userRef(u)
	s.mu.Unlock()

	action := actionValue(el, value)
	action["block_id"], action["action_id"], action["action_ts"] = blockID, actionID, actionTS
	if text, ok := el["text"]; ok {
		action["text"] = text
	}
	if style, ok := el["style"]; ok {
		action["style"] = style
	}
	container := map[string]any{"type": "message", "message_ts": m.TS, "channel_id": c.ID, "is_ephemeral": m.Ephemeral != ""}
	if m.ThreadTS != "" {
		container["thread_ts"] = m.ThreadTS
	}
	return s.interactive(ctx, d, map[string]any{
		"type":         "block_actions",
		"user":         userRef,
		"container":    container,
		"trigger_id":   d.TriggerID,
		"channel":      map[string]any{"id": c.ID, "name": channelName},
		"message":      msg,
		"state":        map[string]any{"values": map[string]any{}},
		"response_url": d.ResponseURL,
		"actions":      []any{action},
	}, opts)
}

// block is the part of a Block Kit block the fake reads.
type block struct {
	Type      string           `json:"type"`
	BlockID   string           `json:"block_id"`
	Elements  []map[string]any `json:"elements"`
	Accessory map[string]any   `json:"accessory"`
	Element   map[string]any   `json:"element"`
}

func parseBlockList(raw json.RawMessage) []block {
	var blocks []block
	_ = json.Unmarshal(raw, &blocks)
	for i := range blocks {
		if blocks[i].BlockID == "" {
			// Slack gives every block an ID; a stable one will do.
			blocks[i].BlockID = "b" + strconv.Itoa(i)
		}
	}
	return blocks
}

// interactiveElements lists a block's elements that can carry an action.
func (b block) interactiveElements() []map[string]any {
	els := append([]map[string]any{}, b.Elements...)
	if b.Accessory != nil {
		els = append(els, b.Accessory)
	}
	if b.Element != nil {
		els = append(els, b.Element)
	}
	return els
}

// findAction finds actionID in the message's blocks, then in its earlier
// versions, newest first.
func findAction(m *Message, actionID string) (string, map[string]any, bool) {
	versions := []json.RawMessage{m.Blocks}
	for i := len(m.Edits) - 1; i >= 0; i-- {
		versions = append(versions, m.Edits[i].Blocks)
	}
	for _, raw := range versions {
		for _, b := range parseBlockList(raw) {
			for _, el := range b.interactiveElements() {
				if el["action_id"] == actionID {
					return b.BlockID, el, true
				}
			}
		}
	}
	return "", nil, false
}

// actionValue is an element's value as an interaction payload carries it:
// value for buttons and text inputs, selected_option for selects and radio
// buttons, and so on.
func actionValue(el map[string]any, value string) map[string]any {
	typ, _ := el["type"].(string)
	out := map[string]any{"type": typ}
	switch typ {
	case "static_select", "radio_buttons", "overflow", "external_select":
		out["selected_option"] = findOption(el, value)
	case "checkboxes", "multi_static_select":
		opts := []any{}
		if o := findOption(el, value); o != nil {
			opts = append(opts, o)
		}
		out["selected_options"] = opts
	case "users_select":
		out["selected_user"] = nilIfEmpty(value)
	case "conversations_select":
		out["selected_conversation"] = nilIfEmpty(value)
	case "channels_select":
		out["selected_channel"] = nilIfEmpty(value)
	case "datepicker":
		out["selected_date"] = nilIfEmpty(value)
	case "button":
		if value == "" {
			value, _ = el["value"].(string)
		}
		out["value"] = value
	default: // plain_text_input, number_input, email_text_input, url_text_input
		out["value"] = nilIfEmpty(value)
	}
	return out
}

// findOption returns the option with value among an element's options and
// option groups: nil for "", and one made up from value when no option has
// it (a forged selection).
func findOption(el map[string]any, value string) any {
	if value == "" {
		return nil
	}
	var options []any
	if opts, ok := el["options"].([]any); ok {
		options = opts
	}
	if groups, ok := el["option_groups"].([]any); ok {
		for _, g := range groups {
			if gm, ok := g.(map[string]any); ok {
				if opts, ok := gm["options"].([]any); ok {
					options = append(options, opts...)
				}
			}
		}
	}
	for _, o := range options {
		if om, ok := o.(map[string]any); ok && om["value"] == value {
			return om
		}
	}
	return map[string]any{"value": value, "text": map[string]any{"type": "plain_text", "text": value}}
}
