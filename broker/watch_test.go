package broker_test

import (
	"context"
	"io"
	"log/slog"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jitgate/jitgate/broker"
	"github.com/jitgate/jitgate/grants"
	"github.com/jitgate/jitgate/internal/dbtest"
)

type recordingHandler struct {
	mu      sync.Mutex
	changes []grants.Change
	resyncs int
}

func (h *recordingHandler) GrantChanged(c grants.Change) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.changes = append(h.changes, c)
}

func (h *recordingHandler) Resync(context.Context) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.resyncs++
}

func (h *recordingHandler) snapshot() ([]grants.Change, int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]grants.Change(nil), h.changes...), h.resyncs
}

func TestWatcherDeliversChangesAndResyncsAfterReconnect(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pool := dbtest.NewPool(t)
	store := grants.NewStore(pool, grants.PolicyMap{"prod-db": {Reviewers: []string{"alice@example.com"}, MaxDuration: time.Hour, ReasonPattern: regexp.MustCompile(".")}})
	h := &recordingHandler{}
	w := broker.NewWatcher(pool, h, slog.New(slog.NewTextHandler(io.Discard, nil)))
	go w.Run(ctx)
	<-w.Listening()

	now := time.Now()
	g, err := store.OperatorGrant(ctx, grants.NewRequest{Requester: "bob@example.com", Resource: "prod-db", Access: grants.AccessRead, Duration: time.Hour, Reason: "x"}, "cli:test", now)
	require.NoError(t, err)
	_, err = store.RevokeAsOperator(ctx, g.ID, "cli:test", "done", now)
	require.NoError(t, err)
	require.Eventually(t, func() bool { c, _ := h.snapshot(); return len(c) == 1 }, 10*time.Second, 10*time.Millisecond)
	changes, resyncs := h.snapshot()
	require.Equal(t, g.ID, changes[0].GrantID)
	require.Equal(t, grants.GrantRevoked, changes[0].Status)
	require.Equal(t, 1, resyncs)

	// Kill the listening backend: the watcher reconnects and resyncs.
	_, err = pool.Exec(ctx, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'LISTEN%' AND pid <> pg_backend_pid() AND datname = current_database()")
	require.NoError(t, err)
	require.Eventually(t, func() bool { _, r := h.snapshot(); return r >= 2 }, 20*time.Second, 20*time.Millisecond)
}
