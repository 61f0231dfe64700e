package bot

import (
	"fmt"
	"time"

	"github.com/slack-go/slack"

	"github.com/jitgate/jitgate/grants"
)

// threadReply is one audit event told in the thread: a line of mrkdwn, and
// optionally words a person typed, shown as plain_text after a label.
type threadReply struct {
	line  string
	label string
	words string
}

// renderEvent renders the thread reply telling one audit event, or false
// when the event gets none: some are told by another event (a final
// approval by grant.started, a deny review by request.denied), some by the
// message they belong to (break-glass and operator requests by the request
// message, statements by the statement's own message).
func renderEvent(ev eventState) (message, bool) {
	r, ok := eventReply(ev)
	if !ok {
		return message{}, false
	}
	blocks := []slack.Block{textBlock(r.line)}
	if r.label != "" && r.words != "" {
		blocks = append(blocks, quoteBlock(r.label, r.words))
	}
	return message{Text: r.line, Blocks: blocks}, true
}

func eventReply(ev eventState) (threadReply, bool) {
	actor := textOr(ev.Actor, mdName(ev.Event.Actor))
	d := ev.Event.Details
	switch ev.Event.Action {
	case "request.reviewed":
		if detailString(d, "decision") != string(grants.Approve) {
			return threadReply{}, false
		}
		line := fmt.Sprintf(":+1: %s approved (%d of %d).", actor, ev.Approvals, ev.Request.ApprovalsRequired)
		return threadReply{line: line, label: "Comment", words: detailString(d, "reason")}, true
	case "request.denied":
		words := textOr(detailString(d, "reason"), ev.Request.DecisionReason)
		return threadReply{line: fmt.Sprintf(":x: %s denied the request.", actor), label: "Reason", words: words}, true
	case "request.timed_out":
		at := ev.Request.PendingExpiresAt
		if at.IsZero() {
			at = ev.Event.At
		}
		return threadReply{line: ":hourglass: No reviewer decided by " + slackTime(at) + ": the request timed out."}, true
	case "request.cancelled":
		return threadReply{line: fmt.Sprintf(":no_entry_sign: %s cancelled the request.", actor)}, true
	}
	return grantReply(ev, actor)
}

func grantReply(ev eventState, actor string) (threadReply, bool) {
	d := ev.Event.Details
	switch ev.Event.Action {
	case "grant.started":
		line := fmt.Sprintf(":unlock: *%s* access to *%s* is active until %s.",
			mdName(string(eventAccess(ev))), mdName(ev.Request.Resource), slackTime(startedUntil(ev)))
		return threadReply{line: line}, true
	case "grant.extended":
		line := fmt.Sprintf(":arrow_forward: %s extended the access until %s.", actor, slackTime(extendedUntil(ev)))
		return threadReply{line: line, label: "Reason", words: detailString(d, "reason")}, true
	case "grant.released":
		return threadReply{line: fmt.Sprintf(":lock: %s released the access.", actor)}, true
	case "grant.revoked":
		words := detailString(d, "reason")
		if words == "" && ev.Grant != nil {
			words = ev.Grant.EndReason
		}
		return threadReply{line: fmt.Sprintf(":no_entry: %s revoked the access.", actor), label: "Reason", words: words}, true
	case "grant.expired":
		return threadReply{line: ":lock: Access expired " + slackTime(ev.Event.At) + "."}, true
	case "grant.acknowledged":
		return threadReply{line: fmt.Sprintf(":eyes: %s acknowledged the break-glass access.", actor)}, true
	}
	return threadReply{}, false
}

func eventAccess(ev eventState) grants.Access {
	if ev.Grant != nil {
		return ev.Grant.Access
	}
	if a := detailString(ev.Event.Details, "access"); a != "" {
		return grants.Access(a)
	}
	return ev.Request.Access
}

// startedUntil is the end a grant had when it started.
func startedUntil(ev eventState) time.Time {
	if ev.Grant != nil {
		return ev.Grant.ExpiresAt
	}
	if t, ok := detailTime(ev.Event.Details, "expires_at"); ok {
		return t
	}
	return ev.Event.At.Add(ev.Request.Duration)
}

// extendedUntil prefers the end this extension set over the grant's end
// now, which a later extension may have moved again.
func extendedUntil(ev eventState) time.Time {
	if t, ok := detailTime(ev.Event.Details, "to"); ok {
		return t
	}
	if ev.Grant != nil {
		return ev.Grant.ExpiresAt
	}
	return ev.Event.At
}

// detailString reads a string from audit details. They come back from
// JSON, where strings are strings; a caller that built them in Go may have
// put a typed value (a grants.Decision), which prints as its string.
func detailString(d map[string]any, key string) string {
	switch v := d[key].(type) {
	case nil:
		return ""
	case string:
		return v
	default:
		return fmt.Sprint(v)
	}
}

// detailTime reads a time from audit details: JSON holds times as RFC 3339
// strings, details built in Go hold a time.Time.
func detailTime(d map[string]any, key string) (time.Time, bool) {
	if t, ok := d[key].(time.Time); ok {
		return t, true
	}
	t, err := time.Parse(time.RFC3339, detailString(d, key))
	return t, err == nil
}
