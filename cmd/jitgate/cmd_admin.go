package main

import (
	"context"
	"flag"
	"fmt"
	"runtime/debug"
	"strings"

	"github.com/jitgate/jitgate/migrations"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = ""

func versionCmd(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
	return func(_ context.Context, args []string) error {
		if err := noArgs(args); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "jitgate %s\n", buildVersion())
		return nil
	}
}

func buildVersion() string {
	if version != "" {
		return version
	}
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" && info.Main.Version != "(devel)" {
		return info.Main.Version
	}
	return "dev"
}

func migrateCmd(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
	load := configFlag(fs, e)
	return func(ctx context.Context, args []string) error {
		if err := noArgs(args); err != nil {
			return err
		}
		cfg, err := load()
		if err != nil {
			return err
		}
		pool, err := connect(ctx, cfg, false)
		if err != nil {
			return err
		}
		defer pool.Close()
		applied, err := migrations.Up(ctx, pool)
		if err != nil {
			return err
		}
		if len(applied) == 0 {
			fmt.Fprintln(e.stdout, "schema is up to date")
			return nil
		}
		fmt.Fprintf(e.stdout, "applied %d migration(s), schema now at version %d\n", len(applied), applied[len(applied)-1])
		return nil
	}
}

func configCheckCmd(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
	load := configFlag(fs, e)
	return func(_ context.Context, args []string) error {
		if err := noArgs(args); err != nil {
			return err
		}
		cfg, err := load()
		if err != nil {
			return err
		}
		kinds := make([]string, 0, len(cfg.Resources))
		for _, r := range cfg.Resources {
			kinds = append(kinds, fmt.Sprintf("%s (%s)", r.Name, r.Kind))
		}
		fmt.Fprintf(e.stdout, "ok: %d resource(s): %s; slack %s\n", len(cfg.Resources), strings.Join(kinds, ", "), cfg.Slack.Mode)
		return nil
	}
}

func auditVerifyCmd(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
	load := configFlag(fs, e)
	return func(ctx context.Context, args []string) error {
		if err := noArgs(args); err != nil {
			return err
		}
		store, _, closeDB, err := openStore(ctx, load)
		if err != nil {
			return err
		}
		defer closeDB()
		n, err := store.VerifyAudit(ctx)
		if err != nil {
			return fmt.Errorf("%w (checked %d events before it)", err, n)
		}
		fmt.Fprintf(e.stdout, "ok: %d audit events, chain intact\n", n)
		return nil
	}
}
