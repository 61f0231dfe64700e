package bot

import (
	"context"
	"sync/atomic"
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
// (workDeadline), its answer unseen: answerInTime tells it so, and it must
// tell the person otherwise.
type inbound interface {
	command(ctx context.Context, cmd slack.SlashCommand) any
	interaction(ctx context.Context, cb slack.InteractionCallback) any
}

// ackRace settles, once, whether a handler's answer goes out as its ack or
// the ack went out empty first: the handler claims the one, the transport's
// deadline the other, and the first claim wins.
type ackRace struct{ state atomic.Int32 }

const (
	ackPending int32 = iota
	ackAnswered
	ackGone
)

type ackRaceKey struct{}

func withAckRace(ctx context.Context) (context.Context, *ackRace) {
	r := &ackRace{}
	return context.WithValue(ctx, ackRaceKey{}, r), r
}

// answer claims the ack for the handler's answer; false means the ack has
// already gone out empty.
func (r *ackRace) answer() bool {
	return r.state.CompareAndSwap(ackPending, ackAnswered) || r.state.Load() == ackAnswered
}

// giveUp claims the ack for an empty answer at the deadline; false means
// the handler's answer is on its way and must be waited for.
func (r *ackRace) giveUp() bool { return r.state.CompareAndSwap(ackPending, ackGone) }

// answerInTime reports whether what the handler is about to return will be
// its delivery's ack. Call it only right before returning: once it says
// true, the transport waits for the answer. Outside a transport it is true.
func answerInTime(ctx context.Context) bool {
	r, ok := ctx.Value(ackRaceKey{}).(*ackRace)
	return !ok || r.answer()
}
