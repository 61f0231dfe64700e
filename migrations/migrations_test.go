package migrations_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/stretchr/testify/require"

	"github.com/jitgate/jitgate/internal/dbtest"
	"github.com/jitgate/jitgate/migrations"
)

// Every migration applies to an empty database, undoes, and applies again,
// those that run outside a transaction (CREATE INDEX CONCURRENTLY) too.
func TestMigrationsGoDownAndUpAgain(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, p := emptyDatabase(t)

	applied, err := migrations.Up(ctx, pool)
	require.NoError(t, err)
	require.NotEmpty(t, applied)
	require.NoError(t, migrations.Check(ctx, pool))
	var indexed bool
	require.NoError(t, pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_indexes
		WHERE tablename = 'session_event_blocks' AND indexname = 'session_event_blocks_session')`).Scan(&indexed))
	require.True(t, indexed, "session events are found by session")

	down, err := p.DownTo(ctx, 0)
	require.NoError(t, err)
	require.Len(t, down, len(applied))
	require.ErrorIs(t, migrations.Check(ctx, pool), migrations.ErrSchemaBehind)

	again, err := migrations.Up(ctx, pool)
	require.NoError(t, err)
	require.Equal(t, applied, again)
}

// Events recorded before session_events got seq keep their order under it,
// and going back down hands out identities above every number in use.
func TestSessionEventsSeqKeepsOrder(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, p := emptyDatabase(t)
	_, err := p.UpTo(ctx, 4)
	require.NoError(t, err)
	sid := uuid.New()
	byIdentity := func(statement string) {
		_, err := pool.Exec(ctx, `INSERT INTO session_events (session_id, at, kind, statement) VALUES ($1, now(), 'query', $2)`, sid, statement)
		require.NoError(t, err)
	}
	byIdentity("SELECT 1")
	byIdentity("SELECT 2")

	_, err = p.UpTo(ctx, 6)
	require.NoError(t, err)
	_, err = pool.Exec(ctx, `INSERT INTO session_events (session_id, at, kind, statement) VALUES ($1, now(), 'query', 'SELECT 3')`, sid)
	var pe *pgconn.PgError
	require.ErrorAs(t, err, &pe, "an event without its number is refused, not numbered by the server")
	// A recorder sets aside a batch's events one by one on errors of
	// classes 22 and 23 (bad data); on any other it holds them and, once
	// full, refuses statements. An older gateway must get the second.
	require.NotContains(t, []string{"22", "23"}, pe.Code[:2], "SQLSTATE %s", pe.Code)
	require.Contains(t, pe.Hint, "upgrade jitgate")
	_, err = pool.Exec(ctx, `INSERT INTO session_events (session_id, seq, at, kind, statement) VALUES ($1, 3, now(), 'query', 'SELECT 3')`, sid)
	require.NoError(t, err)
	order := func(column string) []string {
		rows, err := pool.Query(ctx, `SELECT `+column+` || ' ' || statement FROM session_events WHERE session_id = $1 ORDER BY `+column, sid)
		require.NoError(t, err)
		got, err := pgx.CollectRows(rows, pgx.RowTo[string])
		require.NoError(t, err)
		return got
	}
	require.Equal(t, []string{"1 SELECT 1", "2 SELECT 2", "3 SELECT 3"}, order("seq"))

	_, err = p.DownTo(ctx, 4)
	require.NoError(t, err)
	byIdentity("SELECT 4")
	require.Equal(t, []string{"1 SELECT 1", "2 SELECT 2", "3 SELECT 3", "4 SELECT 4"}, order("id"))
}

// Migration 0007 keeps the rows recorded before it where they are and
// shows them, with the blocks written after, through the session_events
// view; a gateway from before it cannot write there and is told so as a
// failure, not as bad data; going back down keeps every event.
func TestSessionEventBlocksKeepEarlierRows(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, p := emptyDatabase(t)
	_, err := p.UpTo(ctx, 6)
	require.NoError(t, err)
	sid := uuid.New()
	_, err = pool.Exec(ctx, `INSERT INTO session_events (session_id, seq, at, kind, statement, params, duration_us, rows)
		VALUES ($1, 1, '2026-12-01 10:00:00+00', 'query', 'SELECT 1', NULL, 5, 1)`, sid)
	require.NoError(t, err)

	_, err = p.UpTo(ctx, 7)
	require.NoError(t, err)
	_, err = pool.Exec(ctx, `INSERT INTO session_event_blocks (session_id, first_seq, last_seq, first_at, last_at, events)
		VALUES ($1, 2, 3, '2026-12-01 10:00:01+00', '2026-12-01 10:00:01.5+00',
		'{"e":[[3,500000,"execute",1,["a\\0"],"risky","DROP TABLE","block",0,0,"42501"],[2,0,"execute",0,null,"read","","allow",7,2,""]],"s":["SELECT 2","DROP TABLE t"]}')`, sid)
	require.NoError(t, err)
	list := func() []string {
		rows, err := pool.Query(ctx, `SELECT concat_ws(' | ', seq, to_char(at AT TIME ZONE 'UTC', 'HH24:MI:SS.MS'), kind, statement,
			coalesce(params::text, '-'), classification, reason, decision, duration_us, rows, sqlstate)
			FROM session_events WHERE session_id = $1 ORDER BY seq`, sid)
		require.NoError(t, err)
		got, err := pgx.CollectRows(rows, pgx.RowTo[string])
		require.NoError(t, err)
		return got
	}
	want := []string{
		"1 | 10:00:00.000 | query | SELECT 1 | - |  |  |  | 5 | 1 | ",
		"2 | 10:00:01.000 | execute | SELECT 2 | - | read |  | allow | 7 | 2 | ",
		`3 | 10:00:01.500 | execute | DROP TABLE t | ["a\\0"] | risky | DROP TABLE | block | 0 | 0 | 42501`,
	}
	require.Equal(t, want, list())

	// What a gateway older than 0007 sends.
	_, err = pool.CopyFrom(ctx, pgx.Identifier{"session_events"}, []string{"session_id", "seq", "at", "kind"},
		pgx.CopyFromRows([][]any{{sid, int64(4), time.Now(), "query"}}))
	var pe *pgconn.PgError
	require.ErrorAs(t, err, &pe)
	require.NotContains(t, []string{"22", "23"}, pe.Code[:2], "SQLSTATE %s: an older recorder would set the event aside", pe.Code)

	_, err = p.DownTo(ctx, 6)
	require.NoError(t, err)
	require.Equal(t, want, list(), "every event is kept going down")
}

// emptyDatabase returns a pool on a new empty database and a goose provider
// of the migrations over it, for stepping through versions one by one.
func emptyDatabase(t *testing.T) (*pgxpool.Pool, *goose.Provider) {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), dbtest.NewEmptyURL(t))
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	db := stdlib.OpenDBFromPool(pool)
	t.Cleanup(func() { db.Close() })
	p, err := goose.NewProvider(goose.DialectPostgres, db, migrations.Files)
	require.NoError(t, err)
	return pool, p
}
