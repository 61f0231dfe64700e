package pg

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/jitgate/jitgate/gateway"
	"github.com/jitgate/jitgate/gateway/auth"
	"github.com/jitgate/jitgate/grants"
	"github.com/jitgate/jitgate/internal/config"
)

// bufConn is a connection whose first bytes were already read into r, so
// TLS and the protocol can go on where the peek left off.
type bufConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *bufConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// client is a connection that has finished the startup phase.
type client struct {
	conn     net.Conn
	user     string
	database string
	params   map[string]string
	tls      bool
}

// handle runs one client connection from its first byte to its end.
func (s *Server) handle(ctx context.Context, raw net.Conn) {
	defer raw.Close()
	log := s.cfg.Log.With("client", raw.RemoteAddr().String())
	_ = raw.SetDeadline(time.Now().Add(s.cfg.HandshakeTimeout))
	c, err := s.startup(raw)
	if err != nil {
		var pe *pgError
		if errors.As(err, &pe) && c != nil {
			writeFatal(c.conn, pe)
		}
		if !errors.Is(err, io.EOF) && !errors.Is(err, errCancelHandled) {
			log.Info("connection refused at startup", "err", err)
		}
		return
	}
	log = log.With("user", c.user, "resource", c.database)
	sess, pe := s.admit(ctx, c, log)
	if pe != nil {
		writeFatal(c.conn, pe)
		return
	}
	_ = c.conn.SetDeadline(time.Time{})
	sess.run()
}

// writeFatal sends a last error before the connection closes. A client
// that does not read gets a moment, not a say in when the session ends.
func writeFatal(conn net.Conn, pe *pgError) {
	_ = conn.SetWriteDeadline(time.Now().Add(closeGrace))
	_, _ = conn.Write(appendError(nil, pe))
}

// errCancelHandled ends a connection that only carried a CancelRequest.
var errCancelHandled = errors.New("cancel request handled")

// startup negotiates encryption and reads the StartupMessage. A non-nil
// client with a *pgError means the client should be told why.
func (s *Server) startup(raw net.Conn) (*client, error) {
	br := bufio.NewReader(raw)
	var conn net.Conn = &bufConn{Conn: raw, r: br}
	encrypted := false
	first, err := br.Peek(1)
	if err != nil {
		return nil, err
	}
	if first[0] == 0x16 { // a TLS handshake: direct TLS negotiation
		if s.cfg.TLS == nil {
			return nil, errors.New("direct TLS without a certificate")
		}
		tc := tls.Server(conn, s.cfg.TLS)
		if err := tc.Handshake(); err != nil {
			return nil, fmt.Errorf("tls: %w", err)
		}
		conn, encrypted = tc, true
	}
	for {
		be := pgproto3.NewBackend(conn, conn)
		msg, err := be.ReceiveStartupMessage()
		if err != nil {
			return nil, err
		}
		switch m := msg.(type) {
		case *pgproto3.SSLRequest:
			if encrypted || s.cfg.TLS == nil {
				if _, err := conn.Write([]byte{'N'}); err != nil {
					return nil, err
				}
				continue
			}
			if _, err := conn.Write([]byte{'S'}); err != nil {
				return nil, err
			}
			tc := tls.Server(conn, s.cfg.TLS)
			if err := tc.Handshake(); err != nil {
				return nil, fmt.Errorf("tls: %w", err)
			}
			conn, encrypted = tc, true
		case *pgproto3.GSSEncRequest:
			if _, err := conn.Write([]byte{'N'}); err != nil {
				return nil, err
			}
		case *pgproto3.CancelRequest:
			s.cancels.forward(m.ProcessID, m.SecretKey, s.cfg.Log)
			return nil, errCancelHandled
		case *pgproto3.StartupMessage:
			c := &client{conn: conn, params: m.Parameters, tls: encrypted, user: m.Parameters["user"], database: m.Parameters["database"]}
			return c, s.checkStartup(c, be)
		default:
			return nil, fmt.Errorf("unexpected startup message %T", msg)
		}
	}
}

// forwardedParams are the startup parameters passed on to the target.
// Anything else is refused: a startup parameter is a setting, and some
// settings change how the server reads SQL.
var forwardedParams = map[string]bool{
	"application_name": true, "fallback_application_name": true, "datestyle": true,
	"intervalstyle": true, "timezone": true, "extra_float_digits": true, "search_path": true,
	"statement_timeout": true, "lock_timeout": true, "idle_in_transaction_session_timeout": true,
	"default_transaction_isolation": true,
}

// safeEncodings are client encodings in which every byte below 0x80 is the
// ASCII character, so the gateway lexes statements exactly as the server
// does. Multi-byte encodings such as SJIS or BIG5 can hide a quote or a
// backslash inside a character and are refused.
var safeEncodings = map[string]bool{"utf8": true, "utf-8": true, "unicode": true, "sql_ascii": true}

func (s *Server) checkStartup(c *client, be *pgproto3.Backend) error {
	if !c.tls && !s.cfg.AllowPlaintext {
		return fatal(stateAuth, "jitgate requires TLS", "connect with sslmode=require (or verify-full)")
	}
	if c.user == "" || c.database == "" {
		return fatal(stateAuth, "user and database are required", "the user is your email; the database is the resource name")
	}
	for k, v := range c.params {
		key := strings.ToLower(k)
		switch {
		case key == "user" || key == "database":
		case key == "client_encoding":
			if !safeEncodings[strings.ToLower(v)] {
				return fatal(stateFeature, fmt.Sprintf("client_encoding %q is not supported by jitgate", v), "use UTF8")
			}
		case key == "options" && strings.TrimSpace(v) == "":
		case !forwardedParams[key]:
			return fatal(stateFeature, fmt.Sprintf("startup parameter %q is not supported by jitgate", k), "remove it from the connection settings")
		}
	}
	return nil
}

// admit authenticates the client, checks its grant, opens the session and
// connects to the target. The errors it returns are safe to show.
func (s *Server) admit(ctx context.Context, c *client, log *slog.Logger) (*session, *pgError) {
	token, err := askPassword(c.conn)
	if err != nil {
		return nil, fatal(stateProtocol, "expected a password message", "")
	}
	id, err := s.cfg.Verifier.VerifyFor(ctx, token, c.user)
	if err != nil {
		log.Info("authentication failed", "err", err)
		return nil, fatal(stateAuth, fmt.Sprintf("authentication failed for user %q: %s", c.user, auth.PublicMessage(err)), "the password is an ID token from `jitgate login`")
	}
	res, ok := s.resource(c.database)
	if !ok {
		return nil, fatal(stateAuth, fmt.Sprintf("jitgate has no Postgres resource %q", c.database), "the database name is the resource name")
	}
	now := s.cfg.Clock.Now()
	g, err := s.cfg.Grants.ActiveGrant(ctx, id.Email, res.Name, now)
	if errors.Is(err, grants.ErrNotFound) {
		return nil, noGrant(res.Name)
	}
	if err != nil {
		log.Error("cannot check grants", "err", err)
		return nil, fatal(stateUnavailable, "jitgate cannot check grants right now", "try again shortly")
	}
	live, err := s.cfg.Registry.Open(ctx, g)
	if errors.Is(err, gateway.ErrTooManySessions) {
		return nil, fatal(stateTooManyConns, "too many open sessions for "+id.Email, "close another session first")
	}
	if err != nil {
		return nil, fatal(stateEnded, err.Error(), "")
	}
	// A revoke whose notice arrived before the session was registered
	// found nothing to cut off; the session's start re-reads the grant in
	// the database, so it cannot open under a grant that just ended.
	rec, err := s.cfg.Grants.StartSession(ctx, g.ID, "postgres", c.conn.RemoteAddr().String(), now)
	if errors.Is(err, grants.ErrNotFound) {
		live.Close()
		return nil, noGrant(res.Name)
	}
	if err != nil {
		live.Close()
		log.Error("cannot record session start", "err", err)
		return nil, fatal(stateUnavailable, "jitgate cannot record this session right now", "try again shortly")
	}
	sess, pe := s.connectUpstream(ctx, c, res, g, live, rec, log)
	if pe != nil {
		live.Close()
		_ = s.cfg.Grants.EndSession(context.WithoutCancel(ctx), rec.ID, "target unreachable", s.cfg.Clock.Now())
		return nil, pe
	}
	log.Info("session started", "session", rec.ID, "grant", g.ID, "access", g.Access)
	return sess, nil
}

// noGrant tells a person without a grant how to get one.
func noGrant(resource string) *pgError {
	return fatal(stateAuth, fmt.Sprintf("no active grant for %s — ask in Slack: /access %s <duration> <reason>", resource, resource), "")
}

// askPassword requests a cleartext password (the client is on TLS) and
// returns what the client sent.
func askPassword(conn net.Conn) (string, error) {
	req, err := (&pgproto3.AuthenticationCleartextPassword{}).Encode(nil)
	if err != nil {
		return "", err
	}
	if _, err := conn.Write(req); err != nil {
		return "", err
	}
	be := pgproto3.NewBackend(conn, conn)
	be.SetMaxBodyLen(auth.MaxTokenBytes + 1024)
	if err := be.SetAuthType(pgproto3.AuthTypeCleartextPassword); err != nil {
		return "", err
	}
	msg, err := be.Receive()
	if err != nil {
		return "", err
	}
	pm, ok := msg.(*pgproto3.PasswordMessage)
	if !ok {
		return "", fmt.Errorf("got %T", msg)
	}
	return pm.Password, nil
}

// policyOf is the resource's risky policy, defaulting to review.
func policyOf(r config.Resource) config.Risky {
	if r.Risky == "" {
		return config.RiskyReview
	}
	return r.Risky
}
