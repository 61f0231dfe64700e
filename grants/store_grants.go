package grants

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/jitgate/jitgate/sqlc"
)

// BreakGlass gives the requester a grant at once, without review, where the
// resource allows it. The grant is capped short and flagged as needing review
// until a reviewer acknowledges it.
func (s *Store) BreakGlass(ctx context.Context, nr NewRequest, now time.Time) (Grant, error) {
	p, err := s.policy(nr.Resource)
	if err != nil {
		return Grant{}, err
	}
	nr.Requester = NormalizeEmail(nr.Requester)
	if err := p.CheckBreakGlass(nr); err != nil {
		return Grant{}, err
	}
	p.MaxDuration = p.breakGlassMax()
	return s.grantDirectly(ctx, nr, KindBreakGlass, nr.Requester, p, now)
}

// OperatorGrant gives a grant decided by an operator outside Slack (the CLI).
// It follows the resource's duration and reason rules like any request, and
// the audit log names the operator.
func (s *Store) OperatorGrant(ctx context.Context, nr NewRequest, operator string, now time.Time) (Grant, error) {
	p, err := s.policy(nr.Resource)
	if err != nil {
		return Grant{}, err
	}
	nr.Requester = NormalizeEmail(nr.Requester)
	if err := p.CheckRequest(nr); err != nil {
		return Grant{}, err
	}
	if strings.TrimSpace(operator) == "" {
		return Grant{}, invalid("operator", "operator name is empty")
	}
	return s.grantDirectly(ctx, nr, KindOperator, operator, p, now)
}

// grantDirectly stores a request that is approved as it is filed, and its
// grant, in one transaction.
func (s *Store) grantDirectly(ctx context.Context, nr NewRequest, kind Kind, by string, p Policy, now time.Time) (Grant, error) {
	now = dbTime(now)
	var g Grant
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		arg := requestRow(nr, kind, RequestApproved, p, now)
		arg.DecidedAt, arg.DecidedBy = &now, &by
		row, err := s.q.InsertRequest(ctx, tx, arg)
		if err != nil {
			return fmt.Errorf("insert %s request: %w", kind, interpretError(err))
		}
		req := requestFromRow(row)
		if err := s.appendAudit(ctx, tx, now, event{
			actor: by, action: "request." + string(kind), requestID: req.ID,
			details: map[string]any{"requester": req.Requester, "resource": req.Resource, "access": req.Access, "duration": req.Duration.String(), "reason": req.Reason},
		}); err != nil {
			return err
		}
		g, err = s.startGrant(ctx, tx, req, kind == KindBreakGlass, now)
		return err
	})
	return g, err
}

// GetGrant returns one grant.
func (s *Store) GetGrant(ctx context.Context, id uuid.UUID) (Grant, error) {
	row, err := s.q.GetGrant(ctx, s.db, id)
	if err != nil {
		return Grant{}, fmt.Errorf("get grant %s: %w", id, interpretError(err))
	}
	return grantFromRow(row), nil
}

// GrantOfRequest returns the grant an approved request started, or
// ErrNotFound for a request that has none.
func (s *Store) GrantOfRequest(ctx context.Context, requestID uuid.UUID) (Grant, error) {
	row, err := s.q.GetGrantByRequest(ctx, s.db, requestID)
	if err != nil {
		return Grant{}, fmt.Errorf("grant of request %s: %w", requestID, interpretError(err))
	}
	return grantFromRow(row), nil
}

// ActiveGrant returns the grant that gives email access to resource at now,
// or ErrNotFound. A grant past its end is never returned.
func (s *Store) ActiveGrant(ctx context.Context, email, resource string, now time.Time) (Grant, error) {
	row, err := s.q.ActiveGrant(ctx, s.db, sqlc.ActiveGrantParams{
		Requester: NormalizeEmail(email), Resource: resource, Now: dbTime(now),
	})
	if err != nil {
		return Grant{}, fmt.Errorf("active grant of %s on %s: %w", email, resource, interpretError(err))
	}
	return grantFromRow(row), nil
}

// ListGrants returns the newest grants first; with activeOnly, only those
// that give access at now.
func (s *Store) ListGrants(ctx context.Context, activeOnly bool, now time.Time, limit int) ([]Grant, error) {
	rows, err := s.q.ListGrants(ctx, s.db, sqlc.ListGrantsParams{ActiveOnly: activeOnly, Now: dbTime(now), MaxRows: int32(limit)})
	if err != nil {
		return nil, fmt.Errorf("list grants: %w", err)
	}
	return grantsFromRows(rows), nil
}

// Revoke ends someone's grant early. Reviewers of the resource and admins may.
func (s *Store) Revoke(ctx context.Context, grantID uuid.UUID, actor Identity, reason string, now time.Time) (Grant, error) {
	return s.endGrant(ctx, grantID, GrantRevoked, reason, now, func(g Grant, p Policy) (string, error) {
		return NormalizeEmail(actor.Email), p.CheckRevoke(actor)
	})
}

// RevokeAsOperator ends a grant on an operator's word (the CLI), which needs
// no reviewer role: whoever runs the binary against the database already
// holds more power than any reviewer.
func (s *Store) RevokeAsOperator(ctx context.Context, grantID uuid.UUID, operator, reason string, now time.Time) (Grant, error) {
	return s.endGrant(ctx, grantID, GrantRevoked, reason, now, func(Grant, Policy) (string, error) {
		if strings.TrimSpace(operator) == "" {
			return "", invalid("operator", "operator name is empty")
		}
		return operator, nil
	})
}

// Release ends a grant its holder no longer needs.
func (s *Store) Release(ctx context.Context, grantID uuid.UUID, actor Identity, now time.Time) (Grant, error) {
	return s.endGrant(ctx, grantID, GrantReleased, "released by the requester", now, func(g Grant, _ Policy) (string, error) {
		if NormalizeEmail(actor.Email) != g.Requester {
			return "", fmt.Errorf("%w: only the holder may release a grant", ErrDenied)
		}
		return g.Requester, nil
	})
}

// endGrant moves an active grant to its end after allowed says who acts.
func (s *Store) endGrant(ctx context.Context, grantID uuid.UUID, to GrantStatus, reason string, now time.Time, allowed func(Grant, Policy) (string, error)) (Grant, error) {
	if strings.TrimSpace(reason) == "" {
		return Grant{}, invalid("reason", "a reason is required to end a grant")
	}
	now = dbTime(now)
	var out Grant
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		g, p, err := s.grantAndPolicy(ctx, tx, grantID)
		if err != nil {
			return err
		}
		by, err := allowed(g, p)
		if err != nil {
			return err
		}
		if err := g.Status.CanMove(to); err != nil {
			return err
		}
		if err := g.checkActive(now); err != nil {
			return err
		}
		row, err := s.q.EndGrant(ctx, tx, sqlc.EndGrantParams{ID: grantID, Status: string(to), Now: now, EndedBy: by, EndReason: reason})
		if err != nil {
			return fmt.Errorf("%s grant %s: %w", to, grantID, notMoved(err, "the grant"))
		}
		out = grantFromRow(row)
		if err := s.notifyChange(ctx, tx, out); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, now, event{
			actor: by, action: "grant." + string(to), requestID: out.RequestID, grantID: out.ID,
			details: map[string]any{"reason": reason},
		})
	})
	return out, err
}

// grantAndPolicy reads a grant for update, with its resource's policy.
func (s *Store) grantAndPolicy(ctx context.Context, tx pgx.Tx, id uuid.UUID) (Grant, Policy, error) {
	row, err := s.q.LockGrant(ctx, tx, id)
	if err != nil {
		return Grant{}, Policy{}, fmt.Errorf("grant %s: %w", id, interpretError(err))
	}
	g := grantFromRow(row)
	p, err := s.policy(g.Resource)
	return g, p, err
}

// Extend moves a grant's end to newExpiry, within the cap fixed when it
// started, and records who asked and why.
func (s *Store) Extend(ctx context.Context, grantID uuid.UUID, actor Identity, newExpiry time.Time, reason string, now time.Time) (Grant, error) {
	if strings.TrimSpace(reason) == "" {
		return Grant{}, invalid("reason", "a reason is required to extend a grant")
	}
	now, newExpiry = dbTime(now), dbTime(newExpiry)
	var out Grant
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		g, p, err := s.grantAndPolicy(ctx, tx, grantID)
		if err != nil {
			return err
		}
		if err := p.CheckExtend(g, actor, newExpiry, now); err != nil {
			return err
		}
		row, err := s.q.ExtendGrant(ctx, tx, sqlc.ExtendGrantParams{ID: grantID, NewExpiresAt: newExpiry, Now: now})
		if err != nil {
			return fmt.Errorf("extend grant %s: %w", grantID, notMoved(err, "the grant"))
		}
		out = grantFromRow(row)
		if err := s.notifyChange(ctx, tx, out); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, now, event{
			actor: NormalizeEmail(actor.Email), action: "grant.extended", requestID: out.RequestID, grantID: out.ID,
			details: map[string]any{"from": g.ExpiresAt, "to": out.ExpiresAt, "reason": reason},
		})
	})
	return out, err
}

// Acknowledge clears a break-glass grant's needs-review flag once a reviewer
// has looked at it.
func (s *Store) Acknowledge(ctx context.Context, grantID uuid.UUID, actor Identity, now time.Time) (Grant, error) {
	now = dbTime(now)
	var out Grant
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		g, p, err := s.grantAndPolicy(ctx, tx, grantID)
		if err != nil {
			return err
		}
		if err := p.CheckAcknowledge(g, actor); err != nil {
			return err
		}
		by := NormalizeEmail(actor.Email)
		row, err := s.q.AcknowledgeGrant(ctx, tx, sqlc.AcknowledgeGrantParams{ID: grantID, AcknowledgedBy: by, Now: now})
		if err != nil {
			return fmt.Errorf("acknowledge grant %s: %w", grantID, notMoved(err, "the grant"))
		}
		out = grantFromRow(row)
		return s.appendAudit(ctx, tx, now, event{actor: by, action: "grant.acknowledged", requestID: out.RequestID, grantID: out.ID})
	})
	return out, err
}

// ExpireGrants ends every grant whose time ran out at now and returns them.
// Each grant is expired once however often or wherever this runs.
func (s *Store) ExpireGrants(ctx context.Context, now time.Time) ([]Grant, error) {
	now = dbTime(now)
	var out []Grant
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		rows, err := s.q.ExpireGrants(ctx, tx, sqlc.ExpireGrantsParams{Now: now, EndedBy: SystemActor})
		if err != nil {
			return fmt.Errorf("expire grants: %w", err)
		}
		out = grantsFromRows(rows)
		for _, g := range out {
			if err := s.notifyChange(ctx, tx, g); err != nil {
				return err
			}
			if err := s.appendAudit(ctx, tx, now, event{actor: SystemActor, action: "grant.expired", requestID: g.RequestID, grantID: g.ID}); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}
