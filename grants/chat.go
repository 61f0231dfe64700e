package grants

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/jitgate/jitgate/sqlc"
)

// ChatMessage is where a message about a request was posted, so any replica
// can update it later.
type ChatMessage struct {
	Channel string
	TS      string
}

// SaveChatMessage remembers where the message of the given kind about a
// request was posted ("request", "grant", "statement:ID", ...).
func (s *Store) SaveChatMessage(ctx context.Context, requestID uuid.UUID, kind string, m ChatMessage) error {
	err := s.q.SaveChatMessage(ctx, s.db, sqlc.SaveChatMessageParams{RequestID: requestID, Kind: kind, Channel: m.Channel, Ts: m.TS})
	if err != nil {
		return fmt.Errorf("save %s message of %s: %w", kind, requestID, interpretError(err))
	}
	return nil
}

// ChatMessageOf returns where the message of the given kind about a request
// was posted, or ErrNotFound.
func (s *Store) ChatMessageOf(ctx context.Context, requestID uuid.UUID, kind string) (ChatMessage, error) {
	row, err := s.q.GetChatMessage(ctx, s.db, sqlc.GetChatMessageParams{RequestID: requestID, Kind: kind})
	if err != nil {
		return ChatMessage{}, fmt.Errorf("%s message of %s: %w", kind, requestID, interpretError(err))
	}
	return ChatMessage{Channel: row.Channel, TS: row.Ts}, nil
}

// ClaimDelivery reports whether this is the first time a delivery with key
// arrived. A retried or replayed delivery gets false on every replica, so it
// changes nothing twice.
func (s *Store) ClaimDelivery(ctx context.Context, key string, now time.Time) (bool, error) {
	n, err := s.q.ClaimDelivery(ctx, s.db, sqlc.ClaimDeliveryParams{Key: key, Now: dbTime(now)})
	if err != nil {
		return false, fmt.Errorf("claim delivery: %w", err)
	}
	return n == 1, nil
}

// ForgetDeliveries drops delivery keys received before before; a delivery
// that old is refused by its signature's age anyway.
func (s *Store) ForgetDeliveries(ctx context.Context, before time.Time) (int64, error) {
	n, err := s.q.ForgetDeliveries(ctx, s.db, dbTime(before))
	if err != nil {
		return 0, fmt.Errorf("forget deliveries: %w", err)
	}
	return n, nil
}

// TryLock takes the session-level advisory lock key on the Store's
// connection, without waiting. It is held until that connection closes, so
// the Store must be over one dedicated connection, not a pool.
func (s *Store) TryLock(ctx context.Context, key int64) (bool, error) {
	ok, err := s.q.TryLock(ctx, s.db, key)
	if err != nil {
		return false, fmt.Errorf("try advisory lock: %w", err)
	}
	return ok, nil
}
