package pg

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/jitgate/jitgate/gateway"
	"github.com/jitgate/jitgate/gateway/pg/classify"
	"github.com/jitgate/jitgate/grants"
	"github.com/jitgate/jitgate/internal/config"
)

const ioBuffer = 64 << 10

// session is one relayed connection. The client half (clientLoop) owns
// everything about what the client sent; the backend half (backendLoop)
// owns everything written to the client. They meet only in the queue of
// expectations.
type session struct {
	srv      *Server
	log      *slog.Logger
	client   net.Conn
	upstream net.Conn
	// cwr and uwr write to client and upstream (see connWriter).
	cwr, uwr connWriter
	res      config.Resource
	grant    grants.Grant
	live     *gateway.Live
	rec      grants.Session
	pid      uint32
	// cat tells where result columns come from; nil when no column rule
	// is set, so nothing needs to be told.
	cat *catalog

	q expectQueue
	// stopping ends both loops' direct socket reads (msgReader.eachRaw),
	// which a Close alone would not interrupt while data flows.
	stopping atomic.Bool
	// terminated is set when the client's Terminate goes upstream.
	terminated atomic.Bool

	// client half
	cr      *msgReader
	uw      []byte
	cls     *classify.Session
	stmts   map[string]*statement
	portals map[string]*portal
	// binds counts the Binds sent on; each portal knows its number, and
	// each savepoint the number it was set at, to tell which portals a
	// rollback to it drops.
	binds uint64
	// inGroup is set while an extended-protocol group awaits its Sync.
	inGroup bool
	// skipping is set from a refusal inside a group to its Sync: the
	// server skips the rest of the group after the refusal's stand-in
	// fails, so the gateway skips it too, and neither decides nor records
	// statements that never run.
	skipping bool
	// seq numbers the session's events in the order their statements
	// came, which is not the order they finish in.
	seq int64
	// copyIn follows the COPY FROM STDIN the client may be sending data
	// for; nil when none.
	copyIn *copyIn
	// groupsSent counts the groups sent upstream (each ended by a Sync or
	// a Query, answered by one ReadyForQuery), groupsDone those answered.
	// failedGroup is the number, plus one, of the last group an error
	// failed, for the client half to know that the server skips the rest
	// of the group it is sending.
	groupsSent  uint64
	groupsDone  uint64
	failedGroup atomic.Uint64
	// portalBytes is the parameter text held by named portals.
	portalBytes int
	// deadPortals counts portals the backend half found dropped since
	// the client half last swept them from portals.
	deadPortals atomic.Int64
	// epoch counts the points after which a portal name may stand for
	// something else on the server: every message but Describe and Flush
	// (a transaction's end drops portals, a Bind may have failed unseen,
	// and code run anywhere may declare or close a cursor).
	epoch uint64

	// backend half
	ur   *msgReader
	cw   []byte
	rm   rowMasker
	plan *rowPlan
	// plans are kept by how far the statement reaches from masked
	// columns: the same description masks more there.
	plans    [reaches]map[string]*rowPlan
	rows     int64
	sqlState string
	copyOut  bool
	// savepoints are the open transaction's, as the server confirmed them.
	savepoints savepointList
	// txPortals are the named portals bound in the open transaction.
	txPortals []*portal
	// groupFailed: an error ended the running extended-protocol group,
	// so the server skips the group's messages up to its Sync.
	groupFailed bool
	// copyPlan masks the running COPY's rows by column; nil without
	// column rules. copyRow is its buffer.
	copyPlan *copyPlan
	copyRow  []byte
	// schemaTx: a statement that may have changed the schema ran in the
	// open transaction; its end drops what the catalog said again.
	schemaTx bool
}

// statement is a prepared statement the client parsed.
type statement struct {
	// failed is set when the server refused the Parse: the name is free.
	failed  atomic.Bool
	masked  string
	verdict classify.Verdict
	// copy is set for a COPY ... TO STDOUT when column rules apply: its
	// columns are described before each Execute.
	copy *classify.CopyOut
}

// portal is a bound statement.
type portal struct {
	stmt   *statement
	params []string
	// describedAt is the session's epoch of the portal's last Describe;
	// 0 is never. Only within that epoch does the gateway know what the
	// name holds on the server.
	describedAt uint64
	// dead is set when the server dropped the portal or never made it:
	// its Bind failed, its transaction ended (the backend half), or it
	// was closed, replaced or discarded (the client half).
	dead atomic.Bool
	// size is the length of its parameters' text, counted in the
	// session's portalBytes for a named portal.
	size  int
	named bool
	// bound is the session's count of Binds at this one's.
	bound uint64
	// plan masks its rows, from the answer to its last Describe. The
	// backend half alone sets and reads it.
	plan *rowPlan
}

// maxNamed bounds the named prepared statements and the named portals a
// session holds, each: the gateway keeps what it knows of every one.
const maxNamed = 4096

// maxPortalBytes bounds the parameter text the named portals of a session
// hold, the unnamed one aside (each Bind of it replaces the last).
const maxPortalBytes = 64 << 20

func newSession(s *Server, c *client, upstream net.Conn, res config.Resource, g grants.Grant, live *gateway.Live, rec grants.Session, pid uint32, log *slog.Logger) *session {
	sess := &session{
		srv: s, log: log.With("session", rec.ID), client: c.conn, upstream: upstream,
		cwr: newConnWriter(c.conn), uwr: newConnWriter(upstream),
		res: res, grant: g, live: live, rec: rec, pid: pid, cat: s.catalogs[res.Name],
		cr:      newMsgReader(c.conn, ioBuffer, s.cfg.MaxMessage),
		ur:      newMsgReader(upstream, ioBuffer, 1<<30),
		cls:     s.cfg.Classifier.NewSession(),
		stmts:   map[string]*statement{},
		portals: map[string]*portal{},
		rm:      rowMasker{m: s.cfg.Masker},
		plans:   newPlans(),
		epoch:   1, // 0 in a portal means never
	}
	sess.cr.readRaw(c.conn, &sess.stopping)
	sess.ur.readRaw(upstream, &sess.stopping)
	return sess
}

// greet finishes the client's startup: authentication ok, the target's
// parameters, a key of the gateway's own for cancel requests, ready.
func (s *session) greet(params map[string]string, pid uint32, key []byte, tx byte) error {
	var out []byte
	out, _ = (&pgproto3.AuthenticationOk{}).Encode(out)
	for k, v := range params {
		out, _ = (&pgproto3.ParameterStatus{Name: k, Value: v}).Encode(out)
	}
	out, _ = (&pgproto3.BackendKeyData{ProcessID: pid, SecretKey: key}).Encode(out)
	out, _ = (&pgproto3.ReadyForQuery{TxStatus: tx}).Encode(out)
	_, err := s.cwr.Write(out)
	return err
}

// run relays until either side ends or the grant does, then tells the
// client why (when it was the grant) and records the end.
func (s *session) run() {
	// The client half runs under a context of its own, ended with the
	// session however it ends, so that nothing it waits on (a held
	// statement's review) outlives it.
	ctx, stopClient := context.WithCancel(s.live.Context())
	defer stopClient()
	clientDone, backendDone := make(chan error, 1), make(chan error, 1)
	go func() { clientDone <- s.clientLoop(ctx) }()
	go func() { backendDone <- s.backendLoop() }()
	idle := time.NewTicker(min(s.srv.cfg.IdleTimeout/4, time.Minute))
	defer idle.Stop()
	reads, active := s.reads(), time.Now()

	reason := "client disconnected"
	var final *pgError
wait:
	for {
		select {
		case err := <-clientDone:
			clientDone = nil
			reason = endReason(err, "client disconnected")
			var pe *pgError
			if errors.As(err, &pe) {
				final = pe
			}
			break wait
		case err := <-backendDone:
			backendDone = nil
			reason = endReason(err, "target closed the connection")
			if s.terminated.Load() {
				reason = "client disconnected"
			}
			var pe *pgError
			if errors.As(err, &pe) {
				final = pe
			}
			break wait
		case <-ctx.Done():
			cause := context.Cause(ctx)
			var ended *gateway.EndedError
			if errors.As(cause, &ended) {
				final = fatal(stateEnded, ended.Error(), "")
				reason = ended.Error()
			}
			break wait
		case now := <-idle.C:
			if n := s.reads(); n != reads {
				reads, active = n, now
			} else if now.Sub(active) > s.srv.cfg.IdleTimeout {
				final = fatal(stateEnded, "session closed after being idle for "+s.srv.cfg.IdleTimeout.String(), "")
				reason = "idle timeout"
				break wait
			}
		}
	}
	// Stop the backend half first: it is the only writer to the client,
	// so once it is gone the final message can be written safely. A
	// client that stopped reading must not hold the session open: its
	// pending writes fail now, before the Close, which waits for a read
	// loop that is between two reads.
	s.stopping.Store(true)
	stopClient()
	_ = s.client.SetWriteDeadline(time.Now())
	s.upstream.Close()
	if backendDone != nil {
		<-backendDone
	}
	if final != nil {
		writeFatal(s.client, final)
	}
	closeClient(s.client)
	if clientDone != nil {
		<-clientDone
	}
	s.finish(reason)
}

// closeClient closes the client's connection within a bounded time. A TLS
// connection's Close first sends close_notify under a write deadline of its
// own, five seconds, which a client that stopped reading would make the
// session wait out; past half a second the TCP connection underneath is
// closed instead, which also ends that write.
func closeClient(c net.Conn) {
	tc, ok := c.(*tls.Conn)
	if !ok {
		c.Close()
		return
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		tc.Close()
	}()
	t := time.NewTimer(closeGrace)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		tc.NetConn().Close()
		<-done
	}
}

// closeGrace is how long a client gets to take the end of its session.
const closeGrace = 500 * time.Millisecond

func endReason(err error, normal string) string {
	if err == nil || errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) || errors.Is(err, errClientTerminated) {
		return normal
	}
	return normal + ": " + err.Error()
}

// finish records what was still running and the session's end.
func (s *session) finish(reason string) {
	for _, e := range s.q.drain() {
		if e.rec != nil {
			e.rec.Finish(s.rows, "08006", time.Since(e.start))
		}
	}
	s.srv.cancels.remove(s.pid)
	s.live.Close()
	if err := s.srv.cfg.Grants.EndSession(context.Background(), s.rec.ID, reason, s.srv.cfg.Clock.Now()); err != nil {
		s.log.Error("cannot record session end", "err", err)
	}
	s.log.Info("session ended", "reason", reason)
}

// reads counts the socket reads of both halves, the session's activity: a
// session is idle when it stays the same for the idle timeout.
func (s *session) reads() uint64 { return s.cr.reads.Load() + s.ur.reads.Load() }

// newPlans returns empty plan caches, one per reach.
func newPlans() [reaches]map[string]*rowPlan {
	var p [reaches]map[string]*rowPlan
	for i := range p {
		p[i] = map[string]*rowPlan{}
	}
	return p
}
