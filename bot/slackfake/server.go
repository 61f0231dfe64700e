package slackfake

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"
)

// Config holds the fake workspace's identity and timings. The zero value is
// usable: every empty field gets the default named beside it.
type Config struct {
	Addr         string           // listen address; "127.0.0.1:0"
	BotToken     string           // Web API token; "xoxb-slackfake"
	AppToken     string           // app-level token for apps.connections.open; "xapp-slackfake"
	TeamID       string           // "T0FAKE"
	TeamDomain   string           // "jitgate-fake"
	AppID        string           // "A0FAKE"
	BotUserID    string           // the bot's user; "U0BOT"
	BotID        string           // "B0BOT"
	BotName      string           // "jitgate"
	AckTimeout   time.Duration    // how long a delivery waits for the bot's ack; 3s, like Slack
	TriggerTTL   time.Duration    // how long a trigger_id can open a view; 3s, like Slack
	PingInterval time.Duration    // WebSocket pings to Socket Mode clients; 5s (slack-go gives up after 30s without one)
	SocketWait   time.Duration    // how long a Socket Mode delivery waits for a connected client; 10s
	Now          func() time.Time // stamps messages, calls, trigger expiry and request signatures; time.Now
	Logger       *slog.Logger     // discards by default
}

func (c *Config) setDefaults() {
	def := func(v *string, d string) {
		if *v == "" {
			*v = d
		}
	}
	def(&c.Addr, "127.0.0.1:0")
	def(&c.BotToken, "xoxb-slackfake")
	def(&c.AppToken, "xapp-slackfake")
	def(&c.TeamID, "T0FAKE")
	def(&c.TeamDomain, "jitgate-fake")
	def(&c.AppID, "A0FAKE")
	def(&c.BotUserID, "U0BOT")
	def(&c.BotID, "B0BOT")
	def(&c.BotName, "jitgate")
	durDef := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	durDef(&c.AckTimeout, 3*time.Second)
	durDef(&c.TriggerTTL, 3*time.Second)
	durDef(&c.PingInterval, 5*time.Second)
	durDef(&c.SocketWait, 10*time.Second)
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
}

// Server is one fake Slack workspace with one installed app (the bot).
// All methods are safe for concurrent use.
type Server struct {
	cfg       Config
	log       *slog.Logger
	srv       *http.Server
	url       string
	closed    chan struct{}
	closeOnce sync.Once
	client    *http.Client // delivers to the bot in HTTP mode

	mu      sync.Mutex
	changed chan struct{} // closed and replaced on every state change
	version uint64
	state
	sockets socketState
}

// Start listens on cfg.Addr and serves the fake until Close.
func Start(cfg Config) (*Server, error) {
	cfg.setDefaults()
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("slackfake listen %s: %w", cfg.Addr, err)
	}
	s := &Server{
		cfg:     cfg,
		log:     cfg.Logger,
		url:     "http://" + ln.Addr().String(),
		closed:  make(chan struct{}),
		changed: make(chan struct{}),
		client:  &http.Client{},
	}
	s.state.init()
	s.sockets.init()
	s.AddUser(User{ID: cfg.BotUserID, Name: cfg.BotName, IsBot: true})
	s.srv = &http.Server{Handler: s.routes(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("slackfake serve", "err", err)
		}
	}()
	return s, nil
}

// StartTest starts a fake for one test and closes it when the test ends.
func StartTest(tb testing.TB, cfg Config) *Server {
	tb.Helper()
	s, err := Start(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	return s
}

// Close stops serving, drops every Socket Mode connection and releases
// requests held by a Timeout fault.
func (s *Server) Close() error {
	var err error
	s.closeOnce.Do(func() {
		close(s.closed)
		s.DropSocket()
		err = s.srv.Close()
	})
	return err
}

// URL is the fake's base URL, "http://127.0.0.1:port", where the demo page lives.
func (s *Server) URL() string { return s.url }

// APIURL is the value for slack.OptionAPIURL: URL()+"/api/".
func (s *Server) APIURL() string { return s.url + "/api/" }

// BotToken is the Web API token the fake accepts.
func (s *Server) BotToken() string { return s.cfg.BotToken }

// AppToken is the app-level token apps.connections.open accepts.
func (s *Server) AppToken() string { return s.cfg.AppToken }

// BotUserID is the bot's own Slack user ID (the author of its messages).
func (s *Server) BotUserID() string { return s.cfg.BotUserID }

// changedLocked records a state change and wakes every WaitFor. s.mu is held.
func (s *Server) changedLocked() {
	s.version++
	close(s.changed)
	s.changed = make(chan struct{})
}

// WaitFor returns when cond reports true, re-checking it after every state
// change (a call, a message, a view, a socket connecting), or with the
// context's error. cond runs without the fake's lock, so it may call any of
// the fake's getters.
func (s *Server) WaitFor(ctx context.Context, cond func(*Server) bool) error {
	for {
		s.mu.Lock()
		ch := s.changed
		s.mu.Unlock()
		if cond(s) {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("slackfake wait: %w", context.Cause(ctx))
		case <-s.closed:
			return errors.New("slackfake wait: server closed")
		}
	}
}

// waitVersion blocks until the state moves past version, or ctx ends, and
// returns the current version.
func (s *Server) waitVersion(ctx context.Context, version uint64) uint64 {
	s.mu.Lock()
	cur, ch := s.version, s.changed
	s.mu.Unlock()
	if cur != version {
		return cur
	}
	select {
	case <-ch:
	case <-ctx.Done():
	case <-s.closed:
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.version
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/api/{method}", s.serveAPI)
	mux.HandleFunc("GET /socket", s.serveSocket)
	mux.HandleFunc("POST /response/{id}", s.serveResponseURL)
	mux.HandleFunc("GET /{$}", s.servePage)
	mux.HandleFunc("GET /state.json", s.serveState)
	mux.HandleFunc("POST /ui/{action}", s.serveUI)
	return mux
}
