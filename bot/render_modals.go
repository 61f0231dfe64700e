package bot

import (
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/slack-go/slack"

	"github.com/jitgate/jitgate/grants"
)

const (
	// maxOptions is the most options Slack takes in one static select.
	maxOptions = 100
	// maxReasonText bounds what a reason field accepts: enough for a
	// paragraph, and short enough to show in one message.
	maxReasonText = 1000
)

// durationSteps are the durations offered, in the steps people think in.
var durationSteps = []time.Duration{
	15 * time.Minute, 30 * time.Minute,
	time.Hour, 2 * time.Hour, 4 * time.Hour, 8 * time.Hour, 12 * time.Hour,
	24 * time.Hour, 48 * time.Hour, 72 * time.Hour, 7 * 24 * time.Hour,
}

// durationChoices lists the steps up to max, and max itself when it falls
// between steps, so the longest allowed duration can always be chosen.
func durationChoices(max time.Duration) []time.Duration {
	if max <= 0 {
		return nil
	}
	var out []time.Duration
	for _, d := range durationSteps {
		if d <= max {
			out = append(out, d)
		}
	}
	if !slices.Contains(out, max) {
		out = append(out, max)
	}
	return out
}

// requestModal is the form behind /access without arguments. It offers
// durations up to the longest any resource allows: the server checks the
// chosen resource's own maximum on submit and answers with a field error,
// which Slack shows under the field, so the form needs no error state.
func requestModal(choices []resourceChoice) slack.ModalViewRequest {
	longest := time.Duration(0)
	for _, c := range choices {
		longest = max(longest, c.MaxDuration)
	}
	durations := durationChoices(longest)
	if len(choices) == 0 || len(durations) == 0 {
		return infoModal(viewRequest, "Request access", "There is nothing you can request: no resources are configured.")
	}
	return slack.ModalViewRequest{
		Type:       slack.VTModal,
		CallbackID: viewRequest,
		Title:      plainText("Request access"),
		Submit:     plainText("Request"),
		Close:      plainText("Cancel"),
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			resourceInput(choices),
			accessInput(),
			durationInput("Duration", durations, time.Hour),
			reasonInput("Reason", "What you will do, and the ticket or incident"),
		}},
	}
}

func resourceInput(choices []resourceChoice) slack.Block {
	options := make([]*slack.OptionBlockObject, 0, min(len(choices), maxOptions))
	for _, c := range choices[:min(len(choices), maxOptions)] {
		label := fmt.Sprintf("%s (%s, up to %s)", c.Name, c.Kind, formatDuration(c.MaxDuration))
		options = append(options, slack.NewOptionBlockObject(c.Name, plainText(clipText(label, maxOptionText)), nil))
	}
	sel := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plainText("Choose a resource"), inputResource, options...)
	return slack.NewInputBlock(inputResource, plainText("Resource"), nil, sel)
}

func accessInput() slack.Block {
	read := slack.NewOptionBlockObject(string(grants.AccessRead), plainText("read"), plainText("Look without changing anything"))
	write := slack.NewOptionBlockObject(string(grants.AccessWrite), plainText("write"), plainText("Change data; risky statements may still need a reviewer"))
	radio := slack.NewRadioButtonsBlockElement(inputAccess, read, write)
	radio.InitialOption = read
	return slack.NewInputBlock(inputAccess, plainText("Access"), nil, radio)
}

// durationInput offers durations, each valued as time.Duration.String so the
// handler parses it back with time.ParseDuration. initial is preselected
// when it is among them.
func durationInput(label string, durations []time.Duration, initial time.Duration) slack.Block {
	options := make([]*slack.OptionBlockObject, len(durations))
	sel := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plainText("Choose a duration"), inputDuration)
	for i, d := range durations {
		options[i] = slack.NewOptionBlockObject(d.String(), plainText(formatDuration(d)), nil)
		if d == initial {
			sel.InitialOption = options[i]
		}
	}
	sel.Options = options
	return slack.NewInputBlock(inputDuration, plainText(label), nil, sel)
}

// reasonInput is a required free-text field. What people type here is shown
// later only as plain_text.
func reasonInput(label, placeholder string) slack.Block {
	el := slack.NewPlainTextInputBlockElement(plainText(placeholder), inputReason).
		WithMultiline(true).
		WithMaxLength(maxReasonText)
	return slack.NewInputBlock(inputReason, plainText(label), nil, el)
}

// denyModal asks a reviewer why they deny a request.
func denyModal(requestID uuid.UUID) slack.ModalViewRequest {
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      viewDeny,
		PrivateMetadata: requestID.String(),
		Title:           plainText("Deny request"),
		Submit:          plainText("Deny"),
		Close:           plainText("Cancel"),
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			textBlock("The requester and the request's thread will see this reason."),
			reasonInput("Reason", "Why this request is denied"),
		}},
	}
}

// extendModal asks by how much to extend a grant, within the cap fixed
// when it started; the duration is added to the grant's current end.
// Extending needs a reason too, as every change to a grant does.
func extendModal(g grants.Grant, now time.Time, command string) slack.ModalViewRequest {
	what := fmt.Sprintf("*%s* access to *%s*", mdName(string(g.Access)), mdName(g.Resource))
	if !g.ActiveAt(now) {
		return infoModal(viewExtend, "Extend access", what+" has already ended: ask for it again with `"+escape(textOr(command, "/access"))+"`.")
	}
	durations := durationChoices(g.MaxExpiresAt.Sub(g.ExpiresAt))
	if len(durations) == 0 {
		return infoModal(viewExtend, "Extend access", fmt.Sprintf("%s already runs until its cap, %s: it cannot be extended.", what, slackTime(g.MaxExpiresAt)))
	}
	intro := fmt.Sprintf("%s ends %s (in %s). It can run until %s at most.",
		what, slackTime(g.ExpiresAt), formatDuration(g.ExpiresAt.Sub(now).Round(time.Minute)), slackTime(g.MaxExpiresAt))
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      viewExtend,
		PrivateMetadata: g.ID.String(),
		Title:           plainText("Extend access"),
		Submit:          plainText("Extend"),
		Close:           plainText("Cancel"),
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			textBlock(intro),
			durationInput("Extend by", durations, 0),
			reasonInput("Reason", "Why you need more time"),
		}},
	}
}

// revokeModal asks a reviewer why they end someone's access early.
func revokeModal(g grants.Grant) slack.ModalViewRequest {
	intro := fmt.Sprintf("This ends %s's *%s* access to *%s* now and closes their open sessions.",
		mdName(g.Requester), mdName(string(g.Access)), mdName(g.Resource))
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      viewRevoke,
		PrivateMetadata: g.ID.String(),
		Title:           plainText("Revoke access"),
		Submit:          plainText("Revoke"),
		Close:           plainText("Cancel"),
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			textBlock(intro),
			reasonInput("Reason", "Why this access ends now"),
		}},
	}
}

// infoModal is a modal that only tells something: no inputs, no submit.
func infoModal(callbackID, title, md string) slack.ModalViewRequest {
	return slack.ModalViewRequest{
		Type:       slack.VTModal,
		CallbackID: callbackID,
		Title:      plainText(title),
		Close:      plainText("Close"),
		Blocks:     slack.Blocks{BlockSet: []slack.Block{textBlock(md)}},
	}
}
