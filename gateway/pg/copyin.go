package pg

import (
	"context"
	"fmt"
	"sync"
)

// COPY ... FROM STDIN puts the server in a mode where it reads only COPY
// data and ignores Sync and Flush. An error there ends the mode, and the
// next Sync is answered again. Which Syncs the server reads in that mode
// depends on when it entered and left it, which the client half cannot see
// when it reads a Sync. So a Sync that comes while a COPY FROM STDIN may be
// under way waits until the backend half knows: if the server is copying,
// the Sync is dropped, as the server would ignore it; if the statement is
// over, it goes on, to be answered. Every Sync the gateway passes on is one
// the server answers, which keeps the expectation queue in step. Any other
// message waits the same way; the server would take it for a broken COPY,
// so while copying the session ends instead.

// copyIn follows one Query or Execute that runs COPY ... FROM STDIN.
type copyIn struct {
	mu sync.Mutex
	// n is the statement's number of COPY FROM STDIN; endedByClient
	// counts the client's CopyDone and CopyFail so far, started the
	// server's CopyInResponse.
	n, endedByClient, started int
	// over: the statement completed or failed, and the server reads
	// messages as usual again.
	over bool
	// changed is closed, and replaced, whenever the backend half learns
	// something new.
	changed chan struct{}
}

// startCopyIn follows the COPY FROM STDIN of a statement about to be sent.
func (s *session) startCopyIn(e *expectation, n int) {
	if n == 0 {
		return
	}
	ci := &copyIn{n: n, changed: make(chan struct{})}
	e.copyIn, s.copyIn = ci, ci
}

// copyEndedByClient counts the client's CopyDone or CopyFail. After the
// last one, the server reads Syncs as usual again.
func (s *session) copyEndedByClient() {
	ci := s.copyIn
	if ci == nil {
		return
	}
	ci.mu.Lock()
	ci.endedByClient++
	if ci.endedByClient >= ci.n || ci.over {
		s.copyIn = nil
	}
	ci.mu.Unlock()
}

// copying reports whether the server reads the client's next message in
// COPY mode, waiting, if need be, until the backend half knows. The wait
// lasts one round trip: the server answers the statement with
// CopyInResponse or with its end.
func (s *session) copying(ctx context.Context) (bool, error) {
	for ci := s.copyIn; ci != nil; {
		ci.mu.Lock()
		over, copying, changed := ci.over, ci.started > ci.endedByClient, ci.changed
		ci.mu.Unlock()
		switch {
		case over:
			s.copyIn = nil
			return false, nil
		case copying:
			return true, nil
		}
		if s.failedGroup.Load() == s.groupsSent+1 {
			// An error failed this group on the server, which skips the
			// COPY's Execute: it will not start, and the Sync ends it.
			return false, nil
		}
		// The server has yet to start this copy or to fail before it: let
		// it see the statement, and wait for its answer.
		if err := s.flushUpstream(); err != nil {
			return false, err
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return false, context.Cause(ctx)
		}
	}
	return false, nil
}

// duringCopy handles a message the client sends while a COPY FROM STDIN
// may be under way. The server ignores a Sync in COPY mode, so the gateway
// drops it. Any other message but COPY data, Flush and Terminate would be
// taken by the server for a broken COPY and lost, with the gateway's
// expectation of its answer left behind: the session ends instead.
func (s *session) duringCopy(ctx context.Context, typ byte) (drop bool, err error) {
	switch typ {
	case 'd', 'c', 'f', 'H', 'X':
		return false, nil
	}
	copying, err := s.copying(ctx)
	switch {
	case err != nil:
		return true, err
	case !copying:
		return false, nil
	case typ == 'S':
		return true, nil
	}
	return true, fatal(stateProtocol, fmt.Sprintf("jitgate expected COPY data, CopyDone or CopyFail during COPY FROM STDIN, not a %q message", typ), "")
}

// onCopyIn is the server's CopyInResponse: a copy of the statement at the
// head of the queue started. A copy the gateway did not count would make
// it pass Syncs the server ignores, so it ends the session.
func (s *session) onCopyIn() error {
	e, _ := s.q.peek()
	ci := e.copyIn
	if ci == nil {
		return outOfStep
	}
	ci.mu.Lock()
	defer ci.mu.Unlock()
	if ci.started >= ci.n {
		return outOfStep
	}
	ci.started++
	ci.signal()
	return nil
}

// end marks the statement over; its expectation left the queue.
func (ci *copyIn) end() {
	ci.mu.Lock()
	ci.over = true
	ci.signal()
	ci.mu.Unlock()
}

func (ci *copyIn) signal() {
	close(ci.changed)
	ci.changed = make(chan struct{})
}
