package slackfake

import (
	"encoding/json"
	"strings"
)

// parseBlocks checks the blocks parameter is a JSON array; "" means none.
func parseBlocks(raw string) (json.RawMessage, bool) {
	raw = strings.TrimSpace(raw)
	if raw == "" || raw == "null" {
		return nil, true
	}
	var arr []json.RawMessage
	if err := json.Unmarshal([]byte(raw), &arr); err != nil {
		return nil, false
	}
	return json.RawMessage(raw), true
}

// postTargetLocked resolves chat.postMessage's channel: a channel ID or name,
// or a user ID meaning the bot's DM with that user.
func (s *Server) postTargetLocked(channel string) (*Channel, string) {
	if c := s.channel(channel); c != nil {
		if c.BotNotMember {
			return nil, "not_in_channel"
		}
		return c, ""
	}
	if u := s.user(channel); u != nil && !u.IsBot {
		return s.dmLocked(u.ID), ""
	}
	return nil, "channel_not_found"
}

func (s *Server) newMessageLocked(channel, text string, blocks json.RawMessage) *Message {
	m := &Message{
		Channel: channel,
		TS:      s.nextTSLocked(),
		User:    s.cfg.BotUserID,
		BotID:   s.cfg.BotID,
		Text:    text,
		Blocks:  blocks,
		Posted:  s.cfg.Now(),
	}
	s.messages = append(s.messages, m)
	s.changedLocked()
	return m
}

func messageJSON(m *Message) map[string]any {
	out := map[string]any{"type": "message", "user": m.User, "bot_id": m.BotID, "text": m.Text, "ts": m.TS}
	if m.ThreadTS != "" {
		out["thread_ts"] = m.ThreadTS
	}
	if m.Blocks != nil {
		out["blocks"] = m.Blocks
	}
	return out
}

func (s *Server) chatPostMessage(r *apiRequest) (result, string) {
	blocks, ok := parseBlocks(r.param("blocks"))
	if !ok {
		return nil, "invalid_blocks"
	}
	text := r.param("text")
	if text == "" && blocks == nil && r.param("attachments") == "" {
		return nil, "no_text"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, code := s.postTargetLocked(r.param("channel"))
	if code != "" {
		return nil, code
	}
	m := s.newMessageLocked(c.ID, text, blocks)
	m.ThreadTS = r.param("thread_ts")
	return result{"channel": c.ID, "ts": m.TS, "message": messageJSON(m)}, ""
}

func (s *Server) chatUpdate(r *apiRequest) (result, string) {
	blocks, ok := parseBlocks(r.param("blocks"))
	if !ok {
		return nil, "invalid_blocks"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.channel(r.param("channel"))
	if c == nil {
		return nil, "channel_not_found"
	}
	m := s.message(c.ID, r.param("ts"))
	switch {
	case m == nil || m.Deleted || m.Ephemeral != "":
		return nil, "message_not_found"
	case m.User != s.cfg.BotUserID:
		return nil, "cant_update_message"
	}
	s.replaceLocked(m, r.param("text"), blocks, r.params["blocks"] != "")
	return result{"channel": c.ID, "ts": m.TS, "text": m.Text, "message": messageJSON(m)}, ""
}

// replaceLocked updates a message's text and, when given, its blocks,
// keeping the previous version.
func (s *Server) replaceLocked(m *Message, text string, blocks json.RawMessage, setBlocks bool) {
	m.Edits = append(m.Edits, MessageVersion{Text: m.Text, Blocks: m.Blocks, Replaced: s.cfg.Now()})
	m.Text = text
	if setBlocks {
		m.Blocks = blocks
	}
	m.Updated = s.cfg.Now()
	s.changedLocked()
}

func (s *Server) chatPostEphemeral(r *apiRequest) (result, string) {
	blocks, ok := parseBlocks(r.param("blocks"))
	if !ok {
		return nil, "invalid_blocks"
	}
	if r.param("text") == "" && blocks == nil {
		return nil, "no_text"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, code := s.postTargetLocked(r.param("channel"))
	if code != "" {
		return nil, code
	}
	if u := s.user(r.param("user")); u == nil || u.Deleted {
		return nil, "user_not_in_channel"
	}
	m := s.newMessageLocked(c.ID, r.param("text"), blocks)
	m.Ephemeral = r.param("user")
	m.ThreadTS = r.param("thread_ts")
	return result{"message_ts": m.TS}, ""
}

func (s *Server) chatDelete(r *apiRequest) (result, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.channel(r.param("channel"))
	if c == nil {
		return nil, "channel_not_found"
	}
	m := s.message(c.ID, r.param("ts"))
	if m == nil || m.Deleted {
		return nil, "message_not_found"
	}
	m.Deleted = true
	s.changedLocked()
	return result{"channel": c.ID, "ts": m.TS}, ""
}
