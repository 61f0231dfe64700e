package grants

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

// Whatever a statement or parameter holds, its JSON string decodes to the
// text the gateway would store: each run of invalid UTF-8 one U+FFFD, NUL
// as \0. The database test (TestRecordEventsPacksEachSessionsEvents) shows
// jsonb takes it.
func FuzzAppendJSONString(f *testing.F) {
	for _, s := range []string{"", "plain", "\"\\/\b\f\n\r\t\x01\x1f\x7f", "\x00", "a\xffb\xfe\xfdc", "\xe2\x82", "é中🙂\u2028\u2029", "\xed\xa0\x80"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b := appendJSONString([]byte("x"), s)
		if b[0] != 'x' {
			t.Fatalf("prefix lost: %q", b)
		}
		var got string
		if err := json.Unmarshal(b[1:], &got); err != nil {
			t.Fatalf("%q encodes as %s, not JSON: %v", s, b[1:], err)
		}
		want := strings.ToValidUTF8(strings.ReplaceAll(s, "\x00", `\0`), "\uFFFD")
		if got != want {
			t.Fatalf("%q reads back as %q, want %q", s, got, want)
		}
		if strings.Contains(string(b), `\u0000`) || !utf8.Valid(b) {
			t.Fatalf("%q encodes as %s, which jsonb refuses", s, b[1:])
		}
	})
}
