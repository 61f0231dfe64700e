package bot

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"github.com/slack-go/slack"

	"github.com/jitgate/jitgate/broker"
	"github.com/jitgate/jitgate/grants"
)

// The kinds of message the bot keeps per request, so any replica can find
// and update them.
const (
	msgRequest  = "request" // the message in the reviewers' channel; its thread holds the rest
	msgControls = "grant"   // the thread message with the grant's buttons
)

func msgStatement(id uuid.UUID) string { return "statement:" + id.String() }
func msgEvent(id int64) string         { return "event:" + strconv.FormatInt(id, 10) }
func msgDM(id int64) string            { return "dm:" + strconv.FormatInt(id, 10) }

// Notify tells one audit event in Slack. It implements broker.Notifier: the
// request's message is re-rendered from the database on every event, and
// each reply or DM is posted at most once (remembered in the database), so
// telling an event again after a failure repeats nothing that was done.
func (b *Bot) Notify(ctx context.Context, ev grants.AuditEvent) error {
	if ev.RequestID == uuid.Nil {
		return nil
	}
	req, err := b.store.GetRequest(ctx, ev.RequestID)
	if err != nil {
		return undeliverableIf(errors.Is(err, grants.ErrNotFound), err)
	}
	res, ok := b.resource(req.Resource)
	if !ok {
		return fmt.Errorf("%w: resource %s is no longer configured", broker.ErrUndeliverable, req.Resource)
	}
	st, err := b.requestState(ctx, req)
	if err != nil {
		return err
	}
	anchor, err := b.upsert(ctx, req.ID, msgRequest, res.Channel, "", renderRequest(st))
	if err != nil {
		return err
	}
	if strings.HasPrefix(ev.Action, "statement.") {
		return b.tellStatement(ctx, ev, anchor)
	}
	if err := b.tellEvent(ctx, ev, st, anchor); err != nil {
		return err
	}
	if st.Grant != nil {
		c := grantControls{Grant: *st.Grant, People: st.People, Now: b.cfg.Now()}
		if _, err := b.upsert(ctx, req.ID, msgControls, anchor.Channel, anchor.TS, renderGrantControls(c)); err != nil {
			return err
		}
	}
	return b.tellRequester(ctx, ev, st, res)
}

// requestState reads what the request's message shows.
func (b *Bot) requestState(ctx context.Context, req grants.Request) (requestState, error) {
	st := requestState{Request: req, Command: b.cfg.Command, Now: b.cfg.Now()}
	var err error
	if st.Reviews, err = b.store.Reviews(ctx, req.ID); err != nil {
		return st, err
	}
	if req.Status == grants.RequestApproved {
		g, err := b.store.GrantOfRequest(ctx, req.ID)
		if err != nil {
			return st, err
		}
		st.Grant = &g
	}
	if st.Requester, err = b.people.mention(ctx, req.Requester); err != nil {
		return st, err
	}
	if st.People, err = b.peopleOf(ctx, st); err != nil {
		return st, err
	}
	if res, ok := b.resource(req.Resource); ok && req.Status == grants.RequestPending {
		for _, r := range res.Reviewers {
			m, err := b.people.mentionReviewer(ctx, r)
			if err != nil {
				return st, err
			}
			st.Reviewers = append(st.Reviewers, m)
		}
	}
	return st, nil
}

// peopleOf finds the mentions of everyone the request's messages name.
func (b *Bot) peopleOf(ctx context.Context, st requestState) (people, error) {
	emails := []string{st.Request.DecidedBy}
	for _, r := range st.Reviews {
		emails = append(emails, r.Reviewer)
	}
	if st.Grant != nil {
		emails = append(emails, st.Grant.EndedBy)
	}
	p := people{}
	for _, e := range emails {
		if !strings.Contains(e, "@") {
			continue
		}
		m, err := b.people.mention(ctx, e)
		if err != nil {
			return nil, err
		}
		p[grants.NormalizeEmail(e)] = m
	}
	return p, nil
}

// tellEvent posts the event's reply in the thread, once.
func (b *Bot) tellEvent(ctx context.Context, ev grants.AuditEvent, st requestState, anchor grants.ChatMessage) error {
	es := eventState{Event: ev, Request: st.Request, Grant: st.Grant}
	for _, r := range st.Reviews {
		if r.Decision == grants.Approve && !r.CreatedAt.After(ev.At) {
			es.Approvals++
		}
	}
	var err error
	if es.Actor, err = b.people.mention(ctx, ev.Actor); err != nil {
		return err
	}
	m, ok := renderEvent(es)
	if !ok {
		return nil
	}
	return b.postOnce(ctx, st.Request.ID, msgEvent(ev.ID), anchor.Channel, anchor.TS, m)
}

// tellStatement posts or updates a held statement's message in the
// thread. A newly held one is also shown in the channel, so reviewers see
// it without opening the thread.
func (b *Bot) tellStatement(ctx context.Context, ev grants.AuditEvent, anchor grants.ChatMessage) error {
	id, err := uuid.Parse(fmt.Sprint(ev.Details["statement_review"]))
	if err != nil {
		return fmt.Errorf("%w: event %d names no statement review", broker.ErrUndeliverable, ev.ID)
	}
	r, err := b.store.GetStatement(ctx, id)
	if err != nil {
		return undeliverableIf(errors.Is(err, grants.ErrNotFound), err)
	}
	ss := statementState{Review: r}
	if ss.Requester, err = b.people.mention(ctx, r.Requester); err != nil {
		return err
	}
	if r.DecidedBy != "" {
		if ss.DecidedBy, err = b.people.mention(ctx, r.DecidedBy); err != nil {
			return err
		}
	}
	_, err = b.upsert(ctx, r.RequestID, msgStatement(id), anchor.Channel, anchor.TS, renderStatement(ss), slack.MsgOptionBroadcast())
	return err
}

// tellRequester sends the requester the outcome of their request, once:
// how to connect when it was approved, why not otherwise.
func (b *Bot) tellRequester(ctx context.Context, ev grants.AuditEvent, st requestState, res Resource) error {
	var conn *connectInfo
	switch ev.Action {
	case "grant.started":
		c := b.connectInfo(res, st.Request.Requester)
		conn = &c
	case "request.denied", "request.timed_out":
	default:
		return nil
	}
	user, err := b.people.userID(ctx, st.Request.Requester)
	if err != nil {
		return err
	}
	if user == "" {
		b.log.Info("no Slack user to tell the outcome to", "requester", st.Request.Requester)
		return nil
	}
	return b.postOnce(ctx, st.Request.ID, msgDM(ev.ID), user, "", renderOutcomeDM(st, conn))
}

func (b *Bot) connectInfo(res Resource, email string) connectInfo {
	c := connectInfo{Kind: res.Kind, Resource: res.Name, Email: email}
	c.Host, c.Port, _ = net.SplitHostPort(b.cfg.Gateways[res.Kind])
	return c
}

// dmText sends a short note to the person with email, best effort.
func (b *Bot) dmText(ctx context.Context, email, text string) {
	user, err := b.people.userID(ctx, email)
	if err != nil || user == "" {
		return
	}
	b.dmUser(ctx, user, text)
}

// dmUser sends a short note (escaped mrkdwn) to a Slack user, best effort.
func (b *Bot) dmUser(ctx context.Context, user, text string) {
	if _, _, err := b.cfg.API.PostMessageContext(ctx, user, slack.MsgOptionText(text, false)); err != nil {
		b.log.Warn("send a note", "user", user, "err", err)
	}
}

// upsert updates the request's message of kind, or posts it (in the thread
// under threadTS when set) when there is none yet, and returns where it is.
func (b *Bot) upsert(ctx context.Context, requestID uuid.UUID, kind, channel, threadTS string, m message, extra ...slack.MsgOption) (grants.ChatMessage, error) {
	at, err := b.store.ChatMessageOf(ctx, requestID, kind)
	switch {
	case err == nil:
		_, _, _, err = b.cfg.API.UpdateMessageContext(ctx, at.Channel, at.TS, content(m)...)
		if !isSlackError(err, "message_not_found") {
			return at, slackFailure(err)
		}
		// Deleted in Slack (by someone, or by retention): what it told
		// still matters, so it is posted again and remembered anew.
		b.log.Info("a message about a request was deleted in Slack; posting it again", "request", requestID, "kind", kind)
	case !errors.Is(err, grants.ErrNotFound):
		return at, err
	}
	return b.post(ctx, requestID, kind, channel, threadTS, m, extra...)
}

// postOnce posts a message that is never updated, unless it was posted
// before.
func (b *Bot) postOnce(ctx context.Context, requestID uuid.UUID, kind, channel, threadTS string, m message) error {
	_, err := b.store.ChatMessageOf(ctx, requestID, kind)
	if !errors.Is(err, grants.ErrNotFound) {
		return err
	}
	_, err = b.post(ctx, requestID, kind, channel, threadTS, m)
	return err
}

func (b *Bot) post(ctx context.Context, requestID uuid.UUID, kind, channel, threadTS string, m message, extra ...slack.MsgOption) (grants.ChatMessage, error) {
	opts := append(content(m), extra...)
	if threadTS != "" {
		opts = append(opts, slack.MsgOptionTS(threadTS))
	}
	ch, ts, err := b.cfg.API.PostMessageContext(ctx, channel, opts...)
	if err != nil {
		return grants.ChatMessage{}, slackFailure(err)
	}
	at := grants.ChatMessage{Channel: ch, TS: ts}
	return at, b.store.SaveChatMessage(ctx, requestID, kind, at)
}

func content(m message) []slack.MsgOption {
	return []slack.MsgOption{slack.MsgOptionText(m.Text, false), slack.MsgOptionBlocks(m.Blocks...)}
}

// permanentSlackErrors are answers no retry changes: the feed skips the
// event rather than hold up every one after it.
var permanentSlackErrors = map[string]bool{
	"channel_not_found": true, "not_in_channel": true, "is_archived": true,
	"invalid_blocks": true, "invalid_blocks_format": true, "msg_too_long": true,
	"no_text": true, "cant_update_message": true, "message_not_found": true,
	"edit_window_closed": true, "restricted_action": true, "user_not_found": true,
}

// slackFailure marks Slack's permanent answers undeliverable; everything
// else (rate limits, 5xx, timeouts, a revoked token an operator will
// replace) is retried by the feed.
func slackFailure(err error) error {
	var se slack.SlackErrorResponse
	if err != nil && errors.As(err, &se) && permanentSlackErrors[se.Err] {
		return fmt.Errorf("%w: %w", broker.ErrUndeliverable, err)
	}
	return err
}

func undeliverableIf(cond bool, err error) error {
	if cond {
		return fmt.Errorf("%w: %w", broker.ErrUndeliverable, err)
	}
	return err
}
