package grants_test

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/jitgate/jitgate/grants"
)

func TestSessionsRecordEvents(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := newStore(t)
	g, err := s.OperatorGrant(ctx, ask("prod-db", time.Hour), "cli:root", t0)
	require.NoError(t, err)

	_, err = s.StartSession(ctx, g.ID, "postgres", "127.0.0.1:5555", t0.Add(-time.Second))
	require.ErrorIs(t, err, grants.ErrNotFound, "before the grant starts")
	_, err = s.StartSession(ctx, g.ID, "postgres", "127.0.0.1:5555", t0.Add(time.Hour))
	require.ErrorIs(t, err, grants.ErrNotFound, "at the grant's end")

	sess, err := s.StartSession(ctx, g.ID, "postgres", "127.0.0.1:5555", t0.Add(time.Minute))
	require.NoError(t, err)
	require.Equal(t, "bob@example.com", sess.Identity)
	require.Equal(t, "prod-db", sess.Resource)

	events := []grants.SessionEvent{
		{SessionID: sess.ID, Seq: 1, At: t0.Add(2 * time.Minute), Kind: "query", Statement: "SELECT pg_sleep(5)", Classification: "read", Decision: "allow", Duration: 5 * time.Second, Rows: 1},
		{SessionID: sess.ID, Seq: 2, At: t0.Add(2 * time.Minute), Kind: "query", Statement: "DROP TABLE users", Params: []string{"$1=***"}, Classification: "risky", Reason: "DROP TABLE", Decision: "block", SQLState: "42501"},
		{SessionID: sess.ID, Seq: 3, At: t0.Add(4 * time.Minute), Kind: "execute", Statement: "SELECT 2", Classification: "read", Decision: "allow", Rows: 7},
		{SessionID: sess.ID, Seq: 4, At: t0.Add(5 * time.Minute), Kind: "execute", Statement: "SELECT $1, $2", Params: []string{`<a&b> "q"`, "é\\n"}, Classification: "read", Decision: "allow", Duration: time.Millisecond, Rows: 1},
	}
	// Events reach the store as their statements finish: the refusal
	// before the sleep that came ahead of it, in an earlier batch.
	require.NoError(t, s.RecordEvents(ctx, []grants.SessionEvent{events[1]}))
	require.NoError(t, s.RecordEvents(ctx, []grants.SessionEvent{events[3], events[0], events[2]}))
	got, err := s.SessionEvents(ctx, sess.ID)
	require.NoError(t, err)
	require.Equal(t, events, got, "listed in the order the statements came")

	require.NoError(t, s.EndSession(ctx, sess.ID, "client closed", t0.Add(4*time.Minute)))
	require.NoError(t, s.EndSession(ctx, sess.ID, "again", t0.Add(5*time.Minute)))
	ended, err := s.GetSession(ctx, sess.ID)
	require.NoError(t, err)
	require.Equal(t, "client closed", ended.EndReason, "the first end is kept")
	require.Equal(t, t0.Add(4*time.Minute), ended.EndedAt)
}

func TestGrantChangesAreNotifiedOnCommit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, pool := newStore(t)
	conn, err := pgx.Connect(ctx, pool.Config().ConnString())
	require.NoError(t, err)
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, "LISTEN "+grants.ChangeChannel)
	require.NoError(t, err)

	g, err := s.OperatorGrant(ctx, ask("prod-db", time.Hour), "cli:root", t0)
	require.NoError(t, err)
	_, err = s.Extend(ctx, g.ID, bob, t0.Add(2*time.Hour), "INC-123 more", t0.Add(time.Minute))
	require.NoError(t, err)
	_, err = s.Revoke(ctx, g.ID, alice, "incident over", t0.Add(2*time.Minute))
	require.NoError(t, err)

	var got []grants.Change
	for range 2 {
		wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		n, err := conn.WaitForNotification(wctx)
		cancel()
		require.NoError(t, err)
		c, err := grants.ParseChange(n.Payload)
		require.NoError(t, err)
		got = append(got, c)
	}
	require.Equal(t, grants.GrantActive, got[0].Status)
	require.Equal(t, t0.Add(2*time.Hour), got[0].ExpiresAt.UTC())
	require.Equal(t, grants.GrantRevoked, got[1].Status)
	require.Equal(t, "alice@example.com", got[1].By)
	require.Equal(t, "incident over", got[1].Reason)

	_, err = grants.ParseChange(`{"status":"revoked"}`)
	require.Error(t, err)
}

// A batch holds the events of many sessions, interleaved, in the order
// their statements finished. Each session's come back whole and in their
// statements' order, whatever their text holds, and a batch too large for
// one block per session is split rather than refused.
func TestRecordEventsPacksEachSessionsEvents(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, pool := newStore(t)
	a, b := uuid.New(), uuid.New()
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	odd := []string{
		"quote \" backslash \\ slash / tab \t newline \n cr \r bell \a",
		"NUL \x00 here", "bad UTF-8 \xff\xfe end", "é ü 中文 🙂 \u2028", "",
		`{"e":[[1]],"s":["json inside"]}`, "$1 $$dollar$$ 'quoted'",
	}
	var batch, wantA, wantB []grants.SessionEvent
	for i := range 40 {
		e := grants.SessionEvent{
			Seq: int64(40 - i), At: at.Add(time.Duration(40-i) * 1500 * time.Nanosecond), Kind: "execute",
			Statement: "SELECT $1", Params: []string{odd[i%len(odd)], strconv.Itoa(i)},
			Classification: "read", Decision: "allow", Duration: time.Duration(i) * time.Microsecond, Rows: int64(i),
		}
		if i%3 == 0 {
			e.Statement, e.Params, e.Reason, e.SQLState = odd[i%len(odd)], nil, odd[(i+1)%len(odd)], "42501"
		}
		if i%2 == 0 {
			e.SessionID = a
			wantA = append(wantA, e)
		} else {
			e.SessionID = b
			wantB = append(wantB, e)
		}
		batch = append(batch, e)
	}
	require.NoError(t, s.RecordEvents(ctx, batch))
	stored := func(e grants.SessionEvent) grants.SessionEvent {
		// Stored as the server keeps time, and as jsonb keeps text.
		e.At = e.At.Truncate(time.Microsecond)
		clean := func(v string) string {
			return strings.ToValidUTF8(strings.ReplaceAll(v, "\x00", `\0`), "\uFFFD")
		}
		e.Statement, e.Reason = clean(e.Statement), clean(e.Reason)
		if e.Params != nil {
			e.Params = slices.Clone(e.Params)
			for i := range e.Params {
				e.Params[i] = clean(e.Params[i])
			}
		}
		return e
	}
	for id, want := range map[uuid.UUID][]grants.SessionEvent{a: wantA, b: wantB} {
		slices.SortFunc(want, func(x, y grants.SessionEvent) int { return int(x.Seq - y.Seq) })
		for i := range want {
			want[i] = stored(want[i])
		}
		got, err := s.SessionEvents(ctx, id)
		require.NoError(t, err)
		require.Equal(t, want, got)
	}
	require.Equal(t, 2, count(t, pool, "SELECT count(*) FROM session_event_blocks WHERE session_id IN ($1, $2)", a, b), "a block per session")
	require.Zero(t, count(t, pool, `SELECT count(*) FROM session_event_blocks b
		WHERE session_id IN ($1, $2) AND (first_seq, last_seq, first_at, last_at) IS DISTINCT FROM
			(SELECT (min(seq), max(seq), min(at), max(at)) FROM session_events e WHERE e.session_id = b.session_id)`, a, b),
		"a block's bounds are those of its events")

	// Three events of 3 MiB each do not fit one block of 8 MiB.
	big := uuid.New()
	huge := strings.Repeat("x", 3<<20)
	var large []grants.SessionEvent
	for i := range 3 {
		large = append(large, grants.SessionEvent{SessionID: big, Seq: int64(i + 1), At: at, Kind: "query", Statement: huge + strconv.Itoa(i)})
	}
	require.NoError(t, s.RecordEvents(ctx, large))
	got, err := s.SessionEvents(ctx, big)
	require.NoError(t, err)
	require.Len(t, got, 3)
	for i, e := range got {
		require.Equal(t, huge+strconv.Itoa(i), e.Statement)
	}
	require.Equal(t, 2, count(t, pool, "SELECT count(*) FROM session_event_blocks WHERE session_id = $1", big))
}
