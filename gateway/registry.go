package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/jitgate/jitgate/grants"
)

// EndedError is the cause a session is cancelled with when its grant ends.
// Its text is shown to the user, so it carries no secret and no internal
// detail: which resource, and why.
type EndedError struct {
	Resource string
	Status   grants.GrantStatus
	By       string
	Reason   string
}

func (e *EndedError) Error() string {
	switch e.Status {
	case grants.GrantRevoked:
		msg := fmt.Sprintf("access to %s ended: grant revoked", e.Resource)
		if e.By != "" {
			msg += " by " + e.By
		}
		if e.Reason != "" {
			msg += " (" + e.Reason + ")"
		}
		return msg
	case grants.GrantReleased:
		return fmt.Sprintf("access to %s ended: grant released", e.Resource)
	default:
		return fmt.Sprintf("access to %s ended: grant expired", e.Resource)
	}
}

// ErrTooManySessions refuses a connection over the per-person cap.
var ErrTooManySessions = errors.New("too many open sessions for this person")

// Clock is the registry's time: real in production, driven by tests.
type Clock interface {
	Now() time.Time
	AfterFunc(d time.Duration, f func()) (stop func() bool)
}

// RealClock is the wall clock.
type RealClock struct{}

// Now returns time.Now.
func (RealClock) Now() time.Time { return time.Now() }

// AfterFunc runs f after d.
func (RealClock) AfterFunc(d time.Duration, f func()) func() bool { return time.AfterFunc(d, f).Stop }

// GrantReader re-reads a grant when the registry may have missed a change.
type GrantReader interface {
	GetGrant(ctx context.Context, id uuid.UUID) (grants.Grant, error)
}

// Registry knows every live session of this replica by grant, and ends them
// the moment their grant ends: at its expiry by the local clock, or when a
// change notice says it was revoked or released.
type Registry struct {
	clock      Clock
	grants     GrantReader
	log        *slog.Logger
	maxPerUser int

	mu      sync.Mutex
	byGrant map[uuid.UUID]*grantSessions
	perUser map[string]int
}

type grantSessions struct {
	grant     grants.Grant
	sessions  map[*Live]struct{}
	stopTimer func() bool
}

// Live is one open session. Its context is cancelled, with an *EndedError
// as the cause, when its grant ends.
type Live struct {
	reg    *Registry
	grant  grants.Grant
	ctx    context.Context
	cancel context.CancelCauseFunc
}

// NewRegistry returns an empty registry. maxPerUser caps one person's open
// sessions across all resources; zero means no cap.
func NewRegistry(clock Clock, reader GrantReader, maxPerUser int, log *slog.Logger) *Registry {
	return &Registry{
		clock: clock, grants: reader, log: log, maxPerUser: maxPerUser,
		byGrant: map[uuid.UUID]*grantSessions{}, perUser: map[string]int{},
	}
}

// Open registers a session under g. The returned session's context derives
// from parent and ends with the grant.
func (r *Registry) Open(parent context.Context, g grants.Grant) (*Live, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.maxPerUser > 0 && r.perUser[g.Requester] >= r.maxPerUser {
		return nil, fmt.Errorf("%w (%d)", ErrTooManySessions, r.maxPerUser)
	}
	if !g.ActiveAt(r.clock.Now()) {
		return nil, &EndedError{Resource: g.Resource, Status: grants.GrantExpired}
	}
	ctx, cancel := context.WithCancelCause(parent)
	l := &Live{reg: r, grant: g, ctx: ctx, cancel: cancel}
	gs := r.byGrant[g.ID]
	if gs == nil {
		gs = &grantSessions{grant: g, sessions: map[*Live]struct{}{}}
		r.byGrant[g.ID] = gs
		r.armLocked(gs)
	}
	gs.sessions[l] = struct{}{}
	r.perUser[g.Requester]++
	return l, nil
}

// Context is the session's context.
func (l *Live) Context() context.Context { return l.ctx }

// Grant is the grant the session runs under, as it was when it opened.
func (l *Live) Grant() grants.Grant { return l.grant }

// Close removes the session; call it once the connection is gone.
func (l *Live) Close() {
	l.cancel(context.Canceled)
	r := l.reg
	r.mu.Lock()
	defer r.mu.Unlock()
	gs := r.byGrant[l.grant.ID]
	if gs == nil {
		return
	}
	if _, ok := gs.sessions[l]; !ok {
		return
	}
	delete(gs.sessions, l)
	if r.perUser[l.grant.Requester]--; r.perUser[l.grant.Requester] <= 0 {
		delete(r.perUser, l.grant.Requester)
	}
	if len(gs.sessions) == 0 {
		if gs.stopTimer != nil {
			gs.stopTimer()
		}
		delete(r.byGrant, l.grant.ID)
	}
}

// armLocked sets the grant's expiry timer from its current end.
func (r *Registry) armLocked(gs *grantSessions) {
	if gs.stopTimer != nil {
		gs.stopTimer()
	}
	id, end := gs.grant.ID, gs.grant.ExpiresAt
	gs.stopTimer = r.clock.AfterFunc(end.Sub(r.clock.Now()), func() { r.expire(id, end) })
}

// expire ends the grant's sessions if its end is still the one the timer
// was armed for (an extension re-arms instead).
func (r *Registry) expire(id uuid.UUID, end time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	gs := r.byGrant[id]
	if gs == nil || !gs.grant.ExpiresAt.Equal(end) {
		return
	}
	r.endLocked(gs, &EndedError{Resource: gs.grant.Resource, Status: grants.GrantExpired})
}

func (r *Registry) endLocked(gs *grantSessions, cause *EndedError) {
	for l := range gs.sessions {
		l.cancel(cause)
	}
	r.log.Info("grant ended; sessions cut off", "grant", gs.grant.ID, "resource", gs.grant.Resource, "sessions", len(gs.sessions), "cause", cause.Error())
}

// GrantChanged applies a change notice from any replica.
func (r *Registry) GrantChanged(c grants.Change) {
	r.mu.Lock()
	defer r.mu.Unlock()
	gs := r.byGrant[c.GrantID]
	if gs == nil {
		return
	}
	r.applyLocked(gs, c.Status, c.ExpiresAt, c.By, c.Reason)
}

func (r *Registry) applyLocked(gs *grantSessions, status grants.GrantStatus, expiresAt time.Time, by, reason string) {
	if status != grants.GrantActive || !r.clock.Now().Before(expiresAt) {
		if status == grants.GrantActive {
			status = grants.GrantExpired
		}
		r.endLocked(gs, &EndedError{Resource: gs.grant.Resource, Status: status, By: by, Reason: reason})
		return
	}
	if !gs.grant.ExpiresAt.Equal(expiresAt) {
		gs.grant.ExpiresAt = expiresAt
		r.armLocked(gs)
	}
}

// Resync re-reads every grant with live sessions. The change listener calls
// it whenever it (re)connects, since notices sent while it was away are
// lost. A grant that cannot be read ends its sessions: fail closed.
func (r *Registry) Resync(ctx context.Context) {
	r.mu.Lock()
	ids := make([]uuid.UUID, 0, len(r.byGrant))
	for id := range r.byGrant {
		ids = append(ids, id)
	}
	r.mu.Unlock()
	for _, id := range ids {
		g, err := r.grants.GetGrant(ctx, id)
		r.mu.Lock()
		gs := r.byGrant[id]
		switch {
		case gs == nil:
		case err != nil:
			r.log.Error("cannot re-read grant; ending its sessions", "grant", id, "err", err)
			r.endLocked(gs, &EndedError{Resource: gs.grant.Resource, Status: grants.GrantRevoked, Reason: "its state could not be verified"})
		default:
			r.applyLocked(gs, g.Status, g.ExpiresAt, g.EndedBy, g.EndReason)
		}
		r.mu.Unlock()
	}
}

// Count reports the live sessions, for metrics and tests.
func (r *Registry) Count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, gs := range r.byGrant {
		n += len(gs.sessions)
	}
	return n
}
