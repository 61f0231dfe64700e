package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os/user"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/jitgate/jitgate/grants"
	"github.com/jitgate/jitgate/internal/config"
	"github.com/jitgate/jitgate/migrations"
)

// configFlag declares --config on fs and returns a loader for it.
func configFlag(fs *flag.FlagSet, e *env) func() (*config.Config, error) {
	def := e.getenv("JITGATE_CONFIG")
	if def == "" {
		def = "jitgate.yaml"
	}
	path := fs.String("config", def, "configuration `file` ($JITGATE_CONFIG)")
	return func() (*config.Config, error) {
		return config.Load(*path)
	}
}

// connect opens jitgate's database. With checkSchema it refuses a schema this
// binary was not built for, before anything reads or writes.
func connect(ctx context.Context, cfg *config.Config, checkSchema bool) (*pgxpool.Pool, error) {
	pool, err := pgxpool.New(ctx, cfg.DatabaseURL.Reveal())
	if err != nil {
		// pgx names the setting it could not parse; the URL itself may
		// carry a password, so it is never repeated here.
		return nil, errors.New("database_url is not a valid PostgreSQL URL or DSN")
	}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := pool.Ping(pingCtx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to the database: %w", err)
	}
	if checkSchema {
		if err := migrations.Check(ctx, pool); err != nil {
			pool.Close()
			return nil, err
		}
	}
	return pool, nil
}

// openStore loads the configuration and opens the Store over a migrated
// database.
func openStore(ctx context.Context, load func() (*config.Config, error)) (*grants.Store, *config.Config, func(), error) {
	cfg, err := load()
	if err != nil {
		return nil, nil, nil, err
	}
	pool, err := connect(ctx, cfg, true)
	if err != nil {
		return nil, nil, nil, err
	}
	return grants.NewStore(pool, cfg), cfg, pool.Close, nil
}

// operator names the person at the terminal in the audit log.
func operator(e *env) string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return "cli:" + u.Username
	}
	if name := e.getenv("USER"); name != "" {
		return "cli:" + name
	}
	return "cli:unknown"
}
