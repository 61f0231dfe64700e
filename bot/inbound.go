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

// inbound is what both transports (Socket Mode and signed HTTP) hand
// deliveries to, already verified and parsed. Each method returns within
// ctx's deadline (ackDeadline); what it returns is the acknowledgement's
// payload, marshalled as JSON: nil for an empty ack, a *slack.Msg for a
// slash command's ephemeral answer, a *slack.ViewSubmissionResponse for
// modal validation errors.
type inbound interface {
	command(ctx context.Context, cmd slack.SlashCommand) any
	interaction(ctx context.Context, cb slack.InteractionCallback) any
}
