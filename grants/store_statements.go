package grants

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/jitgate/jitgate/sqlc"
)

func statementFromRow(r sqlc.StatementReview) StatementReview {
	return StatementReview{
		ID: r.ID, GrantID: r.GrantID, SessionID: r.SessionID, RequestID: r.RequestID,
		Requester: r.Requester, Resource: r.Resource, Statement: r.Statement, Reasons: r.Reasons,
		Status: StatementStatus(r.Status), CreatedAt: utc(r.CreatedAt), WaitsUntil: utc(r.WaitsUntil),
		DecidedAt: utc(deref(r.DecidedAt)), DecidedBy: deref(r.DecidedBy),
	}
}

// HoldStatement records a risky statement a session holds for reviewers.
// It fails with ErrConflict when the grant no longer gives access.
func (s *Store) HoldStatement(ctx context.Context, nr NewStatementReview, now time.Time) (StatementReview, error) {
	if nr.Wait <= 0 {
		return StatementReview{}, invalid("wait", "wait must be positive, got %s", nr.Wait)
	}
	now = dbTime(now)
	reasons := nr.Reasons
	if reasons == nil {
		reasons = []string{}
	}
	var out StatementReview
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		row, err := s.q.HoldStatement(ctx, tx, sqlc.HoldStatementParams{
			GrantID: nr.GrantID, SessionID: nr.SessionID, Statement: nr.Statement, Reasons: reasons,
			Now: now, WaitsUntil: dbTime(now.Add(nr.Wait)),
		})
		if err != nil {
			return fmt.Errorf("hold statement under grant %s: %w", nr.GrantID, notMoved(err, "the grant"))
		}
		out = statementFromRow(row)
		return s.appendAudit(ctx, tx, now, event{
			actor: out.Requester, action: "statement.held", requestID: out.RequestID, grantID: out.GrantID,
			details: map[string]any{"statement_review": out.ID, "session": out.SessionID, "reasons": out.Reasons},
		})
	})
	return out, err
}

// GetStatement returns one statement review.
func (s *Store) GetStatement(ctx context.Context, id uuid.UUID) (StatementReview, error) {
	row, err := s.q.GetStatementReview(ctx, s.db, id)
	if err != nil {
		return StatementReview{}, fmt.Errorf("get statement review %s: %w", id, interpretError(err))
	}
	return statementFromRow(row), nil
}

// DecideStatement records a reviewer's answer to a held statement. The
// first decision wins; later clicks get ErrConflict, clicks after the
// session stopped waiting get ErrExpired.
func (s *Store) DecideStatement(ctx context.Context, id uuid.UUID, reviewer Identity, d Decision, now time.Time) (StatementReview, error) {
	status, ok := map[Decision]StatementStatus{Approve: StatementApproved, Deny: StatementDenied}[d]
	if !ok {
		return StatementReview{}, invalid("decision", "decision must be approve or deny, got %q", d)
	}
	reviewer.Email = NormalizeEmail(reviewer.Email)
	now = dbTime(now)
	var out StatementReview
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		cur, err := s.q.GetStatementReview(ctx, tx, id)
		if err != nil {
			return fmt.Errorf("decide statement review %s: %w", id, interpretError(err))
		}
		p, err := s.policy(cur.Resource)
		if err != nil {
			return err
		}
		if err := p.CheckStatementReview(statementFromRow(cur), reviewer, now); err != nil {
			return err
		}
		row, err := s.q.DecideStatement(ctx, tx, sqlc.DecideStatementParams{ID: id, Status: string(status), Now: now, DecidedBy: reviewer.Email})
		if err != nil {
			return fmt.Errorf("decide statement review %s: %w", id, notMoved(err, "the statement review"))
		}
		out = statementFromRow(row)
		return s.statementDecided(ctx, tx, out, now)
	})
	return out, err
}

// TimeOutStatement closes a review whose session stopped waiting, and
// returns where it stands: timed out now, or decided a moment before.
func (s *Store) TimeOutStatement(ctx context.Context, id uuid.UUID, now time.Time) (StatementReview, error) {
	now = dbTime(now)
	var out StatementReview
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		row, err := s.q.TimeOutStatement(ctx, tx, sqlc.TimeOutStatementParams{ID: id, Now: now, DecidedBy: SystemActor})
		if err == nil {
			out = statementFromRow(row)
			return s.statementDecided(ctx, tx, out, now)
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("time out statement review %s: %w", id, interpretError(err))
		}
		cur, err := s.q.GetStatementReview(ctx, tx, id)
		if err != nil {
			return fmt.Errorf("time out statement review %s: %w", id, interpretError(err))
		}
		out = statementFromRow(cur)
		return nil
	})
	return out, err
}

// TimeOutStatements closes every review whose wait ran out at now without
// its session closing it (the replica holding the session went away).
func (s *Store) TimeOutStatements(ctx context.Context, now time.Time) ([]StatementReview, error) {
	now = dbTime(now)
	var out []StatementReview
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		rows, err := s.q.TimeOutStatements(ctx, tx, sqlc.TimeOutStatementsParams{Now: now, DecidedBy: SystemActor})
		if err != nil {
			return fmt.Errorf("time out statement reviews: %w", err)
		}
		for _, r := range rows {
			sr := statementFromRow(r)
			out = append(out, sr)
			if err := s.statementDecided(ctx, tx, sr, now); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

// statementDecided audits a decided review; the feed tells reviewers, and
// the waiting session finds the decision when it next looks.
func (s *Store) statementDecided(ctx context.Context, tx pgx.Tx, r StatementReview, now time.Time) error {
	return s.appendAudit(ctx, tx, now, event{
		actor: r.DecidedBy, action: "statement." + string(r.Status), requestID: r.RequestID, grantID: r.GrantID,
		details: map[string]any{"statement_review": r.ID},
	})
}
