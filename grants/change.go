package grants

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/jitgate/jitgate/sqlc"
)

// ChangeChannel is the Postgres NOTIFY channel on which grant changes go out
// to every replica.
const ChangeChannel = "jitgate_grants"

// Change is what a replica learns when a grant changes: enough to close its
// sessions or move their deadline without asking the database.
type Change struct {
	GrantID   uuid.UUID   `json:"grant_id"`
	Status    GrantStatus `json:"status"`
	ExpiresAt time.Time   `json:"expires_at"`
	By        string      `json:"by,omitempty"`
	Reason    string      `json:"reason,omitempty"`
}

// ParseChange decodes a notification payload.
func ParseChange(payload string) (Change, error) {
	var c Change
	if err := json.Unmarshal([]byte(payload), &c); err != nil {
		return Change{}, fmt.Errorf("decode grant change: %w", err)
	}
	if c.GrantID == uuid.Nil || c.Status == "" {
		return Change{}, fmt.Errorf("decode grant change: missing grant id or status")
	}
	return c, nil
}

// notifyChange queues the notice in tx; Postgres delivers it on commit.
func (s *Store) notifyChange(ctx context.Context, tx pgx.Tx, g Grant) error {
	payload, err := json.Marshal(Change{GrantID: g.ID, Status: g.Status, ExpiresAt: g.ExpiresAt, By: g.EndedBy, Reason: g.EndReason})
	if err != nil {
		return fmt.Errorf("encode grant change: %w", err)
	}
	if err := s.q.Notify(ctx, tx, sqlc.NotifyParams{Channel: ChangeChannel, Payload: string(payload)}); err != nil {
		return fmt.Errorf("notify grant change: %w", err)
	}
	return nil
}
