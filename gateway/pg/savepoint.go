package pg

import (
	"slices"
	"sync"
	"sync/atomic"

	"github.com/jitgate/jitgate/gateway/pg/classify"
)

// savepointList follows the open transaction's savepoints, as far as the
// server has confirmed them, and the count of the session's Binds when
// each was set: a ROLLBACK TO one drops the portals bound since. The
// backend half changes it only when a statement that sets or removes
// savepoints has run without error; after anything less certain (a Query
// of several statements failing part way, too many savepoints, a name it
// forgot) it forgets what it knew, and a rollback to a name it does not
// know drops every portal.
// The client half reads it as it sends a ROLLBACK TO.
type savepointList struct {
	mu   sync.Mutex
	list []savepoint
	// unsettled counts the Queries and Executes sent that move savepoints
	// and have not left the queue: the list does not show them yet.
	unsettled atomic.Int64
}

// savepoint is a SAVEPOINT the server ran.
type savepoint struct {
	name  string
	binds uint64
}

// maxSavepoints bounds the savepoints a session follows.
const maxSavepoints = 1024

// markOf returns the Bind count at the latest savepoint of that name, and
// false (with 0, which drops every portal) when there is none.
func (l *savepointList) markOf(name string) (uint64, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if i := l.index(name); i >= 0 {
		return l.list[i].binds, true
	}
	return 0, false
}

// settle applies the savepoint statements of a Query or Execute that ran
// (ok), or forgets every savepoint when a Query of several statements
// failed part way.
func (l *savepointList) settle(ops []classify.PortalOp, binds uint64, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !ok {
		l.reset()
		return
	}
	for _, op := range ops {
		switch op.Kind {
		case classify.EndTransaction:
			l.reset()
		case classify.Savepoint:
			if len(l.list) == maxSavepoints {
				l.compact()
			}
			l.list = append(l.list, savepoint{name: op.Name, binds: binds})
		case classify.Release, classify.RollbackTo:
			i := l.index(op.Name)
			if i < 0 {
				// Forgotten: what it released or rolled back is
				// not known.
				l.reset()
				continue
			}
			if op.Kind == classify.RollbackTo {
				i++ // the savepoint itself stays
			}
			clear(l.list[i:])
			l.list = l.list[:i]
		}
	}
}

// forget drops every savepoint, when no transaction is open.
func (l *savepointList) forget() {
	l.mu.Lock()
	l.reset()
	l.mu.Unlock()
}

func (l *savepointList) reset() {
	clear(l.list)
	l.list = l.list[:0]
}

// index finds the latest savepoint of that name, or -1: a name set twice
// is rolled back to and released at its latest setting.
func (l *savepointList) index(name string) int {
	for i := len(l.list) - 1; i >= 0; i-- {
		if l.list[i].name == name {
			return i
		}
	}
	return -1
}

// compact makes room. An earlier savepoint of a name set again later is
// hidden until the later one is released; forgetting it only makes a
// rollback to it, then, drop every portal. JDBC's autosave sets the same
// name before each statement, so this is usually enough; if not, all go.
func (l *savepointList) compact() {
	seen := make(map[string]bool, len(l.list))
	var kept []savepoint
	for i := len(l.list) - 1; i >= 0; i-- {
		if !seen[l.list[i].name] {
			seen[l.list[i].name] = true
			kept = append(kept, l.list[i])
		}
	}
	slices.Reverse(kept)
	clear(l.list)
	l.list = append(l.list[:0], kept...)
	if len(l.list) == maxSavepoints {
		l.reset()
	}
}

// movesSavepoints reports whether op sets, removes or returns to
// savepoints: until the server has answered it, what a ROLLBACK TO returns
// to is not known.
func movesSavepoints(op classify.PortalOp) bool {
	return op.Kind != classify.CloseCursor
}
