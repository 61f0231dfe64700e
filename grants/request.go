package grants

import (
	"fmt"
	"time"

	"github.com/google/uuid"
)

// Access is the level a grant gives on its resource.
type Access string

const (
	AccessRead  Access = "read"
	AccessWrite Access = "write"
)

// Validate reports whether a is a known access level.
func (a Access) Validate() error {
	switch a {
	case AccessRead, AccessWrite:
		return nil
	}
	return invalid("access", "access must be read or write, got %q", string(a))
}

// Kind says how a request came to be.
type Kind string

const (
	// KindReview is the normal path: a request that reviewers decide.
	KindReview Kind = "review"
	// KindBreakGlass is a self-grant taken without review, flagged for later.
	KindBreakGlass Kind = "break_glass"
	// KindOperator is a grant made directly by an operator with the CLI.
	KindOperator Kind = "operator"
)

// RequestStatus is where a request is in its life.
type RequestStatus string

const (
	RequestPending   RequestStatus = "pending"
	RequestApproved  RequestStatus = "approved"
	RequestDenied    RequestStatus = "denied"
	RequestCancelled RequestStatus = "cancelled"
	RequestTimedOut  RequestStatus = "timed_out"
)

// requestMoves lists every legal move of a request. Only a pending request
// moves at all; what happens after approval is the grant's life.
var requestMoves = map[RequestStatus][]RequestStatus{
	RequestPending: {RequestApproved, RequestDenied, RequestCancelled, RequestTimedOut},
}

// CanMove reports whether a request may go from one status to another.
func (from RequestStatus) CanMove(to RequestStatus) error {
	for _, ok := range requestMoves[from] {
		if ok == to {
			return nil
		}
	}
	return fmt.Errorf("%w: request cannot go from %s to %s", ErrConflict, from, to)
}

// NewRequest is what a person asks for.
type NewRequest struct {
	Requester string
	Resource  string
	Access    Access
	Duration  time.Duration
	Reason    string
}

// Request is a stored request.
type Request struct {
	ID                uuid.UUID
	Kind              Kind
	Requester         string
	Resource          string
	Access            Access
	Duration          time.Duration
	Reason            string
	Status            RequestStatus
	ApprovalsRequired int
	MaxDuration       time.Duration
	CreatedAt         time.Time
	PendingExpiresAt  time.Time
	DecidedAt         time.Time
	DecidedBy         string
	DecisionReason    string
}

// checkPending reports whether the request still waits for reviewers at now.
func (r Request) checkPending(now time.Time) error {
	if r.Status != RequestPending {
		return fmt.Errorf("%w: request %s is %s", ErrConflict, r.ID, r.Status)
	}
	if !now.Before(r.PendingExpiresAt) {
		return fmt.Errorf("%w: request %s waited for reviewers until %s", ErrExpired, r.ID, r.PendingExpiresAt.UTC().Format(time.RFC3339))
	}
	return nil
}

// Decision is a reviewer's answer.
type Decision string

const (
	Approve Decision = "approve"
	Deny    Decision = "deny"
)

// Review is one reviewer's recorded decision on a request.
type Review struct {
	RequestID uuid.UUID
	Reviewer  string
	Decision  Decision
	Reason    string
	CreatedAt time.Time
}
