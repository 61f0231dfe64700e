package bot

import (
	"fmt"
	"time"

	"github.com/slack-go/slack"

	"github.com/jitgate/jitgate/grants"
)

// renderOutcomeDM renders the direct message telling requesters how their
// request was decided. conn is set when it was approved: then the message
// is also the how-to, so nobody has to look up where the gateway listens.
func renderOutcomeDM(st requestState, conn *connectInfo) message {
	r := st.Request
	what := fmt.Sprintf("*%s* access to *%s*", mdName(string(r.Access)), mdName(r.Resource))
	var line string
	var blocks []slack.Block
	switch r.Status {
	case grants.RequestApproved:
		line = approvedDMLine(st, what)
		if conn != nil {
			blocks = connectBlocks(*conn)
		}
	case grants.RequestDenied:
		line = fmt.Sprintf(":x: Your request for %s was denied by %s.", what, st.People.name(denier(st)))
		blocks = []slack.Block{quoteBlock("Reason", denyReason(st))}
	case grants.RequestTimedOut:
		line = fmt.Sprintf(":hourglass: Nobody decided your request for %s in time. If you still need it, ask again with `%s`.", what, escape(textOr(st.Command, "/access")))
	case grants.RequestCancelled:
		line = fmt.Sprintf(":no_entry_sign: You cancelled your request for %s.", what)
	default:
		line = fmt.Sprintf(":hourglass_flowing_sand: Your request for %s is %s.", what, statusWord(r.Status))
	}
	return message{Text: line, Blocks: append([]slack.Block{textBlock(line)}, blocks...)}
}

func approvedDMLine(st requestState, what string) string {
	until := slackTime(grantedUntil(st))
	switch st.Request.Kind {
	case grants.KindBreakGlass:
		return fmt.Sprintf(":rotating_light: You have break-glass %s until %s. Reviewers will look at it afterwards.", what, until)
	case grants.KindOperator:
		return fmt.Sprintf(":white_check_mark: Operator %s gave you %s until %s.", mdName(st.Request.DecidedBy), what, until)
	}
	return fmt.Sprintf(":white_check_mark: Your request for %s was approved by %s. It is active until %s.", what, st.People.names(approvers(st)), until)
}

// grantedUntil is when the grant ends, or, without the grant at hand, when
// it would: its clock starts at the decision.
func grantedUntil(st requestState) time.Time {
	if st.Grant != nil {
		return st.Grant.ExpiresAt
	}
	return st.Request.DecidedAt.Add(st.Request.Duration)
}

// connectBlocks tell how to reach a resource through the gateway. Clients
// are unchanged, so it is the usual command with the gateway's address;
// what stands in for a password comes from `jitgate login`.
func connectBlocks(c connectInfo) []slack.Block {
	switch c.Kind {
	case "postgres":
		cmd := fmt.Sprintf(`psql "host=%s port=%s user=%s dbname=%s sslmode=require"`,
			mdName(c.Host), mdName(c.Port), mdName(c.Email), mdName(c.Resource))
		return []slack.Block{
			textBlock("*How to connect:* run `jitgate login` first. Your password is the ID token it gives you: put it in `PGPASSWORD`. Then:"),
			textBlock(fence + "\n" + cmd + "\n" + fence),
		}
	case "ssh":
		cmd := fmt.Sprintf("ssh -p %s %s@%s", mdName(c.Port), mdName(c.Resource), mdName(c.Host))
		return []slack.Block{
			textBlock("*How to connect:* run `jitgate login` first; it gets you a short-lived SSH certificate. Then:"),
			textBlock(fence + "\n" + cmd + "\n" + fence),
		}
	}
	return []slack.Block{textBlock(fmt.Sprintf("*How to connect:* run `jitgate login` first, then connect through the gateway at `%s:%s`.", mdName(c.Host), mdName(c.Port)))}
}
