package bot

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/jitgate/jitgate/grants"
)

// command answers the slash command; an answer that comes too late for
// the ack goes to the person's DM instead.
func (b *Bot) command(ctx context.Context, cmd slack.SlashCommand) any {
	answer := b.answerCommand(ctx, cmd)
	if a, ok := answer.(*commandAnswer); ok && a != nil && !answerInTime(ctx) {
		b.later(func(ctx context.Context) { b.dmUser(ctx, cmd.UserID, a.Text) })
	}
	return answer
}

// answerCommand: with no text it opens the request modal, "help"
// explains, anything else is read as a request.
func (b *Bot) answerCommand(ctx context.Context, cmd slack.SlashCommand) any {
	text := strings.TrimSpace(cmd.Text)
	switch text {
	case "":
		if _, err := b.cfg.API.OpenViewContext(ctx, cmd.TriggerID, requestModal(b.choices())); err != nil {
			b.log.Warn("open the request modal", "user", cmd.UserID, "err", err)
			return ephemeral(refusal(err))
		}
		return nil
	case "help", "-h", "--help":
		return ephemeral(b.usage())
	}
	nr, err := parseRequest(text, b.names)
	if err != nil {
		return ephemeral(refusal(err) + "\n" + b.usage())
	}
	id, err := b.people.identity(ctx, cmd.UserID)
	if err != nil {
		b.log.Info("slash command from an unidentified user", "user", cmd.UserID, "err", err)
		return ephemeral(refusal(err))
	}
	nr.Requester = id.Email
	req, err := b.file(ctx, deliveryKey("command", cmd.TriggerID), nr)
	switch {
	case err != nil:
		return ephemeral(refusal(err))
	case req == nil:
		return nil // a repeated delivery: the first one answered
	}
	return ephemeral(b.filedText(*req))
}

// file creates the request once per delivery; a repeated delivery returns
// nil and no error.
func (b *Bot) file(ctx context.Context, key string, nr grants.NewRequest) (*grants.Request, error) {
	first, err := b.claim(ctx, key)
	if err != nil || !first {
		return nil, err
	}
	req, err := b.store.CreateRequest(ctx, nr, b.cfg.Now())
	if err != nil {
		b.log.Info("request refused", "requester", nr.Requester, "resource", nr.Resource, "err", err)
		return nil, err
	}
	return &req, nil
}

func (b *Bot) filedText(req grants.Request) string {
	res, _ := b.resource(req.Resource)
	return fmt.Sprintf("Asked for %s access to *%s* for %s. Reviewers are asked in <#%s>; I will send you the outcome.",
		req.Access, escape(req.Resource), formatDuration(req.Duration), escape(res.Channel))
}

func (b *Bot) usage() string {
	c := escape(b.cfg.Command)
	return fmt.Sprintf("*Usage:* `%s RESOURCE DURATION [--write] REASON`, e.g. `%s %s 2h INC-123 fix the index`. "+
		"Access is read-only unless you add `--write`; durations look like `30m`, `2h`, `1h30m`. "+
		"`%s` alone opens a form. Resources: %s.",
		c, c, escape(b.firstName()), c, escape(strings.Join(b.names, ", ")))
}

func (b *Bot) firstName() string {
	if len(b.names) == 0 {
		return "prod-db"
	}
	return b.names[0]
}

// parseRequest reads "RESOURCE DURATION [--write|--read] REASON...". The
// policy's own checks (maximum duration, reason pattern) come later, in the
// Store, so a rule lives in one place.
func parseRequest(text string, resources []string) (grants.NewRequest, error) {
	fields := strings.Fields(text)
	if len(fields) < 2 {
		return grants.NewRequest{}, usageError("Tell me the resource, how long and why.")
	}
	nr := grants.NewRequest{Resource: fields[0], Access: grants.AccessRead}
	if !slices.Contains(resources, nr.Resource) {
		return nr, usageError(fmt.Sprintf("There is no resource %q. You can ask for: %s.", nr.Resource, strings.Join(resources, ", ")))
	}
	d, err := time.ParseDuration(fields[1])
	if err != nil || d <= 0 {
		return nr, usageError(fmt.Sprintf("%q is not a duration: write it like 30m, 2h or 1h30m.", fields[1]))
	}
	nr.Duration = d
	rest := fields[2:]
	for len(rest) > 0 && strings.HasPrefix(rest[0], "--") {
		switch rest[0] {
		case "--write":
			nr.Access = grants.AccessWrite
		case "--read":
			nr.Access = grants.AccessRead
		default:
			return nr, usageError(fmt.Sprintf("Unknown option %q: the only options are --write and --read.", rest[0]))
		}
		rest = rest[1:]
	}
	nr.Reason = strings.Join(rest, " ")
	if nr.Reason == "" {
		return nr, usageError("Say why you need access (a ticket or incident, for instance).")
	}
	return nr, nil
}

// choices are the resources offered in the request modal. Every configured
// resource may be asked for; reviewers decide.
func (b *Bot) choices() []resourceChoice {
	out := make([]resourceChoice, 0, len(b.names))
	for _, n := range b.names {
		r := b.resources[n]
		out = append(out, resourceChoice{Name: r.Name, Kind: r.Kind, MaxDuration: r.MaxDuration})
	}
	return out
}
