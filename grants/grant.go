package grants

import (
	"fmt"
	"time"

	"github.com/google/uuid"
)

// GrantStatus is where a grant is in its life.
type GrantStatus string

const (
	GrantActive   GrantStatus = "active"
	GrantExpired  GrantStatus = "expired"
	GrantRevoked  GrantStatus = "revoked"
	GrantReleased GrantStatus = "released"
)

var grantMoves = map[GrantStatus][]GrantStatus{
	GrantActive: {GrantExpired, GrantRevoked, GrantReleased},
}

// CanMove reports whether a grant may go from one status to another.
func (from GrantStatus) CanMove(to GrantStatus) error {
	for _, ok := range grantMoves[from] {
		if ok == to {
			return nil
		}
	}
	return fmt.Errorf("%w: grant cannot go from %s to %s", ErrConflict, from, to)
}

// Grant is time-boxed access of one person to one resource.
type Grant struct {
	ID           uuid.UUID
	RequestID    uuid.UUID
	Requester    string
	Resource     string
	Access       Access
	Status       GrantStatus
	StartsAt     time.Time
	ExpiresAt    time.Time
	MaxExpiresAt time.Time
	EndedAt      time.Time
	EndedBy      string
	EndReason    string
	NeedsReview  bool
}

// ActiveAt reports whether the grant gives access at now. A grant whose end
// has passed gives none even before the expiry job has marked it.
func (g Grant) ActiveAt(now time.Time) bool {
	return g.checkActive(now) == nil
}

func (g Grant) checkActive(now time.Time) error {
	if g.Status != GrantActive {
		return fmt.Errorf("%w: grant %s is %s", ErrConflict, g.ID, g.Status)
	}
	if now.Before(g.StartsAt) {
		return fmt.Errorf("%w: grant %s starts at %s", ErrConflict, g.ID, g.StartsAt.UTC().Format(time.RFC3339))
	}
	if !now.Before(g.ExpiresAt) {
		return fmt.Errorf("%w: grant %s ended at %s", ErrExpired, g.ID, g.ExpiresAt.UTC().Format(time.RFC3339))
	}
	return nil
}
