package pg

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/jitgate/jitgate/gateway"
	"github.com/jitgate/jitgate/gateway/pg/classify"
)

// expKind is what the server will answer to a message the client side sent
// upstream. The client side pushes an expectation before it forwards the
// message, so the backend side always finds the expectation of whatever
// response it reads.
type expKind uint8

const (
	// expQuery: a simple Query; answered by results up to ReadyForQuery.
	expQuery expKind = iota
	// expRefusedQuery: a refused Query, replaced upstream by a Sync so its
	// ReadyForQuery comes back in order; the error is sent before it.
	expRefusedQuery
	expParse
	expBind
	expDescribeStatement
	expDescribePortal
	expExecute
	expClose
	// expSync: answered by ReadyForQuery; err, when set, is a refusal in
	// that Sync's group, sent before it.
	expSync
)

// expectation is one awaited response. It is passed by value through a
// reused ring, so the hot path allocates nothing for it.
type expectation struct {
	kind expKind
	// swallow hides the response from the client: the gateway asked for it.
	swallow bool
	// quiet hides an error too: the gateway's own group, which its own
	// Sync ends, failed, and the client's statement after it will say why.
	quiet bool
	// stmt is the statement a Parse creates, marked failed if the server
	// refuses or skips the Parse.
	stmt *statement
	// port is the portal a Bind creates, or a Describe or Execute names;
	// nil for a Describe of a name the gateway did not see bound.
	port *portal
	// copy is the description of a COPY's columns: filled in by a
	// swallowed expDescribeStatement, used by the Query or Execute that
	// runs the COPY.
	copy *copyDesc
	// ddl: the Query or Execute may change the schema, so what the
	// catalog said is dropped once it completes.
	ddl bool
	// derived: which result columns the Query's statements may fill
	// from masked ones (session.derives).
	derived reach
	// copyIn follows the COPY FROM STDIN of a Query or Execute; it is
	// told when the expectation leaves the queue.
	copyIn *copyIn
	// portalOps are the transaction statements and CLOSEs of a Query or
	// Execute, and binds the session's count of Binds when it was sent:
	// once the server has run them all, the savepoints they set or
	// remove are known (savepointList.settle).
	portalOps []classify.PortalOp
	binds     uint64
	multi     bool // a Query of several statements
	// unsettled is the session's count of such expectations, when e
	// moves savepoints; it is counted down as e leaves the queue, after
	// the backend half has settled it.
	unsettled *atomic.Int64
	// sql is a Query's text as the gateway shows it (masked).
	sql string
	// rec is the recording of a Query or Execute; nil for the others.
	rec   *gateway.Pending
	start time.Time
	err   *pgError
}

// expectQueue is the FIFO between the two halves of a session.
type expectQueue struct {
	mu   sync.Mutex
	ring []expectation
	head int
	n    int
}

func (q *expectQueue) push(e expectation) {
	q.mu.Lock()
	if q.n == len(q.ring) {
		q.grow()
	}
	q.ring[(q.head+q.n)%len(q.ring)] = e
	q.n++
	q.mu.Unlock()
}

func (q *expectQueue) grow() {
	bigger := make([]expectation, max(16, 2*len(q.ring)))
	for i := range q.n {
		bigger[i] = q.ring[(q.head+i)%len(q.ring)]
	}
	q.ring, q.head = bigger, 0
}

// peek returns the oldest expectation.
func (q *expectQueue) peek() (expectation, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.n == 0 {
		return expectation{}, false
	}
	return q.ring[q.head], true
}

// pop removes and returns the oldest expectation.
func (q *expectQueue) pop() (expectation, bool) {
	q.mu.Lock()
	if q.n == 0 {
		q.mu.Unlock()
		return expectation{}, false
	}
	e := q.ring[q.head]
	q.ring[q.head] = expectation{}
	q.head = (q.head + 1) % len(q.ring)
	q.n--
	q.mu.Unlock()
	e.left()
	return e, true
}

// drain empties the queue, for the end of a session.
func (q *expectQueue) drain() []expectation {
	q.mu.Lock()
	out := make([]expectation, 0, q.n)
	for q.n > 0 {
		out = append(out, q.ring[q.head])
		q.ring[q.head] = expectation{}
		q.head = (q.head + 1) % len(q.ring)
		q.n--
	}
	q.mu.Unlock()
	for _, e := range out {
		e.left()
	}
	return out
}

// statement is the text, masked, of the statement an answer to e is
// about: a Query's, a Parse's or an Execute's statement; "" for others.
func (e expectation) statement() string {
	switch {
	case e.kind == expQuery:
		return e.sql
	case e.stmt != nil:
		return e.stmt.masked
	case e.port != nil && e.port.stmt != nil:
		return e.port.stmt.masked
	}
	return ""
}

// left tells what follows the expectation that it left the queue: its
// statement is over.
func (e expectation) left() {
	if e.unsettled != nil {
		e.unsettled.Add(-1)
	}
	if e.copyIn != nil {
		e.copyIn.end()
	}
}
