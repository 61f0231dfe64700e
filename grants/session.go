package grants

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/jitgate/jitgate/sqlc"
)

// Session is one client connection through the gateway under one grant.
type Session struct {
	ID         uuid.UUID
	GrantID    uuid.UUID
	Identity   string
	Resource   string
	Protocol   string
	ClientAddr string
	StartedAt  time.Time
	EndedAt    time.Time
	EndReason  string
}

// SessionEvent is one thing that happened in a session: a statement run,
// refused or held. Its text is already masked when it reaches the Store.
type SessionEvent struct {
	SessionID uuid.UUID
	// Seq is the event's place in its session, counted by the gateway in
	// the order statements arrived; a session's events are listed by it.
	Seq            int64
	At             time.Time
	Kind           string
	Statement      string
	Params         []string
	Classification string
	Reason         string
	Decision       string
	Duration       time.Duration
	Rows           int64
	SQLState       string
}

func sessionFromRow(r sqlc.Session) Session {
	return Session{
		ID: r.ID, GrantID: r.GrantID, Identity: r.Identity, Resource: r.Resource,
		Protocol: r.Protocol, ClientAddr: r.ClientAddr, StartedAt: utc(r.StartedAt),
		EndedAt: utc(deref(r.EndedAt)), EndReason: deref(r.EndReason),
	}
}

// StartSession records a new session under grantID. It fails with
// ErrNotFound unless the grant gives access at now.
func (s *Store) StartSession(ctx context.Context, grantID uuid.UUID, protocol, clientAddr string, now time.Time) (Session, error) {
	row, err := s.q.StartSession(ctx, s.db, sqlc.StartSessionParams{
		GrantID: grantID, Protocol: protocol, ClientAddr: clientAddr, Now: dbTime(now),
	})
	if err != nil {
		return Session{}, fmt.Errorf("start session under grant %s: %w", grantID, interpretError(err))
	}
	return sessionFromRow(row), nil
}

// EndSession records why and when a session ended; ending it twice keeps
// the first end.
func (s *Store) EndSession(ctx context.Context, id uuid.UUID, reason string, now time.Time) error {
	_, err := s.q.EndSession(ctx, s.db, sqlc.EndSessionParams{ID: id, EndReason: reason, Now: dbTime(now)})
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("end session %s: %w", id, err)
	}
	return nil
}

// GetSession returns one session.
func (s *Store) GetSession(ctx context.Context, id uuid.UUID) (Session, error) {
	row, err := s.q.GetSession(ctx, s.db, id)
	if err != nil {
		return Session{}, fmt.Errorf("get session %s: %w", id, interpretError(err))
	}
	return sessionFromRow(row), nil
}

// RecordEvents writes a batch of session events with one COPY, as a block
// per session (see eventblock.go). It runs at the rate of statements, so
// what it builds the blocks in lives in buffers reused from batch to batch
// instead of allocations per event.
func (s *Store) RecordEvents(ctx context.Context, events []SessionEvent) error {
	if len(events) == 0 {
		return nil
	}
	sc := eventScratches.Get().(*eventScratch)
	defer sc.release()
	if _, err := s.q.InsertSessionEventBlocks(ctx, s.db, sc.blocks(events)); err != nil {
		return fmt.Errorf("record %d session events: %w", len(events), interpretError(err))
	}
	return nil
}

// eventScratch is what RecordEvents builds a batch's blocks in.
type eventScratch struct {
	rows []sqlc.InsertSessionEventBlocksParams
	// slots numbers the batch's sessions; of is each event's, starts
	// where each session's events begin in order, next a cursor in it.
	slots  map[uuid.UUID]int
	of     []int
	starts []int
	next   []int
	order  []int
	// stmtIndex and stmts are a block's distinct statements; buf is the
	// block being written.
	stmtIndex map[string]int
	stmts     []string
	buf       []byte
}

var eventScratches = sync.Pool{New: func() any { return new(eventScratch) }}

// release returns the scratch for the next batch, without the strings of
// this one, and lets buffers grown by an unusual batch go.
func (sc *eventScratch) release() {
	clear(sc.rows)
	sc.rows = sc.rows[:0]
	clear(sc.stmtIndex)
	if cap(sc.order) > 1<<16 || cap(sc.buf) > 2*maxBlockBytes || len(sc.slots) > 1<<12 {
		return
	}
	eventScratches.Put(sc)
}

// SessionEvents returns a session's events in the order their statements
// came (by Seq).
func (s *Store) SessionEvents(ctx context.Context, sessionID uuid.UUID) ([]SessionEvent, error) {
	rows, err := s.q.ListSessionEvents(ctx, s.db, pgUUID(sessionID))
	if err != nil {
		return nil, fmt.Errorf("list events of session %s: %w", sessionID, err)
	}
	out := make([]SessionEvent, len(rows))
	for i, r := range rows {
		out[i] = SessionEvent{
			SessionID: uuid.UUID(r.SessionID.Bytes), Seq: r.Seq, At: utc(r.At), Kind: r.Kind, Statement: r.Statement,
			Classification: r.Classification, Reason: r.Reason, Decision: r.Decision,
			Duration: time.Duration(deref(r.DurationUs)) * time.Microsecond, Rows: deref(r.Rows), SQLState: r.Sqlstate,
		}
		if r.Params != nil {
			if err := json.Unmarshal(r.Params, &out[i].Params); err != nil {
				return nil, fmt.Errorf("decode params of event %d: %w", r.Seq, err)
			}
		}
	}
	return out, nil
}

// pgUUID is id as the type the session_events queries take (see sqlc.yaml).
func pgUUID(id uuid.UUID) pgtype.UUID { return pgtype.UUID{Bytes: id, Valid: true} }
