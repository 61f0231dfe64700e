package broker_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/jitgate/jitgate/broker"
	"github.com/jitgate/jitgate/grants"
	"github.com/jitgate/jitgate/internal/dbtest"
)

var t0 = time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func testPolicies() grants.PolicyMap {
	return grants.PolicyMap{"prod-db": {
		Reviewers: []string{"alice@example.com"}, MaxDuration: 4 * time.Hour,
		PendingTTL: time.Hour, ReasonPattern: regexp.MustCompile(".")}}
}

func newStore(t *testing.T) (*grants.Store, *pgxpool.Pool) {
	pool := dbtest.NewPool(t)
	return grants.NewStore(pool, testPolicies()), pool
}

func ask() grants.NewRequest {
	return grants.NewRequest{Requester: "bob@example.com", Resource: "prod-db", Access: grants.AccessRead, Duration: time.Hour, Reason: "INC-1"}
}

// recorder is a Notifier that remembers what it was told and fails on
// demand.
type recorder struct {
	mu        sync.Mutex
	told      []string
	failFirst map[string]int  // action → how many times to fail it retryably
	refuse    map[string]bool // action → undeliverable
	attempts  map[string]int
}

func (r *recorder) Notify(_ context.Context, ev grants.AuditEvent) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.attempts[ev.Action]++
	if r.refuse[ev.Action] {
		return fmt.Errorf("channel gone: %w", broker.ErrUndeliverable)
	}
	if r.attempts[ev.Action] <= r.failFirst[ev.Action] {
		return errors.New("slack said 500")
	}
	r.told = append(r.told, ev.Action)
	return nil
}

func (r *recorder) snapshot() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.told...)
}

func newRecorder() *recorder {
	return &recorder{failFirst: map[string]int{}, refuse: map[string]bool{}, attempts: map[string]int{}}
}

func TestFeedTellsEveryEventInOrderDespiteFailures(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	store, pool := newStore(t)
	rec := newRecorder()
	rec.failFirst["request.reviewed"] = 3
	rec.refuse["request.approved"] = true

	// Two replicas follow the same log; one leads at a time.
	for range 2 {
		f := broker.NewFeed(pool, testPolicies(), "slack", rec, discard())
		f.Poll, f.MaxBackoff = 50*time.Millisecond, 100*time.Millisecond
		go f.Run(ctx)
	}
	req, err := store.CreateRequest(ctx, ask(), time.Now())
	require.NoError(t, err)
	_, err = store.Review(ctx, req.ID, grants.Identity{Email: "alice@example.com"}, grants.Approve, "", time.Now())
	require.NoError(t, err)

	want := []string{"request.created", "request.reviewed", "grant.started"}
	require.Eventually(t, func() bool { return len(rec.snapshot()) >= len(want) }, 20*time.Second, 10*time.Millisecond)
	require.Equal(t, want, rec.snapshot(), "in order, each once, the undeliverable one skipped")
	rec.mu.Lock()
	require.Equal(t, 4, rec.attempts["request.reviewed"], "retried until told")
	require.Equal(t, 1, rec.attempts["request.approved"], "undeliverable is not retried")
	rec.mu.Unlock()

	trail, err := store.AuditTrail(ctx, req.ID)
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		c, err := store.AuditCursor(ctx, "slack")
		return err == nil && c == trail[len(trail)-1].ID
	}, 10*time.Second, 10*time.Millisecond, "the cursor ends at the last event")
}

func TestFeedResumesWhereItStopped(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store, pool := newStore(t)
	rec := newRecorder()
	f := broker.NewFeed(pool, testPolicies(), "slack", rec, discard())
	_, err := store.CreateRequest(ctx, ask(), time.Now())
	require.NoError(t, err)
	require.NoError(t, f.Drain(ctx))
	require.Equal(t, []string{"request.created"}, rec.snapshot())

	// A second follower (a restarted replica) tells only what is new.
	again := broker.NewFeed(pool, testPolicies(), "slack", rec, discard())
	_, err = store.CreateRequest(ctx, ask(), time.Now())
	require.NoError(t, err)
	require.NoError(t, again.Drain(ctx))
	require.Equal(t, []string{"request.created", "request.created"}, rec.snapshot())
}

// liveSession makes a grant of bob's and a session under it.
func liveSession(t *testing.T, store *grants.Store) (grants.Grant, grants.Session) {
	ctx := context.Background()
	now := time.Now()
	g, err := store.OperatorGrant(ctx, ask(), "cli:test", now)
	require.NoError(t, err)
	sess, err := store.StartSession(ctx, g.ID, "postgres", "127.0.0.1:1", now)
	require.NoError(t, err)
	return g, sess
}

func pendingReview(t *testing.T, store *grants.Store, requestID uuid.UUID) grants.StatementReview {
	t.Helper()
	var got grants.StatementReview
	require.Eventually(t, func() bool {
		rows, err := store.AuditTrail(context.Background(), requestID)
		if err != nil {
			return false
		}
		for _, e := range rows {
			if e.Action == "statement.held" {
				id, err := uuid.Parse(fmt.Sprint(e.Details["statement_review"]))
				if err != nil {
					return false
				}
				r, err := store.GetStatement(context.Background(), id)
				got = r
				return err == nil
			}
		}
		return false
	}, 10*time.Second, 10*time.Millisecond)
	return got
}

func TestHeldStatementWaitsForADecisionFromAnyReplica(t *testing.T) {
	t.Parallel()
	store, _ := newStore(t)
	g, sess := liveSession(t, store)
	st := broker.NewStatements(store, time.Now, discard())
	st.Poll = 10 * time.Millisecond

	for _, tc := range []struct {
		decision grants.Decision
		want     bool
	}{{grants.Approve, true}, {grants.Deny, false}} {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		type answer struct {
			ok  bool
			err error
		}
		done := make(chan answer, 1)
		go func() {
			ok, err := st.ReviewStatement(ctx, broker.HeldStatement{GrantID: g.ID, SessionID: sess.ID, Statement: "DROP TABLE t", Reasons: []string{"DROP"}})
			done <- answer{ok, err}
		}()
		r := pendingReview(t, store, g.RequestID)
		require.Equal(t, grants.StatementPending, r.Status)
		require.WithinDuration(t, time.Now().Add(time.Minute), r.WaitsUntil, 5*time.Second, "reviewers see the session's deadline")
		_, err := store.DecideStatement(context.Background(), r.ID, grants.Identity{Email: "alice@example.com"}, tc.decision, time.Now())
		require.NoError(t, err)
		a := <-done
		require.NoError(t, a.err)
		require.Equal(t, tc.want, a.ok)
		cancel()
		// The next round finds its own held statement.
		_, err = store.TimeOutStatements(context.Background(), time.Now().Add(2*time.Minute))
		require.NoError(t, err)
		g, sess = liveSession(t, store)
	}
}

func TestHeldStatementTimesOutAndSaysSo(t *testing.T) {
	t.Parallel()
	store, _ := newStore(t)
	g, sess := liveSession(t, store)
	st := broker.NewStatements(store, time.Now, discard())
	st.Poll = 10 * time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	ok, err := st.ReviewStatement(ctx, broker.HeldStatement{GrantID: g.ID, SessionID: sess.ID, Statement: "DROP TABLE t"})
	require.False(t, ok)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	trail, err := store.AuditTrail(context.Background(), g.RequestID)
	require.NoError(t, err)
	require.Equal(t, "statement.timed_out", trail[len(trail)-1].Action, "reviewers are told it is over")

	_, err = st.ReviewStatement(context.Background(), broker.HeldStatement{GrantID: g.ID, SessionID: sess.ID})
	require.Error(t, err, "a wait without a deadline is refused")
}

func TestJobsCloseWhatRanOutOfTime(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store, pool := newStore(t)
	now := t0
	jobs := broker.NewJobs(pool, testPolicies(), func() time.Time { return now }, discard())

	req, err := store.CreateRequest(ctx, ask(), t0)
	require.NoError(t, err)
	g, err := store.OperatorGrant(ctx, ask(), "cli:test", t0)
	require.NoError(t, err)

	now = t0.Add(59 * time.Minute)
	require.NoError(t, jobs.RunOnce(ctx))
	got, err := store.GetRequest(ctx, req.ID)
	require.NoError(t, err)
	require.Equal(t, grants.RequestPending, got.Status, "not yet")

	now = t0.Add(time.Hour)
	require.NoError(t, jobs.RunOnce(ctx))
	require.NoError(t, jobs.RunOnce(ctx), "a second pass changes nothing and does not fail")
	got, err = store.GetRequest(ctx, req.ID)
	require.NoError(t, err)
	require.Equal(t, grants.RequestTimedOut, got.Status)
	gg, err := store.GetGrant(ctx, g.ID)
	require.NoError(t, err)
	require.Equal(t, grants.GrantExpired, gg.Status)
	require.Equal(t, []string{"request.created", "request.timed_out"}, actionsOf(t, store, req))
}

func actionsOf(t *testing.T, store *grants.Store, req grants.Request) []string {
	trail, err := store.AuditTrail(context.Background(), req.ID)
	require.NoError(t, err)
	var out []string
	for _, e := range trail {
		out = append(out, e.Action)
	}
	return out
}

func TestLastMomentApprovalCountsOnlyWhenTheWaitRanOut(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		end  func(cancel context.CancelCauseFunc)
		want bool
	}{
		{"the session ended", func(cancel context.CancelCauseFunc) { cancel(errors.New("grant revoked")) }, false},
		{"the wait ran out", func(context.CancelCauseFunc) {}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			store, _ := newStore(t)
			g, sess := liveSession(t, store)
			st := broker.NewStatements(store, time.Now, discard())
			st.Poll = time.Hour // the waiter only looks again when it gives up
			parent, cancel := context.WithCancelCause(context.Background())
			defer cancel(nil)
			ctx, stop := context.WithTimeout(parent, time.Second)
			defer stop()
			type answer struct {
				ok  bool
				err error
			}
			done := make(chan answer, 1)
			go func() {
				ok, err := st.ReviewStatement(ctx, broker.HeldStatement{GrantID: g.ID, SessionID: sess.ID, Statement: "DROP TABLE t"})
				done <- answer{ok, err}
			}()
			r := pendingReview(t, store, g.RequestID)
			_, err := store.DecideStatement(context.Background(), r.ID, grants.Identity{Email: "alice@example.com"}, grants.Approve, time.Now())
			require.NoError(t, err)
			tc.end(cancel)
			a := <-done
			require.Equal(t, tc.want, a.ok)
			if !tc.want {
				require.Error(t, a.err)
			}
		})
	}
}

// outage tells events like recorder once released; until then every
// attempt fails as if Slack were down.
type outage struct {
	*recorder
	inside  chan struct{}
	release chan struct{}
	once    sync.Once
}

func (o *outage) Notify(ctx context.Context, ev grants.AuditEvent) error {
	o.once.Do(func() { close(o.inside) })
	select {
	case <-o.release:
		return o.recorder.Notify(ctx, ev)
	default:
		return errors.New("slack is down")
	}
}

// syncBuffer is a log sink tests can read while it is written.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestFeedStepsDownWhenItsLockIsLost(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	store, pool := newStore(t)
	a := &outage{recorder: newRecorder(), inside: make(chan struct{}), release: make(chan struct{})}
	aLog := &syncBuffer{}
	fa := broker.NewFeed(pool, testPolicies(), "slack", a, slog.New(slog.NewTextHandler(aLog, nil)))
	fa.Poll, fa.MaxBackoff = 50*time.Millisecond, 50*time.Millisecond
	go fa.Run(ctx)
	_, err := store.CreateRequest(ctx, ask(), time.Now())
	require.NoError(t, err)
	<-a.inside

	// The server ends the leader's lock connection while it retries
	// through an outage.
	var killed int
	require.NoError(t, pool.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_locks
		WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`).Scan(&killed))
	require.Equal(t, 1, killed)
	b := newRecorder()
	fb := broker.NewFeed(pool, testPolicies(), "slack", b, discard())
	fb.Poll = 50 * time.Millisecond
	go fb.Run(ctx)
	require.Eventually(t, func() bool { return len(b.snapshot()) == 1 }, 10*time.Second, 10*time.Millisecond, "the other replica takes over")
	_, err = store.CreateRequest(ctx, ask(), time.Now())
	require.NoError(t, err)
	require.Eventually(t, func() bool { return len(b.snapshot()) == 2 }, 10*time.Second, 10*time.Millisecond)

	require.Eventually(t, func() bool { return strings.Contains(aLog.String(), "no longer leading") }, 10*time.Second, 10*time.Millisecond,
		"the old leader notices before its next attempt")
	close(a.release)
	require.Empty(t, a.snapshot(), "the old leader stopped retrying: the event is told once, by the new leader")
}

func TestFeedSkipsHistoryFromBeforeChatWasOn(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	store, pool := newStore(t)
	now := time.Now()
	for _, at := range []time.Time{now.Add(-30 * 24 * time.Hour), now.Add(-25 * time.Hour)} {
		_, err := store.CreateRequest(ctx, ask(), at)
		require.NoError(t, err)
	}
	recent, err := store.CreateRequest(ctx, ask(), now.Add(-time.Hour))
	require.NoError(t, err)

	rec := newRecorder()
	f := broker.NewFeed(pool, testPolicies(), "slack", rec, discard())
	f.Poll = 50 * time.Millisecond
	go f.Run(ctx)
	require.Eventually(t, func() bool { return len(rec.snapshot()) == 1 }, 10*time.Second, 10*time.Millisecond)
	_, err = store.CreateRequest(ctx, ask(), time.Now())
	require.NoError(t, err)
	require.Eventually(t, func() bool { return len(rec.snapshot()) == 2 }, 10*time.Second, 10*time.Millisecond)
	require.Equal(t, []string{"request.created", "request.created"}, rec.snapshot(), "the last day is told, the rest skipped")
	trail, err := store.AuditTrail(ctx, recent.ID)
	require.NoError(t, err)
	cur, err := store.AuditCursor(ctx, "slack")
	require.NoError(t, err)
	require.Greater(t, cur, trail[0].ID, "the recent request was told")
}
