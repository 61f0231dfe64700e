package broker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jitgate/jitgate/grants"
)

// Statements holds risky statements for reviewers. It records each one in
// Postgres, where the feed picks it up and the bot asks reviewers, and waits
// for the decision, which may be clicked on any replica. It implements
// StatementReviewer for the gateways.
type Statements struct {
	store *grants.Store
	now   func() time.Time
	log   *slog.Logger
	// Poll is how often a waiting session looks for the decision.
	Poll time.Duration
}

// NewStatements returns a StatementReviewer over store.
func NewStatements(store *grants.Store, now func() time.Time, log *slog.Logger) *Statements {
	return &Statements{store: store, now: now, log: log, Poll: 200 * time.Millisecond}
}

// errStatementTimedOut says the review was closed without a decision by
// someone other than this waiter (the scheduled job).
var errStatementTimedOut = errors.New("statement review timed out")

// ReviewStatement holds held until a reviewer decides or ctx ends; ctx must
// carry the deadline reviewers are shown.
func (s *Statements) ReviewStatement(ctx context.Context, held HeldStatement) (bool, error) {
	deadline, ok := ctx.Deadline()
	if !ok {
		return false, errors.New("review statement: the wait needs a deadline")
	}
	now := s.now()
	r, err := s.store.HoldStatement(ctx, grants.NewStatementReview{
		GrantID: held.GrantID, SessionID: held.SessionID, Statement: held.Statement,
		Reasons: held.Reasons, Wait: deadline.Sub(now),
	}, now)
	if err != nil {
		return false, fmt.Errorf("review statement: %w", err)
	}
	t := time.NewTicker(s.Poll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return s.giveUp(ctx, r)
		case <-t.C:
		}
		cur, err := s.store.GetStatement(ctx, r.ID)
		if err != nil {
			if ctx.Err() == nil {
				s.log.Warn("reading a held statement's review failed", "review", r.ID, "err", err)
			}
			continue
		}
		if cur.Status != grants.StatementPending {
			return decided(cur)
		}
	}
}

// giveUp closes the review because the session stopped waiting. When it
// stopped because the wait ran out, a reviewer's decision in the very last
// moment stands; when the session itself ended (revoked, disconnected),
// nothing more runs in it, whatever a reviewer clicked.
func (s *Statements) giveUp(ctx context.Context, r grants.StatementReview) (bool, error) {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	cur, err := s.store.TimeOutStatement(cctx, r.ID, s.now())
	if err != nil {
		s.log.Warn("closing a held statement's review failed", "review", r.ID, "err", err)
		return false, context.Cause(ctx)
	}
	if cur.Status == grants.StatementTimedOut || !errors.Is(context.Cause(ctx), context.DeadlineExceeded) {
		return false, context.Cause(ctx)
	}
	return decided(cur)
}

func decided(r grants.StatementReview) (bool, error) {
	switch r.Status {
	case grants.StatementApproved:
		return true, nil
	case grants.StatementDenied:
		return false, nil
	}
	return false, fmt.Errorf("%w: %s", errStatementTimedOut, r.ID)
}
