package migrations_test

import (
	"context"
	"testing"

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
	pool, err := pgxpool.New(ctx, dbtest.NewEmptyURL(t))
	require.NoError(t, err)
	t.Cleanup(pool.Close)

	applied, err := migrations.Up(ctx, pool)
	require.NoError(t, err)
	require.NotEmpty(t, applied)
	require.NoError(t, migrations.Check(ctx, pool))
	var indexed bool
	require.NoError(t, pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_indexes
		WHERE tablename = 'session_events' AND indexname = 'session_events_session_id')`).Scan(&indexed))
	require.True(t, indexed, "session events are found by session")

	db := stdlib.OpenDBFromPool(pool)
	t.Cleanup(func() { db.Close() })
	p, err := goose.NewProvider(goose.DialectPostgres, db, migrations.Files)
	require.NoError(t, err)
	down, err := p.DownTo(ctx, 0)
	require.NoError(t, err)
	require.Len(t, down, len(applied))
	require.ErrorIs(t, migrations.Check(ctx, pool), migrations.ErrSchemaBehind)

	again, err := migrations.Up(ctx, pool)
	require.NoError(t, err)
	require.Equal(t, applied, again)
}
