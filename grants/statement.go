package grants

import (
	"fmt"
	"time"

	"github.com/google/uuid"
)

// StatementStatus is where a held statement's review is.
type StatementStatus string

const (
	StatementPending  StatementStatus = "pending"
	StatementApproved StatementStatus = "approved"
	StatementDenied   StatementStatus = "denied"
	StatementTimedOut StatementStatus = "timed_out"
)

// NewStatementReview is a risky statement a live session wants to run,
// already masked.
type NewStatementReview struct {
	GrantID   uuid.UUID
	SessionID uuid.UUID
	Statement string
	Reasons   []string
	// Wait is how long the session holds the statement for a reviewer.
	Wait time.Duration
}

// StatementReview is a held statement and what reviewers made of it.
type StatementReview struct {
	ID         uuid.UUID
	GrantID    uuid.UUID
	SessionID  uuid.UUID
	RequestID  uuid.UUID
	Requester  string
	Resource   string
	Statement  string
	Reasons    []string
	Status     StatementStatus
	CreatedAt  time.Time
	WaitsUntil time.Time
	DecidedAt  time.Time
	DecidedBy  string
}

// CheckStatementReview decides whether reviewer may decide a held statement
// at now: a reviewer of the resource, never the person whose session holds
// it, and only while the session still waits.
func (p Policy) CheckStatementReview(r StatementReview, reviewer Identity, now time.Time) error {
	if err := p.checkReviewer(r.Requester, reviewer); err != nil {
		return err
	}
	if r.Status != StatementPending {
		return fmt.Errorf("%w: statement review %s is %s", ErrConflict, r.ID, r.Status)
	}
	if !now.Before(r.WaitsUntil) {
		return fmt.Errorf("%w: statement review %s waited until %s", ErrExpired, r.ID, r.WaitsUntil.UTC().Format(time.RFC3339))
	}
	return nil
}
