package pg

import (
	"bytes"
	"errors"
	"slices"
	"strconv"
	"time"
)

// backendLoop reads the target's messages, masks what flows back and
// writes it to the client, batching writes while more is buffered.
func (s *session) backendLoop() error {
	return s.ur.each(func(typ byte, msg []byte) error {
		if err := s.onBackendMessage(typ, msg); err != nil {
			return err
		}
		if len(s.cw) > ioBuffer {
			return s.flushClient()
		}
		return nil
	}, s.flushClient)
}

func (s *session) flushClient() error {
	if len(s.cw) == 0 {
		return nil
	}
	_, err := s.cwr.Write(s.cw)
	if cap(s.cw) > 4*ioBuffer {
		s.cw = nil
	} else {
		s.cw = s.cw[:0]
	}
	return err
}

func (s *session) onBackendMessage(typ byte, msg []byte) error {
	switch typ {
	case 'D':
		if s.plan == nil {
			s.plan = s.executePlan()
		}
		if s.plan == nil {
			// Rows nobody described cannot be masked: never pass them.
			return fatal(stateProtocol, "jitgate lost track of what these rows hold and closed the session", "")
		}
		var err error
		s.cw, err = s.rm.mask(s.cw, msg, s.plan)
		if err != nil {
			return fatal(stateProtocol, "jitgate could not read a result row and closed the session", "")
		}
		return nil
	case 'T':
		return s.onRowDescription(msg)
	case 'C':
		if err := s.onCommandComplete(msg); err != nil {
			return err
		}
	case 'E':
		s.onError(msg)
		return nil
	case 'N':
		s.cw = s.maskNotice(s.cw, msg)
		return nil
	case 'Z':
		return s.onReady(msg)
	case '1', '2', '3':
		e := s.popFinish()
		if e.kind != completes[typ-'1'] {
			return outOfStep
		}
		if e.port != nil && e.port.named {
			s.boundInTx(e.port)
		}
		if e.swallow {
			return nil
		}
	case 't':
		e, ok := s.q.peek()
		if !ok || e.kind != expDescribeStatement {
			return outOfStep
		}
		if e.swallow {
			return nil
		}
	case 'n':
		return s.onNoData(msg)
	case 's':
		if !s.heads(expExecute) {
			return outOfStep
		}
		s.finishExecute()
	case 'I':
		e, ok := s.q.peek()
		if !ok || (e.kind != expQuery && e.kind != expExecute) {
			return outOfStep
		}
		if e.kind == expExecute {
			s.finishExecute()
		}
	case 'G':
		if err := s.onCopyIn(); err != nil {
			return err
		}
	case 'H':
		if !s.heads(expQuery, expExecute) {
			return outOfStep
		}
		return s.onCopyOut(msg)
	case 'd':
		if s.copyOut {
			var err error
			if s.cw, err = s.maskCopyData(s.cw, msg); err != nil {
				return fatal(stateProtocol, "jitgate could not read a COPY row and closed the session", "")
			}
			return nil
		}
	case 'c':
		s.copyOut, s.copyPlan = false, nil
	case 'W':
		return fatal(stateFeature, "replication is not allowed through jitgate", "")
	case 'A', 'S':
		// Notification payloads and reported settings are values too.
		s.cw = s.maskStrings(s.cw, msg)
		return nil
	}
	s.cw = append(s.cw, msg...)
	return nil
}

// outOfStep ends a session whose server answered something other than what
// the queue awaits: the gateway could no longer tell which statement rows
// belong to, so it passes nothing more.
var outOfStep = fatal(stateProtocol, "jitgate lost track of the conversation with the database and closed the session", "")

// completes are the expectations answered by ParseComplete, BindComplete
// and CloseComplete.
var completes = [3]expKind{expParse, expBind, expClose}

// heads reports whether the oldest expectation is of one of the kinds.
func (s *session) heads(kinds ...expKind) bool {
	e, ok := s.q.peek()
	return ok && slices.Contains(kinds, e.kind)
}

// onRowDescription sets how the next rows are masked, or answers a
// Describe.
func (s *session) onRowDescription(msg []byte) error {
	plan, fields, err := s.planFor(msg)
	if err != nil {
		return err
	}
	return s.onDescription(msg, plan, fields, true)
}

func (s *session) onNoData(msg []byte) error {
	return s.onDescription(msg, nil, []field{}, false)
}

// onDescription handles a RowDescription or NoData: the answer to a
// Describe, remembered for the statement or portal, or, in a simple Query,
// the shape of the rows that follow.
func (s *session) onDescription(msg []byte, plan *rowPlan, fields []field, rows bool) error {
	e, _ := s.q.peek()
	switch {
	case e.kind == expDescribeStatement:
		s.popFinish()
		if e.copy != nil {
			e.copy.plan = s.copyPlanOf(e.copy, fields)
		}
		if e.swallow {
			return nil
		}
	case e.kind == expDescribePortal:
		s.popFinish()
		if e.port != nil {
			e.port.plan = plan
		}
		if e.swallow {
			return nil
		}
	case rows && e.kind == expQuery:
		s.plan = plan
	default:
		return outOfStep
	}
	s.cw = append(s.cw, msg...)
	return nil
}

// planFor returns the mask plan of a RowDescription. Plans are cached by the
// description's bytes: the same query shape repeats all session long.
func (s *session) planFor(msg []byte) (*rowPlan, []field, error) {
	derived := s.describesDerived()
	plans := s.plans[derived]
	if p, ok := plans[string(msg)]; ok && !s.stale(p) {
		// The same bytes: the same fields, read when the plan was made.
		return p, p.fields, nil
	}
	fields, err := parseRowDescription(msg)
	if err != nil {
		return nil, nil, err
	}
	p := s.rowPlanOf(fields, derived)
	if len(plans) >= 256 {
		clear(plans)
	}
	plans[string(msg)] = p
	return p, fields, nil
}

// describesDerived says which columns of the description at hand its
// statement may fill from masked ones; a portal the gateway did not see
// bound may be anything.
func (s *session) describesDerived() reach {
	if s.cat == nil {
		return reachNone
	}
	e, _ := s.q.peek()
	switch e.kind {
	case expQuery:
		return e.derived
	case expDescribePortal:
		if e.port == nil || e.port.stmt == nil {
			return reachUnnamed
		}
		return s.derives(e.port.stmt.verdict)
	}
	return reachNone
}

// executePlan is the plan of the rows of the Execute at the head of the
// queue, from its portal's description.
func (s *session) executePlan() *rowPlan {
	e, ok := s.q.peek()
	if !ok || e.kind != expExecute {
		return nil
	}
	p := e.port.plan
	if p != nil && s.stale(p) {
		// Plans are cached by description: this one may be older than
		// what the catalog knows now.
		p = s.rowPlanOf(p.fields, p.derived)
	}
	return p
}

// boundInTx follows a named portal the server created in the open
// transaction. Portals closed or replaced since are let go of once the list
// is twice as long as the portals a session may hold.
func (s *session) boundInTx(p *portal) {
	if len(s.txPortals) >= 2*maxNamed {
		s.txPortals = slices.DeleteFunc(s.txPortals, func(p *portal) bool { return p.dead.Load() })
	}
	s.txPortals = append(s.txPortals, p)
}

// txEnded marks the named portals of the transaction that ended dead: the
// server dropped them.
func (s *session) txEnded() {
	if len(s.txPortals) == 0 {
		return
	}
	for _, p := range s.txPortals {
		p.dead.Store(true)
	}
	s.deadPortals.Add(int64(len(s.txPortals)))
	clear(s.txPortals)
	s.txPortals = s.txPortals[:0]
}

// onCommandComplete counts rows; an Execute ends here.
func (s *session) onCommandComplete(msg []byte) error {
	e, ok := s.q.peek()
	if !ok || (e.kind != expQuery && e.kind != expExecute) {
		return outOfStep
	}
	s.rows += commandRows(msg)
	s.plan = nil
	if e.ddl {
		s.schemaChanged(false)
	}
	if e.kind == expExecute {
		s.settle(e, true)
		s.finishExecute()
	}
	return nil
}

// settle tells the savepoints that the Query or Execute e, which sets or
// removes some, ran (ok) or failed. One statement that fails changes no
// savepoint, and one the server skips after an earlier error never ran:
// only a Query of several statements that failed part way leaves them
// unknown.
func (s *session) settle(e expectation, ok bool) {
	if e.portalOps != nil && (ok || e.multi) {
		s.savepoints.settle(e.portalOps, e.binds, ok)
	}
}

// commandRows reads the row count at the end of a CommandComplete tag
// ("SELECT 5", "INSERT 0 1", "UPDATE 3").
func commandRows(msg []byte) int64 {
	tag := bytes.TrimRight(body(msg), "\x00")
	i := bytes.LastIndexByte(tag, ' ')
	if i < 0 {
		return 0
	}
	n, err := strconv.ParseInt(string(tag[i+1:]), 10, 64)
	if err != nil {
		return 0
	}
	return n
}

// finishExecute ends the Execute at the head of the queue.
func (s *session) finishExecute() {
	s.popFinish()
	s.rows, s.sqlState, s.plan = 0, "", nil
}

// popFinish removes the oldest expectation and completes its recording, so
// no recording is ever left open. It returns what it removed.
func (s *session) popFinish() expectation {
	e, ok := s.q.pop()
	if ok && e.rec != nil {
		e.rec.Finish(s.rows, s.sqlState, time.Since(e.start))
	}
	return e
}

// onError records the failure and, in the extended protocol, drops the
// expectations the server will now skip until Sync.
func (s *session) onError(msg []byte) {
	s.sqlState = errorCode(msg)
	head, _ := s.q.peek()
	s.createdNothing(head)
	if head.kind == expParse && head.err != nil {
		// The server failed the stand-in of a refused message: show why.
		s.cw = appendError(s.cw, head.err)
		s.sqlState = head.err.code
	} else if !head.quiet {
		s.cw = s.maskNotice(s.cw, msg)
	}
	if e, ok := s.q.peek(); ok && e.kind != expQuery && e.kind != expRefusedQuery && e.kind != expSync {
		s.groupFailed = true
		s.failedGroup.Store(s.groupsDone + 1)
		s.popFinish() // the message that failed
		for {
			e, ok := s.q.peek()
			if !ok || e.kind == expSync {
				break
			}
			s.popSkipped()
		}
		s.rows, s.sqlState = 0, ""
	}
}

// popSkipped removes the expectation of a message the server skipped after
// an error in its group. A skipped Parse created nothing, so its name is
// free again, as it is on the server; a skipped Execute ran nothing, so it
// is not recorded as if it had.
func (s *session) popSkipped() {
	e, ok := s.q.pop()
	if !ok {
		return
	}
	s.createdNothing(e)
	if e.rec != nil {
		e.rec.Discard()
	}
}

// createdNothing frees the name of a Parse or a Bind that created
// nothing, because the server refused or skipped it; other expectations
// are left alone.
func (s *session) createdNothing(e expectation) {
	switch {
	case e.kind == expParse && e.stmt != nil:
		e.stmt.failed.Store(true)
	case e.kind == expBind && e.port != nil:
		s.markDead(e.port)
	}
}

// onReady ends a Query or a Sync group. A refusal that belongs to it goes
// out first, so the client sees the error, then ready.
func (s *session) onReady(msg []byte) error {
	var e expectation
	for {
		var ok bool
		if e, ok = s.q.peek(); !ok {
			return errors.New("target sent ReadyForQuery that nothing asked for")
		}
		if e.kind == expQuery || e.kind == expRefusedQuery || e.kind == expSync {
			break
		}
		// Messages sent after an error reached the gateway, up to Sync,
		// are skipped by the server and get no answer of their own.
		// Without an error, an answer is missing: out of step.
		if !s.groupFailed {
			return outOfStep
		}
		s.popSkipped()
	}
	if e.kind == expQuery {
		// Before it leaves the queue, so the client half never sees it
		// answered and the list not yet changed.
		s.settle(e, s.sqlState == "")
	}
	s.q.pop()
	s.groupFailed = false
	// The ReadyForQuery of the gateway's own Sync is not the client's.
	if !e.swallow {
		switch e.kind {
		case expQuery:
			if e.rec != nil {
				e.rec.Finish(s.rows, s.sqlState, time.Since(e.start))
			}
		case expRefusedQuery, expSync:
			if e.err != nil {
				s.cw = appendError(s.cw, e.err)
			}
		}
		s.cw = append(s.cw, msg...)
	}
	s.rows, s.sqlState, s.plan = 0, "", nil
	s.copyOut, s.copyPlan = false, nil
	s.groupsDone++
	if len(body(msg)) == 1 && body(msg)[0] == 'I' {
		// No transaction is open: the server dropped its portals and
		// savepoints.
		s.txEnded()
		s.savepoints.forget()
		if s.schemaTx && !e.swallow {
			s.schemaChanged(true)
		}
	}
	return nil
}

func errorCode(msg []byte) string { return string(errorShapeOf(msg).code) }

// maskNotice masks the text fields of an ErrorResponse or NoticeResponse,
// which can echo values ("Key (email)=(alice@example.com) already exists"):
// the values of data and constraint errors are hidden (errvalues.go), and
// the detectors run over every field.
func (s *session) maskNotice(dst, msg []byte) []byte {
	fields := body(msg)
	shape := errorShapeOf(msg)
	head, _ := s.q.peek()
	stmt := head.statement()
	changed := false
	for b := fields; len(b) > 1 && b[0] != 0; {
		v, rest, err := cbytes(b[1:])
		if err != nil {
			return append(dst, msg...)
		}
		if _, did := hideErrorValues(shape, b[0], v, stmt); did {
			changed = true
			break
		}
		if _, did := s.srv.cfg.Masker.Append(nil, v); did {
			changed = true
			break
		}
		b = rest
	}
	if !changed {
		return append(dst, msg...)
	}
	dst, at := appendMsg(dst, msg[0])
	for b := fields; len(b) > 1 && b[0] != 0; {
		v, rest, _ := cbytes(b[1:])
		v, _ = hideErrorValues(shape, b[0], v, stmt)
		dst = append(dst, b[0])
		dst, _ = s.srv.cfg.Masker.Append(dst, v)
		dst = append(dst, 0)
		b = rest
	}
	dst = append(dst, 0)
	return finishMsg(dst, at)
}

// maskStrings masks the strings of a NotificationResponse (after its
// process id) or a ParameterStatus.
func (s *session) maskStrings(dst, msg []byte) []byte {
	b := body(msg)
	prefix := 0
	if msg[0] == 'A' {
		prefix = 4
	}
	if len(b) < prefix {
		return append(dst, msg...)
	}
	if _, did := s.srv.cfg.Masker.Append(nil, b[prefix:]); !did {
		return append(dst, msg...)
	}
	dst, at := appendMsg(dst, msg[0])
	dst = append(dst, b[:prefix]...)
	for rest := b[prefix:]; len(rest) > 0; {
		v, next, err := cbytes(rest)
		if err != nil {
			break
		}
		dst, _ = s.srv.cfg.Masker.Append(dst, v)
		dst = append(dst, 0)
		rest = next
	}
	return finishMsg(dst, at)
}
