package classify

import (
	"strings"
	"sync"
)

// ReservedPrefix starts the names of the statements a gateway prepares
// for itself; a client's statement of such a name would collide with
// them.
const ReservedPrefix = "jitgate_"

// Session tracks the SQL-level state of one connection that changes what
// later statements do: statements prepared by name. The verdict of EXECUTE
// is the verdict of what was prepared under that name; an unknown name is
// refused. It is safe for concurrent use.
//
// Its verdicts run once per statement, so they are not copied: their
// Reasons and Kinds may be shared with the cache. Append to them as you
// like (the first append copies), but never change their elements.
type Session struct {
	c        *Classifier
	mu       sync.Mutex
	prepared preparedSet
}

// NewSession returns a Session with nothing prepared.
func (c *Classifier) NewSession() *Session {
	return &Session{c: c, prepared: preparedSet{}}
}

// Classify returns what sql does in this session and records the statements
// it prepares or deallocates, as if it runs.
func (s *Session) Classify(sql string) Verdict {
	an := s.c.analysis(sql)
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.prepared.apply(an)
}

// Prepare records a statement prepared through the extended protocol
// (a Parse message), which shares its names with SQL PREPARE, and returns
// what running it does. The unnamed statement "" is replaced, not merged.
func (s *Session) Prepare(name, sql string) Verdict {
	an := s.c.analysis(sql)
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.prepared.apply(an)
	if name == "" {
		delete(s.prepared, name)
	}
	if !s.prepared.add(name, v) {
		v.refuse(tooManyPrepared)
	}
	return v
}

// Prepared returns what running the statement prepared under name does, for
// a Bind of the extended protocol; false when the name is unknown.
func (s *Session) Prepared(name string) (Verdict, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.prepared[name]
	if !ok || p.deallocated {
		return Verdict{}, false
	}
	return p.verdict.shared(), true
}

// Deallocate records that the statement prepared under name was closed
// (a Close message of the extended protocol).
func (s *Session) Deallocate(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.prepared.deallocate(name)
}

type opKind uint8

const (
	opPrepare opKind = iota
	opExecute
	opDeallocate
	opDeallocateAll
)

// sessionOp is a statement that reads or changes the prepared statements.
type sessionOp struct {
	kind    opKind
	name    string
	verdict Verdict // for opPrepare: what running the statement does
}

// maxPrepared bounds the names one session tracks.
const maxPrepared = 10000

const tooManyPrepared = "too many prepared statements"

// preparedSet maps statement names to what running them does.
//
// The server may refuse a PREPARE or DEALLOCATE that is classified here (in
// an aborted transaction, or PREPARE of a name in use keeps the old
// statement), and nothing tells this package. So the set never forgets a
// danger: preparing a known name merges the verdicts, and DEALLOCATE only
// marks the name, so that EXECUTE of it is refused and a later PREPARE of
// the same name still carries what was there before.
type preparedSet map[string]*prepared

type prepared struct {
	verdict     Verdict
	deallocated bool
}

func (ps preparedSet) apply(an *analysis) Verdict {
	v := an.verdict.shared()
	for _, op := range an.ops {
		switch op.kind {
		case opPrepare:
			if strings.HasPrefix(op.name, ReservedPrefix) {
				v.refuse("prepared statement names starting with " + ReservedPrefix + " are reserved by jitgate")
			}
			if !ps.add(op.name, op.verdict) {
				v.refuse(tooManyPrepared)
			}
		case opExecute:
			p, ok := ps[op.name]
			if !ok || p.deallocated {
				v.refuse("EXECUTE of unknown prepared statement " + op.name)
				continue
			}
			v.merge(p.verdict)
		case opDeallocate:
			ps.deallocate(op.name)
		case opDeallocateAll:
			for _, p := range ps {
				p.deallocated = true
			}
		}
	}
	return v
}

func (ps preparedSet) add(name string, v Verdict) bool {
	if p, ok := ps[name]; ok {
		p.verdict.merge(v)
		p.deallocated = false
		return true
	}
	if len(ps) >= maxPrepared {
		for n, p := range ps {
			if p.deallocated {
				delete(ps, n)
			}
		}
		if len(ps) >= maxPrepared {
			return false
		}
	}
	v = v.shared()
	v.Kinds, v.Renames, v.Portals = nil, nil, nil
	ps[name] = &prepared{verdict: v}
	return true
}

func (ps preparedSet) deallocate(name string) {
	if p, ok := ps[name]; ok {
		p.deallocated = true
	}
}
