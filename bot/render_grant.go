package bot

import (
	"fmt"
	"time"

	"github.com/slack-go/slack"

	"github.com/jitgate/jitgate/grants"
)

// grantLine says in mrkdwn where a grant stands at now, of subject ("Access"
// or the grant named in full). A grant still marked active whose end has
// passed is told as ended: the expiry job may not have run yet, but it
// gives no access any more.
func grantLine(subject string, g grants.Grant, now time.Time, p people) string {
	switch g.Status {
	case grants.GrantActive:
		if !now.Before(g.ExpiresAt) {
			return subject + " ended " + slackTime(g.ExpiresAt) + "."
		}
		return subject + " is active until " + slackTime(g.ExpiresAt) + "."
	case grants.GrantExpired:
		return subject + " expired " + slackTime(endOf(g)) + "."
	case grants.GrantRevoked:
		return fmt.Sprintf("%s was revoked by %s %s.", subject, p.name(textOr(g.EndedBy, "someone")), slackTime(endOf(g)))
	case grants.GrantReleased:
		return subject + " was released by the requester " + slackTime(endOf(g)) + "."
	}
	return subject + " is " + mdName(string(g.Status)) + "."
}

// endOf is when a grant ended, or was due to when the row does not say.
func endOf(g grants.Grant) time.Time {
	if g.EndedAt.IsZero() {
		return g.ExpiresAt
	}
	return g.EndedAt
}

// grantReasonBlocks shows why a grant was revoked; the revoker typed it, so
// it goes out as plain_text. Other ends carry no words of a person.
func grantReasonBlocks(g grants.Grant) []slack.Block {
	if g.Status != grants.GrantRevoked {
		return nil
	}
	return []slack.Block{quoteBlock("Revoke reason", g.EndReason)}
}

// renderGrantControls renders the thread message with a grant's buttons.
// Everyone in the channel sees the same buttons, so the text says whose
// each is; who may act is checked when the click arrives.
func renderGrantControls(c grantControls) message {
	g := c.Grant
	what := fmt.Sprintf("*%s* access to *%s*", mdName(string(g.Access)), mdName(g.Resource))
	if !g.ActiveAt(c.Now) {
		blocks := append([]slack.Block{textBlock(grantLine(what, g, c.Now, c.People))}, grantReasonBlocks(g)...)
		return message{Text: grantLine(plainWhat(g), g, c.Now, c.People), Blocks: blocks}
	}
	line := fmt.Sprintf("%s is active until %s; it can be extended up to %s.",
		what, slackTime(g.ExpiresAt), slackTime(g.MaxExpiresAt))
	return message{
		Text: grantLine(plainWhat(g), g, c.Now, c.People),
		Blocks: []slack.Block{
			textBlock(line),
			contextBlock("*Extend* and *Release* are for the requester; *Revoke* is for reviewers."),
			actionsBlock("grant_controls",
				buttonElement(actionExtend, g.ID.String(), "Extend", slack.StyleDefault),
				buttonElement(actionRelease, g.ID.String(), "Release", slack.StyleDefault),
				buttonElement(actionRevoke, g.ID.String(), "Revoke", slack.StyleDanger).WithConfirm(revokeConfirm(g)),
			),
		},
	}
}

// plainWhat names a grant for notification text, escaped.
func plainWhat(g grants.Grant) string {
	return fmt.Sprintf("%s access to %s", mdName(string(g.Access)), mdName(g.Resource))
}

// revokeConfirm asks once more before a click ends someone's access.
func revokeConfirm(g grants.Grant) *slack.ConfirmationBlockObject {
	text := fmt.Sprintf("This ends %s's %s access to %s now and closes their open sessions.", g.Requester, g.Access, g.Resource)
	return slack.NewConfirmationBlockObject(
		plainText("Revoke access?"),
		plainText(clipText(text, maxConfirmText)),
		plainText("Revoke"),
		plainText("Cancel"),
	).WithStyle(slack.StyleDanger)
}
