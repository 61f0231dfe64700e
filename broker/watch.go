package broker

import (
	"context"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/jitgate/jitgate/grants"
)

// ChangeHandler is told about grant changes. Resync is called whenever the
// watcher (re)connects: notices sent while it was away are lost, so whoever
// holds state derived from grants must re-read it then.
type ChangeHandler interface {
	GrantChanged(grants.Change)
	Resync(ctx context.Context)
}

// Watcher listens for grant changes from every replica and hands them to a
// handler. It holds one connection of the pool for as long as it runs.
type Watcher struct {
	pool    *pgxpool.Pool
	handler ChangeHandler
	log     *slog.Logger
	// connected is closed the first time the watcher is listening.
	connected chan struct{}
}

// NewWatcher returns a watcher that feeds handler.
func NewWatcher(pool *pgxpool.Pool, handler ChangeHandler, log *slog.Logger) *Watcher {
	return &Watcher{pool: pool, handler: handler, log: log, connected: make(chan struct{})}
}

// Listening is closed once the watcher has subscribed for the first time.
func (w *Watcher) Listening() <-chan struct{} { return w.connected }

// Run listens until ctx ends, reconnecting with backoff when the connection
// drops.
func (w *Watcher) Run(ctx context.Context) {
	backoff := 100 * time.Millisecond
	first := true
	for ctx.Err() == nil {
		err := w.listen(ctx, func() {
			if first {
				close(w.connected)
				first = false
			}
			backoff = 100 * time.Millisecond
		})
		if ctx.Err() != nil {
			return
		}
		w.log.Warn("grant change listener lost its connection; reconnecting", "err", err, "in", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 10*time.Second)
	}
}

func (w *Watcher) listen(ctx context.Context, ready func()) error {
	pooled, err := w.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	// A connection that was listening must not go back to the pool.
	conn := pooled.Hijack()
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{grants.ChangeChannel}.Sanitize()); err != nil {
		return err
	}
	ready()
	w.handler.Resync(ctx)
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		c, err := grants.ParseChange(n.Payload)
		if err != nil {
			w.log.Error("ignoring a malformed grant change", "err", err)
			continue
		}
		w.handler.GrantChanged(c)
	}
}
