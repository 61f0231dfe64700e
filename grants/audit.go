package grants

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/jitgate/jitgate/sqlc"
)

// auditLockKey is the advisory lock that orders appends to the audit chain.
// Any constant works as long as nothing else in the database uses it.
const auditLockKey = 0x6a69_7467_6175_6474 // "jitgaudt"

// genesisHash is the predecessor of the first audit event.
var genesisHash = make([]byte, sha256.Size)

// ErrAuditBroken says the audit chain does not verify.
var ErrAuditBroken = errors.New("audit chain broken")

// AuditEvent is one row of the append-only audit log.
type AuditEvent struct {
	ID        int64
	At        time.Time
	Actor     string
	Action    string
	RequestID uuid.UUID
	GrantID   uuid.UUID
	Details   map[string]any
}

// event is what a state change asks the audit log to append.
type event struct {
	actor     string
	action    string
	requestID uuid.UUID
	grantID   uuid.UUID
	details   map[string]any
}

// appendAudit adds ev to the chain inside tx. The lock is held until tx ends,
// so the row this one links to is still the last when tx commits.
func (s *Store) appendAudit(ctx context.Context, tx pgx.Tx, at time.Time, ev event) error {
	if err := s.q.LockAuditChain(ctx, tx, auditLockKey); err != nil {
		return fmt.Errorf("lock audit chain: %w", err)
	}
	prev := genesisHash
	last, err := s.q.LastAuditEvent(ctx, tx)
	switch {
	case err == nil:
		prev = last.Hash
	case !errors.Is(err, pgx.ErrNoRows):
		return fmt.Errorf("read audit tail: %w", err)
	}
	id, err := s.q.NextAuditID(ctx, tx)
	if err != nil {
		return fmt.Errorf("next audit id: %w", err)
	}
	details, err := json.Marshal(ev.details)
	if err != nil {
		return fmt.Errorf("encode audit details: %w", err)
	}
	if ev.details == nil {
		details = []byte("{}")
	}
	row := sqlc.InsertAuditEventParams{
		ID:        id,
		At:        dbTime(at),
		Actor:     ev.actor,
		Action:    ev.action,
		RequestID: optionalID(ev.requestID),
		GrantID:   optionalID(ev.grantID),
		Details:   string(details),
		PrevHash:  prev,
	}
	row.Hash = auditHash(row.ID, row.At, row.Actor, row.Action, row.RequestID, row.GrantID, row.Details, row.PrevHash)
	if err := s.q.InsertAuditEvent(ctx, tx, row); err != nil {
		return fmt.Errorf("append audit event %s: %w", ev.action, interpretError(err))
	}
	if err := s.q.Notify(ctx, tx, sqlc.NotifyParams{Channel: AuditChannel, Payload: strconv.FormatInt(id, 10)}); err != nil {
		return fmt.Errorf("notify audit event: %w", err)
	}
	return nil
}

func optionalID(id uuid.UUID) *uuid.UUID {
	if id == uuid.Nil {
		return nil
	}
	return &id
}

// auditHash covers every column but the hash itself. Each field is length
// prefixed so no two different rows can encode to the same bytes.
func auditHash(id int64, at time.Time, actor, action string, requestID, grantID *uuid.UUID, details string, prev []byte) []byte {
	h := sha256.New()
	field := func(b []byte) {
		h.Write(binary.AppendUvarint(nil, uint64(len(b))))
		h.Write(b)
	}
	field([]byte("jitgate-audit-v1"))
	field(binary.BigEndian.AppendUint64(nil, uint64(id)))
	field(binary.BigEndian.AppendUint64(nil, uint64(at.UTC().UnixMicro())))
	field([]byte(actor))
	field([]byte(action))
	field([]byte(deref(requestID).String()))
	field([]byte(deref(grantID).String()))
	field([]byte(details))
	field(prev)
	return h.Sum(nil)
}

// VerifyAudit walks the whole chain and returns how many events it checked.
// It fails on the first row whose content no longer matches its hash or whose
// link does not point at the row before it.
func (s *Store) VerifyAudit(ctx context.Context) (int, error) {
	const page = 1000
	prev, after, n := genesisHash, int64(0), 0
	for {
		rows, err := s.q.ListAuditEvents(ctx, s.db, sqlc.ListAuditEventsParams{AfterID: after, MaxRows: page})
		if err != nil {
			return n, fmt.Errorf("read audit events: %w", err)
		}
		for _, r := range rows {
			if !bytes.Equal(r.PrevHash, prev) {
				return n, fmt.Errorf("%w at event %d: it does not link to the event before it (a row was deleted, inserted or reordered)", ErrAuditBroken, r.ID)
			}
			want := auditHash(r.ID, r.At, r.Actor, r.Action, r.RequestID, r.GrantID, r.Details, r.PrevHash)
			if !bytes.Equal(r.Hash, want) {
				return n, fmt.Errorf("%w at event %d: its content does not match its hash (the row was edited)", ErrAuditBroken, r.ID)
			}
			prev, after = r.Hash, r.ID
			n++
		}
		if len(rows) < page {
			return n, nil
		}
	}
}

// AuditTrail returns the audit events of one request, oldest first.
func (s *Store) AuditTrail(ctx context.Context, requestID uuid.UUID) ([]AuditEvent, error) {
	rows, err := s.q.ListAuditEventsForRequest(ctx, s.db, &requestID)
	if err != nil {
		return nil, fmt.Errorf("read audit trail of %s: %w", requestID, err)
	}
	return auditFromRows(rows)
}

// AuditChannel is the NOTIFY channel on which every appended audit event's
// ID goes out, so followers of the log wake up at once instead of polling.
const AuditChannel = "jitgate_audit"

// AuditAfter returns up to limit audit events that follow afterID, oldest
// first. Appends take turns on a lock held until commit, so IDs become
// visible in order and a follower that resumes after the last ID it read
// misses nothing.
func (s *Store) AuditAfter(ctx context.Context, afterID int64, limit int) ([]AuditEvent, error) {
	rows, err := s.q.ListAuditEvents(ctx, s.db, sqlc.ListAuditEventsParams{AfterID: afterID, MaxRows: int32(limit)})
	if err != nil {
		return nil, fmt.Errorf("read audit events after %d: %w", afterID, err)
	}
	return auditFromRows(rows)
}

func auditFromRows(rows []sqlc.AuditEvent) ([]AuditEvent, error) {
	out := make([]AuditEvent, 0, len(rows))
	for _, r := range rows {
		ev := AuditEvent{
			ID: r.ID, At: utc(r.At), Actor: r.Actor, Action: r.Action,
			RequestID: deref(r.RequestID), GrantID: deref(r.GrantID),
		}
		if err := json.Unmarshal([]byte(r.Details), &ev.Details); err != nil {
			return nil, fmt.Errorf("decode audit event %d: %w", r.ID, err)
		}
		out = append(out, ev)
	}
	return out, nil
}

// AuditCursor returns how far the named follower has got.
func (s *Store) AuditCursor(ctx context.Context, name string) (int64, error) {
	id, err := s.q.GetAuditCursor(ctx, s.db, name)
	if err != nil {
		return 0, fmt.Errorf("audit cursor %s: %w", name, interpretError(err))
	}
	return id, nil
}

// AdvanceAuditCursor moves the named follower from from to to. It fails
// with ErrConflict when the cursor is no longer at from: another replica
// told those events already.
func (s *Store) AdvanceAuditCursor(ctx context.Context, name string, from, to int64) error {
	n, err := s.q.AdvanceAuditCursor(ctx, s.db, sqlc.AdvanceAuditCursorParams{Name: name, FromID: from, ToID: to})
	if err != nil {
		return fmt.Errorf("advance audit cursor %s: %w", name, err)
	}
	if n == 0 {
		return fmt.Errorf("%w: audit cursor %s is no longer at %d", ErrConflict, name, from)
	}
	return nil
}

// SkipAuditBefore moves the named follower past every event it has not
// told that happened before since, and returns how many it skipped: a
// follower that was off (chat switched on after months) starts from recent
// history instead of replaying all of it.
func (s *Store) SkipAuditBefore(ctx context.Context, name string, since time.Time) (int64, error) {
	var skipped int64
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		cur, err := s.q.LockAuditCursor(ctx, tx, name)
		if err != nil {
			return fmt.Errorf("audit cursor %s: %w", name, interpretError(err))
		}
		to, err := s.q.AuditSkipTarget(ctx, tx, sqlc.AuditSkipTargetParams{AfterID: cur, Since: dbTime(since)})
		if err != nil {
			return fmt.Errorf("audit events since %s: %w", since, err)
		}
		if to <= cur {
			return nil
		}
		skipped = to - cur
		return s.q.SetAuditCursor(ctx, tx, sqlc.SetAuditCursorParams{Name: name, ToID: to})
	})
	return skipped, err
}
