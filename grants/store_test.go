package grants_test

import (
	"context"
	"fmt"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/jitgate/jitgate/grants"
	"github.com/jitgate/jitgate/internal/dbtest"
)

var t0 = time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)

var (
	bob   = grants.Identity{Email: "bob@example.com"}
	alice = grants.Identity{Email: "alice@example.com"}
	carol = grants.Identity{Email: "carol@example.com", Groups: []string{"db-admins"}}
	eve   = grants.Identity{Email: "eve@example.com"}
)

func policies() grants.PolicyMap {
	return grants.PolicyMap{
		"prod-db": {
			Reviewers:     []string{"alice@example.com", "group:db-admins"},
			Approvals:     1,
			MaxDuration:   4 * time.Hour,
			ReasonPattern: regexp.MustCompile(`^INC-[0-9]+`),
			PendingTTL:    time.Hour,
			BreakGlass:    true,
		},
		"two-man": {
			Reviewers:   []string{"alice@example.com", "group:db-admins"},
			Approvals:   2,
			MaxDuration: time.Hour,
		},
	}
}

func newStore(t *testing.T) (*grants.Store, *pgxpool.Pool) {
	t.Helper()
	pool := dbtest.NewPool(t)
	return grants.NewStore(pool, policies()), pool
}

func ask(resource string, d time.Duration) grants.NewRequest {
	return grants.NewRequest{Requester: "Bob@Example.com", Resource: resource, Access: grants.AccessRead, Duration: d, Reason: "INC-123 fix index"}
}

func count(t *testing.T, pool *pgxpool.Pool, query string, args ...any) int {
	t.Helper()
	var n int
	require.NoError(t, pool.QueryRow(context.Background(), query, args...).Scan(&n))
	return n
}

func TestApproveStartsGrant(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, pool := newStore(t)

	req, err := s.CreateRequest(ctx, ask("prod-db", 2*time.Hour), t0)
	require.NoError(t, err)
	require.Equal(t, grants.RequestPending, req.Status)
	require.Equal(t, "bob@example.com", req.Requester, "stored normalized")
	require.Equal(t, t0.Add(time.Hour), req.PendingExpiresAt)

	approvedAt := t0.Add(10 * time.Minute)
	out, err := s.Review(ctx, req.ID, alice, grants.Approve, "", approvedAt)
	require.NoError(t, err)
	require.Equal(t, grants.RequestApproved, out.Request.Status)
	require.NotNil(t, out.Grant)
	require.Equal(t, approvedAt, out.Grant.StartsAt, "the clock starts at approval")
	require.Equal(t, approvedAt.Add(2*time.Hour), out.Grant.ExpiresAt)
	require.Equal(t, approvedAt.Add(4*time.Hour), out.Grant.MaxExpiresAt)

	g, err := s.ActiveGrant(ctx, "BOB@example.com", "prod-db", approvedAt.Add(time.Minute))
	require.NoError(t, err)
	require.Equal(t, out.Grant.ID, g.ID)

	require.Equal(t, []string{"request.created", "request.reviewed", "request.approved", "grant.started"}, actions(t, s, req.ID))
	require.Equal(t, 1, count(t, pool, "SELECT count(*) FROM grants"))
}

func actions(t *testing.T, s *grants.Store, requestID uuid.UUID) []string {
	t.Helper()
	trail, err := s.AuditTrail(context.Background(), requestID)
	require.NoError(t, err)
	var out []string
	for _, e := range trail {
		out = append(out, e.Action)
	}
	return out
}

func TestCreateRequestRefusesBadInputAndStoresNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, pool := newStore(t)
	bad := []grants.NewRequest{
		ask("prod-db", 5*time.Hour),
		ask("prod-db", 0),
		{Requester: "bob@example.com", Resource: "prod-db", Access: grants.AccessRead, Duration: time.Hour, Reason: "because"},
		{Requester: "bob@example.com", Resource: "prod-db", Access: "root", Duration: time.Hour, Reason: "INC-1"},
	}
	for _, nr := range bad {
		_, err := s.CreateRequest(ctx, nr, t0)
		require.ErrorIs(t, err, grants.ErrInvalid)
	}
	_, err := s.CreateRequest(ctx, ask("nope", time.Hour), t0)
	require.ErrorIs(t, err, grants.ErrNotFound)
	require.Equal(t, 0, count(t, pool, "SELECT count(*) FROM requests"))
	require.Equal(t, 0, count(t, pool, "SELECT count(*) FROM audit_events"))
}

func TestConcurrentApprovalsProduceOneGrant(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, pool := newStore(t)
	req, err := s.CreateRequest(ctx, ask("prod-db", time.Hour), t0)
	require.NoError(t, err)

	const n = 20
	var wg sync.WaitGroup
	results := make([]grants.ReviewOutcome, n)
	errs := make([]error, n)
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			reviewer := grants.Identity{Email: fmt.Sprintf("admin%d@example.com", i), Groups: []string{"db-admins"}}
			results[i], errs[i] = s.Review(ctx, req.ID, reviewer, grants.Approve, "", t0.Add(time.Minute))
		}()
	}
	close(start)
	wg.Wait()

	granted, conflicts := 0, 0
	for i := range n {
		switch {
		case errs[i] == nil && results[i].Grant != nil:
			granted++
		default:
			require.ErrorIs(t, errs[i], grants.ErrConflict, "a late approval is a conflict, not another grant")
			conflicts++
		}
	}
	require.Equal(t, 1, granted)
	require.Equal(t, n-1, conflicts)
	require.Equal(t, 1, count(t, pool, "SELECT count(*) FROM grants WHERE request_id = $1", req.ID))
	require.Equal(t, 1, count(t, pool, "SELECT count(*) FROM reviews WHERE request_id = $1", req.ID))
}

func TestSameReviewTwiceCountsOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, pool := newStore(t)
	req, err := s.CreateRequest(ctx, ask("two-man", time.Hour), t0)
	require.NoError(t, err)

	first, err := s.Review(ctx, req.ID, alice, grants.Approve, "", t0.Add(time.Minute))
	require.NoError(t, err)
	require.False(t, first.Duplicate)
	require.Equal(t, 1, first.Approvals)
	require.Nil(t, first.Grant)

	again, err := s.Review(ctx, req.ID, grants.Identity{Email: "ALICE@example.com"}, grants.Approve, "", t0.Add(2*time.Minute))
	require.NoError(t, err)
	require.True(t, again.Duplicate)
	require.Equal(t, 1, again.Approvals, "a second delivery adds nothing")
	require.Equal(t, grants.RequestPending, again.Request.Status)

	final, err := s.Review(ctx, req.ID, carol, grants.Approve, "", t0.Add(3*time.Minute))
	require.NoError(t, err)
	require.Equal(t, 2, final.Approvals)
	require.NotNil(t, final.Grant)

	// A retried final approval reports the same grant and creates nothing.
	retry, err := s.Review(ctx, req.ID, carol, grants.Approve, "", t0.Add(4*time.Minute))
	require.NoError(t, err)
	require.True(t, retry.Duplicate)
	require.Equal(t, final.Grant.ID, retry.Grant.ID)
	require.Equal(t, 2, count(t, pool, "SELECT count(*) FROM reviews"))
	require.Equal(t, 1, count(t, pool, "SELECT count(*) FROM grants"))
}

func TestRequesterCannotApproveOwnRequest(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, pool := newStore(t)
	req, err := s.CreateRequest(ctx, ask("prod-db", time.Hour), t0)
	require.NoError(t, err)

	// Bob is in the reviewers' group, and still may not approve himself.
	_, err = s.Review(ctx, req.ID, grants.Identity{Email: "bob@EXAMPLE.com", Groups: []string{"db-admins"}}, grants.Approve, "", t0)
	require.ErrorIs(t, err, grants.ErrSelfReview)

	_, err = s.Review(ctx, req.ID, eve, grants.Approve, "", t0)
	require.ErrorIs(t, err, grants.ErrNotReviewer)
	require.Equal(t, 0, count(t, pool, "SELECT count(*) FROM reviews"))

	// The schema refuses it too, whatever code path tries.
	_, err = pool.Exec(ctx, `INSERT INTO reviews (request_id, requester, reviewer, decision, created_at)
		VALUES ($1, 'bob@example.com', 'bob@example.com', 'approve', now())`, req.ID)
	require.ErrorContains(t, err, "reviews_check")
}

func TestSchemaRefusesGrantWithoutApprovedRequest(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, pool := newStore(t)
	req, err := s.CreateRequest(ctx, ask("prod-db", time.Hour), t0)
	require.NoError(t, err)
	_, err = pool.Exec(ctx, `INSERT INTO grants (request_id, requester, resource, access, starts_at, expires_at, max_expires_at)
		VALUES ($1, 'bob@example.com', 'prod-db', 'read', now(), now() + interval '1h', now() + interval '1h')`, req.ID)
	require.ErrorContains(t, err, "foreign key")

	out, err := s.Review(ctx, req.ID, alice, grants.Approve, "", t0)
	require.NoError(t, err)
	_, err = pool.Exec(ctx, `INSERT INTO grants (request_id, requester, resource, access, starts_at, expires_at, max_expires_at)
		VALUES ($1, 'bob@example.com', 'prod-db', 'read', now(), now() + interval '1h', now() + interval '1h')`, req.ID)
	require.ErrorContains(t, err, "grants_request_id_key", "one grant per request")
	_, err = pool.Exec(ctx, `UPDATE requests SET status = 'pending', decided_at = NULL, decided_by = NULL WHERE id = $1`, out.Request.ID)
	require.ErrorContains(t, err, "foreign key", "an approved request with a grant cannot move back")
}

func TestDenyDecidesAtOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, pool := newStore(t)
	req, err := s.CreateRequest(ctx, ask("two-man", time.Hour), t0)
	require.NoError(t, err)
	out, err := s.Review(ctx, req.ID, carol, grants.Deny, "use the replica", t0.Add(time.Minute))
	require.NoError(t, err)
	require.Equal(t, grants.RequestDenied, out.Request.Status)
	require.Equal(t, "use the replica", out.Request.DecisionReason)
	require.Equal(t, "carol@example.com", out.Request.DecidedBy)
	_, err = s.Review(ctx, req.ID, alice, grants.Approve, "", t0.Add(2*time.Minute))
	require.ErrorIs(t, err, grants.ErrConflict)
	require.Equal(t, 0, count(t, pool, "SELECT count(*) FROM grants"))
}

func TestPendingTimesOut(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := newStore(t)
	req, err := s.CreateRequest(ctx, ask("prod-db", time.Hour), t0)
	require.NoError(t, err)

	// Past its wait, it cannot be approved even before the job runs.
	_, err = s.Review(ctx, req.ID, alice, grants.Approve, "", t0.Add(time.Hour))
	require.ErrorIs(t, err, grants.ErrExpired)

	none, err := s.TimeOutPending(ctx, t0.Add(59*time.Minute))
	require.NoError(t, err)
	require.Empty(t, none)
	done, err := s.TimeOutPending(ctx, t0.Add(time.Hour))
	require.NoError(t, err)
	require.Len(t, done, 1)
	require.Equal(t, grants.RequestTimedOut, done[0].Status)
	again, err := s.TimeOutPending(ctx, t0.Add(2*time.Hour))
	require.NoError(t, err)
	require.Empty(t, again, "each request times out once")
}

func TestExpiredGrantIsNeverActive(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := newStore(t)
	g, err := s.OperatorGrant(ctx, ask("prod-db", time.Hour), "cli:root", t0)
	require.NoError(t, err)
	end := t0.Add(time.Hour)

	_, err = s.ActiveGrant(ctx, "bob@example.com", "prod-db", end.Add(-time.Microsecond))
	require.NoError(t, err)
	_, err = s.ActiveGrant(ctx, "bob@example.com", "prod-db", end)
	require.ErrorIs(t, err, grants.ErrNotFound, "at its end, before the job ran")
	list, err := s.ListGrants(ctx, true, end, 10)
	require.NoError(t, err)
	require.Empty(t, list)

	expired, err := s.ExpireGrants(ctx, end.Add(time.Minute))
	require.NoError(t, err)
	require.Len(t, expired, 1)
	require.Equal(t, g.ID, expired[0].ID)
	require.Equal(t, end, expired[0].EndedAt, "ends at its expiry, not when the job ran")
	again, err := s.ExpireGrants(ctx, end.Add(2*time.Minute))
	require.NoError(t, err)
	require.Empty(t, again)

	_, err = s.Revoke(ctx, g.ID, alice, "too late", end.Add(3*time.Minute))
	require.ErrorIs(t, err, grants.ErrConflict)
}

func TestRevokeReleaseExtend(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := newStore(t)
	g, err := s.OperatorGrant(ctx, ask("prod-db", time.Hour), "cli:root", t0)
	require.NoError(t, err)

	_, err = s.Extend(ctx, g.ID, bob, t0.Add(5*time.Hour), "INC-123 longer", t0.Add(time.Minute))
	require.ErrorIs(t, err, grants.ErrInvalid, "past the cap")
	_, err = s.Extend(ctx, g.ID, eve, t0.Add(2*time.Hour), "mine now", t0.Add(time.Minute))
	require.ErrorIs(t, err, grants.ErrDenied)
	ext, err := s.Extend(ctx, g.ID, bob, t0.Add(2*time.Hour), "INC-123 longer", t0.Add(time.Minute))
	require.NoError(t, err)
	require.Equal(t, t0.Add(2*time.Hour), ext.ExpiresAt)

	_, err = s.Revoke(ctx, g.ID, bob, "self", t0.Add(2*time.Minute))
	require.ErrorIs(t, err, grants.ErrDenied, "the holder is not a reviewer")
	_, err = s.Release(ctx, g.ID, alice, t0.Add(2*time.Minute))
	require.ErrorIs(t, err, grants.ErrDenied, "only the holder releases")
	rev, err := s.Revoke(ctx, g.ID, carol, "done here", t0.Add(3*time.Minute))
	require.NoError(t, err)
	require.Equal(t, grants.GrantRevoked, rev.Status)
	require.Equal(t, "carol@example.com", rev.EndedBy)
	_, err = s.Release(ctx, g.ID, bob, t0.Add(4*time.Minute))
	require.ErrorIs(t, err, grants.ErrConflict)
	require.Equal(t,
		[]string{"request.operator", "grant.started", "grant.extended", "grant.revoked"},
		actions(t, s, g.RequestID))

	g2, err := s.OperatorGrant(ctx, ask("prod-db", time.Hour), "cli:root", t0)
	require.NoError(t, err)
	rel, err := s.Release(ctx, g2.ID, bob, t0.Add(time.Minute))
	require.NoError(t, err)
	require.Equal(t, grants.GrantReleased, rel.Status)
}

func TestConcurrentRevokeEndsOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, pool := newStore(t)
	g, err := s.OperatorGrant(ctx, ask("prod-db", time.Hour), "cli:root", t0)
	require.NoError(t, err)
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.RevokeAsOperator(ctx, g.ID, fmt.Sprintf("cli:op%d", i), "stop", t0.Add(time.Minute))
			if err == nil {
				mu.Lock()
				ok++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	require.Equal(t, 1, ok)
	require.Equal(t, 1, count(t, pool, "SELECT count(*) FROM audit_events WHERE action = 'grant.revoked'"))
}

func TestBreakGlass(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := newStore(t)
	nr := ask("prod-db", 20*time.Minute)
	g, err := s.BreakGlass(ctx, nr, t0)
	require.NoError(t, err)
	require.True(t, g.NeedsReview)
	require.Equal(t, t0.Add(30*time.Minute), g.MaxExpiresAt, "capped at the break-glass maximum")

	_, err = s.BreakGlass(ctx, ask("prod-db", time.Hour), t0)
	require.ErrorIs(t, err, grants.ErrInvalid)
	_, err = s.BreakGlass(ctx, ask("two-man", 10*time.Minute), t0)
	require.ErrorIs(t, err, grants.ErrDenied)

	_, err = s.Acknowledge(ctx, g.ID, bob, t0.Add(time.Minute))
	require.ErrorIs(t, err, grants.ErrDenied)
	ack, err := s.Acknowledge(ctx, g.ID, alice, t0.Add(time.Minute))
	require.NoError(t, err)
	require.False(t, ack.NeedsReview)
	_, err = s.Acknowledge(ctx, g.ID, carol, t0.Add(2*time.Minute))
	require.ErrorIs(t, err, grants.ErrConflict)
}

func TestCancel(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := newStore(t)
	req, err := s.CreateRequest(ctx, ask("prod-db", time.Hour), t0)
	require.NoError(t, err)
	_, err = s.Cancel(ctx, req.ID, alice, t0)
	require.ErrorIs(t, err, grants.ErrDenied)
	c, err := s.Cancel(ctx, req.ID, bob, t0)
	require.NoError(t, err)
	require.Equal(t, grants.RequestCancelled, c.Status)
	_, err = s.Cancel(ctx, req.ID, bob, t0)
	require.ErrorIs(t, err, grants.ErrConflict)
	_, err = s.Cancel(ctx, uuid.New(), bob, t0)
	require.ErrorIs(t, err, grants.ErrNotFound)
}

func TestAuditChainDetectsEdits(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, pool := newStore(t)
	for range 3 {
		_, err := s.OperatorGrant(ctx, ask("prod-db", time.Hour), "cli:root", t0)
		require.NoError(t, err)
	}
	n, err := s.VerifyAudit(ctx)
	require.NoError(t, err)
	require.Equal(t, 6, n)

	// The application cannot edit the log...
	_, err = pool.Exec(ctx, "UPDATE audit_events SET actor = 'nobody' WHERE id = 3")
	require.ErrorContains(t, err, "append-only")

	// ...and an edit behind its back is caught.
	_, err = pool.Exec(ctx, `ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only;
		UPDATE audit_events SET actor = 'nobody' WHERE id = (SELECT min(id) + 2 FROM audit_events)`)
	require.NoError(t, err)
	_, err = s.VerifyAudit(ctx)
	require.ErrorIs(t, err, grants.ErrAuditBroken)
	require.ErrorContains(t, err, "edited")
}

func TestAuditChainDetectsDeletion(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, pool := newStore(t)
	for range 2 {
		_, err := s.OperatorGrant(ctx, ask("prod-db", time.Hour), "cli:root", t0)
		require.NoError(t, err)
	}
	_, err := pool.Exec(ctx, `ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only;
		DELETE FROM audit_events WHERE id = (SELECT min(id) + 1 FROM audit_events)`)
	require.NoError(t, err)
	_, err = s.VerifyAudit(ctx)
	require.ErrorIs(t, err, grants.ErrAuditBroken)
	require.ErrorContains(t, err, "does not link")
}

func TestAuditChainStaysLinearUnderConcurrency(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := newStore(t)
	var wg sync.WaitGroup
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.OperatorGrant(ctx, ask("prod-db", time.Hour), "cli:root", t0)
			require.NoError(t, err)
		}()
	}
	wg.Wait()
	n, err := s.VerifyAudit(ctx)
	require.NoError(t, err)
	require.Equal(t, 20, n)
}
