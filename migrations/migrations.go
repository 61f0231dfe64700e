// Package migrations holds jitgate's numbered schema migrations, embedded in
// the binary, and applies or checks them with goose.
package migrations

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// Files are the migrations, in the order goose applies them.
//
//go:embed *.sql
var Files embed.FS

// ErrSchemaBehind and ErrSchemaAhead say the database is not at the version
// this binary was built for.
var (
	ErrSchemaBehind = errors.New("database schema is older than this jitgate: run `jitgate migrate`")
	ErrSchemaAhead  = errors.New("database schema is newer than this jitgate: upgrade jitgate before starting it")
)

// provider opens goose over the pool. The session locker makes replicas that
// migrate at the same moment take turns instead of racing.
func provider(pool *pgxpool.Pool) (*goose.Provider, *sql.DB, error) {
	db := stdlib.OpenDBFromPool(pool)
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		db.Close()
		return nil, nil, fmt.Errorf("migration lock: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, Files, goose.WithSessionLocker(locker))
	if err != nil {
		db.Close()
		return nil, nil, fmt.Errorf("load migrations: %w", err)
	}
	return p, db, nil
}

// Up applies every pending migration and returns the versions it applied.
func Up(ctx context.Context, pool *pgxpool.Pool) ([]int64, error) {
	p, db, err := provider(pool)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	results, err := p.Up(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	applied := make([]int64, 0, len(results))
	for _, r := range results {
		applied = append(applied, r.Source.Version)
	}
	return applied, nil
}

// Check returns nil when the database is at exactly the version this binary
// knows, and ErrSchemaBehind or ErrSchemaAhead otherwise.
func Check(ctx context.Context, pool *pgxpool.Pool) error {
	p, db, err := provider(pool)
	if err != nil {
		return err
	}
	defer db.Close()
	current, target, err := p.GetVersions(ctx)
	if err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	switch {
	case current < target:
		return fmt.Errorf("%w (database at %d, want %d)", ErrSchemaBehind, current, target)
	case current > target:
		return fmt.Errorf("%w (database at %d, want %d)", ErrSchemaAhead, current, target)
	}
	return nil
}
