package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"text/tabwriter"

	"github.com/jitgate/jitgate/grants"
)

// identitiesListCmd shows which email each chat account acts as.
func identitiesListCmd(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
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
		list, err := store.ChatIdentities(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "CHAT ACCOUNT\tEMAIL\tBOUND")
		for _, id := range list {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", id.ChatUser, id.Email, stamp(id.BoundAt))
		}
		return tw.Flush()
	}
}

// identitiesForgetCmd drops a chat account's binding after its person's
// email really changed; the account is bound to its new email when it
// next acts.
func identitiesForgetCmd(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
	load := configFlag(fs, e)
	return func(ctx context.Context, args []string) error {
		if len(args) != 1 {
			return usagef("want exactly one CHAT_ACCOUNT (like slack:T0123:U0456, see 'jitgate identities list'), got %d arguments", len(args))
		}
		store, _, closeDB, err := openStore(ctx, load)
		if err != nil {
			return err
		}
		defer closeDB()
		email, err := store.ForgetChatIdentity(ctx, args[0], operator(e), e.clock())
		if errors.Is(err, grants.ErrNotFound) {
			return fmt.Errorf("no chat account %s (see 'jitgate identities list')", args[0])
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "forgot %s (was %s); it is bound to the email it shows next\n", args[0], email)
		return nil
	}
}
