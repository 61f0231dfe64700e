package grants

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/jitgate/jitgate/sqlc"
)

// CreateRequest files a request for reviewers after checking it against the
// resource's policy. Nothing is stored when the check fails.
func (s *Store) CreateRequest(ctx context.Context, nr NewRequest, now time.Time) (Request, error) {
	p, err := s.policy(nr.Resource)
	if err != nil {
		return Request{}, err
	}
	nr.Requester = NormalizeEmail(nr.Requester)
	if err := p.CheckRequest(nr); err != nil {
		return Request{}, err
	}
	now = dbTime(now)
	var req Request
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		row, err := s.q.InsertRequest(ctx, tx, requestRow(nr, KindReview, RequestPending, p, now))
		if err != nil {
			return fmt.Errorf("insert request: %w", interpretError(err))
		}
		req = requestFromRow(row)
		return s.appendAudit(ctx, tx, now, event{
			actor: req.Requester, action: "request.created", requestID: req.ID,
			details: map[string]any{"resource": req.Resource, "access": req.Access, "duration": req.Duration.String(), "reason": req.Reason},
		})
	})
	return req, err
}

func requestRow(nr NewRequest, kind Kind, status RequestStatus, p Policy, now time.Time) sqlc.InsertRequestParams {
	return sqlc.InsertRequestParams{
		Kind:               string(kind),
		Requester:          nr.Requester,
		Resource:           nr.Resource,
		Access:             string(nr.Access),
		DurationSeconds:    int64(nr.Duration / time.Second),
		Reason:             nr.Reason,
		Status:             string(status),
		ApprovalsRequired:  int32(p.approvals()),
		MaxDurationSeconds: int64(p.MaxDuration / time.Second),
		CreatedAt:          now,
		PendingExpiresAt:   now.Add(p.pendingTTL()),
	}
}

// GetRequest returns one request.
func (s *Store) GetRequest(ctx context.Context, id uuid.UUID) (Request, error) {
	row, err := s.q.GetRequest(ctx, s.db, id)
	if err != nil {
		return Request{}, fmt.Errorf("get request %s: %w", id, interpretError(err))
	}
	return requestFromRow(row), nil
}

// ListRequests returns the newest requests first, all of them or only those
// with status when status is not empty.
func (s *Store) ListRequests(ctx context.Context, status RequestStatus, limit int) ([]Request, error) {
	arg := sqlc.ListRequestsParams{MaxRows: int32(limit)}
	if status != "" {
		arg.Status = (*string)(&status)
	}
	rows, err := s.q.ListRequests(ctx, s.db, arg)
	if err != nil {
		return nil, fmt.Errorf("list requests: %w", err)
	}
	return requestsFromRows(rows), nil
}

// Reviews returns the reviews recorded on a request, oldest first.
func (s *Store) Reviews(ctx context.Context, requestID uuid.UUID) ([]Review, error) {
	rows, err := s.q.ListReviews(ctx, s.db, requestID)
	if err != nil {
		return nil, fmt.Errorf("list reviews of %s: %w", requestID, err)
	}
	out := make([]Review, len(rows))
	for i, r := range rows {
		out[i] = reviewFromRow(r)
	}
	return out, nil
}

// ReviewOutcome is what one review did.
type ReviewOutcome struct {
	Request Request
	// Grant is set when this review was the final approval.
	Grant *Grant
	// Approvals counts the approvals recorded so far.
	Approvals int
	// Duplicate is true when this reviewer had already reviewed the request:
	// nothing changed, and Request shows where things stand.
	Duplicate bool
}

// Review records a reviewer's decision. Deny decides the request at once;
// approve decides it when the required number of distinct reviewers have
// approved, and then starts the grant. Reviewers of one request take turns
// on its row lock, so concurrent clicks produce exactly one outcome, and a
// review delivered twice counts once.
func (s *Store) Review(ctx context.Context, requestID uuid.UUID, reviewer Identity, d Decision, reason string, now time.Time) (ReviewOutcome, error) {
	if d != Approve && d != Deny {
		return ReviewOutcome{}, invalid("decision", "decision must be approve or deny, got %q", d)
	}
	reviewer.Email = NormalizeEmail(reviewer.Email)
	now = dbTime(now)
	var out ReviewOutcome
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		row, err := s.q.LockRequest(ctx, tx, requestID)
		if err != nil {
			return fmt.Errorf("review request %s: %w", requestID, interpretError(err))
		}
		out = ReviewOutcome{Request: requestFromRow(row)}
		p, err := s.policy(out.Request.Resource)
		if err != nil {
			return err
		}
		reviews, err := s.q.ListReviews(ctx, tx, requestID)
		if err != nil {
			return fmt.Errorf("list reviews of %s: %w", requestID, err)
		}
		out.Approvals = countApprovals(reviews)
		if slices.ContainsFunc(reviews, func(r sqlc.Review) bool { return r.Reviewer == reviewer.Email }) {
			out.Duplicate = true
			return s.attachGrant(ctx, tx, &out)
		}
		if err := p.CheckReview(out.Request, reviewer, now); err != nil {
			return err
		}
		return s.recordReview(ctx, tx, &out, reviewer.Email, d, reason, now)
	})
	if err != nil {
		return ReviewOutcome{}, err
	}
	return out, nil
}

func countApprovals(reviews []sqlc.Review) int {
	n := 0
	for _, r := range reviews {
		if r.Decision == string(Approve) {
			n++
		}
	}
	return n
}

// attachGrant fills in the grant of an approved request for a duplicate
// review, so a retried final approval reports the same grant again.
func (s *Store) attachGrant(ctx context.Context, tx pgx.Tx, out *ReviewOutcome) error {
	if out.Request.Status != RequestApproved {
		return nil
	}
	g, err := s.q.GetGrantByRequest(ctx, tx, out.Request.ID)
	if err != nil {
		return fmt.Errorf("grant of request %s: %w", out.Request.ID, interpretError(err))
	}
	grant := grantFromRow(g)
	out.Grant = &grant
	return nil
}

func (s *Store) recordReview(ctx context.Context, tx pgx.Tx, out *ReviewOutcome, reviewer string, d Decision, reason string, now time.Time) error {
	req := out.Request
	_, err := s.q.InsertReview(ctx, tx, sqlc.InsertReviewParams{
		RequestID: req.ID, Requester: req.Requester, Reviewer: reviewer,
		Decision: string(d), Reason: reason, CreatedAt: now,
	})
	if errors.Is(err, pgx.ErrNoRows) {
		// Impossible while we hold the row lock; say so rather than guess.
		return fmt.Errorf("%w: review by %s on %s recorded concurrently", ErrConflict, reviewer, req.ID)
	}
	if err != nil {
		return fmt.Errorf("insert review: %w", interpretError(err))
	}
	if err := s.appendAudit(ctx, tx, now, event{
		actor: reviewer, action: "request.reviewed", requestID: req.ID,
		details: map[string]any{"decision": d, "reason": reason},
	}); err != nil {
		return err
	}
	if d == Deny {
		out.Request, err = s.decide(ctx, tx, req.ID, RequestDenied, reviewer, reason, now)
		return err
	}
	out.Approvals++
	if out.Approvals < req.ApprovalsRequired {
		return nil
	}
	out.Request, err = s.decide(ctx, tx, req.ID, RequestApproved, reviewer, reason, now)
	if err != nil {
		return err
	}
	grant, err := s.startGrant(ctx, tx, out.Request, false, now)
	out.Grant = &grant
	return err
}

// decide moves a pending request to its outcome and audits the move.
func (s *Store) decide(ctx context.Context, tx pgx.Tx, id uuid.UUID, to RequestStatus, by, reason string, now time.Time) (Request, error) {
	if err := RequestPending.CanMove(to); err != nil {
		return Request{}, err
	}
	arg := sqlc.DecideRequestParams{ID: id, Status: string(to), Now: now, DecidedBy: by}
	if reason != "" {
		arg.DecisionReason = &reason
	}
	row, err := s.q.DecideRequest(ctx, tx, arg)
	if err != nil {
		return Request{}, fmt.Errorf("%s request %s: %w", to, id, notMoved(err, "the request"))
	}
	req := requestFromRow(row)
	return req, s.appendAudit(ctx, tx, now, event{
		actor: by, action: "request." + string(to), requestID: id,
		details: map[string]any{"reason": reason},
	})
}

// startGrant creates the grant of an approved request. Its clock starts now,
// at final approval, and can never run past approval plus the maximum.
func (s *Store) startGrant(ctx context.Context, tx pgx.Tx, req Request, needsReview bool, now time.Time) (Grant, error) {
	start, end, capAt := Window(now, req.Duration, req.MaxDuration)
	row, err := s.q.InsertGrant(ctx, tx, sqlc.InsertGrantParams{
		RequestID: req.ID, StartsAt: start, ExpiresAt: end, MaxExpiresAt: capAt, NeedsReview: needsReview,
	})
	if err != nil {
		return Grant{}, fmt.Errorf("start grant for %s: %w", req.ID, interpretError(err))
	}
	g := grantFromRow(row)
	return g, s.appendAudit(ctx, tx, now, event{
		actor: SystemActor, action: "grant.started", requestID: req.ID, grantID: g.ID,
		details: map[string]any{"expires_at": g.ExpiresAt, "access": g.Access, "needs_review": needsReview},
	})
}

// Cancel withdraws a pending request. Only its requester may.
func (s *Store) Cancel(ctx context.Context, requestID uuid.UUID, actor Identity, now time.Time) (Request, error) {
	now = dbTime(now)
	var req Request
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		row, err := s.q.LockRequest(ctx, tx, requestID)
		if err != nil {
			return fmt.Errorf("cancel request %s: %w", requestID, interpretError(err))
		}
		if NormalizeEmail(actor.Email) != row.Requester {
			return fmt.Errorf("%w: only the requester may cancel a request", ErrDenied)
		}
		req, err = s.decide(ctx, tx, requestID, RequestCancelled, row.Requester, "", now)
		return err
	})
	return req, err
}

// TimeOutPending closes every request whose wait for reviewers ran out at
// now and returns them. Running it twice, or on two replicas, closes each
// request once.
func (s *Store) TimeOutPending(ctx context.Context, now time.Time) ([]Request, error) {
	now = dbTime(now)
	var out []Request
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		rows, err := s.q.TimeOutRequests(ctx, tx, sqlc.TimeOutRequestsParams{Now: now, DecidedBy: SystemActor})
		if err != nil {
			return fmt.Errorf("time out requests: %w", err)
		}
		out = requestsFromRows(rows)
		for _, r := range out {
			if err := s.appendAudit(ctx, tx, now, event{actor: SystemActor, action: "request.timed_out", requestID: r.ID}); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}
