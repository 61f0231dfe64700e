package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/jitgate/jitgate/broker"
	"github.com/jitgate/jitgate/gateway"
	"github.com/jitgate/jitgate/gateway/auth"
	"github.com/jitgate/jitgate/gateway/mask"
	"github.com/jitgate/jitgate/gateway/pg"
	"github.com/jitgate/jitgate/gateway/pg/classify"
	"github.com/jitgate/jitgate/grants"
	"github.com/jitgate/jitgate/internal/config"
)

// maxSessionsPerUser caps one person's open gateway sessions.
const maxSessionsPerUser = 50

// service is one long-running part of `serve`.
type service func(ctx context.Context) error

// postgresGateway assembles the Postgres gateway and the parts it needs:
// token verification, the session registry fed by grant changes, and the
// recorder. It returns nothing to run when the gateway is off.
func postgresGateway(ctx context.Context, cfg *config.Config, pool *pgxpool.Pool, reviewer broker.StatementReviewer, log *slog.Logger) ([]service, error) {
	gw := cfg.Gateway.Postgres
	if gw.Listen == "" {
		return nil, nil
	}
	if cfg.OIDC.Issuer == "" {
		return nil, errors.New("gateway.postgres.listen is set but oidc.issuer is not: the gateway verifies clients' ID tokens against it")
	}
	verifier, err := auth.NewVerifier(ctx, auth.Config{Issuer: cfg.OIDC.Issuer, Audience: cfg.OIDC.Audience, GroupsClaim: cfg.OIDC.GroupsClaim})
	if err != nil {
		return nil, fmt.Errorf("oidc: %w", err)
	}
	masker, err := mask.New(cfg.Masking.Columns)
	if err != nil {
		return nil, fmt.Errorf("masking.columns: %w", err)
	}
	host, _, _ := net.SplitHostPort(gw.Listen)
	tlsCfg, selfSigned, err := gateway.TLSConfig(cfg.Gateway.TLS.CertFile, cfg.Gateway.TLS.KeyFile, []string{host})
	if err != nil {
		return nil, err
	}
	if selfSigned {
		log.Warn("gateway.tls has no certificate: using a self-signed one; clients can encrypt but not verify (sslmode=require, not verify-full)")
	}
	if gw.AllowPlaintext {
		log.Warn("gateway.postgres.allow_plaintext is on: ID tokens may cross the network unencrypted; use it only on loopback")
	}
	store := grants.NewStore(pool, cfg)
	registry := gateway.NewRegistry(gateway.RealClock{}, store, maxSessionsPerUser, log)
	watcher := broker.NewWatcher(pool, registry, log)
	recorder := gateway.NewRecorder(store, 100_000, 250*time.Millisecond, log)
	srv, err := pg.New(pg.Config{
		Resources: cfg.Resources, TLS: tlsCfg, AllowPlaintext: gw.AllowPlaintext,
		Verifier: verifier, Grants: store, Registry: registry, Recorder: recorder,
		Masker: masker, Classifier: classify.New(classify.Options{}),
		Reviewer: reviewer, ReviewTimeout: gw.ReviewTimeout, Log: log.With("gateway", "postgres"),
	})
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", gw.Listen)
	if err != nil {
		return nil, fmt.Errorf("gateway.postgres.listen: %w", err)
	}
	log.Info("postgres gateway listening", "addr", ln.Addr().String())
	return []service{
		func(ctx context.Context) error { watcher.Run(ctx); return nil },
		func(ctx context.Context) error { recorder.Run(ctx); return nil },
		func(ctx context.Context) error { return srv.Serve(ctx, ln) },
	}, nil
}

// runAll runs services until ctx ends or one fails, then stops the rest.
func runAll(ctx context.Context, services []service) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	errs := make(chan error, len(services))
	for _, s := range services {
		go func() {
			err := s(ctx)
			if err != nil {
				cancel(err)
			}
			errs <- err
		}()
	}
	var first error
	for range services {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	return first
}
