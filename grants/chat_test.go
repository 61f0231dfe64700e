package grants_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/jitgate/jitgate/grants"
)

func TestClaimDeliveryOnceAcrossConcurrentRetries(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := newStore(t)
	var first atomic.Int32
	var wg sync.WaitGroup
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := s.ClaimDelivery(ctx, "trigger:123.456", t0)
			require.NoError(t, err)
			if ok {
				first.Add(1)
			}
		}()
	}
	wg.Wait()
	require.EqualValues(t, 1, first.Load())

	n, err := s.ForgetDeliveries(ctx, t0.Add(time.Hour))
	require.NoError(t, err)
	require.EqualValues(t, 1, n)
	ok, err := s.ClaimDelivery(ctx, "trigger:123.456", t0.Add(2*time.Hour))
	require.NoError(t, err)
	require.True(t, ok, "a forgotten key is new again")
}

func TestAuditCursorFollowsTheLogInOrder(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := newStore(t)
	start, err := s.AuditCursor(ctx, "slack")
	require.NoError(t, err)
	require.Zero(t, start, "a fresh database starts at the beginning")

	req, err := s.CreateRequest(ctx, ask("prod-db", time.Hour), t0)
	require.NoError(t, err)
	_, err = s.Review(ctx, req.ID, alice, grants.Approve, "", t0.Add(time.Minute))
	require.NoError(t, err)

	evs, err := s.AuditAfter(ctx, start, 100)
	require.NoError(t, err)
	var got []string
	for _, e := range evs {
		got = append(got, e.Action)
		require.Equal(t, req.ID, e.RequestID)
	}
	require.Equal(t, []string{"request.created", "request.reviewed", "request.approved", "grant.started"}, got)
	tail, err := s.AuditAfter(ctx, evs[1].ID, 1)
	require.NoError(t, err)
	require.Len(t, tail, 1)
	require.Equal(t, "request.approved", tail[0].Action)

	last := evs[len(evs)-1].ID
	require.NoError(t, s.AdvanceAuditCursor(ctx, "slack", start, last))
	require.ErrorIs(t, s.AdvanceAuditCursor(ctx, "slack", start, last), grants.ErrConflict, "a second replica cannot move it from where it was")
	require.ErrorIs(t, s.AdvanceAuditCursor(ctx, "slack", last, last-1), grants.ErrConflict, "never backwards")
	now, err := s.AuditCursor(ctx, "slack")
	require.NoError(t, err)
	require.Equal(t, last, now)
	_, err = s.AuditCursor(ctx, "nobody")
	require.ErrorIs(t, err, grants.ErrNotFound)
}

func TestChatMessagesAreRememberedPerKind(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := newStore(t)
	req, err := s.CreateRequest(ctx, ask("prod-db", time.Hour), t0)
	require.NoError(t, err)

	_, err = s.ChatMessageOf(ctx, req.ID, "request")
	require.ErrorIs(t, err, grants.ErrNotFound)
	require.NoError(t, s.SaveChatMessage(ctx, req.ID, "request", grants.ChatMessage{Channel: "C1", TS: "1.000001"}))
	require.NoError(t, s.SaveChatMessage(ctx, req.ID, "grant", grants.ChatMessage{Channel: "C1", TS: "1.000002"}))
	m, err := s.ChatMessageOf(ctx, req.ID, "request")
	require.NoError(t, err)
	require.Equal(t, grants.ChatMessage{Channel: "C1", TS: "1.000001"}, m)
	require.ErrorIs(t, s.SaveChatMessage(ctx, uuid.New(), "request", grants.ChatMessage{Channel: "C1", TS: "2.0"}), grants.ErrConflict, "only for a known request")
}

func TestTryLockIsHeldByOneConnection(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, pool := newStore(t)
	a, err := pool.Acquire(ctx)
	require.NoError(t, err)
	defer a.Release()
	b, err := pool.Acquire(ctx)
	require.NoError(t, err)
	defer b.Release()
	sa, sb := grants.NewStore(a.Conn(), policies()), grants.NewStore(b.Conn(), policies())
	key := int64(uuid.New().ID())
	ok, err := sa.TryLock(ctx, key)
	require.NoError(t, err)
	require.True(t, ok)
	ok, err = sb.TryLock(ctx, key)
	require.NoError(t, err)
	require.False(t, ok, "the other connection does not get it")
	for _, k := range []int64{key, -key, 1 << 40, -1} {
		_, err = a.Conn().Exec(ctx, "SELECT pg_advisory_lock($1)", k)
		require.NoError(t, err)
		held, err := sb.HoldsLock(ctx, a.Conn().PgConn().PID(), k)
		require.NoError(t, err)
		require.True(t, held, "key %d is seen held by its backend", k)
		held, err = sb.HoldsLock(ctx, b.Conn().PgConn().PID(), k)
		require.NoError(t, err)
		require.False(t, held, "and not by another")
	}
	require.NoError(t, sa.DetectDeadPeer(ctx))
	_, err = a.Conn().Exec(ctx, "SELECT pg_advisory_unlock_all()")
	require.NoError(t, err)
}

func TestChatIdentityKeepsItsFirstEmail(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := newStore(t)
	require.NoError(t, s.BindChatIdentity(ctx, "slack:T1:U1", "Carol@Example.com", t0))
	require.NoError(t, s.BindChatIdentity(ctx, "slack:T1:U1", "carol@example.com", t0), "the same email again is fine")

	err := s.BindChatIdentity(ctx, "slack:T1:U1", "carol+1@example.com", t0)
	require.ErrorIs(t, err, grants.ErrIdentityChanged, "a changed profile email is not a second person")
	require.ErrorIs(t, err, grants.ErrDenied)
	require.ErrorIs(t, s.BindChatIdentity(ctx, "slack:T1:U2", "carol@example.com", t0), grants.ErrIdentityChanged, "nor can another account take the email")

	email, err := s.ForgetChatIdentity(ctx, "slack:T1:U1", "cli:ops", t0)
	require.NoError(t, err)
	require.Equal(t, "carol@example.com", email)
	require.NoError(t, s.BindChatIdentity(ctx, "slack:T1:U1", "carol.new@example.com", t0), "bound again after an operator forgot it")
	ids, err := s.ChatIdentities(ctx)
	require.NoError(t, err)
	require.Len(t, ids, 1)
	require.Equal(t, "carol.new@example.com", ids[0].Email)
	_, err = s.ForgetChatIdentity(ctx, "slack:T1:nobody", "cli:ops", t0)
	require.ErrorIs(t, err, grants.ErrNotFound)
}

func TestSkipAuditBefore(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := newStore(t)
	n, err := s.SkipAuditBefore(ctx, "slack", t0)
	require.NoError(t, err)
	require.Zero(t, n, "nothing to skip in an empty log")
	for _, at := range []time.Time{t0, t0.Add(time.Hour), t0.Add(2 * time.Hour)} {
		_, err := s.CreateRequest(ctx, ask("prod-db", time.Hour), at)
		require.NoError(t, err)
	}
	evs, err := s.AuditAfter(ctx, 0, 10)
	require.NoError(t, err)
	require.Len(t, evs, 3)

	n, err = s.SkipAuditBefore(ctx, "slack", t0.Add(90*time.Minute))
	require.NoError(t, err)
	require.EqualValues(t, evs[1].ID, n)
	cur, err := s.AuditCursor(ctx, "slack")
	require.NoError(t, err)
	require.Equal(t, evs[1].ID, cur, "the next event told is the one after the cut")

	n, err = s.SkipAuditBefore(ctx, "slack", t0.Add(-time.Hour))
	require.NoError(t, err)
	require.Zero(t, n, "never backwards")
	_, err = s.SkipAuditBefore(ctx, "slack", t0.Add(24*time.Hour))
	require.NoError(t, err)
	cur, err = s.AuditCursor(ctx, "slack")
	require.NoError(t, err)
	require.Equal(t, evs[2].ID, cur, "all old: the cursor goes to the end")
}
