package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// The databases benchpg (re)creates on the server of DATABASE_URL.
const (
	metaDB   = "jitgate_bench_meta"   // jitgate's own
	targetDB = "jitgate_bench_target" // what pgbench and the wide query read
)

// server is the PostgreSQL of DATABASE_URL.
type server struct {
	url                             *url.URL
	host, port, user, pass, sslmode string
}

func serverFromEnv() (server, error) {
	raw := os.Getenv("DATABASE_URL")
	if raw == "" {
		return server{}, errors.New("DATABASE_URL is not set: run it with `make bench-pg`, which starts a throwaway PostgreSQL")
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.Hostname() == "" || u.Port() == "" || u.User == nil {
		return server{}, errors.New("DATABASE_URL: want a URL like postgres://user@host:port/db (with the port), as `make bench-pg` sets")
	}
	pass, _ := u.User.Password()
	sslmode := u.Query().Get("sslmode")
	if sslmode == "" {
		sslmode = "prefer"
	}
	return server{url: u, host: u.Hostname(), port: u.Port(), user: u.User.Username(), pass: pass, sslmode: sslmode}, nil
}

// dbURL is DATABASE_URL with its database replaced by db.
func (s server) dbURL(db string) string {
	u := *s.url
	u.Path = "/" + db
	u.RawPath = ""
	return u.String()
}

func (s server) hostPort() string { return net.JoinHostPort(s.host, s.port) }

func (s server) direct() target {
	return target{name: "direct", addr: s.hostPort(), user: s.user, pass: s.pass, db: targetDB, sslmode: s.sslmode}
}

// via is the target database reached through the relay listening on addr.
func (s server) via(name, addr string, pid int) target {
	t := s.direct()
	t.name, t.addr, t.pid = name, addr, pid
	return t
}

// target is one way to reach the target database.
type target struct {
	name, addr, user, pass, db, sslmode string
	// pid is the process on the data path, whose CPU is measured; 0 for
	// none.
	pid int
}

// env is the environment that points libpq (pgbench) at t.
func (t target) env() []string { return append(os.Environ(), t.libpqVars()...) }

// libpqVars are the variables that point libpq at t.
func (t target) libpqVars() []string {
	host, port, _ := net.SplitHostPort(t.addr)
	return []string{"PGHOST=" + host, "PGPORT=" + port, "PGUSER=" + t.user,
		"PGPASSWORD=" + t.pass, "PGDATABASE=" + t.db, "PGSSLMODE=" + t.sslmode}
}

// url is t as a connection URL for pgx.
func (t target) url() string {
	u := url.URL{Scheme: "postgres", Host: t.addr, Path: "/" + t.db, RawQuery: "sslmode=" + url.QueryEscape(t.sslmode)}
	u.User = url.User(t.user)
	if t.pass != "" {
		u.User = url.UserPassword(t.user, t.pass)
	}
	return u.String()
}

// moduleRoot is the directory of jitgate's go.mod, where go build runs.
func moduleRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("not inside the jitgate module: run it from the repository with `make bench-pg`")
	}
	return filepath.Dir(gomod), nil
}

// freeAddr returns a loopback address with a port nobody listens on now.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.SplitAfter(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "") + "\n"
}
