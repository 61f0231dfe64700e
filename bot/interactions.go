package bot

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/slack-go/slack"

	"github.com/jitgate/jitgate/grants"
)

// interaction answers button clicks and modal submissions.
func (b *Bot) interaction(ctx context.Context, cb slack.InteractionCallback) any {
	switch cb.Type {
	case slack.InteractionTypeBlockActions:
		for _, a := range cb.ActionCallback.BlockActions {
			b.clicked(ctx, cb, a)
		}
	case slack.InteractionTypeViewSubmission:
		answer := b.submitted(ctx, cb)
		if r, ok := answer.(*slack.ViewSubmissionResponse); ok && !answerInTime(ctx) {
			// The modal closed with the late ack: say why nothing changed.
			for _, text := range r.Errors {
				b.later(func(ctx context.Context) { b.dmUser(ctx, cb.User.ID, "Your form was not applied: "+text) })
			}
		}
		return answer
	}
	return nil
}

// clicked acts on one button. Buttons that open a modal do so at once (the
// trigger lasts three seconds); the others do their work after the ack and
// tell the clicker privately when nothing changed. Who may act is decided
// by the Store, from the database and the policy; the button's value only
// says what it is about.
func (b *Bot) clicked(ctx context.Context, cb slack.InteractionCallback, a *slack.BlockAction) {
	id, err := uuid.Parse(a.Value)
	if err != nil {
		b.log.Warn("a button with a malformed value", "action", a.ActionID, "user", cb.User.ID)
		return
	}
	first, err := b.claim(ctx, deliveryKey("click", cb.TriggerID, a.ActionID))
	if err != nil {
		b.log.Error("claim a click", "err", err)
		b.later(func(ctx context.Context) { b.tellClicker(ctx, cb, refusal(err)) })
		return
	}
	if !first {
		return
	}
	switch a.ActionID {
	case actionApprove:
		b.later(func(ctx context.Context) {
			b.act(ctx, cb, func(who grants.Identity) error { return b.review(ctx, id, who, grants.Approve, "") })
		})
	case actionDeny:
		b.openModal(ctx, cb, denyModal(id))
	case actionExtend, actionRevoke:
		g, err := b.store.GetGrant(ctx, id)
		if err != nil {
			b.later(func(ctx context.Context) { b.tellClicker(ctx, cb, refusal(err)) })
			return
		}
		if a.ActionID == actionExtend {
			b.openModal(ctx, cb, extendModal(g, b.cfg.Now(), b.cfg.Command))
		} else {
			b.openModal(ctx, cb, revokeModal(g))
		}
	case actionRelease:
		b.later(func(ctx context.Context) {
			b.act(ctx, cb, func(who grants.Identity) error { _, err := b.store.Release(ctx, id, who, b.cfg.Now()); return err })
		})
	case actionStatementApprove, actionStatementDeny:
		d := map[string]grants.Decision{actionStatementApprove: grants.Approve, actionStatementDeny: grants.Deny}[a.ActionID]
		b.later(func(ctx context.Context) {
			b.act(ctx, cb, func(who grants.Identity) error {
				_, err := b.store.DecideStatement(ctx, id, who, d, b.cfg.Now())
				return err
			})
		})
	default:
		b.log.Warn("a click on an unknown button", "action", a.ActionID, "user", cb.User.ID)
	}
}

// act identifies the clicker and runs fn as them; a refusal is told to the
// clicker alone.
func (b *Bot) act(ctx context.Context, cb slack.InteractionCallback, fn func(grants.Identity) error) {
	who, err := b.people.identity(ctx, cb.User.ID)
	if err == nil {
		err = fn(who)
	}
	if err != nil {
		b.log.Info("click refused", "user", cb.User.ID, "err", err)
		b.tellClicker(ctx, cb, refusal(err))
	}
}

// review records a reviewer's decision; clicking Approve twice is not an
// error, but the reviewer hears that it counted once.
func (b *Bot) review(ctx context.Context, requestID uuid.UUID, who grants.Identity, d grants.Decision, reason string) error {
	out, err := b.store.Review(ctx, requestID, who, d, reason, b.cfg.Now())
	if err == nil && out.Duplicate {
		return errAlreadyReviewed
	}
	return err
}

var errAlreadyReviewed = errors.New("already reviewed")

func (b *Bot) openModal(ctx context.Context, cb slack.InteractionCallback, v slack.ModalViewRequest) {
	if _, err := b.cfg.API.OpenViewContext(ctx, cb.TriggerID, v); err != nil {
		b.log.Warn("open a modal", "callback", v.CallbackID, "user", cb.User.ID, "err", err)
		b.later(func(ctx context.Context) { b.tellClicker(ctx, cb, refusal(err)) })
	}
}

// tellClicker shows text to the clicker alone, where they clicked.
func (b *Bot) tellClicker(ctx context.Context, cb slack.InteractionCallback, text string) {
	channel := cb.Container.ChannelID
	if channel == "" {
		channel = cb.Channel.ID
	}
	if channel == "" {
		return
	}
	opts := []slack.MsgOption{slack.MsgOptionText(text, false)}
	if ts := cb.Container.ThreadTs; ts != "" {
		opts = append(opts, slack.MsgOptionTS(ts))
	}
	if _, err := b.cfg.API.PostEphemeralContext(ctx, channel, cb.User.ID, opts...); err != nil {
		b.log.Warn("tell a clicker why nothing changed", "user", cb.User.ID, "err", err)
	}
}

// submitted answers a modal's Submit: nil closes it, errors keep it open
// with the message under the field to fix.
func (b *Bot) submitted(ctx context.Context, cb slack.InteractionCallback) any {
	who, err := b.people.identity(ctx, cb.User.ID)
	if err != nil {
		return fieldErrors(err)
	}
	first, err := b.claim(ctx, deliveryKey("submit", cb.TriggerID))
	if err != nil {
		return fieldErrors(err)
	}
	if !first {
		return nil
	}
	values := cb.View.State
	if values == nil {
		values = &slack.ViewState{}
	}
	id, _ := uuid.Parse(cb.View.PrivateMetadata)
	switch cb.View.CallbackID {
	case viewRequest:
		return b.submitRequest(ctx, who, values)
	case viewDeny:
		return fieldErrors(b.review(ctx, id, who, grants.Deny, inputValue(values, inputReason)))
	case viewRevoke:
		_, err := b.store.Revoke(ctx, id, who, inputValue(values, inputReason), b.cfg.Now())
		return fieldErrors(err)
	case viewExtend:
		return fieldErrors(b.extend(ctx, id, who, inputValue(values, inputDuration), inputValue(values, inputReason)))
	}
	return nil
}

func (b *Bot) submitRequest(ctx context.Context, who grants.Identity, values *slack.ViewState) any {
	nr := grants.NewRequest{
		Requester: who.Email,
		Resource:  inputValue(values, inputResource),
		Access:    grants.Access(inputValue(values, inputAccess)),
		Reason:    inputValue(values, inputReason),
	}
	if nr.Access == "" {
		nr.Access = grants.AccessRead
	}
	d, err := time.ParseDuration(inputValue(values, inputDuration))
	if err != nil {
		return fieldErrors(&grants.InputError{Field: "duration", Msg: "choose how long you need access"})
	}
	nr.Duration = d
	req, err := b.store.CreateRequest(ctx, nr, b.cfg.Now())
	if err != nil {
		return fieldErrors(err)
	}
	b.later(func(ctx context.Context) { b.dmText(ctx, req.Requester, b.filedText(req)) })
	return nil
}

func (b *Bot) extend(ctx context.Context, grantID uuid.UUID, who grants.Identity, duration, reason string) error {
	d, err := time.ParseDuration(duration)
	if err != nil || d <= 0 {
		return &grants.InputError{Field: "duration", Msg: "choose how much longer you need access"}
	}
	g, err := b.store.GetGrant(ctx, grantID)
	if err != nil {
		return err
	}
	_, err = b.store.Extend(ctx, grantID, who, g.ExpiresAt.Add(d), reason, b.cfg.Now())
	return err
}

// inputFor maps the field an input error names to the modal's input;
// every other refusal goes under the reason, which every modal has.
func inputFor(err error) string {
	var ie *grants.InputError
	if errors.As(err, &ie) {
		switch ie.Field {
		case "resource":
			return inputResource
		case "access":
			return inputAccess
		case "duration", "expires_at":
			return inputDuration
		}
	}
	return inputReason
}

// fieldErrors keeps the modal open with err's refusal under the input it
// is about, or closes it when err is nil.
func fieldErrors(err error) any {
	if err == nil {
		return nil
	}
	return slack.NewErrorsViewSubmissionResponse(map[string]string{inputFor(err): refusal(err)})
}

// inputValue is what was entered in a modal input: the text, or the value
// of the chosen option.
func inputValue(s *slack.ViewState, block string) string {
	a, ok := s.Values[block][block]
	if !ok {
		return ""
	}
	if a.SelectedOption.Value != "" {
		return a.SelectedOption.Value
	}
	return a.Value
}
