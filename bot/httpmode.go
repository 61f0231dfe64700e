package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/slack-go/slack"
)

// maxSlackBody caps what a request to the Slack endpoints may send. Slack's
// own payloads are far smaller (a view submission with its blocks is tens
// of kilobytes); the cap is what an unauthenticated sender can make us hold
// in memory before the signature is checked.
const maxSlackBody = 1 << 20

// httpMode serves Slack's deliveries in HTTP mode.
type httpMode struct {
	in     inbound
	secret string
	now    func() time.Time
	log    *slog.Logger
	// deadline is how long the inbound gets; ackDeadline except in tests.
	deadline time.Duration
}

// newHTTPHandler serves POST /slack/commands, /slack/interactions and
// /slack/events under those full paths, so the caller can mount it on its
// main mux as is. Every request's signature is checked on the raw body
// before anything in it is read.
func newHTTPHandler(in inbound, signingSecret string, now func() time.Time, log *slog.Logger) http.Handler {
	if now == nil {
		now = time.Now
	}
	h := &httpMode{in: in, secret: signingSecret, now: now, log: log, deadline: ackDeadline}
	return h.routes()
}

func (h *httpMode) routes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("POST /slack/commands", h.signed(h.command))
	mux.Handle("POST /slack/interactions", h.signed(h.interaction))
	mux.Handle("POST /slack/events", h.signed(h.event))
	return mux
}

// signed reads the body under maxSlackBody and hands it to next only once
// its signature is verified.
func (h *httpMode) signed(next func(http.ResponseWriter, *http.Request, []byte)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxSlackBody))
		if err != nil {
			h.refuseBody(w, r, err)
			return
		}
		if err := verifyRequest(r.Header, body, h.secret, h.now()); err != nil {
			h.log.Warn("slack request refused", "path", r.URL.Path, "remote", r.RemoteAddr, "reason", err)
			http.Error(w, "invalid request signature", http.StatusUnauthorized)
			return
		}
		if n := r.Header.Get("X-Slack-Retry-Num"); n != "" {
			// Passed on like any delivery: the core de-duplicates by trigger_id.
			h.log.Debug("slack retried a delivery", "path", r.URL.Path, "retry", n, "reason", r.Header.Get("X-Slack-Retry-Reason"))
		}
		next(w, r, body)
	})
}

func (h *httpMode) refuseBody(w http.ResponseWriter, r *http.Request, err error) {
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		h.log.Warn("slack request refused: body too large", "path", r.URL.Path, "remote", r.RemoteAddr)
		http.Error(w, "request too large", http.StatusRequestEntityTooLarge)
		return
	}
	h.log.Debug("slack request: read body", "path", r.URL.Path, "err", err)
	http.Error(w, "bad request", http.StatusBadRequest)
}

func (h *httpMode) command(w http.ResponseWriter, r *http.Request, body []byte) {
	cmd, err := slack.SlashCommandParse(formRequest(r.Context(), body))
	if err == nil && cmd.Command == "" {
		err = errors.New("no command")
	}
	if err != nil {
		h.malformed(w, r, err)
		return
	}
	h.answer(w, r, "slash command", func(ctx context.Context) any { return h.in.command(ctx, cmd) })
}

func (h *httpMode) interaction(w http.ResponseWriter, r *http.Request, body []byte) {
	cb, err := slack.InteractionCallbackParse(formRequest(r.Context(), body))
	if err == nil && cb.Type == "" {
		err = errors.New("no interaction type")
	}
	if err != nil {
		h.malformed(w, r, err)
		return
	}
	h.answer(w, r, "interaction", func(ctx context.Context) any { return h.in.interaction(ctx, cb) })
}

// event answers the Events API: the URL check Slack makes when the request
// URL is configured, and an empty 200 for events, which the bot does not
// use yet (anything but 200 makes Slack retry and, in time, turn events off).
func (h *httpMode) event(w http.ResponseWriter, r *http.Request, body []byte) {
	var ev struct {
		Type      string `json:"type"`
		Challenge string `json:"challenge"`
	}
	if err := json.Unmarshal(body, &ev); err != nil || ev.Type == "" {
		h.malformed(w, r, errors.New("not an events api payload"))
		return
	}
	if ev.Type != "url_verification" {
		h.log.Debug("slack event ignored", "type", ev.Type)
		w.WriteHeader(http.StatusOK)
		return
	}
	if ev.Challenge == "" {
		h.malformed(w, r, errors.New("url_verification without a challenge"))
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = io.WriteString(w, ev.Challenge)
}

// formRequest rebuilds a request holding only the verified body, for
// slack-go's parsers: the original's URL query is not signed and must not
// be able to add fields.
func formRequest(ctx context.Context, body []byte) *http.Request {
	r, _ := http.NewRequestWithContext(ctx, http.MethodPost, "/", bytes.NewReader(body)) // constant method and URL: no error
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return r
}

func (h *httpMode) malformed(w http.ResponseWriter, r *http.Request, err error) {
	h.log.Warn("slack request malformed", "path", r.URL.Path, "err", err)
	http.Error(w, "malformed request", http.StatusBadRequest)
}

// answer runs the inbound and writes what it returned as the ack: JSON, or
// an empty 200 for nil.
func (h *httpMode) answer(w http.ResponseWriter, r *http.Request, kind string, call func(context.Context) any) {
	// The request's context ends with the response; the work may not.
	payload, ok := ackWithin(context.WithoutCancel(r.Context()), h.deadline, h.log, kind, call)
	body, err := ackBody(payload)
	if err != nil {
		h.log.Error("slack ack: encode payload", "kind", kind, "err", err)
		ok = false
	}
	if !ok {
		// Slack shows the user that the app failed, which is the truth.
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	if body == nil {
		w.WriteHeader(http.StatusOK)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(body)
}

// ackWithin runs one inbound call and returns what it answered within
// deadline. Whatever the handler does, Slack must get its ack in time and
// the transport must keep serving: a call still running at the deadline is
// logged and answers nil. Its work is not cut short, though: it goes on
// under a context of its own, ending after workDeadline (or with ctx), so a
// decision that was slow to make is still made, and the handler, told by
// answerInTime that its answer missed the ack, tells the person otherwise.
// A call that panics is logged and answers ok=false.
func ackWithin(ctx context.Context, deadline time.Duration, log *slog.Logger, kind string, call func(context.Context) any) (payload any, ok bool) {
	work, race := withAckRace(ctx)
	work, cancel := context.WithTimeout(work, workDeadline)
	type answer struct {
		payload any
		ok      bool
	}
	done := make(chan answer, 1)
	go func() {
		defer cancel()
		defer func() {
			if p := recover(); p != nil {
				log.Error("slack handler panicked", "kind", kind, "panic", p, "stack", string(debug.Stack()))
				done <- answer{}
			}
		}()
		p := call(work)
		race.answer() // for handlers that never asked
		done <- answer{payload: p, ok: true}
	}()
	t := time.NewTimer(deadline)
	defer t.Stop()
	select {
	case a := <-done:
		return a.payload, a.ok
	case <-t.C:
	case <-ctx.Done():
	}
	if !race.giveUp() {
		a := <-done // claimed just in time: it is being returned
		return a.payload, a.ok
	}
	log.Warn("slack handler overran its ack deadline; acknowledged empty while it finishes", "kind", kind)
	return nil, true
}

// ackBody is the JSON of an ack payload, nil for none (a nil interface or
// a typed nil pointer alike).
func ackBody(payload any) ([]byte, error) {
	if payload == nil {
		return nil, nil
	}
	b, err := json.Marshal(payload)
	if err != nil {
		return nil, fmt.Errorf("encode ack payload: %w", err)
	}
	if string(b) == "null" {
		return nil, nil
	}
	return b, nil
}
