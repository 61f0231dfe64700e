package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

var errConnectTimeout = errors.New("open connection: timed out")

// socketMode receives Slack's deliveries over Socket Mode.
//
// slack-go's RunContext reconnects by itself after a dropped connection or
// a "disconnect" from Slack, but it retries a failing apps.connections.open
// with a backoff of up to five minutes, waits on a hanging one as long as
// the api's HTTP client lets it, and returns for good on an auth error. So
// each session runs one socketmode client until a connect fails or hangs or
// RunContext returns, and run decides when to try again.
type socketMode struct {
	api      *slack.Client
	in       inbound
	log      *slog.Logger
	deadline time.Duration // how long the inbound gets; ackDeadline except in tests
	// minRetry and maxRetry bound the wait between sessions: doubling from
	// minRetry after every failure, back to minRetry once connected.
	minRetry, maxRetry time.Duration
	connectTimeout     time.Duration // for apps.connections.open and the WebSocket handshake together
	handlers           sync.WaitGroup
}

// runSocketMode serves Socket Mode until ctx ends, then returns nil once
// the deliveries in flight are acknowledged or abandoned. api must carry
// the app-level token (slack.OptionAppLevelToken). It returns an error only
// when Slack refuses the token before any connection succeeded: that is a
// configuration error, not an outage to wait out.
func runSocketMode(ctx context.Context, api *slack.Client, in inbound, log *slog.Logger) error {
	sm := &socketMode{
		api: api, in: in, log: log, deadline: ackDeadline,
		minRetry: 100 * time.Millisecond, maxRetry: 30 * time.Second, connectTimeout: 30 * time.Second,
	}
	return sm.run(ctx)
}

func (sm *socketMode) run(ctx context.Context) error {
	defer sm.handlers.Wait()
	retry, everConnected := sm.minRetry, false
	for {
		connected, fatal, err := sm.session(ctx)
		if ctx.Err() != nil {
			return nil
		}
		everConnected = everConnected || connected
		if fatal && !everConnected {
			return fmt.Errorf("slack socket mode: %w", err)
		}
		if connected {
			retry = sm.minRetry
		}
		wait := max(retry, retryAfter(err))
		retry = min(2*retry, sm.maxRetry)
		if fatal {
			sm.log.Error("slack socket mode: slack refused the connection", "err", err, "retry_in", wait)
		} else {
			sm.log.Warn("slack socket mode: connect failed", "err", err, "retry_in", wait)
		}
		if !waitFor(ctx, wait) {
			return nil
		}
	}
}

// session runs one socketmode client until a connect fails or takes longer
// than connectTimeout (its error), RunContext returns (fatal, unless ctx
// ended), or ctx ends. connected tells whether a connection was made on the
// way.
func (sm *socketMode) session(ctx context.Context) (connected, fatal bool, err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	client := socketmode.New(sm.api)
	done := make(chan error, 1)
	go func() { done <- client.RunContext(ctx) }()
	// slack-go bounds neither apps.connections.open (the api's HTTP client
	// may have no timeout) nor its retries, so a connect gets this long.
	watchdog := time.NewTimer(sm.connectTimeout)
	defer watchdog.Stop()
	end := func(err error) (bool, bool, error) {
		cancel()
		<-done
		return connected, false, err
	}
	for {
		select {
		case err := <-done:
			return connected, ctx.Err() == nil, err
		case <-watchdog.C:
			return end(errConnectTimeout)
		case evt := <-client.Events:
			switch evt.Type {
			case socketmode.EventTypeConnecting:
				watchdog.Reset(sm.connectTimeout)
				sm.logConnecting(ctx, evt)
			case socketmode.EventTypeConnected:
				watchdog.Stop()
				connected = true
				// Not the event's Info: its URL carries the connection's ticket.
				sm.log.Info("slack socket mode connected")
			case socketmode.EventTypeConnectionError:
				return end(connectError(evt))
			default:
				sm.dispatch(ctx, client, evt)
			}
		}
	}
}

func (sm *socketMode) logConnecting(ctx context.Context, evt socketmode.Event) {
	if ctx.Err() != nil {
		return // shutting down: slack-go passes through its loop once more
	}
	if c, ok := evt.Data.(*slack.ConnectingEvent); ok && c.ConnectionCount > 0 {
		sm.log.Info("slack socket mode connection ended; reconnecting")
		return
	}
	sm.log.Debug("slack socket mode connecting")
}

func connectError(evt socketmode.Event) error {
	if e, ok := evt.Data.(*slack.ConnectionErrorEvent); ok && e.ErrorObj != nil {
		return fmt.Errorf("open connection: %w", e.ErrorObj)
	}
	return errors.New("open connection: unknown error")
}

// retryAfter is how long Slack asked us to wait, 0 when it did not.
func retryAfter(err error) time.Duration {
	if rl, ok := errors.AsType[*slack.RateLimitedError](err); ok {
		return rl.RetryAfter
	}
	return 0
}

func waitFor(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// dispatch handles one event of a live session: deliveries go to the
// inbound, each in its own goroutine so a slow one holds up no other;
// everything else is logged.
func (sm *socketMode) dispatch(ctx context.Context, client *socketmode.Client, evt socketmode.Event) {
	switch evt.Type {
	case socketmode.EventTypeSlashCommand:
		cmd, ok := evt.Data.(slack.SlashCommand)
		sm.deliver(ctx, client, evt.Request, "slash command", ok, func(ctx context.Context) any { return sm.in.command(ctx, cmd) })
	case socketmode.EventTypeInteractive:
		cb, ok := evt.Data.(slack.InteractionCallback)
		sm.deliver(ctx, client, evt.Request, "interaction", ok, func(ctx context.Context) any { return sm.in.interaction(ctx, cb) })
	case socketmode.EventTypeEventsAPI:
		// No events are used yet; an unacked one would only come back.
		if evt.Request != nil {
			sm.ack(ctx, client, evt.Request.EnvelopeID, nil, "event")
		}
	case socketmode.EventTypeErrorBadMessage:
		sm.ackUnreadable(ctx, client, evt)
	case socketmode.EventTypeIncomingError, socketmode.EventTypeErrorWriteFailed:
		err := eventError(evt)
		level := slog.LevelWarn
		if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
			level = slog.LevelDebug // the read of a connection being closed on purpose
		}
		sm.log.Log(ctx, level, "slack socket mode: connection error", "type", evt.Type, "err", err)
	default: // hello, invalid_auth (RunContext returns its error next)
		sm.log.Debug("slack socket mode event", "type", evt.Type)
	}
}

// deliver hands one envelope to the inbound and acks it with the answer.
// ok false (a payload of an unexpected type) and a panicking or late
// handler all get an empty ack: Slack must hear back either way.
func (sm *socketMode) deliver(ctx context.Context, client *socketmode.Client, req *socketmode.Request, kind string, ok bool, call func(context.Context) any) {
	if req == nil {
		sm.log.Warn("slack socket mode: delivery without an envelope", "kind", kind)
		return
	}
	if req.RetryAttempt > 0 {
		// Passed on like any delivery: the core de-duplicates by trigger_id.
		sm.log.Debug("slack retried a delivery", "kind", kind, "retry", req.RetryAttempt, "reason", req.RetryReason)
	}
	if !ok {
		sm.log.Error("slack socket mode: unexpected payload type", "kind", kind)
		sm.ack(ctx, client, req.EnvelopeID, nil, kind)
		return
	}
	sm.handlers.Go(func() {
		payload, ok := ackWithin(ctx, sm.deadline, sm.log, kind, call)
		if !ok {
			payload = nil
		}
		sm.ack(ctx, client, req.EnvelopeID, payload, kind)
	})
}

// ack acknowledges an envelope with payload, or empty when the payload
// cannot be sent (Slack drops Socket Mode answers of 20 KB or more).
func (sm *socketMode) ack(ctx context.Context, client *socketmode.Client, envelopeID string, payload any, kind string) {
	body, err := ackBody(payload)
	if err != nil {
		sm.log.Error("slack socket mode: ack", "kind", kind, "err", err)
	}
	var raw any
	if body != nil {
		raw = json.RawMessage(body)
	}
	err = client.AckCtx(ctx, envelopeID, raw)
	if err != nil && raw != nil {
		sm.log.Error("slack socket mode: ack payload refused; acknowledged empty", "kind", kind, "err", err)
		err = client.AckCtx(ctx, envelopeID, nil)
	}
	if err != nil {
		sm.log.Warn("slack socket mode: ack", "kind", kind, "err", err)
	}
}

// ackUnreadable acks an envelope slack-go could not parse (an event type it
// does not know, say), so that Slack does not deliver it again and again.
func (sm *socketMode) ackUnreadable(ctx context.Context, client *socketmode.Client, evt socketmode.Event) {
	bad, ok := evt.Data.(*socketmode.ErrorBadMessage)
	if !ok {
		return
	}
	sm.log.Warn("slack socket mode: unreadable envelope", "err", bad.Cause)
	var env struct {
		EnvelopeID string `json:"envelope_id"`
	}
	if json.Unmarshal(bad.Message, &env) == nil && env.EnvelopeID != "" {
		sm.ack(ctx, client, env.EnvelopeID, nil, "unreadable")
	}
}

func eventError(evt socketmode.Event) error {
	switch d := evt.Data.(type) {
	case *slack.IncomingEventError:
		return d.ErrorObj
	case *socketmode.ErrorWriteFailed:
		return d.Cause
	}
	return nil
}
