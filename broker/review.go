package broker

import (
	"context"

	"github.com/google/uuid"
)

// HeldStatement is a risky statement waiting for a reviewer, as shown to
// them: already masked.
type HeldStatement struct {
	GrantID   uuid.UUID
	SessionID uuid.UUID
	Requester string
	Resource  string
	Statement string
	Reasons   []string
}

// StatementReviewer asks reviewers about a held statement and waits for
// their answer until ctx ends. The Slack bot implements it.
type StatementReviewer interface {
	ReviewStatement(ctx context.Context, held HeldStatement) (approved bool, err error)
}
