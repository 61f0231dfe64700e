package slackfake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// User is a member of the fake workspace.
type User struct {
	ID            string
	Name          string // the handle, "alice"
	RealName      string
	Email         string
	EmailVerified bool // users.info's is_email_confirmed
	IsBot         bool
	Deleted       bool
	// TeamID is another workspace's ID for a member of a shared channel;
	// empty means the fake's own workspace.
	TeamID string
}

// Channel is a public or private channel. DM channels are made by the fake
// (conversations.open, or chat.postMessage to a user ID) and have IsIM set.
type Channel struct {
	ID        string
	Name      string
	IsPrivate bool
	IsIM      bool
	User      string // the other side of a DM
	// BotNotMember makes chat.postMessage answer not_in_channel.
	BotNotMember bool
}

// Message is one message as Slack stores it. Updates replace Text and Blocks
// and keep what was there before in Edits.
type Message struct {
	Channel   string
	TS        string
	ThreadTS  string // set on replies: the parent's ts
	User      string // the author: the bot's user ID for the bot's posts
	BotID     string
	Text      string
	Blocks    json.RawMessage // the blocks JSON array as posted, nil when none
	Ephemeral string          // for an ephemeral message, the only user who sees it
	Deleted   bool
	Posted    time.Time
	Updated   time.Time
	Edits     []MessageVersion // earlier versions, oldest first
}

// MessageVersion is a message's text and blocks before an update.
type MessageVersion struct {
	Text     string
	Blocks   json.RawMessage
	Replaced time.Time
}

// View is a modal opened for a user. Submitting it with errors keeps it open
// with Errors set; closing removes it from the user's stack.
type View struct {
	ID              string
	User            string
	CallbackID      string
	ExternalID      string
	PrivateMetadata string
	Hash            string
	RootViewID      string
	PreviousViewID  string
	JSON            json.RawMessage   // the view as the bot sent it
	Errors          map[string]string // from the last response_action: errors
	Open            bool
}

type userGroup struct {
	ID      string
	Handle  string
	Members []string
}

// state is everything tests set up or read; guarded by Server.mu.
type state struct {
	users     []*User
	groups    []*userGroup
	channels  []*Channel
	messages  []*Message
	views     []*View
	calls     []Call
	faults    map[string][]Fault
	triggers  map[string]*trigger
	responses map[string]*responseTarget
	seq       int
	lastTS    time.Time
	target    deliveryTarget
}

func (st *state) init() {
	st.faults = make(map[string][]Fault)
	st.triggers = make(map[string]*trigger)
	st.responses = make(map[string]*responseTarget)
}

func (st *state) nextID(prefix string) string {
	st.seq++
	return fmt.Sprintf("%s%06d", prefix, st.seq)
}

// nextTS makes a Slack timestamp, "seconds.micros", strictly increasing.
func (s *Server) nextTSLocked() string {
	now := s.cfg.Now().Truncate(time.Microsecond)
	if !now.After(s.lastTS) {
		now = s.lastTS.Add(time.Microsecond)
	}
	s.lastTS = now
	return fmt.Sprintf("%d.%06d", now.Unix(), now.Nanosecond()/1000)
}

// AddUser adds or replaces a workspace member.
func (s *Server) AddUser(u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u.Name == "" {
		u.Name = strings.ToLower(u.ID)
	}
	if i := slices.IndexFunc(s.users, func(x *User) bool { return x.ID == u.ID }); i >= 0 {
		s.users[i] = &u
	} else {
		s.users = append(s.users, &u)
	}
	s.changedLocked()
}

// Users returns every member, the bot first.
func (s *Server) Users() []User {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]User, len(s.users))
	for i, u := range s.users {
		out[i] = *u
	}
	return out
}

func (st *state) user(id string) *User {
	for _, u := range st.users {
		if u.ID == id {
			return u
		}
	}
	return nil
}

// AddUserGroup adds a user group with the given handle and members and
// returns its ID ("S..."). Adding a handle again replaces its members.
func (s *Server) AddUserGroup(handle string, members ...string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.changedLocked()
	for _, g := range s.groups {
		if g.Handle == handle {
			g.Members = slices.Clone(members)
			return g.ID
		}
	}
	g := &userGroup{ID: s.nextID("S"), Handle: handle, Members: slices.Clone(members)}
	s.groups = append(s.groups, g)
	return g.ID
}

// AddChannel adds a channel the bot can post to. An empty ID gets one made up.
func (s *Server) AddChannel(c Channel) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.ID == "" {
		c.ID = s.nextID("C")
	}
	c.Name = strings.TrimPrefix(c.Name, "#")
	if i := slices.IndexFunc(s.channels, func(x *Channel) bool { return x.ID == c.ID }); i >= 0 {
		s.channels[i] = &c
	} else {
		s.channels = append(s.channels, &c)
	}
	s.changedLocked()
	return c.ID
}

// Channels returns every channel, DMs included, in the order they appeared.
func (s *Server) Channels() []Channel {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Channel, len(s.channels))
	for i, c := range s.channels {
		out[i] = *c
	}
	return out
}

// channel finds a channel by ID or name ("#name" or "name"), or the open DM
// with a user by the user's ID.
func (st *state) channel(ref string) *Channel {
	name := strings.TrimPrefix(ref, "#")
	for _, c := range st.channels {
		if c.ID == ref || (!c.IsIM && c.Name == name) {
			return c
		}
	}
	for _, c := range st.channels {
		if c.IsIM && c.User == ref {
			return c
		}
	}
	return nil
}

// dmLocked returns the bot's DM channel with user, opening it if needed.
func (s *Server) dmLocked(user string) *Channel {
	for _, c := range s.channels {
		if c.IsIM && c.User == user {
			return c
		}
	}
	c := &Channel{ID: "D" + user, Name: user, IsIM: true, User: user, IsPrivate: true}
	s.channels = append(s.channels, c)
	return c
}

// DMChannel returns the ID of the bot's DM with user, "" when none is open.
func (s *Server) DMChannel(user string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.channels {
		if c.IsIM && c.User == user {
			return c.ID
		}
	}
	return ""
}

func copyMessage(m *Message) Message {
	c := *m
	c.Blocks = bytes.Clone(m.Blocks)
	c.Edits = slices.Clone(m.Edits)
	return c
}

func (s *Server) selectMessages(keep func(*Message) bool) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Message
	for _, m := range s.messages {
		if keep(m) {
			out = append(out, copyMessage(m))
		}
	}
	return out
}

// Messages returns a channel's top-level messages, oldest first, as everyone
// sees them: no thread replies, no ephemeral messages, no deleted ones.
// channel may be an ID, a name, or a user ID for the bot's DM with them.
func (s *Server) Messages(channel string) []Message {
	id := s.channelID(channel)
	return s.selectMessages(func(m *Message) bool {
		return m.Channel == id && m.ThreadTS == "" && m.Ephemeral == "" && !m.Deleted
	})
}

// Thread returns the replies in the thread under the message ts, oldest
// first; the parent itself is not included (see Message).
func (s *Server) Thread(channel, ts string) []Message {
	id := s.channelID(channel)
	return s.selectMessages(func(m *Message) bool {
		return m.Channel == id && m.ThreadTS == ts && m.TS != ts && m.Ephemeral == "" && !m.Deleted
	})
}

// Message returns one message, ephemeral or not, by channel and ts.
func (s *Server) Message(channel, ts string) (Message, bool) {
	id := s.channelID(channel)
	ms := s.selectMessages(func(m *Message) bool { return m.Channel == id && m.TS == ts })
	if len(ms) == 0 {
		return Message{}, false
	}
	return ms[0], true
}

// Ephemerals returns every ephemeral message shown to user, in any channel,
// oldest first.
func (s *Server) Ephemerals(user string) []Message {
	return s.selectMessages(func(m *Message) bool { return m.Ephemeral == user && !m.Deleted })
}

// DMs returns the messages the bot posted in its DM with user (thread
// replies included), oldest first.
func (s *Server) DMs(user string) []Message {
	id := s.DMChannel(user)
	return s.selectMessages(func(m *Message) bool { return id != "" && m.Channel == id && m.Ephemeral == "" && !m.Deleted })
}

func (s *Server) channelID(idOrName string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.channel(idOrName); c != nil {
		return c.ID
	}
	return idOrName
}

func (st *state) message(channel, ts string) *Message {
	for _, m := range st.messages {
		if m.Channel == channel && m.TS == ts {
			return m
		}
	}
	return nil
}

func copyView(v *View) View {
	c := *v
	c.JSON = bytes.Clone(v.JSON)
	if v.Errors != nil {
		c.Errors = make(map[string]string, len(v.Errors))
		for k, e := range v.Errors {
			c.Errors[k] = e
		}
	}
	return c
}

// Views returns the modals open for user, bottom of the stack first: the last
// one is what the user sees.
func (s *Server) Views(user string) []View {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []View
	for _, v := range s.openViewsLocked(user) {
		out = append(out, copyView(v))
	}
	return out
}

// View returns any view ever opened, open or closed, by its ID.
func (s *Server) View(id string) (View, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if v := s.view(id); v != nil {
		return copyView(v), true
	}
	return View{}, false
}

func (st *state) view(id string) *View {
	for _, v := range st.views {
		if v.ID == id {
			return v
		}
	}
	return nil
}

func (st *state) openViewsLocked(user string) []*View {
	var out []*View
	for _, v := range st.views {
		if v.User == user && v.Open {
			out = append(out, v)
		}
	}
	return out
}
