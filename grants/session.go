package grants

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
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

// RecordEvents writes a batch of session events with one COPY. It runs at
// the rate of statements, so what it builds for the COPY (the rows, the
// parameters' JSON, the numbers) lives in buffers reused from batch to
// batch instead of allocations per event.
func (s *Store) RecordEvents(ctx context.Context, events []SessionEvent) error {
	sc := eventScratches.Get().(*eventScratch)
	defer sc.release()
	rows := slices.Grow(sc.rows[:0], len(events))[:len(events)]
	nums := slices.Grow(sc.nums[:0], 2*len(events))[:2*len(events)]
	ends := slices.Grow(sc.ends[:0], len(events))[:len(events)]
	sc.rows, sc.nums, sc.ends = rows, nums, ends
	js := &sc.js
	enc := json.NewEncoder(js)
	enc.SetEscapeHTML(false)
	for i, e := range events {
		if e.Params != nil {
			if err := enc.Encode(e.Params); err != nil {
				return fmt.Errorf("encode params: %w", err)
			}
			js.Truncate(js.Len() - 1) // Encode's newline
		}
		ends[i] = js.Len()
	}
	all, start := js.Bytes(), 0
	for i, e := range events {
		var params []byte
		if e.Params != nil {
			params = all[start:ends[i]:ends[i]]
		}
		start = ends[i]
		nums[2*i], nums[2*i+1] = e.Duration.Microseconds(), e.Rows
		rows[i] = sqlc.InsertSessionEventsParams{
			SessionID: pgUUID(e.SessionID), Seq: e.Seq, At: dbTime(e.At), Kind: e.Kind, Statement: e.Statement,
			Params: params, Classification: e.Classification, Reason: e.Reason,
			Decision: e.Decision, DurationUs: &nums[2*i], Rows: &nums[2*i+1], Sqlstate: e.SQLState,
		}
	}
	if _, err := s.q.InsertSessionEvents(ctx, s.db, rows); err != nil {
		return fmt.Errorf("record %d session events: %w", len(events), interpretError(err))
	}
	return nil
}

// eventScratch is what RecordEvents builds a batch in.
type eventScratch struct {
	rows []sqlc.InsertSessionEventsParams
	nums []int64
	ends []int
	js   bytes.Buffer
}

var eventScratches = sync.Pool{New: func() any { return new(eventScratch) }}

// release returns the scratch for the next batch, without the strings of
// this one, and lets a buffer grown by an unusual batch go.
func (sc *eventScratch) release() {
	clear(sc.rows)
	sc.js.Reset()
	if cap(sc.rows) > 1<<16 || sc.js.Cap() > 1<<24 {
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
