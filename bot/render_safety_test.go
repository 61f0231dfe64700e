package bot

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

// mentionTokens are the only "<" sequences our mrkdwn may hold: mentions
// that came in formatted, and our own date tokens.
var mentionTokens = []string{"<@U", "<!subteam^", "<!date^"}

// textObject is a Block Kit text object found in rendered JSON, with the
// type of the block or element it sits in.
type textObject struct {
	kind, text, parent string
	verbatim           bool
}

// textObjects finds every text object in rendered JSON.
func textObjects(v any, parent string) []textObject {
	var out []textObject
	switch x := v.(type) {
	case map[string]any:
		kind, _ := x["type"].(string)
		if text, ok := x["text"].(string); ok && (kind == "mrkdwn" || kind == "plain_text") {
			verbatim, _ := x["verbatim"].(bool)
			out = append(out, textObject{kind: kind, text: text, parent: parent, verbatim: verbatim})
		}
		for _, child := range x {
			out = append(out, textObjects(child, kind)...)
		}
	case []any:
		for _, child := range x {
			out = append(out, textObjects(child, parent)...)
		}
	}
	return out
}

// requireInert fails unless text is mrkdwn that Slack can only show: every
// "<" opens one of our tokens and every "&" one of the three escapes.
func requireInert(t *testing.T, text string) {
	t.Helper()
	require.NotContains(t, text, "<!channel>")
	require.NotContains(t, text, "<https://evil")
	for i := range len(text) {
		rest := text[i:]
		switch text[i] {
		case '<':
			ok := false
			for _, tok := range mentionTokens {
				ok = ok || strings.HasPrefix(rest, tok)
			}
			require.True(t, ok, "unescaped < in mrkdwn at %q", clipText(rest, 40))
		case '&':
			ok := strings.HasPrefix(rest, "&amp;") || strings.HasPrefix(rest, "&lt;") || strings.HasPrefix(rest, "&gt;")
			require.True(t, ok, "unescaped & in mrkdwn at %q", clipText(rest, 40))
		}
	}
}

func TestRenderFreeTextStaysInert(t *testing.T) {
	long := strings.Repeat(renderEvil+" ", 300)
	for _, words := range []string{renderEvil, long} {
		for _, f := range renderFixtures(words) {
			t.Run(f.name, func(t *testing.T) {
				var doc map[string]any
				require.NoError(t, json.Unmarshal(renderJSON(t, f.render(t)), &doc))
				if text, ok := doc["text"].(string); ok {
					requireInert(t, text)
					require.NotContains(t, text, "evil", "notification text carries no free text")
					require.NotContains(t, text, "bold", "notification text carries no free text")
				}
				objects := textObjects(doc, "")
				for _, o := range objects {
					require.NotEmpty(t, o.text, "Slack refuses empty text objects")
					require.LessOrEqual(t, utf8.RuneCountInString(o.text), maxSectionText)
					if o.parent == "header" {
						require.LessOrEqual(t, utf8.RuneCountInString(o.text), maxHeaderText)
					}
					if o.kind == "mrkdwn" {
						requireInert(t, o.text)
						require.True(t, o.verbatim, "mrkdwn must be verbatim: %q", o.text)
					}
				}
				if f.showsWords {
					requireShown(t, objects, words)
				}
			})
		}
	}
}

// requireShown fails unless words appear as typed in a plain_text object:
// all of them, or, when they are too long for Slack, their start cut with
// the mark.
func requireShown(t *testing.T, objects []textObject, words string) {
	t.Helper()
	for _, o := range objects {
		if o.kind != "plain_text" {
			continue
		}
		if strings.Contains(o.text, words) {
			return
		}
		if strings.HasSuffix(o.text, cutMark) && strings.Contains(o.text, words[:200]) {
			return
		}
	}
	require.Fail(t, "free text not shown in any plain_text object", "%q", clipText(words, 60))
}

func TestRenderStatementEscapedInCodeBlock(t *testing.T) {
	m := renderStatement(fixtureStatement("DROP TABLE orders; -- "+renderEvil, "pending"))
	var doc map[string]any
	require.NoError(t, json.Unmarshal(renderJSON(t, m), &doc))
	found := false
	for _, o := range textObjects(doc, "") {
		found = found || (o.kind == "mrkdwn" && strings.Contains(o.text, "```\nDROP TABLE orders; -- "+escape(renderEvil)+"\n```"))
	}
	require.True(t, found, "the statement is shown escaped in a code block")
}

func TestRenderButtons(t *testing.T) {
	for _, f := range renderFixtures(renderReason) {
		t.Run(f.name, func(t *testing.T) {
			var doc any
			require.NoError(t, json.Unmarshal(renderJSON(t, f.render(t)), &doc))
			require.Equal(t, f.buttons, buttonActions(doc))
		})
	}
}

// buttonActions lists the action IDs of the buttons in rendered JSON, in order.
func buttonActions(v any) []string {
	var out []string
	switch x := v.(type) {
	case map[string]any:
		if x["type"] == "button" {
			id, _ := x["action_id"].(string)
			return []string{id}
		}
		for _, key := range []string{"blocks", "elements"} {
			out = append(out, buttonActions(x[key])...)
		}
	case []any:
		for _, child := range x {
			out = append(out, buttonActions(child)...)
		}
	}
	return out
}
