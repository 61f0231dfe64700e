package slackfake

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// ErrNoSocket is returned by a Socket Mode delivery when no client is
// connected within Config.SocketWait.
var ErrNoSocket = errors.New("slackfake: no socket mode connection")

// socketState is the Socket Mode side; guarded by Server.mu.
type socketState struct {
	tickets map[string]time.Time // one-use tickets from apps.connections.open
	conns   []*socketConn
	opens   int
	pending map[string]chan json.RawMessage // envelope ID → its ack's payload
}

func (ss *socketState) init() {
	ss.tickets = make(map[string]time.Time)
	ss.pending = make(map[string]chan json.RawMessage)
}

// socketConn is one client connection. gorilla/websocket allows one writer
// at a time (WriteControl and Close excepted), hence wmu.
type socketConn struct {
	ws   *websocket.Conn
	wmu  sync.Mutex
	done chan struct{}
	once sync.Once
}

func (c *socketConn) write(v any) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
	return c.ws.WriteJSON(v)
}

// close drops the connection without a close frame, like a network failure.
func (c *socketConn) close() {
	c.once.Do(func() {
		close(c.done)
		_ = c.ws.Close()
	})
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func (s *Server) appsConnectionsOpen(r *apiRequest) (result, string) {
	ticket := randomHex(16)
	s.mu.Lock()
	s.sockets.tickets[ticket] = s.cfg.Now().Add(30 * time.Second)
	s.mu.Unlock()
	return result{"url": "ws://" + r.host + "/socket?ticket=" + ticket}, ""
}

var upgrader = websocket.Upgrader{
	// slack-go sends Origin: https://api.slack.com, which is not our host.
	CheckOrigin: func(*http.Request) bool { return true },
}

func (s *Server) serveSocket(w http.ResponseWriter, r *http.Request) {
	ticket := r.URL.Query().Get("ticket")
	s.mu.Lock()
	expires, ok := s.sockets.tickets[ticket]
	delete(s.sockets.tickets, ticket)
	s.mu.Unlock()
	if !ok || s.cfg.Now().After(expires) {
		http.Error(w, "invalid ticket", http.StatusUnauthorized)
		return
	}
	ws, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // Upgrade has answered the client
	}
	c := &socketConn{ws: ws, done: make(chan struct{})}
	s.mu.Lock()
	s.sockets.conns = append(s.sockets.conns, c)
	s.sockets.opens++
	live := len(s.sockets.conns)
	s.changedLocked()
	s.mu.Unlock()
	defer s.forgetSocket(c)

	err = c.write(map[string]any{
		"type":            "hello",
		"num_connections": live,
		"debug_info":      map[string]any{"host": "slackfake", "build_number": 1, "approximate_connection_time": 18060},
		"connection_info": map[string]any{"app_id": s.cfg.AppID},
	})
	if err != nil {
		return
	}
	go s.pingSocket(c)
	s.readAcks(c)
}

func (s *Server) forgetSocket(c *socketConn) {
	c.close()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sockets.conns = slices.DeleteFunc(s.sockets.conns, func(x *socketConn) bool { return x == c })
	s.changedLocked()
}

// pingSocket keeps slack-go's client alive: it reconnects when it sees no
// ping for 30 seconds.
func (s *Server) pingSocket(c *socketConn) {
	t := time.NewTicker(s.cfg.PingInterval)
	defer t.Stop()
	for {
		if err := c.ws.WriteControl(websocket.PingMessage, []byte("ping"), time.Now().Add(5*time.Second)); err != nil {
			c.close()
			return
		}
		select {
		case <-c.done:
			return
		case <-t.C:
		}
	}
}

// readAcks reads the client's acks, {"envelope_id": ..., "payload": ...},
// until the connection ends.
func (s *Server) readAcks(c *socketConn) {
	for {
		_, data, err := c.ws.ReadMessage()
		if err != nil {
			return
		}
		var ack struct {
			EnvelopeID string          `json:"envelope_id"`
			Payload    json.RawMessage `json:"payload"`
		}
		if err := json.Unmarshal(data, &ack); err != nil {
			s.log.Warn("slackfake: bad socket message", "err", err)
			continue
		}
		s.mu.Lock()
		ch := s.sockets.pending[ack.EnvelopeID]
		delete(s.sockets.pending, ack.EnvelopeID)
		s.mu.Unlock()
		if ch != nil {
			ch <- ack.Payload
		}
	}
}

// Sockets is the number of Socket Mode connections open now.
func (s *Server) Sockets() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sockets.conns)
}

// SocketOpens is the number of Socket Mode connections ever accepted; it
// grows by one on every reconnect.
func (s *Server) SocketOpens() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sockets.opens
}

// DropSocket cuts every Socket Mode connection without a close frame, as a
// network failure would; the client must reconnect through
// apps.connections.open.
func (s *Server) DropSocket() {
	s.mu.Lock()
	conns := slices.Clone(s.sockets.conns)
	s.mu.Unlock()
	for _, c := range conns {
		c.close()
	}
}

// SendDisconnect sends Slack's {"type":"disconnect"} (reason "warning" or
// "refresh_requested") to every connection, as Slack does before it rotates
// a connection; the client is expected to close it and reconnect.
func (s *Server) SendDisconnect(reason string) {
	s.mu.Lock()
	conns := slices.Clone(s.sockets.conns)
	s.mu.Unlock()
	for _, c := range conns {
		_ = c.write(map[string]any{"type": "disconnect", "reason": reason, "debug_info": map[string]any{"host": "slackfake"}})
	}
}

// envelope is what Slack sends over Socket Mode.
type envelope struct {
	EnvelopeID             string          `json:"envelope_id"`
	Type                   string          `json:"type"`
	Payload                json.RawMessage `json:"payload"`
	AcceptsResponsePayload bool            `json:"accepts_response_payload"`
	RetryAttempt           int             `json:"retry_attempt,omitempty"`
	RetryReason            string          `json:"retry_reason,omitempty"`
}

// sendEnvelope delivers env to the newest connection and waits for its ack.
func (s *Server) sendEnvelope(ctx context.Context, env envelope) (json.RawMessage, error) {
	c, err := s.waitSocket(ctx)
	if err != nil {
		return nil, err
	}
	ch := make(chan json.RawMessage, 1)
	s.mu.Lock()
	s.sockets.pending[env.EnvelopeID] = ch
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.sockets.pending, env.EnvelopeID)
		s.mu.Unlock()
	}()
	if err := c.write(env); err != nil {
		return nil, fmt.Errorf("slackfake: send envelope: %w", err)
	}
	t := time.NewTimer(s.cfg.AckTimeout)
	defer t.Stop()
	select {
	case payload := <-ch:
		return payload, nil
	case <-t.C:
		return nil, ErrNotAcknowledged
	case <-ctx.Done():
		return nil, context.Cause(ctx)
	}
}

// waitSocket returns the newest connection, waiting up to SocketWait for one.
func (s *Server) waitSocket(ctx context.Context) (*socketConn, error) {
	wctx, cancel := context.WithTimeout(ctx, s.cfg.SocketWait)
	defer cancel()
	var c *socketConn
	err := s.WaitFor(wctx, func(s *Server) bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		if n := len(s.sockets.conns); n > 0 {
			c = s.sockets.conns[n-1]
		}
		return c != nil
	})
	if err != nil {
		return nil, ErrNoSocket
	}
	return c, nil
}
