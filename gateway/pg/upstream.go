package pg

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/binary"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/jitgate/jitgate/gateway"
	"github.com/jitgate/jitgate/grants"
	"github.com/jitgate/jitgate/internal/config"
)

const upstreamConnectTimeout = 10 * time.Second

// upstreamConfig builds the target's connection settings from the resource
// alone. The URL carries no secret; the password is set afterwards.
func upstreamConfig(res config.Resource, params map[string]string, access grants.Access) (*pgconn.Config, error) {
	host, port, err := net.SplitHostPort(res.Address)
	if err != nil {
		return nil, fmt.Errorf("resource %s address: %w", res.Name, err)
	}
	sslmode := "disable"
	if res.TLS {
		sslmode = "verify-full"
	}
	u := url.URL{Scheme: "postgres", User: url.User(res.Username), Host: net.JoinHostPort(host, port), Path: "/" + res.Database}
	u.RawQuery = url.Values{"sslmode": {sslmode}, "connect_timeout": {"10"}}.Encode()
	cfg, err := pgconn.ParseConfig(u.String())
	if err != nil {
		return nil, fmt.Errorf("resource %s: %w", res.Name, err)
	}
	pw, err := res.ReadPassword()
	if err != nil {
		return nil, err
	}
	cfg.Password = pw.Reveal()
	// Environment fallbacks (PGHOST, PGPASSWORD, ...) must never pick the
	// target: the resource says everything.
	cfg.Fallbacks = nil
	cfg.RuntimeParams = map[string]string{"client_encoding": "UTF8"}
	for k, v := range params {
		key := strings.ToLower(k)
		if forwardedParams[key] {
			if key == "fallback_application_name" {
				if _, ok := params["application_name"]; ok {
					continue
				}
				key = "application_name"
			}
			cfg.RuntimeParams[key] = v
		}
	}
	if access != grants.AccessWrite {
		// The server enforces read-only too; the gateway's refusal of
		// writes is the first line, this is the second.
		cfg.RuntimeParams["default_transaction_read_only"] = "on"
	}
	return cfg, nil
}

// connectUpstream logs in to the target and takes over the connection.
func (s *Server) connectUpstream(ctx context.Context, c *client, res config.Resource, g grants.Grant, live *gateway.Live, rec grants.Session, log *slog.Logger) (*session, *pgError) {
	cfg, err := upstreamConfig(res, c.params, g.Access)
	if err != nil {
		log.Error("bad target settings", "err", err)
		return nil, fatal(stateUnavailable, "jitgate cannot reach "+res.Name, "")
	}
	cctx, cancel := context.WithTimeout(ctx, upstreamConnectTimeout)
	defer cancel()
	pc, err := pgconn.ConnectConfig(cctx, cfg)
	if err != nil {
		log.Error("cannot connect to target", "err", err)
		return nil, fatal(stateUnavailable, "jitgate cannot reach "+res.Name, "try again shortly")
	}
	hj, err := pc.Hijack()
	if err != nil {
		pc.Close(context.Background())
		log.Error("cannot take over target connection", "err", err)
		return nil, fatal(stateUnavailable, "jitgate cannot reach "+res.Name, "")
	}
	pid, key := s.cancels.add(cancelTarget{address: res.Address, pid: hj.PID, secret: hj.SecretKey})
	sess := newSession(s, c, hj.Conn, res, g, live, rec, pid, log)
	if err := sess.greet(hj.ParameterStatuses, pid, key, hj.TxStatus); err != nil {
		sess.upstream.Close()
		s.cancels.remove(pid)
		return nil, fatal(stateProtocol, "connection lost during startup", "")
	}
	return sess, nil
}

// cancelTarget is where a client's cancel request goes.
type cancelTarget struct {
	address string
	pid     uint32
	secret  []byte
	key     []byte
}

// cancelMap maps the keys the gateway gave clients to their targets'.
type cancelMap struct {
	mu sync.Mutex
	m  map[uint32]cancelTarget
}

// add mints a key for t and returns it.
func (cm *cancelMap) add(t cancelTarget) (uint32, []byte) {
	cm.mu.Lock()
	defer cm.mu.Unlock()
	for {
		var b [8]byte
		_, _ = rand.Read(b[:])
		pid := binary.BigEndian.Uint32(b[:4]) & 0x7fffffff
		if _, taken := cm.m[pid]; pid == 0 || taken {
			continue
		}
		t.key = b[4:]
		cm.m[pid] = t
		return pid, t.key
	}
}

func (cm *cancelMap) remove(pid uint32) {
	cm.mu.Lock()
	delete(cm.m, pid)
	cm.mu.Unlock()
}

// forward sends a client's cancel request on to its target when the key
// matches. A wrong key is ignored, as Postgres does.
func (cm *cancelMap) forward(pid uint32, key []byte, log *slog.Logger) {
	cm.mu.Lock()
	t, ok := cm.m[pid]
	cm.mu.Unlock()
	if !ok || subtle.ConstantTimeCompare(t.key, key) != 1 {
		return
	}
	conn, err := net.DialTimeout("tcp", t.address, 5*time.Second)
	if err != nil {
		log.Warn("cannot forward cancel request", "err", err)
		return
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	msg, err := (&pgproto3.CancelRequest{ProcessID: t.pid, SecretKey: t.secret}).Encode(nil)
	if err == nil {
		_, err = conn.Write(msg)
	}
	if err != nil {
		log.Warn("cannot forward cancel request", "err", err)
		return
	}
	// The server closes the connection once it has the request.
	var one [1]byte
	_, _ = conn.Read(one[:])
}
