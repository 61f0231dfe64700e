package bot

import (
	"time"

	"github.com/slack-go/slack"

	"github.com/jitgate/jitgate/grants"
)

// The action IDs of the bot's buttons. A button's value carries the ID of
// the request, grant or held statement it acts on; who may act is decided
// from the database and the policy when the click arrives, never from the
// value or from who could see the button.
const (
	actionApprove          = "request_approve"   // value: request ID
	actionDeny             = "request_deny"      // value: request ID; opens the deny modal
	actionExtend           = "grant_extend"      // value: grant ID; opens the extend modal
	actionRelease          = "grant_release"     // value: grant ID
	actionRevoke           = "grant_revoke"      // value: grant ID; opens the revoke modal
	actionStatementApprove = "statement_approve" // value: statement review ID
	actionStatementDeny    = "statement_deny"    // value: statement review ID
)

// The callback IDs of the bot's modals. private_metadata carries the ID of
// the request or grant the modal is about (empty for the request modal).
const (
	viewRequest = "access_request"
	viewDeny    = "request_deny_reason"
	viewExtend  = "grant_extend_duration"
	viewRevoke  = "grant_revoke_reason"
)

// The block IDs of modal inputs; each input's action ID equals its block ID.
const (
	inputResource = "resource" // static_select of the resources
	inputAccess   = "access"   // radio_buttons: read or write
	inputDuration = "duration" // static_select of durations, values like "2h0m0s" (time.Duration.String)
	inputReason   = "reason"   // plain_text_input, multiline
)

// message is a rendered Slack message: the notification text shown where
// blocks are not (already escaped), and the blocks.
type message struct {
	Text   string
	Blocks []slack.Block
}

// requestState is everything a request's channel message shows, read from
// the database at the moment of rendering.
type requestState struct {
	Request grants.Request
	Reviews []grants.Review
	// Grant is set once the request was approved.
	Grant *grants.Grant
	// Requester is how to show the requester in mrkdwn: "<@U123>" when the
	// Slack user is known, else the escaped email.
	Requester string
	// Reviewers are the reviewers to mention, in mrkdwn: "<@U123>",
	// "<!subteam^S123>" or an escaped email or group name.
	Reviewers []string
	// People shows the emails the message names (who reviewed, decided,
	// ended the grant) as mentions; an email missing from it is shown
	// escaped.
	People people
	// Command is the slash command to ask again with; empty means /access.
	Command string
	Now     time.Time
}

// people maps normalized emails to how to show them in mrkdwn.
type people map[string]string

// name shows one person: their mention when known, else the escaped name.
func (p people) name(email string) string {
	if m, ok := p[grants.NormalizeEmail(email)]; ok {
		return m
	}
	return mdName(email)
}

// names shows a list of people, cut to maxMentions.
func (p people) names(emails []string) string {
	shown := make([]string, len(emails))
	for i, e := range emails {
		shown[i] = p.name(e)
	}
	return mdMentions(shown, maxMentions)
}

// eventState is one audit event to tell as a reply in the request's thread.
type eventState struct {
	Event   grants.AuditEvent
	Request grants.Request
	Grant   *grants.Grant
	// Statement is set for statement.* events.
	Statement *grants.StatementReview
	// Actor is how to show the event's actor in mrkdwn ("<@U123>", an
	// escaped email, or "jitgate" for the system).
	Actor string
	// Approvals counts the approvals so far, for request.reviewed.
	Approvals int
}

// grantControls is the thread message that carries a grant's buttons while
// it is active.
type grantControls struct {
	Grant  grants.Grant
	People people
	Now    time.Time
}

// statementState is a held statement's thread message.
type statementState struct {
	Review    grants.StatementReview
	Requester string // mrkdwn
	// DecidedBy is how to show the reviewer who decided, in mrkdwn.
	DecidedBy string
}

// connectInfo tells a requester how to reach a resource through the gateway.
type connectInfo struct {
	Kind     string // "postgres" or "ssh"
	Resource string
	Email    string
	// Host and Port are where the gateway listens for this kind.
	Host string
	Port string
}

// resourceChoice is one resource offered in the request modal.
type resourceChoice struct {
	Name        string
	Kind        string
	MaxDuration time.Duration
}
