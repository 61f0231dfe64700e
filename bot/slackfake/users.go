package slackfake

import (
	"strings"
)

func (s *Server) authTest(r *apiRequest) (result, string) {
	return result{
		"url":     "https://" + s.cfg.TeamDomain + ".slack.com/",
		"team":    s.cfg.TeamDomain,
		"user":    s.cfg.BotName,
		"team_id": s.cfg.TeamID,
		"user_id": s.cfg.BotUserID,
		"bot_id":  s.cfg.BotID,
	}, ""
}

// userJSON is a user as users.info answers it.
func (s *Server) userJSON(u *User) map[string]any {
	realName := u.RealName
	if realName == "" {
		realName = u.Name
	}
	profile := map[string]any{
		"real_name": realName, "real_name_normalized": realName,
		"display_name": u.Name, "display_name_normalized": u.Name,
		"team": s.cfg.TeamID,
	}
	if u.Email != "" {
		profile["email"] = u.Email
	}
	if u.IsBot && u.ID == s.cfg.BotUserID {
		profile["bot_id"] = s.cfg.BotID
	}
	team := u.TeamID
	if team == "" {
		team = s.cfg.TeamID
	}
	return map[string]any{
		"id": u.ID, "team_id": team, "name": u.Name, "real_name": realName,
		"deleted": u.Deleted, "is_bot": u.IsBot, "is_app_user": false,
		"is_email_confirmed": u.EmailVerified, "tz": "UTC", "tz_label": "Coordinated Universal Time",
		"profile": profile,
	}
}

func (s *Server) usersInfo(r *apiRequest) (result, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.user(r.param("user"))
	if u == nil {
		return nil, "user_not_found"
	}
	return result{"user": s.userJSON(u)}, ""
}

func (s *Server) usersLookupByEmail(r *apiRequest) (result, string) {
	email := strings.TrimSpace(r.param("email"))
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, u := range s.users {
		if email != "" && strings.EqualFold(u.Email, email) && !u.Deleted {
			return result{"user": s.userJSON(u)}, ""
		}
	}
	return nil, "users_not_found"
}

func (s *Server) conversationsOpen(r *apiRequest) (result, string) {
	users := strings.Split(r.param("users"), ",")
	if r.param("users") == "" {
		return nil, "users_list_not_supplied"
	}
	if len(users) != 1 {
		return nil, "method_not_supported_for_channel_type"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.user(strings.TrimSpace(users[0]))
	if u == nil || u.Deleted {
		return nil, "user_not_found"
	}
	already := false
	for _, c := range s.channels {
		already = already || (c.IsIM && c.User == u.ID)
	}
	c := s.dmLocked(u.ID)
	s.changedLocked()
	return result{
		"channel":      map[string]any{"id": c.ID, "is_im": true, "user": u.ID, "is_open": true},
		"already_open": already,
		"no_op":        already,
	}, ""
}

func (s *Server) groupJSON(g *userGroup, withUsers bool) map[string]any {
	out := map[string]any{
		"id": g.ID, "team_id": s.cfg.TeamID, "is_usergroup": true, "name": g.Handle,
		"handle": g.Handle, "user_count": len(g.Members),
	}
	if withUsers {
		out["users"] = append([]string{}, g.Members...)
	}
	return out
}

func (s *Server) usergroupsList(r *apiRequest) (result, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	groups := []map[string]any{}
	for _, g := range s.groups {
		groups = append(groups, s.groupJSON(g, r.param("include_users") == "true"))
	}
	return result{"usergroups": groups}, ""
}

func (s *Server) usergroupsUsersList(r *apiRequest) (result, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, g := range s.groups {
		if g.ID == r.param("usergroup") {
			return result{"users": append([]string{}, g.Members...)}, ""
		}
	}
	return nil, "no_such_subteam"
}
