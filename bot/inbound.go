package bot

import (
	"context"
	"time"

	"github.com/slack-go/slack"
)

// ackDeadline is how long a handler may take before its delivery must be
// acknowledged: Slack gives three seconds and shows the user an error after
// that, so the bot answers well within it and does slow work afterwards.
const ackDeadline = 2500 * time.Millisecond

// workDeadline bounds what a delivery's handler does, even after a late ack.
const workDeadline = 30 * time.Second

// inbound is what both transports (Socket Mode and signed HTTP) hand
// deliveries to, already verified and parsed. Each method should return
// within ackDeadline: what it returns is the acknowledgement's payload,
// marshalled as JSON: nil for an empty ack, an answer for a slash command,
// a *slack.ViewSubmissionResponse for modal validation errors. One that
// takes longer is acknowledged empty and may go on until ctx ends
// (workDeadline), its answer unseen: it must tell the person otherwise.
type inbound interface {
	command(ctx context.Context, cmd slack.SlashCommand) any
	interaction(ctx context.Context, cb slack.InteractionCallback) any
}
