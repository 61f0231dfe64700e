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

// ErrIdentityChanged: a chat account now shows another email than the one
// it is bound to, or an email that another account is bound to.
var ErrIdentityChanged = fmt.Errorf("%w: this chat account is bound to another email", ErrDenied)

// ChatIdentity is the email a chat account acts as.
type ChatIdentity struct {
	ChatUser string
	Email    string
	BoundAt  time.Time
}

// BindChatIdentity checks that chatUser acts as email: binding them on
// first sight, and refusing, with ErrIdentityChanged, an account whose
// email changed or an email another account already holds.
func (s *Store) BindChatIdentity(ctx context.Context, chatUser, email string, now time.Time) error {
	email = NormalizeEmail(email)
	if chatUser == "" || email == "" {
		return invalid("chat_user", "a chat account and its email are required")
	}
	bound, err := s.q.BindChatIdentity(ctx, s.db, sqlc.BindChatIdentityParams{ChatUser: chatUser, Email: email, Now: dbTime(now)})
	if errors.Is(interpretError(err), ErrConflict) {
		return fmt.Errorf("%w (%s is bound to another chat account)", ErrIdentityChanged, email)
	}
	if err != nil {
		return fmt.Errorf("bind chat identity %s: %w", chatUser, err)
	}
	if bound != email {
		return fmt.Errorf("%w (%s is bound to %s)", ErrIdentityChanged, chatUser, bound)
	}
	return nil
}

// ForgetChatIdentity drops an account's binding, so it is bound again, to
// whatever email it shows next. Operators do this after a person's email
// really changed; it is audited.
func (s *Store) ForgetChatIdentity(ctx context.Context, chatUser, operator string, now time.Time) (string, error) {
	var email string
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		if email, err = s.q.ForgetChatIdentity(ctx, tx, chatUser); err != nil {
			return fmt.Errorf("forget chat identity %s: %w", chatUser, interpretError(err))
		}
		return s.appendAudit(ctx, tx, now, event{
			actor: operator, action: "identity.forgotten",
			details: map[string]any{"chat_user": chatUser, "email": email},
		})
	})
	return email, err
}

// ChatIdentities lists every binding.
func (s *Store) ChatIdentities(ctx context.Context) ([]ChatIdentity, error) {
	rows, err := s.q.ListChatIdentities(ctx, s.db)
	if err != nil {
		return nil, fmt.Errorf("list chat identities: %w", err)
	}
	out := make([]ChatIdentity, len(rows))
	for i, r := range rows {
		out[i] = ChatIdentity{ChatUser: r.ChatUser, Email: r.Email, BoundAt: utc(r.BoundAt)}
	}
	return out, nil
}

// HoldsLock reports whether the backend pid still holds the session-level
// advisory lock key. A leader asks before each act, because the connection
// that took the lock can be ended by the server (an admin, a timeout)
// while the leader is busy elsewhere and does not notice.
func (s *Store) HoldsLock(ctx context.Context, pid uint32, key int64) (bool, error) {
	ok, err := s.q.HoldsLock(ctx, s.db, sqlc.HoldsLockParams{
		Pid: int32(pid), ClassID: int64(uint64(key) >> 32), ObjID: int64(uint64(key) & 0xffff_ffff),
	})
	if err != nil {
		return false, fmt.Errorf("check advisory lock: %w", err)
	}
	return ok, nil
}

// DetectDeadPeer makes the server probe the client of the Store's
// connection, so a lock it holds outlives a vanished client by about ninety
// seconds, not hours.
func (s *Store) DetectDeadPeer(ctx context.Context) error {
	if err := s.q.DetectDeadPeer(ctx, s.db); err != nil {
		return fmt.Errorf("set tcp keepalives: %w", err)
	}
	return nil
}
