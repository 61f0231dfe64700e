package pg

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/jitgate/jitgate/gateway"
	"github.com/jitgate/jitgate/gateway/mask"
	"github.com/jitgate/jitgate/gateway/pg/classify"
	"github.com/jitgate/jitgate/grants"
	"github.com/jitgate/jitgate/internal/config"
	"github.com/jitgate/jitgate/internal/fakeclock"
)

type discardEvents struct{}

// sinkConn swallows what the client half flushes upstream.
type sinkConn struct{ net.Conn }

func (sinkConn) Write(p []byte) (int, error) { return len(p), nil }

func (discardEvents) RecordEvents(context.Context, []grants.SessionEvent) error { return nil }

// fuzzSession is a session with no network: what the client half would
// send upstream collects in s.uw.
func fuzzSession(t testing.TB, access grants.Access) *session {
	masker, err := mask.New([]string{"password"})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv := &Server{cfg: Config{
		Masker: masker, Classifier: classify.New(classify.Options{}), Clock: fakeclock.New(time.Unix(0, 0)),
		Recorder: gateway.NewRecorder(discardEvents{}, 1<<20, time.Hour, log), Log: log, MaxMessage: 1 << 20,
	}}
	return &session{
		srv: srv, log: log, upstream: sinkConn{}, uwr: newConnWriter(sinkConn{}), res: config.Resource{Name: "db", Risky: config.RiskyBlock},
		grant: grants.Grant{ID: uuid.New(), Access: access}, cls: srv.cfg.Classifier.NewSession(),
		stmts: map[string]*statement{}, portals: map[string]*portal{},
	}
}

// FuzzClientMessages feeds arbitrary client bytes through the framing and
// the client half's message handling. It must never panic, never forward a
// statement the classifier refuses, and always answer a refusal.
func FuzzClientMessages(f *testing.F) {
	for _, seed := range [][]byte{
		[]byte("Q\x00\x00\x00\x0dSELECT 1\x00"),
		[]byte("Q\x00\x00\x00\x13DROP TABLE users\x00"),
		[]byte("P\x00\x00\x00\x10\x00SELECT 1\x00\x00\x00B\x00\x00\x00\x0c\x00\x00\x00\x00\x00\x00\x00\x00E\x00\x00\x00\x09\x00\x00\x00\x00\x00S\x00\x00\x00\x04"),
		[]byte("P\x00\x00\x00\x14s1\x00DROP TABLE t\x00\x00\x00D\x00\x00\x00\x08Ss1\x00S\x00\x00\x00\x04"),
		[]byte("F\x00\x00\x00\x04X\x00\x00\x00\x04"),
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s := fuzzSession(t, grants.AccessWrite)
		r := newMsgReader(bytes.NewReader(data), 4096, 1<<20)
		for {
			typ, msg, err := r.next()
			if err != nil {
				return
			}
			if typ == 'Q' || typ == 'P' {
				checkForwarding(t, s, typ, msg)
				continue
			}
			if err := s.onClientMessage(context.Background(), typ, msg); err != nil {
				return
			}
		}
	})
}

// checkForwarding handles a Query or Parse and checks that a statement the
// classifier refuses never reaches the upstream buffer.
func checkForwarding(t *testing.T, s *session, typ byte, msg []byte) {
	before := len(s.uw)
	if err := s.onClientMessage(context.Background(), typ, msg); err != nil {
		return
	}
	b := body(msg)
	if typ == 'P' {
		_, rest, err := cstring(b)
		if err != nil {
			return
		}
		b = rest
	}
	sql, _, err := cstring(b)
	if err != nil {
		return
	}
	v := s.srv.cfg.Classifier.Classify(sql)
	forwarded := bytes.Contains(s.uw[before:], msg)
	if (v.Refuse || v.Risky) && forwarded {
		t.Fatalf("refused statement %q was forwarded", sql)
	}
}
