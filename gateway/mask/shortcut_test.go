package mask

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// diffAlphabet is what random values for the differential tests are made
// of: bytes of keywords in both cases, digits, separators and dots, '@',
// and some bytes no keyword holds.
const diffAlphabet = "ghp_GHPakiaAKIAsecretSECRETpasswordtokeneyJ:/@.-- 0123456789012345678901234567890" +
	"xoxbXOXBglpat-sk_live_bearerBEARERauthorization-----BEGIN" + "\t\n\"'=&!~\x00\x80\xff"

// diffKeywords are pasted whole into random values, so that keywords, and
// the detectors behind them, are met often.
var diffKeywords = []string{
	"password=", "ghp_", "AKIA", "@example.com", "a.b@c.io", "://u:p@h", "eyJ", "sk_live_",
	"4111 1111 1111 1111", "4111111111111111", "-----BEGIN RSA PRIVATE KEY-----", "xoxb-",
	"glpat-", "Bearer ", "authorization: ", "PASSWORD '", "secret", "1234567890123",
}

// randomValue returns a value built from diffAlphabet and diffKeywords.
func randomValue(r *rand.Rand) []byte {
	var v []byte
	for n := r.IntN(64); len(v) < n; {
		if r.IntN(8) == 0 {
			v = append(v, diffKeywords[r.IntN(len(diffKeywords))]...)
			continue
		}
		for k := r.IntN(6); k >= 0; k-- {
			v = append(v, diffAlphabet[r.IntN(len(diffAlphabet))])
		}
	}
	return v
}

// requireSameAsMask checks Append, with its shortcut for a value that
// triggers one detector, against mask run on the same value.
func requireSameAsMask(t testing.TB, m *Masker, v []byte) {
	t.Helper()
	hits := scan(&m.pre, v)
	wantOut, wantOK := []byte("prefix:"), false
	if !hits.empty() {
		wantOut, wantOK = m.mask(wantOut, v, &hits)
	} else {
		wantOut = append(wantOut, v...)
	}
	out, ok := m.Append([]byte("prefix:"), v)
	require.Equal(t, string(wantOut), string(out), "Append(%q)", v)
	require.Equal(t, wantOK, ok, "Append(%q)", v)
	require.Equal(t, string(wantOut[len("prefix:"):]), m.String(string(v)), "String(%q)", v)
	masked, ok := m.AppendMasked([]byte("prefix:"), v)
	require.Equal(t, wantOK, ok, "AppendMasked(%q)", v)
	if wantOK {
		require.Equal(t, string(wantOut), string(masked), "AppendMasked(%q)", v)
	} else {
		require.Equal(t, "prefix:", string(masked), "AppendMasked(%q) appends nothing clean", v)
	}
}

// TestShortcutMatchesMask compares Append's shortcuts with the full mask
// path on random values rich in keywords and '@' signs.
func TestShortcutMatchesMask(t *testing.T) {
	t.Parallel()
	for _, m := range []*Masker{newTestMasker(t), ownMasker(t)} {
		r := rand.New(rand.NewPCG(3, 4))
		for range 20000 {
			requireSameAsMask(t, m, randomValue(r))
		}
		for _, v := range cleanValues {
			requireSameAsMask(t, m, []byte(v))
		}
		for _, bv := range benchValues {
			requireSameAsMask(t, m, []byte(bv.v))
		}
		for _, v := range []string{"user48213@example.com", "a@b.io x@y.com, @@ .@a.b", "@", "a@", "@b.io",
			"..a@b.io", "a@b.c", "a@b.co@d.io", "x@1.io", "-a@b-c.d-e.io", "a@b.io\n@c.io", "***@b.io"} {
			requireSameAsMask(t, m, []byte(v))
		}
	}
}

func TestSetOnly(t *testing.T) {
	t.Parallel()
	var s set
	_, ok := s.only()
	require.False(t, ok)
	for _, i := range []int{0, 63, 64, 300, maxDetectors - 1} {
		s = set{}
		s.add(i)
		got, ok := s.only()
		require.True(t, ok)
		require.Equal(t, i, got)
		s.add((i + 1) % maxDetectors)
		_, ok = s.only()
		require.False(t, ok)
	}
	s = set{}
	s.add(5)
	s.add(6)
	_, ok = s.only()
	require.False(t, ok)
}

func ownMasker(t testing.TB) *Masker {
	m, err := New(nil, WithoutGitleaks())
	require.NoError(t, err)
	return m
}

// FuzzShortcut checks that Append's shortcuts agree with the full mask
// path on any value.
func FuzzShortcut(f *testing.F) {
	for _, v := range cleanValues {
		f.Add([]byte(v))
	}
	for _, bv := range benchValues {
		f.Add([]byte(bv.v))
	}
	f.Add([]byte("user48213@example.com"))
	f.Add([]byte("a@b.io x@y.com, @@ .@a.b"))
	m := newTestMasker(f)
	f.Fuzz(func(t *testing.T, v []byte) {
		in := bytes.Clone(v)
		requireSameAsMask(t, m, v)
		require.Equal(t, in, v, "input changed")
	})
}
