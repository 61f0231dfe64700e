package bot

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

func TestRenderFormatDuration(t *testing.T) {
	for _, tc := range []struct {
		in   time.Duration
		want string
	}{
		{2 * time.Hour, "2h"},
		{90 * time.Minute, "1h30m"},
		{45 * time.Minute, "45m"},
		{90 * time.Second, "90s"},
		{time.Minute, "1m"},
		{59 * time.Second, "59s"},
		{2*time.Minute + 30*time.Second, "2m30s"},
		{time.Hour + 5*time.Second, "1h5s"},
		{48 * time.Hour, "48h"},
		{1500 * time.Millisecond, "2s"},
		{0, "0s"},
		{-time.Hour, "0s"},
	} {
		require.Equal(t, tc.want, formatDuration(tc.in), "%v", tc.in)
	}
}

func TestRenderDurationChoices(t *testing.T) {
	m, h := time.Minute, time.Hour
	for _, tc := range []struct {
		max  time.Duration
		want []time.Duration
	}{
		{0, nil},
		{-h, nil},
		{10 * m, []time.Duration{10 * m}},
		{15 * m, []time.Duration{15 * m}},
		{h, []time.Duration{15 * m, 30 * m, h}},
		{90 * m, []time.Duration{15 * m, 30 * m, h, 90 * m}},
		{8 * h, []time.Duration{15 * m, 30 * m, h, 2 * h, 4 * h, 8 * h}},
		{30 * h, []time.Duration{15 * m, 30 * m, h, 2 * h, 4 * h, 8 * h, 12 * h, 24 * h, 30 * h}},
	} {
		require.Equal(t, tc.want, durationChoices(tc.max), "max %v", tc.max)
	}
}

func TestRenderEscape(t *testing.T) {
	for in, want := range map[string]string{
		"plain":                "plain",
		"a & b":                "a &amp; b",
		"<!channel>":           "&lt;!channel&gt;",
		"&lt; stays visible":   "&amp;lt; stays visible",
		"<https://evil|click>": "&lt;https://evil|click&gt;",
		"*bold* _it_":          "*bold* _it_",
	} {
		require.Equal(t, want, escape(in), "%q", in)
	}
}

func TestRenderEscapeLimitNeverSplitsAnEntity(t *testing.T) {
	got := escapeLimit(strings.Repeat("<", 100), 12)
	require.Equal(t, "&lt;&lt;"+cutMark, got)
	require.Equal(t, "a &amp; b", escapeLimit("a & b", 9))
	require.LessOrEqual(t, utf8.RuneCountInString(escapeLimit(strings.Repeat("é&", 5000), 3000)), 3000)
}

func TestRenderClipText(t *testing.T) {
	require.Equal(t, "short", clipText("short", 5))
	require.Equal(t, "shor"+cutMark, clipText("shorter", 5))
	require.Equal(t, "éé"+cutMark, clipText("éééé", 3))
}

func TestRenderMentionsDropWholeTokens(t *testing.T) {
	list := []string{"<@U1>", "<@U2>", "<@U3>", "<@U4>"}
	require.Equal(t, "<@U1>, <@U2>, <@U3>, <@U4>", mdMentions(list, 100))
	require.Equal(t, "<@U1>, <@U2> and 2 more", mdMentions(list, 27))
	require.Equal(t, "and 4 more", mdMentions(list, 5))
	require.Empty(t, mdMentions(nil, 10))
}

func TestRenderSlackTime(t *testing.T) {
	require.Equal(t, "<!date^1796029200^{date_short_pretty} {time}|2026-11-30 09:00 UTC>", slackTime(renderNow))
	inBerlin := renderNow.In(time.FixedZone("CET", 3600))
	require.Equal(t, slackTime(renderNow), slackTime(inBerlin), "the fallback is always UTC")
}

func TestRenderCodeBlockCannotBeClosedEarly(t *testing.T) {
	got := codeBlock("SELECT 1 ``` <!here> ```")
	require.Equal(t, 2, strings.Count(got, fence), "only our own fences: %q", got)
	require.True(t, strings.HasPrefix(got, fence+"\n") && strings.HasSuffix(got, "\n"+fence))
	require.Contains(t, got, "&lt;!here&gt;")
}

func TestRenderEventsWithoutReply(t *testing.T) {
	for _, tc := range []struct {
		action  string
		details map[string]any
	}{
		{"request.reviewed", map[string]any{"decision": "deny", "reason": "no"}},
		{"request.approved", map[string]any{"reason": ""}},
		{"request.created", map[string]any{"reason": "x"}},
		{"request.break_glass", nil},
		{"request.operator", nil},
		{"statement.held", nil},
		{"statement.approved", nil},
		{"statement.denied", nil},
		{"session.started", nil},
		{"", nil},
	} {
		_, ok := renderEvent(fixtureEvent(tc.action, "alice@example.com", tc.details))
		require.False(t, ok, "%q gets no reply", tc.action)
	}
}

func TestRenderEventFallsBackWithoutGrant(t *testing.T) {
	ev := fixtureEvent("grant.started", "jitgate", map[string]any{
		"expires_at": "2026-11-30T11:00:00.123Z", "access": "read",
	})
	ev.Grant = nil
	m, ok := renderEvent(ev)
	require.True(t, ok)
	require.Contains(t, m.Text, "*read*")
	require.Contains(t, m.Text, slackTime(time.Date(2026, 11, 30, 11, 0, 0, 0, time.UTC)))
}
