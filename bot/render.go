package bot

import (
	"github.com/slack-go/slack"
)

// The rendering in the render*.go files is pure: a state read from the
// database goes in, Block Kit comes out, and the goldens in
// testdata/golden pin the result.
//
// One rule keeps user text harmless: anything a person typed (a reason,
// a held statement) goes out in plain_text objects, which Slack shows as
// typed and never parses, or escaped inside a code block. mrkdwn only ever
// carries escaped values, our own words, dates and mentions that came in
// already formatted.

// mrkdwnText is a mrkdwn text object. verbatim stops Slack from turning bare
// "@here", channel names and URLs into mentions and links on its own: the
// only mentions in our mrkdwn are the ones we put there as tokens.
func mrkdwnText(text string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, text, false, true)
}

// plainText is a plain_text object for our own words, emoji shortcodes on.
func plainText(text string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, text, true, false)
}

// typedText is a plain_text object for what a person typed, shown exactly as
// typed: no emoji shortcodes either.
func typedText(text string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, text, false, false)
}

func headerBlock(text string) slack.Block {
	return slack.NewHeaderBlock(plainText(clipText(text, maxHeaderText)))
}

func textBlock(md string) slack.Block {
	return slack.NewSectionBlock(mrkdwnText(md), nil, nil)
}

// quoteBlock shows a person's words after a label of ours, as plain_text.
func quoteBlock(label, words string) slack.Block {
	text := label + ": " + textOr(words, "(none given)")
	return slack.NewSectionBlock(typedText(clipText(text, maxSectionText)), nil, nil)
}

// fieldsBlock lays out label/value pairs (label, value, label, value...),
// values in mrkdwn.
func fieldsBlock(pairs ...string) slack.Block {
	fields := make([]*slack.TextBlockObject, 0, len(pairs)/2)
	for i := 0; i+1 < len(pairs); i += 2 {
		fields = append(fields, mrkdwnText("*"+pairs[i]+"*\n"+pairs[i+1]))
	}
	return slack.NewSectionBlock(nil, fields, nil)
}

func contextBlock(md string) slack.Block {
	return slack.NewContextBlock("", mrkdwnText(md))
}

func buttonElement(actionID, value, label string, style slack.Style) *slack.ButtonBlockElement {
	return slack.NewButtonBlockElement(actionID, value, plainText(label)).WithStyle(style)
}

func actionsBlock(blockID string, buttons ...*slack.ButtonBlockElement) slack.Block {
	elements := make([]slack.BlockElement, len(buttons))
	for i, b := range buttons {
		elements[i] = b
	}
	return slack.NewActionBlock(blockID, elements...)
}
