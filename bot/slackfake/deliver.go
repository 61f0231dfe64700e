package slackfake

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// ErrNotAcknowledged is returned when the bot does not answer a delivery
// within Config.AckTimeout (3 s, like Slack).
var ErrNotAcknowledged = errors.New("not acknowledged")

// The transports a delivery can take.
const (
	TransportHTTP   = "http"
	TransportSocket = "socket"
)

// deliveryTarget is where deliveries go; guarded by Server.mu.
type deliveryTarget struct {
	http    bool
	baseURL string
	secret  string
}

// HTTPTarget sends later deliveries as signed HTTP requests to
// baseURL+"/slack/commands" and baseURL+"/slack/interactions".
func (s *Server) HTTPTarget(baseURL, signingSecret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.target = deliveryTarget{http: true, baseURL: strings.TrimSuffix(baseURL, "/"), secret: signingSecret}
}

// SocketMode sends later deliveries as Socket Mode envelopes; it is the
// default.
func (s *Server) SocketMode() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.target = deliveryTarget{}
}

// Delivery is one slash command, button click or view submission as it was
// delivered to the bot, with the bot's answer.
type Delivery struct {
	Transport   string          // TransportHTTP or TransportSocket
	Type        string          // "slash_commands" or "interactive"
	Payload     json.RawMessage // what was delivered, as JSON (a slash command's fields too)
	TriggerID   string
	ResponseURL string
	EnvelopeID  string      // Socket Mode
	Header      http.Header // HTTP: the request's headers, signature included
	StatusCode  int         // HTTP: the bot's status
	// Body is the bot's answer: the HTTP response body, or the Socket Mode
	// ack's payload (nil when the ack carried none).
	Body    []byte
	Elapsed time.Duration

	user, channel, messageTS, viewID string // what the answer applies to
	httpBody                         []byte
	path                             string
}

// ViewErrors returns the errors of a response_action "errors" answer.
func (d *Delivery) ViewErrors() map[string]string {
	var resp struct {
		ResponseAction string            `json:"response_action"`
		Errors         map[string]string `json:"errors"`
	}
	if json.Unmarshal(d.Body, &resp) != nil || resp.ResponseAction != "errors" {
		return nil
	}
	return resp.Errors
}

// DeliveryOption forges an HTTP delivery, so tests can check the bot refuses it.
type DeliveryOption func(*forgery)

type forgery struct {
	badSignature, noSignature bool
	timestamp                 time.Time
	age                       time.Duration
}

// WithBadSignature signs the request with the wrong secret.
func WithBadSignature() DeliveryOption { return func(f *forgery) { f.badSignature = true } }

// WithoutSignature leaves out X-Slack-Signature.
func WithoutSignature() DeliveryOption { return func(f *forgery) { f.noSignature = true } }

// WithTimestamp signs the request (correctly) with this timestamp.
func WithTimestamp(t time.Time) DeliveryOption { return func(f *forgery) { f.timestamp = t } }

// WithStaleTimestamp signs the request correctly but 6 minutes in the past
// (by Config.Now), beyond the 5 minutes a receiver accepts.
func WithStaleTimestamp() DeliveryOption { return func(f *forgery) { f.age = 6 * time.Minute } }

// deliver sends one payload to the bot over the current transport.
func (s *Server) deliver(ctx context.Context, d *Delivery, form url.Values, opts []DeliveryOption) error {
	s.mu.Lock()
	target := s.target
	s.mu.Unlock()
	var f forgery
	for _, o := range opts {
		o(&f)
	}
	start := time.Now()
	defer func() { d.Elapsed = time.Since(start) }()
	if !target.http {
		if len(opts) > 0 {
			return errors.New("slackfake: signature forgeries need HTTP mode")
		}
		return s.deliverSocket(ctx, d, 0)
	}
	d.Transport = TransportHTTP
	d.path = "/slack/commands"
	if d.Type == "interactive" {
		d.path = "/slack/interactions"
	}
	d.httpBody = []byte(form.Encode())
	d.Header = signedHeader(target.secret, d.httpBody, s.cfg.Now(), f)
	return s.deliverHTTP(ctx, target, d)
}

func (s *Server) deliverSocket(ctx context.Context, d *Delivery, retry int) error {
	d.Transport = TransportSocket
	d.EnvelopeID = newEnvelopeID()
	env := envelope{EnvelopeID: d.EnvelopeID, Type: d.Type, Payload: d.Payload, AcceptsResponsePayload: true}
	if retry > 0 {
		env.RetryAttempt, env.RetryReason = retry, "timeout"
	}
	payload, err := s.sendEnvelope(ctx, env)
	if err != nil {
		return err
	}
	if len(payload) > 0 && string(payload) != "null" {
		d.Body = payload
	}
	s.applyAnswer(d)
	return nil
}

func newEnvelopeID() string {
	h := randomHex(16)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// signedHeader signs body the way Slack does: v0= hex HMAC-SHA256 of
// "v0:{timestamp}:{body}" under the signing secret.
func signedHeader(secret string, body []byte, now time.Time, f forgery) http.Header {
	if !f.timestamp.IsZero() {
		now = f.timestamp
	}
	now = now.Add(-f.age)
	ts := strconv.FormatInt(now.Unix(), 10)
	if f.badSignature {
		secret = "not-" + secret
	}
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "v0:%s:%s", ts, body)
	h := http.Header{}
	h.Set("Content-Type", "application/x-www-form-urlencoded")
	h.Set("User-Agent", "Slackbot 1.0 (+https://api.slack.com/robots)")
	h.Set("X-Slack-Request-Timestamp", ts)
	if !f.noSignature {
		h.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac.Sum(nil)))
	}
	return h
}

func (s *Server) deliverHTTP(ctx context.Context, target deliveryTarget, d *Delivery) error {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.AckTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target.baseURL+d.path, bytes.NewReader(d.httpBody))
	if err != nil {
		return fmt.Errorf("slackfake: deliver: %w", err)
	}
	req.Header = d.Header.Clone()
	resp, err := s.client.Do(req)
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return fmt.Errorf("slackfake: deliver to %s: %w", d.path, ErrNotAcknowledged)
		}
		return fmt.Errorf("slackfake: deliver to %s: %w", d.path, err)
	}
	defer resp.Body.Close()
	d.StatusCode = resp.StatusCode
	d.Body, err = io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return fmt.Errorf("slackfake: read answer from %s: %w", d.path, err)
	}
	if resp.StatusCode == http.StatusOK {
		s.applyAnswer(d)
	}
	return nil
}

// Redeliver sends a delivery again as Slack's retry would: over HTTP the
// identical body and signature with X-Slack-Retry-Num: 1 and
// X-Slack-Retry-Reason: http_timeout; over Socket Mode the same payload in a
// new envelope with retry_attempt 1.
func (s *Server) Redeliver(ctx context.Context, d *Delivery) (*Delivery, error) {
	again := *d
	again.Body, again.StatusCode = nil, 0
	start := time.Now()
	defer func() { again.Elapsed = time.Since(start) }()
	if d.Transport == TransportSocket {
		return &again, s.deliverSocket(ctx, &again, 1)
	}
	s.mu.Lock()
	target := s.target
	s.mu.Unlock()
	again.Header = d.Header.Clone()
	again.Header.Set("X-Slack-Retry-Num", "1")
	again.Header.Set("X-Slack-Retry-Reason", "http_timeout")
	return &again, s.deliverHTTP(ctx, target, &again)
}
