package bot

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Slack's limits on text objects, in characters. Text over a limit makes
// Slack refuse the whole message, so long user text is cut short instead.
const (
	maxSectionText = 3000
	maxHeaderText  = 150
	maxFieldText   = 2000
	maxOptionText  = 75
	maxConfirmText = 300
	// maxName bounds one escaped name (resource, email, operator) inside a
	// longer mrkdwn text, so the text as a whole stays within its limit.
	maxName = 300
	// maxMentions bounds a list of mentions inside one mrkdwn text.
	maxMentions = 1500
)

const cutMark = "…"

var mrkdwnEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// escape makes s safe inside mrkdwn: Slack reads <...> as mentions, links
// and commands and & as the start of an entity, so those three are the only
// characters it needs escaped.
func escape(s string) string {
	return mrkdwnEscaper.Replace(s)
}

// escapeLimit escapes s and cuts the result to at most max characters. It
// cuts between escapes, never inside one, so no half entity reaches Slack.
func escapeLimit(s string, max int) string {
	out := escape(s)
	if utf8.RuneCountInString(out) <= max {
		return out
	}
	var b strings.Builder
	n := 0
	for _, r := range s {
		piece := escape(string(r))
		size := utf8.RuneCountInString(piece)
		if n+size > max-1 {
			break
		}
		b.WriteString(piece)
		n += size
	}
	return b.String() + cutMark
}

// clipText cuts s to at most max characters, ending with an cutMark when cut.
func clipText(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	runes := []rune(s)
	return string(runes[:max-1]) + cutMark
}

// mdName escapes a short value for mrkdwn: a resource, an email, an operator.
func mdName(s string) string {
	return escapeLimit(s, maxName)
}

// mdMentions joins already formatted mentions with commas. It drops whole
// mentions rather than cut one, since half a "<@U123>" is broken mrkdwn.
func mdMentions(list []string, max int) string {
	var b strings.Builder
	for i, m := range list {
		sep := ""
		if i > 0 {
			sep = ", "
		}
		// Room is kept for the "and N more" that would follow this one.
		reserve := 0
		if rest := len(list) - i - 1; rest > 0 {
			reserve = len(andMore(rest))
		}
		if utf8.RuneCountInString(b.String()+sep+m)+reserve > max {
			return strings.TrimSpace(b.String() + andMore(len(list)-i))
		}
		b.WriteString(sep + m)
	}
	return b.String()
}

func andMore(n int) string {
	return fmt.Sprintf(" and %d more", n)
}

// slackTime shows t in each reader's own time zone; clients that cannot
// show date tokens print the UTC fallback after the bar.
func slackTime(t time.Time) string {
	return fmt.Sprintf("<!date^%d^{date_short_pretty} {time}|%s>", t.Unix(), t.UTC().Format("2006-01-02 15:04 UTC"))
}

// formatDuration says d the way people write it: "2h", "1h30m", "45m".
// time.Duration.String would say "2h0m0s". Under two minutes, an uneven
// duration is said in seconds ("90s"), which reads better than "1m30s".
func formatDuration(d time.Duration) string {
	d = d.Round(time.Second)
	if d <= 0 {
		return "0s"
	}
	if d < 2*time.Minute && d%time.Minute != 0 {
		return fmt.Sprintf("%ds", int64(d/time.Second))
	}
	h, m, s := d/time.Hour, (d%time.Hour)/time.Minute, (d%time.Minute)/time.Second
	var b strings.Builder
	for _, u := range []struct {
		n    time.Duration
		unit string
	}{{h, "h"}, {m, "m"}, {s, "s"}} {
		if u.n > 0 {
			fmt.Fprintf(&b, "%d%s", u.n, u.unit)
		}
	}
	return b.String()
}

// textOr returns s, or fallback when s is empty.
func textOr(s, fallback string) string {
	if strings.TrimSpace(s) == "" {
		return fallback
	}
	return s
}
