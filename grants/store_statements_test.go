package grants_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/jitgate/jitgate/grants"
)

// heldStatement opens a session under a fresh grant of bob's and holds a
// statement in it for wait.
func heldStatement(t *testing.T, s *grants.Store, wait time.Duration) grants.StatementReview {
	t.Helper()
	ctx := context.Background()
	g, err := s.OperatorGrant(ctx, ask("prod-db", 2*time.Hour), "cli:test", t0)
	require.NoError(t, err)
	sess, err := s.StartSession(ctx, g.ID, "postgres", "127.0.0.1:5000", t0)
	require.NoError(t, err)
	r, err := s.HoldStatement(ctx, grants.NewStatementReview{
		GrantID: g.ID, SessionID: sess.ID, Statement: "DROP TABLE users", Reasons: []string{"DROP TABLE"}, Wait: wait,
	}, t0.Add(time.Minute))
	require.NoError(t, err)
	return r
}

func TestHeldStatementIsDecidedOnceByAReviewer(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := newStore(t)
	r := heldStatement(t, s, 2*time.Minute)
	require.Equal(t, grants.StatementPending, r.Status)
	require.Equal(t, "bob@example.com", r.Requester, "copied from the grant")
	require.Equal(t, "prod-db", r.Resource)
	require.Equal(t, []string{"DROP TABLE"}, r.Reasons)

	at := t0.Add(90 * time.Second)
	_, err := s.DecideStatement(ctx, r.ID, bob, grants.Approve, at)
	require.ErrorIs(t, err, grants.ErrSelfReview, "the session's owner cannot approve their own statement")
	_, err = s.DecideStatement(ctx, r.ID, eve, grants.Approve, at)
	require.ErrorIs(t, err, grants.ErrNotReviewer)

	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		won      int
		conflict int
	)
	for _, who := range []grants.Identity{alice, carol, alice, carol, alice, carol} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.DecideStatement(ctx, r.ID, who, grants.Deny, at)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				won++
			case errors.Is(err, grants.ErrConflict):
				conflict++
			default:
				t.Errorf("unexpected error: %v", err)
			}
		}()
	}
	wg.Wait()
	require.Equal(t, 1, won, "one decision wins")
	require.Equal(t, 5, conflict)

	got, err := s.GetStatement(ctx, r.ID)
	require.NoError(t, err)
	require.Equal(t, grants.StatementDenied, got.Status)
	require.Equal(t, at, got.DecidedAt)

	// The session giving up afterwards keeps the decision.
	after, err := s.TimeOutStatement(ctx, r.ID, at.Add(time.Second))
	require.NoError(t, err)
	require.Equal(t, grants.StatementDenied, after.Status)
	require.Equal(t, []string{"request.operator", "grant.started", "statement.held", "statement.denied"}, actions(t, s, r.RequestID))
}

func TestHeldStatementClicksAfterTheWaitChangeNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := newStore(t)
	r := heldStatement(t, s, time.Minute)

	_, err := s.DecideStatement(ctx, r.ID, alice, grants.Approve, r.WaitsUntil)
	require.ErrorIs(t, err, grants.ErrExpired)

	out, err := s.TimeOutStatement(ctx, r.ID, r.WaitsUntil)
	require.NoError(t, err)
	require.Equal(t, grants.StatementTimedOut, out.Status)
	require.Equal(t, grants.SystemActor, out.DecidedBy)

	again, err := s.TimeOutStatements(ctx, r.WaitsUntil.Add(time.Hour))
	require.NoError(t, err)
	require.Empty(t, again, "a closed review is not closed twice")
}

func TestAbandonedHeldStatementsTimeOut(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := newStore(t)
	r := heldStatement(t, s, time.Minute)

	none, err := s.TimeOutStatements(ctx, r.WaitsUntil.Add(-time.Second))
	require.NoError(t, err)
	require.Empty(t, none)
	out, err := s.TimeOutStatements(ctx, r.WaitsUntil)
	require.NoError(t, err)
	require.Len(t, out, 1)
	require.Equal(t, r.ID, out[0].ID)
	require.Equal(t, grants.StatementTimedOut, out[0].Status)
}

func TestHoldStatementNeedsALiveGrant(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := newStore(t)
	g, err := s.OperatorGrant(ctx, ask("prod-db", time.Hour), "cli:test", t0)
	require.NoError(t, err)
	sess, err := s.StartSession(ctx, g.ID, "postgres", "127.0.0.1:5000", t0)
	require.NoError(t, err)
	_, err = s.RevokeAsOperator(ctx, g.ID, "cli:test", "done", t0.Add(time.Minute))
	require.NoError(t, err)

	_, err = s.HoldStatement(ctx, grants.NewStatementReview{GrantID: g.ID, SessionID: sess.ID, Statement: "DROP TABLE t", Wait: time.Minute}, t0.Add(2*time.Minute))
	require.ErrorIs(t, err, grants.ErrConflict)
	_, err = s.HoldStatement(ctx, grants.NewStatementReview{GrantID: uuid.New(), SessionID: sess.ID, Statement: "x", Wait: 0}, t0)
	require.ErrorIs(t, err, grants.ErrInvalid)
}

func TestHeldStatementCannotBeApprovedAfterItsGrantEnded(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := newStore(t)
	r := heldStatement(t, s, time.Hour)
	_, err := s.RevokeAsOperator(ctx, r.GrantID, "cli:test", "incident over", t0.Add(2*time.Minute))
	require.NoError(t, err)
	_, err = s.DecideStatement(ctx, r.ID, alice, grants.Approve, t0.Add(3*time.Minute))
	require.ErrorIs(t, err, grants.ErrConflict)
	got, err := s.GetStatement(ctx, r.ID)
	require.NoError(t, err)
	require.Equal(t, grants.StatementPending, got.Status, "only the session's giving up closes it now")
}
