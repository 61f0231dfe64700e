package pg

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

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
	err := s.cr.each(func(typ byte, msg []byte) error {
		err := s.onMessage(ctx, typ, msg)
		if typ != 'D' && typ != 'H' {
			// Every other message may run code on the server (a Bind's
			// parameter input and domain checks, a COPY row's triggers,
			// any statement), which may change what a portal name holds.
			s.epoch++
		}
		return err
	}, s.flushUpstream)
	var tl errTooLarge
	if errors.As(err, &tl) {
		return fmt.Errorf("client sent a %d-byte message", tl.size)
	}
	return err
}

func (s *session) onMessage(ctx context.Context, typ byte, msg []byte) error {
	if s.copyIn != nil {
		// Before track: a Sync the server ignores ends no group.
		if drop, err := s.duringCopy(ctx, typ); drop {
			return err
		}
	}
	if err := s.track(typ); err != nil {
		return err
	}
	if s.skipping && skippedAfterError(typ) {
		return nil
	}
	return s.onClientMessage(ctx, typ, msg)
}

// track keeps the protocol state the server keeps. A Query or FunctionCall
// inside an unfinished extended-protocol group is a protocol violation the
// server would handle in ways the gateway cannot mirror safely, so the
// session ends.
func (s *session) track(typ byte) error {
	switch typ {
	case 'P', 'B', 'D', 'E', 'C':
		s.inGroup = true
	case 'S':
		s.inGroup, s.skipping = false, false
		s.groupsSent++
	case 'Q', 'F':
		s.groupsSent++
		if s.inGroup {
			return fatal(stateProtocol, "a simple Query inside an unfinished extended-protocol group is not allowed by jitgate", "send Sync first")
		}
	case 'c', 'f':
		s.copyEndedByClient()
	}
	return nil
}

// skippedAfterError reports whether the server skips a message of type
// typ after an error in its group: every one up to Sync, but the gateway
// still passes on those that change nothing (Flush, Terminate) and COPY
// data, which the server handles in a COPY mode of its own.
func skippedAfterError(typ byte) bool {
	switch typ {
	case 'P', 'B', 'D', 'E', 'C':
		return true
	}
	return false
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
		s.q.push(expectation{kind: expSync})
		s.send(msg)
	case 'C':
		return s.onClose(msg)
	case 'H', 'd', 'c', 'f':
		s.send(msg)
	case 'F':
		// The fast-path function call runs a function by OID, out of
		// sight of the parser: never.
		s.refuseQuery(refused("function calls through the fast-path protocol are not allowed by jitgate", ""))
	case 'X':
		// Set before the server can see it: its close then reads as the
		// client's leaving, whichever loop notices first.
		s.terminated.Store(true)
		s.send(msg)
		_ = s.flushUpstream()
		return errClientTerminated
	default:
		return fmt.Errorf("unexpected message %q from client", typ)
	}
	return nil
}

var errClientTerminated = errors.New("client terminated")

// shown is sql as recordings and reviewers see it: masked by the
// detectors, and with its string constants replaced first when the parser
// found credentials in them (a role's password, a server's options).
func (s *session) shown(sql string, v classify.Verdict) string {
	if v.Secret {
		sql = classify.Redact(sql)
	}
	return s.srv.cfg.Masker.String(sql)
}

func (s *session) send(msg []byte) { s.uw = append(s.uw, msg...) }

func (s *session) flushUpstream() error {
	if len(s.uw) == 0 {
		return nil
	}
	_, err := s.uwr.Write(s.uw)
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
	masked := s.shown(sql, v)
	ev := s.event("query", masked, nil, v)
	if pe := s.decide(ctx, v, masked, &ev); pe != nil {
		s.refuseQuery(pe)
		return nil
	}
	copyOut, pe := s.copyTarget(sql, v)
	if pe != nil {
		s.recordRefusal(&ev, pe)
		s.refuseQuery(pe)
		return nil
	}
	rec, err := s.srv.cfg.Recorder.Begin(s.numbered(ev))
	if err != nil {
		s.refuseQuery(recorderBehind)
		return nil
	}
	e := expectation{kind: expQuery, sql: masked, rec: rec, start: time.Now(), ddl: changesSchema(v), derived: s.derives(v)}
	if copyOut != nil {
		e.copy = s.describeCopyAlone(copyOut, e.derived)
	}
	s.startCopyIn(&e, v.CopyIns)
	s.forgetDropped(&e, v)
	s.q.push(e)
	s.send(msg)
	return nil
}

// refuseQuery answers a Query or FunctionCall with an error instead of
// running it. The refusal is recorded best-effort: it changed nothing.
func (s *session) refuseQuery(pe *pgError) {
	s.q.push(expectation{kind: expRefusedQuery, err: pe})
	s.send(syncMsg)
}

// refusedParse stands in, upstream, for a refused message of an
// extended-protocol group: a Parse that cannot succeed, under a name no
// client uses. The server fails it in order and then skips the rest of the
// group up to Sync, exactly as after any error, and the backend half shows
// the client the refusal instead of the server's syntax error.
var refusedParse = func() []byte {
	m, at := appendMsg(nil, 'P')
	m = append(m, "jitgate_refused\x00jitgate refused this statement\x00\x00\x00"...)
	return finishMsg(m, at)
}()

// reservedName refuses a client's statement under a name the gateway
// keeps for its own (jitgate_copy, jitgate_refused): it would make the
// gateway's own Parse of that name fail, or stand in for it.
func reservedName(name string) *pgError {
	if !strings.HasPrefix(name, classify.ReservedPrefix) {
		return nil
	}
	return refused(fmt.Sprintf("prepared statement %q: names starting with %s are reserved by jitgate", name, classify.ReservedPrefix), "choose another name")
}

// refuseInGroup refuses a message of an extended-protocol group, and the
// rest of the group with it, as the server does after an error.
func (s *session) refuseInGroup(pe *pgError) {
	s.q.push(expectation{kind: expParse, err: pe})
	s.send(refusedParse)
	s.skipping = true
}

// recorderBehind refuses a statement that could not be recorded.
var recorderBehind = &pgError{severity: "ERROR", code: stateResources, message: "jitgate cannot record this statement right now, so it was not run", hint: "try again shortly"}

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
	if pe := reservedName(name); pe != nil {
		s.refuseInGroup(pe)
		return nil
	}
	old, exists := s.stmts[name]
	if exists && name != "" && !old.failed.Load() {
		// The server refuses it too; refusing here keeps what the gateway
		// knows about the name true.
		s.refuseInGroup(&pgError{severity: "ERROR", code: "42P05", message: fmt.Sprintf("prepared statement %q already exists", name)})
		return nil
	}
	if !exists && len(s.stmts) >= maxNamed {
		maps.DeleteFunc(s.stmts, func(_ string, st *statement) bool { return st.failed.Load() })
		if len(s.stmts) >= maxNamed {
			s.refuseInGroup(tooManyNamed("prepared statements"))
			return nil
		}
	}
	v := s.cls.Prepare(name, sql)
	st := &statement{masked: s.shown(sql, v), verdict: v}
	ev := s.event("parse", st.masked, nil, v)
	pe := s.decide(ctx, v, st.masked, &ev)
	if pe == nil {
		if st.copy, pe = s.copyTarget(sql, v); pe != nil {
			s.recordRefusal(&ev, pe)
		}
	}
	if pe != nil {
		delete(s.stmts, name)
		s.refuseInGroup(pe)
		return nil
	}
	s.stmts[name] = st
	s.q.push(expectation{kind: expParse, stmt: st})
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
	if pe := reservedName(string(stmtName)); pe != nil {
		s.refuseInGroup(pe)
		return nil
	}
	p.stmt = s.stmts[string(stmtName)]
	if p.stmt != nil && p.stmt.failed.Load() {
		p.stmt = nil
	}
	if p.stmt == nil && len(stmtName) > 0 {
		// A name from SQL PREPARE: its text was decided then, and is
		// decided again now, as EXECUTE would be. SQL PREPARE names no
		// unnamed statement, and after a Parse of one failed or was
		// skipped, the gateway cannot tell which the server holds.
		if v, ok := s.cls.Prepared(string(stmtName)); ok {
			p.stmt = &statement{masked: "EXECUTE " + string(stmtName) + " (prepared with SQL PREPARE)", verdict: v}
			ev := s.event("bind", p.stmt.masked, nil, v)
			if pe := s.decide(ctx, v, p.stmt.masked, &ev); pe != nil {
				s.refuseInGroup(pe)
				return nil
			}
		}
	}
	if p.stmt == nil {
		s.refuseInGroup(refused(fmt.Sprintf("jitgate does not know prepared statement %q in this session", stmtName), "prepare it again"))
		return nil
	}
	p.params = s.maskParams(p.params)
	if name != "" {
		if pe := s.keepNamed(name, p); pe != nil {
			s.refuseInGroup(pe)
			return nil
		}
	}
	s.binds++
	p.bound = s.binds
	s.portals[name] = p
	s.q.push(expectation{kind: expBind, port: p})
	s.send(msg)
	return nil
}

var errBadBind = errors.New("bad Bind")

// keepNamed makes room for a named portal within the session's bounds,
// or says why there is none. The portal it replaces, if any, is let go.
func (s *session) keepNamed(name string, p *portal) *pgError {
	if s.deadPortals.Swap(0) > 0 {
		maps.DeleteFunc(s.portals, func(name string, p *portal) bool {
			if p.dead.Load() && name != "" {
				s.letGo(p)
				return true
			}
			return false
		})
	}
	old, exists := s.portals[name]
	if !exists && len(s.portals) >= maxNamed {
		return tooManyNamed("portals")
	}
	for _, v := range p.params {
		p.size += len(v)
	}
	freed := 0
	if exists {
		freed = old.size
	}
	if s.portalBytes-freed+p.size > maxPortalBytes {
		return &pgError{severity: "ERROR", code: stateResources,
			message: fmt.Sprintf("jitgate holds at most %d MiB of parameters of named portals per session", maxPortalBytes>>20),
			hint:    "close the portals no longer needed, or use the unnamed portal"}
	}
	if exists {
		// Replaced here, and on the server unless it refuses the Bind
		// (then the new one is marked dead).
		s.letGo(old)
	}
	s.portalBytes += p.size
	p.named = true
	return nil
}

// letGo marks a portal the server dropped or is about to, and gives back
// what it held: its share of the named portals' parameter bound, and the
// parameters themselves (a list of the transaction's portals may still
// point at it). Callers take it out of portals, so it is let go once.
func (s *session) letGo(p *portal) {
	p.dead.Store(true)
	if p.named {
		s.portalBytes -= p.size
	}
	p.params = nil
}

// tooManyNamed refuses one more named statement or portal than a session
// may hold.
func tooManyNamed(what string) *pgError {
	return &pgError{severity: "ERROR", code: stateResources,
		message: fmt.Sprintf("jitgate holds at most %d named %s per session", maxNamed, what),
		hint:    "close those no longer needed (Close, DEALLOCATE, or end the transaction)"}
}

// parseBind reads a Bind's parameters, as text for the recording.
func parseBind(b []byte) (*portal, error) {
	nf, b, err := readInt16(b)
	if err != nil || nf < 0 || len(b) < 2*nf {
		return nil, errBadBind
	}
	// Most Binds carry a few format codes: read them without allocating.
	var few [8]int16
	paramFormats := few[:0]
	if nf > len(few) {
		paramFormats = make([]int16, 0, nf)
	}
	for i := range nf {
		paramFormats = append(paramFormats, int16(binary.BigEndian.Uint16(b[2*i:])))
	}
	b = b[2*nf:]
	np, b, err := readInt16(b)
	if err != nil || np < 0 {
		return nil, errBadBind
	}
	p := &portal{params: make([]string, np)}
	for i := range np {
		var size int
		if size, b, err = readInt32(b); err != nil || size > len(b) {
			return nil, errBadBind
		}
		if size < 0 {
			p.params[i] = "NULL"
			continue
		}
		if formatOf(paramFormats, i) == 1 {
			p.params[i] = binaryLabel(size)
		} else {
			p.params[i] = string(b[:size])
		}
		b = b[size:]
	}
	// The result formats are checked, not kept: rows are masked by the
	// portal's description, which carries them.
	nr, b, err := readInt16(b)
	if err != nil || nr < 0 || len(b) < 2*nr {
		return nil, errBadBind
	}
	return p, nil
}

// binaryLabels are the recorded forms of binary parameters of the sizes
// of fixed-size types, made once.
var binaryLabels = func() (l [17]string) {
	for i := range l {
		l[i] = newBinaryLabel(i)
	}
	return l
}()

// binaryLabel is how a binary parameter of size bytes is recorded: its
// bytes mean nothing as text.
func binaryLabel(size int) string {
	if size < len(binaryLabels) {
		return binaryLabels[size]
	}
	return newBinaryLabel(size)
}

func newBinaryLabel(size int) string { return "[" + strconv.Itoa(size) + " bytes, binary]" }

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

// maskParams makes a Bind's parameters what is recorded of them, once, at
// the Bind: every Execute of the portal records the same slice, and an
// earlier Execute's event may still be on its way to the database.
func (s *session) maskParams(params []string) []string {
	for i, p := range params {
		params[i] = storable(s.srv.cfg.Masker.String(p))
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
	if pe := reservedName(name); b[0] == 'S' && pe != nil {
		s.refuseInGroup(pe)
		return nil
	}
	switch b[0] {
	case 'S':
		s.q.push(expectation{kind: expDescribeStatement})
	case 'P':
		p := s.portals[name]
		if p != nil {
			p.describedAt = s.epoch
		}
		s.q.push(expectation{kind: expDescribePortal, port: p})
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
	if p == nil || p.stmt == nil || p.dead.Load() {
		// A dead portal's Bind failed, or its transaction ended: the name
		// is not what the gateway bound.
		s.refuseInGroup(refused("jitgate only runs portals bound in this session through it", ""))
		return nil
	}
	ev := s.event("execute", p.stmt.masked, p.params, p.stmt.verdict)
	rec, err := s.srv.cfg.Recorder.Begin(s.numbered(ev))
	if err != nil {
		s.refuseInGroup(recorderBehind)
		return nil
	}
	e := expectation{kind: expExecute, port: p, start: time.Now(), rec: rec, ddl: changesSchema(p.stmt.verdict)}
	// Rows are masked by the portal's own description, taken since the
	// last statement ran: what ran before may have changed what the name
	// holds (a cursor took it), what its statement is (DEALLOCATE and
	// PREPARE, in SQL or in a function), or what its statement's names
	// resolve to (search_path, DDL), which the server re-plans silently.
	// A client that did not ask is not shown the answer.
	if p.describedAt != s.epoch {
		s.q.push(expectation{kind: expDescribePortal, port: p, swallow: true})
		s.uw = appendDescribePortal(s.uw, name)
		p.describedAt = s.epoch
	}
	if p.stmt.copy != nil {
		e.copy = s.describeCopyInGroup(p.stmt.copy, s.derives(p.stmt.verdict))
	}
	s.startCopyIn(&e, p.stmt.verdict.CopyIns)
	s.forgetDropped(&e, p.stmt.verdict)
	s.q.push(e)
	s.send(msg)
	return nil
}

// forgetDropped drops what the gateway knows of the statements and
// portals a statement about to run drops or replaces on the server: names
// it prepares or deallocates in SQL, every statement for DEALLOCATE ALL,
// every portal too for DISCARD ALL (which poolers send between clients),
// and the portals its transaction statements and CLOSEs drop. A Bind of a
// name prepared in SQL is decided again as the EXECUTE it is; if the
// statement fails instead, the names are unknown and refused, never wrong.
// What it does to savepoints waits, on e, for the server to confirm it.
func (s *session) forgetDropped(e *expectation, v classify.Verdict) {
	for _, name := range v.Renames {
		delete(s.stmts, name)
	}
	for _, k := range v.Kinds {
		switch k {
		case "DISCARD ALL":
			s.dropBoundAfter(0)
			fallthrough
		case "DEALLOCATE ALL":
			clear(s.stmts)
		}
	}
	if len(v.Portals) == 0 {
		return
	}
	e.portalOps, e.binds, e.multi = v.Portals, s.binds, len(v.Kinds) > 1
	// The portals a statement may drop on the server are dropped as it is
	// sent, erring toward dropping: a portal the server still holds but
	// the gateway thinks dropped is refused, never run as something it is
	// not. So the portals of a transaction a statement ends die with it
	// even when the server skips the statement after an earlier error
	// (they cannot run in that transaction either). A ROLLBACK TO returns
	// to a savepoint the list shows only once every statement sent before
	// it that moves savepoints has been answered, those earlier in the
	// same text included; until then it drops every portal.
	unsure := s.savepoints.unsettled.Load() > 0
	moves := false
	for _, op := range v.Portals {
		switch op.Kind {
		case classify.EndTransaction:
			s.dropBoundAfter(0)
		case classify.RollbackTo:
			mark := uint64(0)
			if !unsure {
				mark, _ = s.savepoints.markOf(op.Name)
			}
			s.dropBoundAfter(mark)
		case classify.CloseCursor:
			if op.Name == "" {
				s.dropBoundAfter(0)
			} else if p := s.portals[op.Name]; p != nil {
				s.markDead(p)
			}
		}
		if movesSavepoints(op) {
			unsure, moves = true, true
		}
	}
	if moves {
		e.unsettled = &s.savepoints.unsettled
		e.unsettled.Add(1)
	}
}

// markDead marks a portal the server dropped; the next named Bind lets it
// go. Either half may call it.
func (s *session) markDead(p *portal) {
	p.dead.Store(true)
	s.deadPortals.Add(1)
}

// dropBoundAfter marks the portals bound after the mark'th Bind dead, all
// of them for 0; the next named Bind lets them go.
func (s *session) dropBoundAfter(mark uint64) {
	n := 0
	for _, p := range s.portals {
		if p.bound > mark && !p.dead.Load() {
			p.dead.Store(true)
			n++
		}
	}
	if n > 0 {
		s.deadPortals.Add(1)
	}
}

// appendDescribePortal appends a Describe of the named portal to what goes
// upstream, without a message of its own to allocate.
func appendDescribePortal(dst []byte, name string) []byte {
	dst, at := appendMsg(dst, 'D')
	dst = append(dst, 'P')
	dst = append(dst, name...)
	dst = append(dst, 0)
	return finishMsg(dst, at)
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
	if pe := reservedName(name); b[0] == 'S' && pe != nil {
		s.refuseInGroup(pe)
		return nil
	}
	if b[0] == 'S' {
		delete(s.stmts, name)
		s.cls.Deallocate(name)
	} else {
		if p := s.portals[name]; p != nil {
			// Closed on the server once this reaches it, as far as what
			// follows can tell.
			s.letGo(p)
		}
		delete(s.portals, name)
	}
	s.q.push(expectation{kind: expClose})
	s.send(msg)
	return nil
}

// event starts the recording of a statement. params must already be
// storable; event does not change them, as they may be shared with events
// still queued.
func (s *session) event(kind, masked string, params []string, v classify.Verdict) grants.SessionEvent {
	return grants.SessionEvent{
		SessionID: s.rec.ID, At: s.srv.cfg.Clock.Now(), Kind: kind, Statement: storable(masked), Params: params,
		Classification: classification(v), Reason: strings.Join(v.Reasons, "; "), Decision: "allow",
	}
}

// numbered gives ev the session's next number, as it goes to the recorder.
// Numbering there rather than when the event is made leaves no gap for a
// statement that was checked and then not recorded, like a Parse allowed
// and recorded at its Execute. A gap is a statement that was sent on but
// never ran (the server skipped it after an earlier error in its group) or
// one refused because recording was behind.
func (s *session) numbered(ev grants.SessionEvent) grants.SessionEvent {
	s.seq++
	ev.Seq = s.seq
	return ev
}

// storable makes text safe to store: Postgres text holds neither NUL nor
// invalid UTF-8, and one such event must not stop the recording of all.
func storable(s string) string {
	nul := strings.IndexByte(s, 0) >= 0
	if !nul && utf8.ValidString(s) {
		return s
	}
	if nul {
		s = strings.ReplaceAll(s, "\x00", "\\0")
	}
	return strings.ToValidUTF8(s, "\uFFFD")
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
		s.recordRefusal(ev, pe)
	}
	return pe
}

// recordRefusal records a refused statement, best-effort: it changed
// nothing.
func (s *session) recordRefusal(ev *grants.SessionEvent, pe *pgError) {
	ev.Decision, ev.SQLState = "block", pe.code
	if err := s.srv.cfg.Recorder.Record(s.numbered(*ev)); err != nil {
		s.log.Warn("refused statement not recorded", "err", err)
	}
}

func (s *session) verdictRefusal(ctx context.Context, v classify.Verdict, masked string, ev *grants.SessionEvent) *pgError {
	reasons := strings.Join(v.Reasons, "; ")
	switch {
	case v.Refuse:
		return refused("jitgate refused this statement: "+reasons, "")
	case s.cat != nil && anyMasked(s.srv.cfg.Masker, v.Sent):
		return refused("jitgate refused this statement: it would send the value of a masked column outside the result rows (set_config, pg_notify)",
			"pass a constant, or select the value instead")
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
