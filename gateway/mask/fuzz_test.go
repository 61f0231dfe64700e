package mask

import (
	"bytes"
	"testing"
)

// FuzzAppend checks, for any value: masking never panics; a value with
// nothing found comes back unchanged; masking is idempotent and leaves
// nothing to find; and the digit-run prefilter never hides a card number
// that the card detector would find.
func FuzzAppend(f *testing.F) {
	for _, v := range cleanValues {
		f.Add([]byte(v))
	}
	m, err := New([]string{"password"})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, v []byte) {
		in := bytes.Clone(v)
		out, replaced := m.Append(nil, v)
		if !bytes.Equal(in, v) {
			t.Fatalf("Append changed its input")
		}
		if !replaced && !bytes.Equal(out, v) {
			t.Fatalf("nothing found but %q became %q", v, out)
		}
		again, replacedAgain := m.Append(nil, out)
		if replacedAgain || !bytes.Equal(again, out) {
			t.Fatalf("not idempotent: %q -> %q -> %q", v, out, again)
		}
		if s := m.String(string(v)); s != string(out) {
			t.Fatalf("String(%q) = %q, Append gave %q", v, s, out)
		}
		hits := scan(&m.pre, v)
		hits.add(m.pre.card)
		forced, _ := m.mask(nil, v, &hits)
		if !bytes.Equal(forced, out) {
			t.Fatalf("prefilter hid a card: %q -> %q, with the card detector forced %q", v, out, forced)
		}
	})
}
