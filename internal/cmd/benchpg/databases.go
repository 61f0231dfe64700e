package main

import (
	"context"
	"fmt"
	"os/exec"

	"github.com/jackc/pgx/v5"
)

// wideRows is how many rows the wide table has.
const wideRows = 100_000

// wideTable has five text columns: an email in every b, a GitHub-token-like
// value in every tenth d, for the masker to find.
const wideTable = `CREATE TABLE wide AS SELECT g AS id, md5(g::text) AS a,
	'user' || g || '@example.com' AS b, 'plain text number ' || g AS c,
	CASE WHEN g % 10 = 0 THEN 'token ghp_' || repeat('x', 36) ELSE 'nothing here' END AS d,
	repeat('y', 20) AS e FROM generate_series(1, 100000) g`

// prepareDatabases recreates the meta and target databases, fills the
// target with pgbench's tables and the wide table, and returns the server's
// version.
func prepareDatabases(ctx context.Context, srv server, scale int) (string, error) {
	progress("recreating %s and %s", metaDB, targetDB)
	version, err := recreateDatabases(ctx, srv.url.String())
	if err != nil {
		return "", err
	}
	progress("pgbench -i -s %d on %s", scale, targetDB)
	cmd := exec.CommandContext(ctx, "pgbench", "-i", "-s", fmt.Sprint(scale), "-q")
	cmd.Env = srv.direct().env()
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("pgbench -i: %w\n%s", err, tail(string(out), 20))
	}
	progress("creating the wide table (%d rows)", wideRows)
	if err := createWide(ctx, srv.dbURL(targetDB)); err != nil {
		return "", err
	}
	return version, nil
}

func recreateDatabases(ctx context.Context, url string) (string, error) {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return "", fmt.Errorf("connect to DATABASE_URL: %w", err)
	}
	defer conn.Close(ctx)
	for _, db := range []string{metaDB, targetDB} {
		name := pgx.Identifier{db}.Sanitize()
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			return "", fmt.Errorf("drop database %s: %w", db, err)
		}
		if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
			return "", fmt.Errorf("create database %s: %w", db, err)
		}
	}
	var version string
	if err := conn.QueryRow(ctx, "SHOW server_version").Scan(&version); err != nil {
		return "", fmt.Errorf("server version: %w", err)
	}
	return version, nil
}

// createWide creates the wide table and vacuums it, so the first reads do
// not pay for setting hint bits.
func createWide(ctx context.Context, url string) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return fmt.Errorf("connect to %s: %w", targetDB, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, wideTable); err != nil {
		return fmt.Errorf("create table wide: %w", err)
	}
	if _, err := conn.Exec(ctx, "VACUUM ANALYZE wide"); err != nil {
		return fmt.Errorf("vacuum wide: %w", err)
	}
	return nil
}
