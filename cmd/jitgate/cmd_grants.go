package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/google/uuid"

	"github.com/jitgate/jitgate/grants"
	"github.com/jitgate/jitgate/internal/config"
)

const defaultLimit = 100

func grantsListCmd(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
	load := configFlag(fs, e)
	active := fs.Bool("active", false, "only grants that give access now")
	limit := fs.Int("limit", defaultLimit, "show at most `n` grants")
	asJSON := fs.Bool("json", false, "print JSON, one object per line")
	return func(ctx context.Context, args []string) error {
		if err := noArgs(args); err != nil {
			return err
		}
		if *limit < 1 {
			return usagef("--limit: must be at least 1, got %d", *limit)
		}
		store, _, closeDB, err := openStore(ctx, load)
		if err != nil {
			return err
		}
		defer closeDB()
		list, err := store.ListGrants(ctx, *active, e.clock(), *limit)
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSONLines(e.stdout, list)
		}
		return writeGrants(e.stdout, list)
	}
}

func writeGrants(out io.Writer, list []grants.Grant) error {
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tUSER\tRESOURCE\tACCESS\tSTATUS\tSTARTED\tEXPIRES\tENDED BY")
	for _, g := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", g.ID, g.Requester, g.Resource, g.Access,
			g.Status, stamp(g.StartsAt), stamp(g.ExpiresAt), dash(g.EndedBy))
	}
	return tw.Flush()
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func writeJSONLines[T any](out io.Writer, items []T) error {
	enc := json.NewEncoder(out)
	for _, it := range items {
		if err := enc.Encode(it); err != nil {
			return err
		}
	}
	return nil
}

func noArgs(args []string) error {
	if len(args) > 0 {
		return usagef("unexpected argument %q", args[0])
	}
	return nil
}

func grantsCreateCmd(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
	load := configFlag(fs, e)
	userFlag := fs.String("user", "", "`email` of the person to grant access to (required)")
	resource := fs.String("resource", "", "`name` of the resource, as in the configuration (required)")
	duration := fs.String("duration", "", "how long the grant lasts, e.g. 90s, 15m, 2h (required; at most the resource's max_duration)")
	reason := fs.String("reason", "", "why, as the resource's reason_pattern wants it (required)")
	access := fs.String("access", string(grants.AccessRead), "access `level`: read or write")
	return func(ctx context.Context, args []string) error {
		if err := noArgs(args); err != nil {
			return err
		}
		nr, err := newRequestFromFlags(*userFlag, *resource, *duration, *reason, *access)
		if err != nil {
			return err
		}
		store, cfg, closeDB, err := openStore(ctx, load)
		if err != nil {
			return err
		}
		defer closeDB()
		if _, ok := cfg.Resource(nr.Resource); !ok {
			return usagef("--resource: %q is not a resource in the configuration (known: %s)", nr.Resource, resourceNames(cfg))
		}
		g, err := store.OperatorGrant(ctx, nr, operator(e), e.clock())
		if err != nil {
			return explain(err)
		}
		fmt.Fprintln(e.stdout, g.ID)
		return nil
	}
}

// newRequestFromFlags checks what can be checked without the database, so a
// bad flag never opens a connection.
func newRequestFromFlags(email, resource, duration, reason, access string) (grants.NewRequest, error) {
	for _, f := range []struct{ name, val string }{{"--user", email}, {"--resource", resource}, {"--duration", duration}, {"--reason", reason}} {
		if strings.TrimSpace(f.val) == "" {
			return grants.NewRequest{}, usagef("%s is required", f.name)
		}
	}
	if !strings.Contains(email, "@") {
		return grants.NewRequest{}, usagef("--user: %q is not an email address", email)
	}
	d, err := time.ParseDuration(duration)
	if err != nil {
		return grants.NewRequest{}, usagef("--duration: %q is not a duration (use Go form like 90s, 15m, 2h)", duration)
	}
	nr := grants.NewRequest{Requester: email, Resource: resource, Access: grants.Access(access), Duration: d, Reason: reason}
	if err := nr.Access.Validate(); err != nil {
		return grants.NewRequest{}, explain(err)
	}
	return nr, nil
}

func resourceNames(cfg *config.Config) string {
	names := make([]string, 0, len(cfg.Resources))
	for _, r := range cfg.Resources {
		names = append(names, r.Name)
	}
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

func grantsRevokeCmd(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
	load := configFlag(fs, e)
	reason := fs.String("reason", "", "why the grant ends now (required; shown to the holder)")
	return func(ctx context.Context, args []string) error {
		if len(args) != 1 {
			return usagef("want exactly one GRANT_ID, got %d arguments", len(args))
		}
		id, err := uuid.Parse(args[0])
		if err != nil {
			return usagef("GRANT_ID: %q is not a grant id (see 'jitgate grants list')", args[0])
		}
		if strings.TrimSpace(*reason) == "" {
			return usagef("--reason is required")
		}
		store, _, closeDB, err := openStore(ctx, load)
		if err != nil {
			return err
		}
		defer closeDB()
		g, err := store.RevokeAsOperator(ctx, id, operator(e), *reason, e.clock())
		switch {
		case errors.Is(err, grants.ErrNotFound):
			return fmt.Errorf("no grant %s", id)
		case errors.Is(err, grants.ErrConflict), errors.Is(err, grants.ErrExpired):
			return fmt.Errorf("grant %s has already ended", id)
		case err != nil:
			return explain(err)
		}
		fmt.Fprintf(e.stdout, "revoked %s (%s on %s)\n", g.ID, g.Requester, g.Resource)
		return nil
	}
}

func requestsListCmd(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
	load := configFlag(fs, e)
	status := fs.String("status", "", "only requests in this `status`: pending, approved, denied, cancelled, timed_out")
	limit := fs.Int("limit", defaultLimit, "show at most `n` requests")
	asJSON := fs.Bool("json", false, "print JSON, one object per line")
	return func(ctx context.Context, args []string) error {
		if err := noArgs(args); err != nil {
			return err
		}
		if err := validStatus(*status); err != nil {
			return err
		}
		if *limit < 1 {
			return usagef("--limit: must be at least 1, got %d", *limit)
		}
		store, _, closeDB, err := openStore(ctx, load)
		if err != nil {
			return err
		}
		defer closeDB()
		list, err := store.ListRequests(ctx, grants.RequestStatus(*status), *limit)
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSONLines(e.stdout, list)
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tUSER\tRESOURCE\tACCESS\tDURATION\tSTATUS\tCREATED\tREASON")
		for _, r := range list {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Requester, r.Resource, r.Access,
				r.Duration, r.Status, stamp(r.CreatedAt), oneLineText(r.Reason))
		}
		return tw.Flush()
	}
}

func validStatus(s string) error {
	switch grants.RequestStatus(s) {
	case "", grants.RequestPending, grants.RequestApproved, grants.RequestDenied, grants.RequestCancelled, grants.RequestTimedOut:
		return nil
	}
	return usagef("--status: %q is not a request status (pending, approved, denied, cancelled, timed_out)", s)
}

// oneLineText keeps a user's text from breaking the table's rows.
func oneLineText(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
