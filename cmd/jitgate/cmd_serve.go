package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/pprof"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/jitgate/jitgate/broker"
	"github.com/jitgate/jitgate/migrations"
)

func serveCmd(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
	load := configFlag(fs, e)
	logJSON := fs.Bool("log-json", false, "log JSON lines instead of text")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the whole run to `file` when serve stops (for benchmarks)")
	return func(ctx context.Context, args []string) error {
		if err := noArgs(args); err != nil {
			return err
		}
		if *cpuProfile != "" {
			stop, err := startCPUProfile(*cpuProfile)
			if err != nil {
				return err
			}
			defer stop()
		}
		cfg, err := load()
		if err != nil {
			return err
		}
		log := newLogger(e, *logJSON)
		pool, err := connect(ctx, cfg, true)
		if err != nil {
			return err
		}
		defer pool.Close()
		ln, err := net.Listen("tcp", cfg.HTTP.Listen)
		if err != nil {
			return fmt.Errorf("http.listen: %w", err)
		}
		c, err := slackChat(cfg, pool, log)
		if err != nil {
			ln.Close()
			return err
		}
		services, err := postgresGateway(ctx, cfg, pool, c.reviewer, log)
		if err != nil {
			ln.Close()
			return err
		}
		jobs := broker.NewJobs(pool, cfg, time.Now, log)
		services = append(services, c.services...)
		services = append(services, jobs.Start)
		log.Info("jitgate serving", "version", buildVersion(), "http", ln.Addr().String(), "slack", string(cfg.Slack.Mode))
		services = append(services, func(ctx context.Context) error { return serveHTTP(ctx, ln, httpHandler(pool, c.handler), log) })
		return runAll(ctx, services)
	}
}

// startCPUProfile profiles until the returned stop is called.
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("--cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("--cpuprofile: %w", err)
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

func newLogger(e *env, asJSON bool) *slog.Logger {
	if asJSON {
		return slog.New(slog.NewJSONHandler(e.stderr, nil))
	}
	return slog.New(slog.NewTextHandler(e.stderr, nil))
}

// httpHandler serves the operational endpoints: liveness, readiness (the
// database answers and has this binary's schema) and Prometheus metrics.
// Slack's HTTP mode, when on, is served under /slack/.
func httpHandler(pool *pgxpool.Pool, slackHandler http.Handler) http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := pool.Ping(ctx); err != nil {
			http.Error(w, "not ready: database unreachable", http.StatusServiceUnavailable)
			return
		}
		if err := migrations.Check(ctx, pool); err != nil {
			http.Error(w, "not ready: database schema does not match this jitgate", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ready")
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	if slackHandler != nil {
		mux.Handle("/slack/", slackHandler)
	}
	return mux
}

// serveHTTP runs until ctx ends, then gives requests in flight a few seconds.
func serveHTTP(ctx context.Context, ln net.Listener, h http.Handler, log *slog.Logger) error {
	// Every request here is small (Slack's payloads are capped at 1 MiB and
	// answered within 2.5 s), so a sender that trickles its body, or a
	// connection left idle, is cut off rather than held.
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("http shutdown: %w", err)
	}
	if err := <-done; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("http server: %w", err)
	}
	return nil
}
