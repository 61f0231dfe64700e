package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/jitgate/jitgate/grants"
)

// env is the outside world a command sees; tests give it buffers.
type env struct {
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
	// now is the clock; nil means time.Now.
	now func() time.Time
}

func (e *env) clock() time.Time {
	if e.now != nil {
		return e.now()
	}
	return time.Now()
}

// command is one subcommand. setup declares its flags and returns what runs
// once they are parsed, so flags live next to the code that reads them.
type command struct {
	path    string
	args    string
	summary string
	setup   func(fs *flag.FlagSet, e *env) func(ctx context.Context, args []string) error
}

// usageError is a mistake in how the command was called: exit status 2.
type usageError struct{ msg string }

func (u usageError) Error() string { return u.msg }

func usagef(format string, args ...any) error {
	return usageError{msg: fmt.Sprintf(format, args...)}
}

func commands() []command {
	return []command{
		{path: "serve", summary: "run jitgate: the Slack bot, the Postgres gateway, the scheduled jobs and the HTTP endpoints", setup: serveCmd},
		{path: "migrate", summary: "apply the database schema migrations embedded in this binary", setup: migrateCmd},
		{path: "config check", summary: "validate the configuration file and say what it configures", setup: configCheckCmd},
		{path: "requests list", summary: "list access requests, newest first", setup: requestsListCmd},
		{path: "grants list", summary: "list grants, newest first", setup: grantsListCmd},
		{path: "grants create", summary: "grant access directly, as an operator (audited as such); prints the grant id", setup: grantsCreateCmd},
		{path: "grants revoke", args: "GRANT_ID", summary: "end a grant now", setup: grantsRevokeCmd},
		{path: "identities list", summary: "list the email each Slack account is bound to", setup: identitiesListCmd},
		{path: "identities forget", args: "CHAT_ACCOUNT", summary: "unbind a Slack account whose email really changed (audited)", setup: identitiesForgetCmd},
		{path: "audit verify", summary: "check the audit log's hash chain; fails on any edited or missing row", setup: auditVerifyCmd},
		{path: "version", summary: "print the version", setup: versionCmd},
	}
}

// run executes one invocation and returns the process exit status.
func run(ctx context.Context, argv []string, e *env) int {
	cmd, rest := find(argv)
	if cmd == nil {
		return topUsage(argv, e)
	}
	fs := flag.NewFlagSet("jitgate "+cmd.path, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	runner := cmd.setup(fs, e)
	args, err := parseInterspersed(fs, rest)
	if errors.Is(err, flag.ErrHelp) {
		commandUsage(cmd, fs, e.stdout)
		return 0
	}
	if err == nil {
		err = runner(ctx, args)
	}
	if err == nil {
		return 0
	}
	fmt.Fprintf(e.stderr, "jitgate %s: %s\n", cmd.path, oneLine(err))
	var u usageError
	if errors.As(err, &u) || isFlagError(err) {
		fmt.Fprintf(e.stderr, "run 'jitgate %s --help' for usage\n", cmd.path)
		return 2
	}
	return 1
}

// find picks the command named by the leading words of argv.
func find(argv []string) (*command, []string) {
	cmds := commands()
	for i := range cmds {
		words := strings.Fields(cmds[i].path)
		if len(argv) >= len(words) && equalWords(argv[:len(words)], words) {
			return &cmds[i], argv[len(words):]
		}
	}
	return nil, nil
}

func equalWords(a, b []string) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// flagError marks errors from the flag package, which are usage mistakes.
type flagError struct{ err error }

func (f flagError) Error() string { return f.err.Error() }

func isFlagError(err error) bool {
	var f flagError
	return errors.As(err, &f)
}

// parseInterspersed lets flags follow positional arguments, as in
// `grants revoke ID --reason TEXT`, which the flag package alone stops at.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, flagError{err}
		}
		args = fs.Args()
		if len(args) == 0 {
			return positional, nil
		}
		if args[0] == "--" {
			return append(positional, args[1:]...), nil
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}

func topUsage(argv []string, e *env) int {
	out, code := e.stderr, 2
	if len(argv) == 0 || argv[0] == "help" || argv[0] == "-h" || argv[0] == "--help" {
		out, code = e.stdout, 0
	} else {
		fmt.Fprintf(e.stderr, "jitgate: unknown command %q\n", strings.Join(argv, " "))
	}
	fmt.Fprint(out, `jitgate: just-in-time access to databases and servers, approved in Slack.

Usage: jitgate COMMAND [flags]

Commands:
`)
	cmds := commands()
	sort.SliceStable(cmds, func(i, j int) bool { return cmds[i].path < cmds[j].path })
	for _, c := range cmds {
		fmt.Fprintf(out, "  %-16s %s\n", c.path, c.summary)
	}
	fmt.Fprint(out, `
Every command reads its configuration from --config (default: $JITGATE_CONFIG,
else ./jitgate.yaml). Run 'jitgate COMMAND --help' for a command's flags.
`)
	return code
}

func commandUsage(c *command, fs *flag.FlagSet, out io.Writer) {
	fmt.Fprintf(out, "Usage: jitgate %s [flags] %s\n\n%s.\n\nFlags:\n", c.path, c.args, c.summary)
	fs.SetOutput(out)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
}

// oneLine keeps every error to one line on stderr: wrapped causes from
// Postgres or YAML may carry newlines.
func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}

// inputFlag names the flag behind a rule the domain refused.
var inputFlag = map[string]string{
	"requester": "--user",
	"resource":  "--resource",
	"duration":  "--duration",
	"reason":    "--reason",
	"access":    "--access",
}

// explain turns a domain refusal into a message that points at the flag the
// operator has to change.
func explain(err error) error {
	var ie *grants.InputError
	if errors.As(err, &ie) {
		if f, ok := inputFlag[ie.Field]; ok {
			return usagef("%s: %s", f, ie.Msg)
		}
	}
	return err
}
