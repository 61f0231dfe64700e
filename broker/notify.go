package broker

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/jitgate/jitgate/grants"
)

// Notifier tells people what happened, one audit event at a time, in the
// order the events happened. The Slack bot implements it.
//
// Notify must be idempotent: after a crash or a lost connection the same
// event may be told again. It returns an error wrapping ErrUndeliverable
// when retrying can never help (the channel is gone, the message is
// malformed); any other error is retried until it succeeds.
type Notifier interface {
	Notify(ctx context.Context, ev grants.AuditEvent) error
}

// ErrUndeliverable marks a notification that no retry can deliver: the
// feed logs it and moves on rather than hold up every event after it.
var ErrUndeliverable = errors.New("undeliverable")

// Feed follows the audit log and tells a Notifier every event exactly in
// order, resuming from a cursor kept in Postgres. Every state change is
// audited in its own transaction, so a change that committed is told
// eventually, whatever failed in between: the database is the truth.
//
// Every replica runs a Feed; one at a time leads, under an advisory lock
// held on a connection of its own, and the others stand by to take over
// when that connection goes away.
type Feed struct {
	pool     *pgxpool.Pool
	store    *grants.Store
	policies grants.Policies
	name     string
	notifier Notifier
	log      *slog.Logger
	// Poll is how often a leader looks for events without being woken and
	// how often a standby tries to lead.
	Poll time.Duration
	// MaxBackoff caps the wait between retries of one event.
	MaxBackoff time.Duration
	// MaxBacklog is how old the events may be that a replica tells when it
	// starts leading; older ones happened while chat was off and are
	// skipped. A leader that keeps running tells everything, however long
	// Slack was down.
	MaxBacklog time.Duration
	Now        func() time.Time
}

// NewFeed returns a feed of the audit log under the cursor name.
func NewFeed(pool *pgxpool.Pool, policies grants.Policies, name string, n Notifier, log *slog.Logger) *Feed {
	return &Feed{
		pool: pool, store: grants.NewStore(pool, policies), policies: policies,
		name: name, notifier: n, log: log.With("feed", name),
		Poll: 2 * time.Second, MaxBackoff: 30 * time.Second,
		MaxBacklog: 24 * time.Hour, Now: time.Now,
	}
}

// Run follows the log until ctx ends.
func (f *Feed) Run(ctx context.Context) {
	for ctx.Err() == nil {
		if err := f.lead(ctx); err != nil && ctx.Err() == nil {
			f.log.Warn("audit feed lost its connection; trying again", "err", err, "in", f.Poll)
		}
		sleep(ctx, f.Poll)
	}
}

// lead tells events for as long as this replica holds the feed's lock. It
// returns nil at once when another replica holds it.
func (f *Feed) lead(ctx context.Context) error {
	key := lockKey("feed:" + f.name)
	conn, err := lockedConn(ctx, f.pool, f.policies, key)
	if err != nil || conn == nil {
		return err
	}
	defer conn.Close(context.Background())
	if err := grants.NewStore(conn, f.policies).DetectDeadPeer(ctx); err != nil {
		return err
	}
	if err := f.skipBacklog(ctx); err != nil {
		return err
	}
	pid := conn.PgConn().PID()
	leading := func(ctx context.Context) error {
		held, err := f.store.HoldsLock(ctx, pid, key)
		if err == nil && !held {
			err = errNotLeading
		}
		return err
	}
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{grants.AuditChannel}.Sanitize()); err != nil {
		return err
	}
	f.log.Info("leading the audit feed")
	lctx, cancel := context.WithCancel(ctx)
	woken, waited := make(chan error, 1), make(chan struct{})
	// The connection is not safe for concurrent use: the waiter must be
	// done with it before the deferred Close.
	defer func() { cancel(); <-waited }()
	go func() {
		defer close(waited)
		for {
			_, err := conn.WaitForNotification(lctx)
			select {
			case woken <- err:
			case <-lctx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	}()
	return f.follow(lctx, woken, leading)
}

// skipBacklog drops what happened more than MaxBacklog ago and was never
// told: history from before chat was switched on.
func (f *Feed) skipBacklog(ctx context.Context) error {
	if f.MaxBacklog <= 0 {
		return nil
	}
	since := f.Now().Add(-f.MaxBacklog)
	n, err := f.store.SkipAuditBefore(ctx, f.name, since)
	if n > 0 {
		f.log.Warn("not telling audit events from before chat was on", "about", n, "older_than", since.UTC().Format(time.RFC3339))
	}
	return err
}

// errNotLeading: the lock's connection was ended under the leader, and
// another replica may be telling events now.
var errNotLeading = errors.New("no longer leading the audit feed")

// follow drains the log each time it is woken, or every Poll.
func (f *Feed) follow(ctx context.Context, woken <-chan error, leading func(context.Context) error) error {
	t := time.NewTicker(f.Poll)
	defer t.Stop()
	for {
		if err := f.drain(ctx, leading); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case err := <-woken:
			if err != nil {
				return err
			}
		case <-t.C:
		}
	}
}

// Drain tells every event after the cursor, advancing it after each one.
// It returns only when caught up or when ctx ends. It takes no lock: a
// replica runs it through Run, which does.
func (f *Feed) Drain(ctx context.Context) error {
	return f.drain(ctx, func(context.Context) error { return nil })
}

// drain is Drain that stops, before telling anything, once leading says
// this replica no longer leads.
func (f *Feed) drain(ctx context.Context, leading func(context.Context) error) error {
	for {
		cursor, err := f.store.AuditCursor(ctx, f.name)
		if err != nil {
			return err
		}
		evs, err := f.store.AuditAfter(ctx, cursor, 100)
		if err != nil || len(evs) == 0 {
			return err
		}
		for _, ev := range evs {
			if err := f.tell(ctx, ev, leading); err != nil {
				return err
			}
			if err := f.store.AdvanceAuditCursor(ctx, f.name, cursor, ev.ID); err != nil {
				return err
			}
			cursor = ev.ID
		}
	}
}

// tell retries one event with backoff until it is told, found
// undeliverable, or ctx ends, or this replica stops leading.
func (f *Feed) tell(ctx context.Context, ev grants.AuditEvent, leading func(context.Context) error) error {
	backoff := 100 * time.Millisecond
	for attempt := 1; ; attempt++ {
		if err := leading(ctx); err != nil {
			return err
		}
		err := f.notifier.Notify(ctx, ev)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, ErrUndeliverable):
			f.log.Error("skipping an event that cannot be told", "event", ev.ID, "action", ev.Action, "request", ev.RequestID, "err", err)
			return nil
		case ctx.Err() != nil:
			return ctx.Err()
		}
		f.log.Warn("telling an event failed; retrying", "event", ev.ID, "action", ev.Action, "attempt", attempt, "in", backoff, "err", err)
		sleep(ctx, backoff)
		backoff = min(2*backoff, f.MaxBackoff)
	}
}

// sleep waits for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
