package gateway

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/require"

	"github.com/jitgate/jitgate/grants"
)

type memWriter struct {
	mu     sync.Mutex
	fail   bool
	events []grants.SessionEvent
	// during, when set, runs inside each write, before it stores.
	during func()
}

func (m *memWriter) RecordEvents(_ context.Context, evs []grants.SessionEvent) error {
	if m.during != nil {
		m.during()
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail {
		return errors.New("database down")
	}
	for _, e := range evs {
		if e.Statement == "poison" {
			return &pgconn.PgError{Code: "22021", Message: "invalid byte sequence"}
		}
	}
	m.events = append(m.events, evs...)
	return nil
}

func TestRecorderWritesFinishedEvents(t *testing.T) {
	t.Parallel()
	w := &memWriter{}
	r := NewRecorder(w, 10, time.Hour, quietLog())
	sid := uuid.New()
	p, err := r.Begin(grants.SessionEvent{SessionID: sid, Statement: "SELECT 1"})
	require.NoError(t, err)
	require.NoError(t, r.Record(grants.SessionEvent{SessionID: sid, Statement: "DROP TABLE t", SQLState: "42501"}))
	require.NoError(t, r.Flush(context.Background()))
	require.Len(t, w.events, 1, "a running statement is not written yet")

	p.Finish(3, "", 2*time.Millisecond)
	require.NoError(t, r.Flush(context.Background()))
	require.Len(t, w.events, 2)
	require.Equal(t, int64(3), w.events[1].Rows)
	require.Equal(t, 2*time.Millisecond, w.events[1].Duration)
}

// A discarded event gives its place back and is never written.
func TestRecorderDiscard(t *testing.T) {
	t.Parallel()
	w := &memWriter{}
	r := NewRecorder(w, 1, time.Hour, quietLog())
	p, err := r.Begin(grants.SessionEvent{Statement: "SELECT 'skipped'"})
	require.NoError(t, err)
	_, err = r.Begin(grants.SessionEvent{})
	require.ErrorIs(t, err, ErrRecorderBehind, "the backlog holds one")
	p.Discard()
	inflight, waiting := r.Backlog()
	require.Zero(t, inflight+waiting)
	require.NoError(t, r.Record(grants.SessionEvent{Statement: "SELECT 'ran'"}), "the place is free again")
	require.NoError(t, r.Flush(context.Background()))
	require.Len(t, w.events, 1)
	require.Equal(t, "SELECT 'ran'", w.events[0].Statement)
}

func TestRecorderFailsClosed(t *testing.T) {
	t.Parallel()
	w := &memWriter{}
	r := NewRecorder(w, 3, time.Hour, quietLog())
	for range 3 {
		_, err := r.Begin(grants.SessionEvent{})
		require.NoError(t, err)
	}
	_, err := r.Begin(grants.SessionEvent{})
	require.ErrorIs(t, err, ErrRecorderBehind, "backlog full")

	w2 := &memWriter{fail: true}
	r2 := NewRecorder(w2, 100, time.Hour, quietLog())
	require.NoError(t, r2.Record(grants.SessionEvent{Statement: "SELECT 1"}))
	require.Error(t, r2.Flush(context.Background()))
	_, err = r2.Begin(grants.SessionEvent{})
	require.ErrorIs(t, err, ErrRecorderBehind, "writes failing")

	w2.mu.Lock()
	w2.fail = false
	w2.mu.Unlock()
	require.NoError(t, r2.Flush(context.Background()))
	require.Len(t, w2.events, 1, "nothing lost across the failure")
	_, err = r2.Begin(grants.SessionEvent{})
	require.NoError(t, err, "recovered")
}

func TestRecorderSetsAsideEventsTheDatabaseRefuses(t *testing.T) {
	t.Parallel()
	w := &memWriter{}
	r := NewRecorder(w, 100, time.Hour, quietLog())
	for _, st := range []string{"SELECT 1", "poison", "SELECT 2"} {
		require.NoError(t, r.Record(grants.SessionEvent{Statement: st}))
	}
	require.NoError(t, r.Flush(context.Background()))
	require.Len(t, w.events, 2, "the good events are written")
	_, err := r.Begin(grants.SessionEvent{})
	require.NoError(t, err, "one bad event does not stop recording")
}

// The recorder reuses its batches and its Pendings: what was written must
// stay as written, statements that finish while a batch is being written
// land in the next one, and a Pending reused for another statement must
// not carry anything of the last.
func TestRecorderReuseKeepsEventsApart(t *testing.T) {
	t.Parallel()
	w := &memWriter{}
	r := NewRecorder(w, 1000, time.Hour, quietLog())
	sid := uuid.New()
	n := 0
	record := func(k int) {
		for range k {
			p, err := r.Begin(grants.SessionEvent{SessionID: sid, Statement: fmt.Sprintf("SELECT %d", n), Params: []string{strconv.Itoa(n)}})
			require.NoError(t, err)
			p.Finish(int64(n), "", time.Duration(n))
			n++
		}
	}
	w.during = func() { record(7) }
	for range 5 {
		record(10)
		require.NoError(t, r.Flush(context.Background()))
	}
	w.during = nil
	require.NoError(t, r.Flush(context.Background()))
	require.Len(t, w.events, n)
	seen := map[string]bool{}
	for _, e := range w.events {
		i, err := strconv.Atoi(e.Params[0])
		require.NoError(t, err)
		require.Equal(t, fmt.Sprintf("SELECT %d", i), e.Statement)
		require.Equal(t, int64(i), e.Rows)
		require.Equal(t, time.Duration(i), e.Duration)
		require.False(t, seen[e.Statement], "%s written twice", e.Statement)
		seen[e.Statement] = true
	}
	inflight, waiting := r.Backlog()
	require.Zero(t, inflight)
	require.Zero(t, waiting)
}

// batchArrays notes the backing array and capacity of each batch written.
type batchArrays struct {
	ptrs []*grants.SessionEvent
	caps []int
}

func (b *batchArrays) RecordEvents(_ context.Context, evs []grants.SessionEvent) error {
	b.ptrs, b.caps = append(b.ptrs, &evs[:1][0]), append(b.caps, cap(evs))
	return nil
}

// A steady rate above keepBatch events per interval writes its batches
// from the same two arrays (one fills while the other is written) instead
// of growing one each time; an array grown that large is let go after a
// batch that fills less than a quarter of it.
func TestRecorderReusesLargeBatches(t *testing.T) {
	t.Parallel()
	w := &batchArrays{}
	r := NewRecorder(w, 1<<20, time.Hour, quietLog())
	sid := uuid.New()
	flushOf := func(n int) {
		for range n {
			require.NoError(t, r.Record(grants.SessionEvent{SessionID: sid, Statement: "SELECT 1"}))
		}
		require.NoError(t, r.Flush(context.Background()))
	}
	for range 4 {
		flushOf(3 * keepBatch)
	}
	for range 3 {
		flushOf(10)
	}
	a, b := w.ptrs[0], w.ptrs[1]
	require.Greater(t, w.caps[0], keepBatch)
	require.Greater(t, w.caps[1], keepBatch)
	require.Same(t, a, w.ptrs[2], "a large batch's array is written from again")
	require.Same(t, b, w.ptrs[3])
	require.Same(t, a, w.ptrs[4], "a small batch still fills a large array once")
	require.Same(t, b, w.ptrs[5])
	require.NotSame(t, a, w.ptrs[6], "and lets it go")
	require.NotSame(t, b, w.ptrs[6])
	require.LessOrEqual(t, w.caps[6], keepBatch)
}

// Large statements weigh more against the backlog's limit, so a backlog
// of them is bounded by its bytes; the weight is given back when they are
// written, discarded, or written after a failure.
func TestRecorderBoundsTextBytes(t *testing.T) {
	t.Parallel()
	w := &memWriter{}
	r := NewRecorder(w, 10, time.Hour, quietLog())
	sid := uuid.New()
	big := grants.SessionEvent{SessionID: sid, Statement: strings.Repeat("x", 6*textUnit)} // weighs 7
	p, err := r.Begin(big)
	require.NoError(t, err)
	_, err = r.Begin(big)
	require.ErrorIs(t, err, ErrRecorderBehind, "14 > 10")
	small, err := r.Begin(grants.SessionEvent{SessionID: sid, Statement: "SELECT 1", Params: []string{strings.Repeat("y", textUnit)}}) // weighs 2
	require.NoError(t, err)
	small.Discard()
	p.Finish(0, "", 0)

	w.fail = true
	require.Error(t, r.Flush(context.Background()))
	w.fail = false
	require.NoError(t, r.Flush(context.Background()))
	require.Len(t, w.events, 1)
	for range 10 {
		_, err := r.Begin(grants.SessionEvent{SessionID: sid, Statement: "SELECT 1"})
		require.NoError(t, err, "all the weight was given back")
	}
	_, err = r.Begin(grants.SessionEvent{SessionID: sid, Statement: "SELECT 1"})
	require.ErrorIs(t, err, ErrRecorderBehind)
}
