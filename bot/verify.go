package bot

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// maxRequestSkew is how far a signed request's timestamp may be from our
// clock, either way, as Slack recommends: a captured request replayed later
// is refused even though its signature is genuine.
const maxRequestSkew = 5 * time.Minute

// Why a request's signature was refused. They go to the log only; the
// sender is told nothing but 401.
var (
	errNoSigningSecret   = errors.New("no signing secret configured")
	errNoTimestamp       = errors.New("missing X-Slack-Request-Timestamp")
	errBadTimestamp      = errors.New("malformed X-Slack-Request-Timestamp")
	errStaleTimestamp    = errors.New("timestamp outside the accepted window")
	errNoSignature       = errors.New("missing X-Slack-Signature")
	errBadSignature      = errors.New("malformed X-Slack-Signature")
	errSignatureMismatch = errors.New("signature does not match")
)

// verifyRequest checks Slack's request signature: X-Slack-Signature must be
// "v0=" and the hex HMAC-SHA256, under the signing secret, of
// "v0:{X-Slack-Request-Timestamp}:{body}", and the timestamp must lie within
// maxRequestSkew of now. body is the raw body exactly as received.
func verifyRequest(h http.Header, body []byte, secret string, now time.Time) error {
	// An empty key is a key anyone can sign with.
	if secret == "" {
		return fmt.Errorf("verify slack request: %w", errNoSigningSecret)
	}
	ts, err := requestTimestamp(h, now)
	if err != nil {
		return fmt.Errorf("verify slack request: %w", err)
	}
	got, err := requestSignature(h)
	if err != nil {
		return fmt.Errorf("verify slack request: %w", err)
	}
	if !hmac.Equal(got, signature(secret, ts, body)) {
		return fmt.Errorf("verify slack request: %w", errSignatureMismatch)
	}
	return nil
}

// requestTimestamp returns the timestamp header as sent (it is part of the
// signed text) once it is known to be recent.
func requestTimestamp(h http.Header, now time.Time) (string, error) {
	ts := h.Get("X-Slack-Request-Timestamp")
	if ts == "" {
		return "", errNoTimestamp
	}
	secs, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || secs <= 0 {
		return "", errBadTimestamp
	}
	switch age := now.Sub(time.Unix(secs, 0)); {
	case age > maxRequestSkew:
		return "", fmt.Errorf("%w: signed %s ago", errStaleTimestamp, age.Round(time.Second))
	case age < -maxRequestSkew:
		return "", fmt.Errorf("%w: signed %s ahead of our clock", errStaleTimestamp, -age.Round(time.Second))
	}
	return ts, nil
}

func requestSignature(h http.Header) ([]byte, error) {
	v := h.Get("X-Slack-Signature")
	if v == "" {
		return nil, errNoSignature
	}
	digest, ok := strings.CutPrefix(v, "v0=")
	if !ok {
		return nil, errBadSignature
	}
	sig, err := hex.DecodeString(digest)
	if err != nil || len(sig) != sha256.Size {
		return nil, errBadSignature
	}
	return sig, nil
}

// signature is the raw MAC Slack sends hex-encoded after "v0=".
func signature(secret, ts string, body []byte) []byte {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("v0:" + ts + ":"))
	mac.Write(body)
	return mac.Sum(nil)
}
