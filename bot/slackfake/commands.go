package slackfake

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
)

// SlashCommand delivers a slash command typed by user in channel (an ID or a
// name; "" for the user's DM with the app), e.g. command "/access" with text
// "prod-db 2h INC-1". It returns once the bot has acknowledged, with its
// answer; a text or blocks answer is shown to the user as Slack would
// (ephemeral unless response_type is in_channel).
func (s *Server) SlashCommand(ctx context.Context, user, channel, command, text string, opts ...DeliveryOption) (*Delivery, error) {
	s.mu.Lock()
	u := s.user(user)
	c := s.commandChannelLocked(user, channel)
	if u == nil || c == nil {
		s.mu.Unlock()
		return nil, fmt.Errorf("slackfake: slash command: unknown user %q or channel %q", user, channel)
	}
	d := &Delivery{Type: "slash_commands", user: u.ID, channel: c.ID}
	d.TriggerID = s.newTriggerLocked(u.ID)
	d.ResponseURL = s.newResponseURLLocked(&responseTarget{user: u.ID, channel: c.ID})
	s.mu.Unlock()

	channelName := c.Name
	if c.IsIM {
		channelName = "directmessage"
	}
	form := url.Values{
		"token":                 {"slackfake-verification-token"},
		"team_id":               {s.cfg.TeamID},
		"team_domain":           {s.cfg.TeamDomain},
		"channel_id":            {c.ID},
		"channel_name":          {channelName},
		"user_id":               {u.ID},
		"user_name":             {u.Name},
		"command":               {command},
		"text":                  {text},
		"api_app_id":            {s.cfg.AppID},
		"is_enterprise_install": {"false"},
		"response_url":          {d.ResponseURL},
		"trigger_id":            {d.TriggerID},
	}
	fields := make(map[string]string, len(form))
	for k, v := range form {
		fields[k] = v[0]
	}
	d.Payload, _ = json.Marshal(fields)
	return d, s.deliver(ctx, d, form, opts)
}

// SlashCommandLine splits what a user types, "/access prod-db 2h INC-1", into
// the command and its text.
func SlashCommandLine(line string) (command, text string) {
	line = strings.TrimSpace(line)
	command, text, _ = strings.Cut(line, " ")
	return command, strings.TrimSpace(text)
}

func (s *Server) commandChannelLocked(user, channel string) *Channel {
	if channel == "" || channel == user {
		if s.user(user) == nil {
			return nil
		}
		return s.dmLocked(user)
	}
	return s.channel(channel)
}

// userRef and teamRef are the user and team objects of interaction payloads.
func (s *Server) userRef(u *User) map[string]any {
	return map[string]any{"id": u.ID, "username": u.Name, "name": u.Name, "team_id": s.cfg.TeamID}
}

func (s *Server) teamRef() map[string]any {
	return map[string]any{"id": s.cfg.TeamID, "domain": s.cfg.TeamDomain}
}

func (s *Server) interactive(ctx context.Context, d *Delivery, payload map[string]any, opts []DeliveryOption) (*Delivery, error) {
	payload["token"] = "slackfake-verification-token"
	payload["api_app_id"] = s.cfg.AppID
	payload["team"] = s.teamRef()
	payload["is_enterprise_install"] = false
	payload["enterprise"] = nil
	var err error
	if d.Payload, err = json.Marshal(payload); err != nil {
		return nil, fmt.Errorf("slackfake: encode payload: %w", err)
	}
	form := url.Values{"payload": {string(d.Payload)}}
	return d, s.deliver(ctx, d, form, opts)
}
