package pg

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jitgate/jitgate/broker"
	"github.com/jitgate/jitgate/gateway/pg/classify"
	"github.com/jitgate/jitgate/grants"
	"github.com/jitgate/jitgate/internal/config"
)

// syncMsg stands in, upstream, for a refused Query: the server answers it
// with a ReadyForQuery carrying the true transaction status, in order with
// everything else, and changes nothing.
var syncMsg = []byte{'S', 0, 0, 0, 4}

// clientLoop reads the client's messages, decides each statement, and
// forwards what is allowed.
func (s *session) clientLoop(ctx context.Context) error {
	for {
		if !s.cr.buffered() && len(s.uw) > 0 {
			if err := s.flushUpstream(); err != nil {
				return err
			}
		}
		typ, msg, err := s.cr.next()
		if err != nil {
			var tl errTooLarge
			if errors.As(err, &tl) {
				return fmt.Errorf("client sent a %d-byte message", tl.size)
			}
			return err
		}
		s.touch()
		if s.discard && typ != 'S' {
			continue
		}
		if err := s.onClientMessage(ctx, typ, msg); err != nil {
			return err
		}
	}
}

func (s *session) onClientMessage(ctx context.Context, typ byte, msg []byte) error {
	switch typ {
	case 'Q':
		return s.onQuery(ctx, msg)
	case 'P':
		return s.onParse(ctx, msg)
	case 'B':
		return s.onBind(ctx, msg)
	case 'D':
		return s.onDescribe(msg)
	case 'E':
		return s.onExecute(msg)
	case 'S':
		s.q.push(expectation{kind: expSync, err: s.groupErr})
		s.discard, s.groupErr = false, nil
		s.send(msg)
	case 'C':
		return s.onClose(msg)
	case 'H', 'd', 'c', 'f':
		s.send(msg)
	case 'F':
		// The fast-path function call runs a function by OID, out of
		// sight of the parser: never.
		s.refuseQuery("", refused("function calls through the fast-path protocol are not allowed by jitgate", ""))
	case 'X':
		s.send(msg)
		_ = s.flushUpstream()
		return errClientTerminated
	default:
		return fmt.Errorf("unexpected message %q from client", typ)
	}
	return nil
}

var errClientTerminated = errors.New("client terminated")

func (s *session) send(msg []byte) { s.uw = append(s.uw, msg...) }

func (s *session) flushUpstream() error {
	_, err := s.upstream.Write(s.uw)
	if cap(s.uw) > 4*ioBuffer {
		s.uw = nil
	} else {
		s.uw = s.uw[:0]
	}
	return err
}

func (s *session) onQuery(ctx context.Context, msg []byte) error {
	sql, _, err := cstring(body(msg))
	if err != nil {
		return fmt.Errorf("bad Query: %w", err)
	}
	v := s.cls.Classify(sql)
	masked := s.srv.cfg.Masker.String(sql)
	ev := s.event("query", masked, nil, v)
	if pe := s.decide(ctx, v, masked, &ev); pe != nil {
		s.refuseQuery(masked, pe)
		return nil
	}
	rec, err := s.srv.cfg.Recorder.Begin(ev)
	if err != nil {
		s.refuseQuery(masked, recorderRefusal(err))
		return nil
	}
	s.q.push(expectation{kind: expQuery, rec: rec, start: time.Now()})
	s.send(msg)
	return nil
}

// refuseQuery answers a Query or FunctionCall with an error instead of
// running it. The refusal is recorded best-effort: it changed nothing.
func (s *session) refuseQuery(masked string, pe *pgError) {
	s.q.push(expectation{kind: expRefusedQuery, err: pe})
	s.send(syncMsg)
}

func recorderRefusal(err error) *pgError {
	return &pgError{severity: "ERROR", code: stateResources, message: "jitgate cannot record this statement right now, so it was not run", hint: "try again shortly"}
}

func (s *session) onParse(ctx context.Context, msg []byte) error {
	b := body(msg)
	name, b, err := cstring(b)
	if err != nil {
		return fmt.Errorf("bad Parse: %w", err)
	}
	sql, _, err := cstring(b)
	if err != nil {
		return fmt.Errorf("bad Parse: %w", err)
	}
	v := s.cls.Prepare(name, sql)
	st := &statement{sql: sql, masked: s.srv.cfg.Masker.String(sql), verdict: v}
	ev := s.event("parse", st.masked, nil, v)
	if pe := s.decide(ctx, v, st.masked, &ev); pe != nil {
		delete(s.stmts, name)
		s.discard, s.groupErr = true, pe
		return nil
	}
	s.stmts[name] = st
	s.q.push(expectation{kind: expParse})
	s.send(msg)
	return nil
}

func (s *session) onBind(ctx context.Context, msg []byte) error {
	b := body(msg)
	name, b, err := cstring(b)
	if err != nil {
		return fmt.Errorf("bad Bind: %w", err)
	}
	stmtName, b, err := cbytes(b)
	if err != nil {
		return fmt.Errorf("bad Bind: %w", err)
	}
	p, err := parseBind(b)
	if err != nil {
		return err
	}
	p.stmt = s.stmts[string(stmtName)]
	if p.stmt == nil {
		// A name from SQL PREPARE: its text was decided then, and is
		// decided again now, as EXECUTE would be.
		if v, ok := s.cls.Prepared(string(stmtName)); ok {
			p.stmt = &statement{masked: "EXECUTE " + string(stmtName) + " (prepared with SQL PREPARE)", verdict: v}
			ev := s.event("bind", p.stmt.masked, nil, v)
			if pe := s.decide(ctx, v, p.stmt.masked, &ev); pe != nil {
				s.discard, s.groupErr = true, pe
				return nil
			}
		}
	}
	p.params = s.maskParams(p.params)
	s.portals[name] = p
	s.q.push(expectation{kind: expBind})
	s.send(msg)
	return nil
}

// parseBind reads a Bind's parameters (as text for the recording) and its
// result formats.
func parseBind(b []byte) (*portal, error) {
	bad := errors.New("bad Bind")
	nf, b, err := readInt16(b)
	if err != nil || nf < 0 || len(b) < 2*nf {
		return nil, bad
	}
	paramFormats := make([]int16, nf)
	for i := range paramFormats {
		paramFormats[i] = int16(binary.BigEndian.Uint16(b[2*i:]))
	}
	b = b[2*nf:]
	np, b, err := readInt16(b)
	if err != nil || np < 0 {
		return nil, bad
	}
	p := &portal{params: make([]string, np)}
	for i := range np {
		var size int
		if size, b, err = readInt32(b); err != nil || size > len(b) {
			return nil, bad
		}
		if size < 0 {
			p.params[i] = "NULL"
			continue
		}
		if formatOf(paramFormats, i) == 1 {
			p.params[i] = fmt.Sprintf("[%d bytes, binary]", size)
		} else {
			p.params[i] = string(b[:size])
		}
		b = b[size:]
	}
	nr, b, err := readInt16(b)
	if err != nil || nr < 0 || len(b) < 2*nr {
		return nil, bad
	}
	p.formats = make([]int16, nr)
	for i := range p.formats {
		p.formats[i] = int16(binary.BigEndian.Uint16(b[2*i:]))
	}
	return p, nil
}

func formatOf(formats []int16, i int) int16 {
	switch len(formats) {
	case 0:
		return 0
	case 1:
		return formats[0]
	}
	if i < len(formats) {
		return formats[i]
	}
	return 0
}

func (s *session) maskParams(params []string) []string {
	for i, p := range params {
		params[i] = s.srv.cfg.Masker.String(p)
	}
	return params
}

func (s *session) onDescribe(msg []byte) error {
	b := body(msg)
	if len(b) < 2 {
		return errors.New("bad Describe")
	}
	name, _, err := cstring(b[1:])
	if err != nil {
		return fmt.Errorf("bad Describe: %w", err)
	}
	switch b[0] {
	case 'S':
		s.q.push(expectation{kind: expDescribeStatement, stmt: s.stmts[name]})
	case 'P':
		if p := s.portals[name]; p != nil {
			p.described = true
		}
		s.q.push(expectation{kind: expDescribePortal, portal: name})
	default:
		return errors.New("bad Describe")
	}
	s.send(msg)
	return nil
}

func (s *session) onExecute(msg []byte) error {
	name, _, err := cstring(body(msg))
	if err != nil {
		return fmt.Errorf("bad Execute: %w", err)
	}
	p := s.portals[name]
	e := expectation{kind: expExecute, portal: name, start: time.Now()}
	if p != nil && p.stmt != nil {
		ev := s.event("execute", p.stmt.masked, p.params, p.stmt.verdict)
		ev.Decision = "allow"
		rec, err := s.srv.cfg.Recorder.Begin(ev)
		if err != nil {
			s.discard, s.groupErr = true, recorderRefusal(err)
			return nil
		}
		e.rec = rec
		if fields := p.stmt.fields.Load(); fields != nil {
			e.plan = newRowPlan(s.srv.cfg.Masker, withFormats(*fields, p.formats))
		} else if !p.described {
			// Nothing says what the rows will hold: ask, and keep the
			// answer from the client, who did not ask.
			s.q.push(expectation{kind: expDescribePortal, portal: name, swallow: true})
			s.send(describePortalMsg(name))
			p.described = true
		}
	}
	s.q.push(e)
	s.send(msg)
	return nil
}

func describePortalMsg(name string) []byte {
	m, at := appendMsg(nil, 'D')
	m = append(m, 'P')
	m = append(m, name...)
	m = append(m, 0)
	return finishMsg(m, at)
}

func (s *session) onClose(msg []byte) error {
	b := body(msg)
	if len(b) < 2 {
		return errors.New("bad Close")
	}
	name, _, err := cstring(b[1:])
	if err != nil {
		return fmt.Errorf("bad Close: %w", err)
	}
	if b[0] == 'S' {
		delete(s.stmts, name)
		s.cls.Deallocate(name)
	} else {
		delete(s.portals, name)
	}
	s.q.push(expectation{kind: expClose})
	s.send(msg)
	return nil
}

// event starts the recording of a statement.
func (s *session) event(kind, masked string, params []string, v classify.Verdict) grants.SessionEvent {
	return grants.SessionEvent{
		SessionID: s.rec.ID, At: s.srv.cfg.Clock.Now(), Kind: kind, Statement: masked, Params: params,
		Classification: classification(v), Reason: strings.Join(v.Reasons, "; "), Decision: "allow",
	}
}

func classification(v classify.Verdict) string {
	switch {
	case v.Refuse:
		return "refused"
	case v.Risky:
		return "risky"
	case v.Write:
		return "write"
	}
	return "read"
}

// decide applies the grant's access level and the resource's risky policy
// to a verdict. It returns the refusal to send, or nil to run the statement.
// A refusal is recorded here; an allowed statement is recorded by the
// caller when it starts.
func (s *session) decide(ctx context.Context, v classify.Verdict, masked string, ev *grants.SessionEvent) *pgError {
	pe := s.verdictRefusal(ctx, v, masked, ev)
	if pe != nil {
		ev.Decision, ev.SQLState = "block", pe.code
		if err := s.srv.cfg.Recorder.Record(*ev); err != nil {
			s.log.Warn("refused statement not recorded", "err", err)
		}
	}
	return pe
}

func (s *session) verdictRefusal(ctx context.Context, v classify.Verdict, masked string, ev *grants.SessionEvent) *pgError {
	reasons := strings.Join(v.Reasons, "; ")
	switch {
	case v.Refuse:
		return refused("jitgate refused this statement: "+reasons, "")
	case s.grant.Access != grants.AccessWrite && (v.Write || v.Risky):
		why := "it writes"
		if reasons != "" {
			why = reasons
		}
		return refused(fmt.Sprintf("your grant on %s is read-only: %s", s.res.Name, why), "ask for write access: /access "+s.res.Name+" <duration> --write <reason>")
	case !v.Risky:
		return nil
	}
	switch policyOf(s.res) {
	case config.RiskyAllow:
		return nil
	case config.RiskyBlock:
		return refused(fmt.Sprintf("%s does not allow risky statements: %s", s.res.Name, reasons), "")
	}
	return s.hold(ctx, v, masked, ev)
}

// hold waits for a reviewer to decide a risky statement.
func (s *session) hold(ctx context.Context, v classify.Verdict, masked string, ev *grants.SessionEvent) *pgError {
	reasons := strings.Join(v.Reasons, "; ")
	if s.srv.cfg.Reviewer == nil {
		return refused(fmt.Sprintf("this statement needs a reviewer's approval (%s), and no reviewer is reachable", reasons), "")
	}
	rctx, cancel := context.WithTimeout(ctx, s.srv.cfg.ReviewTimeout)
	defer cancel()
	ok, err := s.srv.cfg.Reviewer.ReviewStatement(rctx, broker.HeldStatement{
		GrantID: s.grant.ID, SessionID: s.rec.ID, Requester: s.grant.Requester,
		Resource: s.res.Name, Statement: masked, Reasons: v.Reasons,
	})
	switch {
	case err != nil && rctx.Err() != nil && ctx.Err() == nil:
		return refused(fmt.Sprintf("no reviewer decided within %s: statement not run (%s)", s.srv.cfg.ReviewTimeout, reasons), "")
	case err != nil:
		s.log.Warn("review failed", "err", err)
		return refused(fmt.Sprintf("this statement needs a reviewer's approval (%s), and the review could not be asked", reasons), "")
	case !ok:
		return refused(fmt.Sprintf("a reviewer denied this statement (%s)", reasons), "")
	}
	ev.Decision = "approved"
	return nil
}
