package bot

import (
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"github.com/jitgate/jitgate/grants"
)

// fence opens and closes a mrkdwn code block.
const fence = "```"

// renderStatement renders a held statement's message. The statement is
// already masked by the gateway; here it is only made inert for mrkdwn.
func renderStatement(st statementState) message {
	rv := st.Review
	who := textOr(st.Requester, mdName(rv.Requester))
	blocks := []slack.Block{
		headerBlock("Risky statement held: " + rv.Resource),
		textBlock(fmt.Sprintf("%s wants to run this on *%s*:", who, mdName(rv.Resource))),
		textBlock(codeBlock(rv.Statement)),
		quoteBlock("Held because", strings.Join(rv.Reasons, "; ")),
		textBlock(statementStatus(st)),
	}
	if rv.Status == grants.StatementPending {
		id := rv.ID.String()
		blocks = append(blocks, actionsBlock("statement_review",
			buttonElement(actionStatementApprove, id, "Approve", slack.StylePrimary),
			buttonElement(actionStatementDeny, id, "Deny", slack.StyleDanger),
		))
	}
	text := fmt.Sprintf("%s wants to run a risky statement on %s: %s", who, mdName(rv.Resource), statementWord(rv.Status))
	return message{Text: text, Blocks: blocks}
}

// codeBlock shows statement as a mrkdwn code block that nothing inside can
// end early: a run of three backticks would close the block and let the
// rest be read as mrkdwn, so a zero-width space follows every backtick and
// no two of them ever touch, however long the run.
func codeBlock(statement string) string {
	s := strings.ReplaceAll(textOr(statement, " "), "`", "`\u200b")
	budget := maxSectionText - 2*len(fence) - 2
	return fence + "\n" + escapeLimit(s, budget) + "\n" + fence
}

func statementStatus(st statementState) string {
	rv := st.Review
	by := textOr(st.DecidedBy, mdName(textOr(rv.DecidedBy, "a reviewer")))
	switch rv.Status {
	case grants.StatementPending:
		return ":hourglass_flowing_sand: The session waits for a reviewer until " + slackTime(rv.WaitsUntil) +
			"; if nobody decides by then, the statement is not run."
	case grants.StatementApproved:
		return ":white_check_mark: Approved by " + by + ": the statement was let through."
	case grants.StatementDenied:
		return ":x: Denied by " + by + ": the statement was not run."
	case grants.StatementTimedOut:
		return ":hourglass: No reviewer decided in time: the statement was not run."
	}
	return "Status: " + mdName(string(rv.Status)) + "."
}

func statementWord(s grants.StatementStatus) string {
	switch s {
	case grants.StatementPending:
		return "waiting for review"
	case grants.StatementTimedOut:
		return "timed out, not run"
	case grants.StatementDenied:
		return "denied, not run"
	}
	return mdName(string(s))
}
