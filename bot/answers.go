package bot

import (
	"errors"

	"github.com/slack-go/slack"

	"github.com/jitgate/jitgate/grants"
)

// refusal is what a person is told when what they asked for did not
// happen: a fixed sentence per reason, never the error's text, except for
// input errors, whose messages are written for people and name the field.
// The result is escaped mrkdwn.
func refusal(err error) string {
	var ie *grants.InputError
	var ue usageError
	switch {
	case errors.As(err, &ue):
		return escape(string(ue))
	case errors.As(err, &ie):
		return escape(upperFirst(ie.Msg) + ".")
	case errors.Is(err, errNoTrigger):
		return "Slack sent this without the ID jitgate tells repeated deliveries apart by, so nothing was done. Please try again."
	case errors.Is(err, errAlreadyReviewed):
		return "You already reviewed this request; your first answer counts."
	case errors.Is(err, grants.ErrIdentityChanged):
		return "Your Slack profile shows another email than the one jitgate knows your account by, so it does not act on it. If your email really changed, ask an operator to run `jitgate identities forget` for your account."
	case errors.Is(err, errForeignUser):
		return "Only members of this workspace can use jitgate here."
	case errors.Is(err, errNoVerifiedEmail):
		return "Your Slack profile has no verified email, so jitgate cannot tell who you are. Ask a Slack admin to confirm your email, then try again."
	case errors.Is(err, grants.ErrSelfReview):
		return "You cannot review your own request: nothing changed."
	case errors.Is(err, grants.ErrNotReviewer):
		return "Only the resource's reviewers (or admins) may do this: nothing changed."
	case errors.Is(err, grants.ErrExpired):
		return "This ran out of time before your click arrived: nothing changed."
	case errors.Is(err, grants.ErrConflict):
		return "This was already decided or has ended: nothing changed."
	case errors.Is(err, grants.ErrNotFound):
		return "jitgate no longer knows this (was the resource removed from its configuration?): nothing changed."
	case errors.Is(err, grants.ErrDenied):
		return "You may not do this: nothing changed."
	}
	return "Something went wrong inside jitgate and nothing changed. Try again in a minute; if it keeps happening, an operator will find the cause in jitgate's log."
}

func upperFirst(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}

// usageError is a slash command the bot could not read; its text is shown
// to the person as it is.
type usageError string

func (e usageError) Error() string { return string(e) }

// commandAnswer is a slash command's immediate answer. It is its own small
// type because a whole slack.Msg marshals empty blocks and metadata that
// Slack has no use for in an acknowledgement.
type commandAnswer struct {
	ResponseType string `json:"response_type"`
	Text         string `json:"text"`
}

// ephemeral is a slash command's answer that only its sender sees.
func ephemeral(mrkdwn string) *commandAnswer {
	return &commandAnswer{ResponseType: slack.ResponseTypeEphemeral, Text: mrkdwn}
}
