package bot

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Slack's own worked example from "Verifying requests from Slack", so the
// signing is checked against theirs and not only against our test helper.
const (
	docSecret    = "8f742231b10e8888abcd99yyyzzz85a5"
	docTimestamp = "1531420618"
	docSignature = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
	docBody      = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
)

func TestVerifySlackExample(t *testing.T) {
	t.Parallel()
	h := http.Header{}
	h.Set("X-Slack-Request-Timestamp", docTimestamp)
	h.Set("X-Slack-Signature", docSignature)
	sent, err := strconv.ParseInt(docTimestamp, 10, 64)
	require.NoError(t, err)
	now := time.Unix(sent, 0).Add(30 * time.Second)
	require.NoError(t, verifyRequest(h, []byte(docBody), docSecret, now))
	require.ErrorIs(t, verifyRequest(h, []byte(docBody+"&x=1"), docSecret, now), errSignatureMismatch)
}

func TestVerifyRequest(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_750_000_000, 0)
	body := []byte("command=%2Faccess&text=prod-db+2h+INC-1")
	signedAt := func(at time.Time) http.Header { return signedHeader(testSecret, at, body) }
	with := func(h http.Header, key, value string) http.Header {
		if value == "" {
			h.Del(key)
		} else {
			h.Set(key, value)
		}
		return h
	}
	good := signedAt(now)
	for _, tc := range []struct {
		name   string
		header http.Header
		body   []byte
		secret string
		want   error // nil: accepted
	}{
		{name: "good", header: good},
		{name: "sent 5 minutes ago", header: signedAt(now.Add(-5 * time.Minute))},
		{name: "sent 5 minutes ahead", header: signedAt(now.Add(5 * time.Minute))},
		{name: "uppercase hex", header: with(signedAt(now), "X-Slack-Signature", "v0="+strings.ToUpper(strings.TrimPrefix(good.Get("X-Slack-Signature"), "v0=")))},
		{name: "6 minutes old", header: signedAt(now.Add(-6 * time.Minute)), want: errStaleTimestamp},
		{name: "6 minutes ahead", header: signedAt(now.Add(6 * time.Minute)), want: errStaleTimestamp},
		{name: "no timestamp", header: with(signedAt(now), "X-Slack-Request-Timestamp", ""), want: errNoTimestamp},
		{name: "timestamp not a number", header: with(signedAt(now), "X-Slack-Request-Timestamp", "yesterday"), want: errBadTimestamp},
		{name: "timestamp zero", header: with(signedAt(now), "X-Slack-Request-Timestamp", "0"), want: errBadTimestamp},
		{name: "timestamp changed", header: with(signedAt(now), "X-Slack-Request-Timestamp", strconv.FormatInt(now.Unix()+1, 10)), want: errSignatureMismatch},
		{name: "no signature", header: with(signedAt(now), "X-Slack-Signature", ""), want: errNoSignature},
		{name: "other version", header: with(signedAt(now), "X-Slack-Signature", "v1="+strings.TrimPrefix(good.Get("X-Slack-Signature"), "v0=")), want: errBadSignature},
		{name: "not hex", header: with(signedAt(now), "X-Slack-Signature", "v0="+strings.Repeat("zz", 32)), want: errBadSignature},
		{name: "short digest", header: with(signedAt(now), "X-Slack-Signature", good.Get("X-Slack-Signature")[:40]), want: errBadSignature},
		{name: "other secret", header: signedHeader("not-"+testSecret, now, body), want: errSignatureMismatch},
		{name: "body changed", header: good, body: []byte("command=%2Faccess&text=prod-db+8h+INC-1"), want: errSignatureMismatch},
		{name: "empty body signed, body sent", header: signedHeader(testSecret, now, nil), want: errSignatureMismatch},
		{name: "no secret configured", header: signedHeader("", now, body), secret: "-", want: errNoSigningSecret},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b, secret := body, testSecret
			if tc.body != nil {
				b = tc.body
			}
			if tc.secret == "-" {
				secret = ""
			}
			err := verifyRequest(tc.header, b, secret, now)
			if tc.want == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tc.want)
			require.NotContains(t, err.Error(), testSecret)
			require.NotContains(t, err.Error(), "prod-db")
		})
	}
}
