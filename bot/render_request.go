package bot

import (
	"fmt"

	"github.com/slack-go/slack"

	"github.com/jitgate/jitgate/grants"
)

// renderRequest renders a request's message in the reviewers' channel. The
// same function renders it when it is posted and every time it is updated,
// so the message always tells where the request stands now; buttons are
// there only while a decision is still open.
func renderRequest(st requestState) message {
	r := st.Request
	blocks := []slack.Block{
		headerBlock(requestTitle(r)),
		requestFields(st),
		quoteBlock("Reason", r.Reason),
		textBlock(requestStatus(st)),
	}
	blocks = append(blocks, requestReasonBlocks(st)...)
	if len(st.Reviewers) > 0 {
		blocks = append(blocks, contextBlock("Reviewers: "+mdMentions(st.Reviewers, maxMentions)))
	}
	if r.Status == grants.RequestPending {
		id := r.ID.String()
		blocks = append(blocks, actionsBlock("request_review",
			buttonElement(actionApprove, id, "Approve", slack.StylePrimary),
			buttonElement(actionDeny, id, "Deny", slack.StyleDanger),
		))
	}
	return message{Text: requestText(st), Blocks: blocks}
}

func requestTitle(r grants.Request) string {
	switch r.Kind {
	case grants.KindBreakGlass:
		return "Break-glass access: " + r.Resource
	case grants.KindOperator:
		return "Operator grant: " + r.Resource
	}
	return "Access request: " + r.Resource
}

func requestFields(st requestState) slack.Block {
	r := st.Request
	return fieldsBlock(
		"Requester", requesterOf(st),
		"Resource", mdName(r.Resource),
		"Access", mdName(string(r.Access)),
		"Duration", formatDuration(r.Duration),
	)
}

// requesterOf is the requester in mrkdwn, falling back to the escaped email
// when the caller had no mention for them.
func requesterOf(st requestState) string {
	return textOr(st.Requester, mdName(st.Request.Requester))
}

// requestText is the notification text. It names the request but never
// carries the reason: notification text is shown in places (push
// notifications, the sidebar) where we cannot control how it is parsed.
func requestText(st requestState) string {
	r := st.Request
	what := fmt.Sprintf("%s access to %s for %s", mdName(string(r.Access)), mdName(r.Resource), formatDuration(r.Duration))
	who := requesterOf(st)
	switch {
	case r.Kind == grants.KindBreakGlass:
		return fmt.Sprintf("%s took break-glass %s without review", who, what)
	case r.Kind == grants.KindOperator:
		return fmt.Sprintf("Operator %s granted %s %s", mdName(r.DecidedBy), who, what)
	case r.Status == grants.RequestPending && len(st.Reviewers) > 0:
		return fmt.Sprintf("%s asks for %s: review needed from %s", who, what, mdMentions(st.Reviewers, maxMentions))
	}
	return fmt.Sprintf("%s asks for %s: %s", who, what, statusWord(r.Status))
}

func statusWord(s grants.RequestStatus) string {
	switch s {
	case grants.RequestPending:
		return "waiting for review"
	case grants.RequestTimedOut:
		return "timed out"
	}
	return mdName(string(s))
}

// requestStatus is the status line in mrkdwn. Break-glass and operator
// requests are approved as they are filed, so their kind is their story.
func requestStatus(st requestState) string {
	r := st.Request
	switch {
	case r.Status == grants.RequestPending:
		return pendingStatus(st)
	case r.Kind == grants.KindBreakGlass:
		return ":rotating_light: Break-glass: taken without review." + acknowledgement(st.Grant) + grantSuffix(st)
	case r.Kind == grants.KindOperator:
		return ":wrench: Granted by operator " + mdName(textOr(r.DecidedBy, "unknown")) + "." + grantSuffix(st)
	}
	switch r.Status {
	case grants.RequestApproved:
		return ":white_check_mark: Approved by " + st.People.names(approvers(st)) + "." + grantSuffix(st)
	case grants.RequestDenied:
		return ":x: Denied by " + st.People.name(denier(st)) + "."
	case grants.RequestTimedOut:
		return ":hourglass: Timed out: no reviewer decided before " + slackTime(r.PendingExpiresAt) + "."
	case grants.RequestCancelled:
		return ":no_entry_sign: Cancelled by the requester."
	}
	return "Status: " + mdName(string(r.Status)) + "."
}

func pendingStatus(st requestState) string {
	r := st.Request
	got := approvedBy(st.Reviews)
	line := fmt.Sprintf(":hourglass_flowing_sand: Waiting for review: %d of %d approvals. Lapses %s.",
		len(got), r.ApprovalsRequired, slackTime(r.PendingExpiresAt))
	if len(got) > 0 {
		line += "\nApproved so far by " + st.People.names(got) + "."
	}
	return line
}

// approvedBy lists the reviewers who approved, oldest first.
func approvedBy(reviews []grants.Review) []string {
	var out []string
	for _, rv := range reviews {
		if rv.Decision == grants.Approve {
			out = append(out, rv.Reviewer)
		}
	}
	return out
}

// approvers are who approved a decided request; when its reviews are not
// at hand, the one who decided it.
func approvers(st requestState) []string {
	if got := approvedBy(st.Reviews); len(got) > 0 {
		return got
	}
	return []string{textOr(st.Request.DecidedBy, "a reviewer")}
}

func denier(st requestState) string {
	if st.Request.DecidedBy != "" {
		return st.Request.DecidedBy
	}
	for _, rv := range st.Reviews {
		if rv.Decision == grants.Deny {
			return rv.Reviewer
		}
	}
	return "a reviewer"
}

func denyReason(st requestState) string {
	if st.Request.DecisionReason != "" {
		return st.Request.DecisionReason
	}
	for _, rv := range st.Reviews {
		if rv.Decision == grants.Deny {
			return rv.Reason
		}
	}
	return ""
}

func acknowledgement(g *grants.Grant) string {
	switch {
	case g == nil:
		return ""
	case g.NeedsReview:
		return " Awaits acknowledgement by a reviewer."
	}
	return " Acknowledged by a reviewer."
}

// grantSuffix follows an approval with what became of its grant.
func grantSuffix(st requestState) string {
	if st.Grant == nil {
		return ""
	}
	return "\n" + grantLine("Access", *st.Grant, st.Now, st.People)
}

// requestReasonBlocks carry the words a reviewer typed when deciding or
// ending: a deny reason, a revoke reason.
func requestReasonBlocks(st requestState) []slack.Block {
	switch {
	case st.Request.Status == grants.RequestDenied:
		return []slack.Block{quoteBlock("Deny reason", denyReason(st))}
	case st.Grant != nil:
		return grantReasonBlocks(*st.Grant)
	}
	return nil
}
