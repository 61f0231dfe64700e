package mask

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestAutomatonFind(t *testing.T) {
	t.Parallel()
	keywords := []string{"he", "she", "his", "hers", "@", "GHP_", "-----begin"}
	owners := []int{0, 1, 2, 3, 4, 5, 6}
	a, err := newAutomaton(keywords, owners)
	require.NoError(t, err)
	tests := []struct {
		in   string
		want []keyword
	}{
		{"", nil},
		{"xyz", nil},
		{"ushers", []keyword{{0, 2}, {1, 1}, {3, 2}}},
		{"HIS hers", []keyword{{0, 4}, {2, 0}, {3, 4}}},
		{"a@b ghp_x Ghp_", []keyword{{4, 1}, {5, 4}, {5, 10}}},
		{"-----BEGIN", []keyword{{6, 0}}},
		{"------begin", []keyword{{6, 1}}},
	}
	for _, tc := range tests {
		got := a.find([]byte(tc.in), nil)
		require.Equal(t, tc.want, got, tc.in)
		p := &prefilter{keywords: a, card: -1}
		hits := scan(p, []byte(tc.in))
		for _, k := range tc.want {
			require.True(t, hits.has(k.det), "%q triggers %d", tc.in, k.det)
		}
		require.Equal(t, len(tc.want) == 0, hits.empty(), tc.in)
	}
}

// TestAutomatonMatchesNaive compares the automaton with a plain search over
// random text from a small alphabet, where keywords overlap often.
func TestAutomatonMatchesNaive(t *testing.T) {
	t.Parallel()
	keywords := []string{"ab", "abc", "bca", "c", "aab", "b_c", "cab_"}
	owners := []int{0, 1, 2, 3, 4, 5, 0}
	a, err := newAutomaton(keywords, owners)
	require.NoError(t, err)
	r := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		v := randomOf(r, "abcABC_ ", 40)
		require.Equal(t, naiveFind(v, keywords, owners), a.find(v, nil), "%q", v)
	}
}

func naiveFind(v []byte, keywords []string, owners []int) []keyword {
	var ks []keyword
	lowered := bytes.ToLower(v)
	for i, kw := range keywords {
		for start := 0; start+len(kw) <= len(v); start++ {
			if string(lowered[start:start+len(kw)]) == kw {
				ks = append(ks, keyword{det: owners[i], start: start})
			}
		}
	}
	slices.SortFunc(ks, func(x, y keyword) int {
		if x.det != y.det {
			return x.det - y.det
		}
		return x.start - y.start
	})
	return ks
}

func TestScanDigitRuns(t *testing.T) {
	t.Parallel()
	a, err := newAutomaton([]string{"x"}, []int{1})
	require.NoError(t, err)
	p := &prefilter{keywords: a, card: 0}
	tests := []struct {
		in   string
		card bool
	}{
		{"4111111111111", true},
		{"411111111111", false},
		{"4111 1111 1111 1", true},
		{"4111-1111-1111-1", true},
		{"4111  1111  1111  1", false},
		{"a716-446655440000", false},
		{"id4111111111111111", false},
		{"3.14159265358979", false},
		{"x.4111111111111111", true},
		{"ab12 4111111111111", true},
	}
	for _, tc := range tests {
		hits := scan(p, []byte(tc.in))
		require.Equal(t, tc.card, hits.has(0), tc.in)
	}
}

// TestCountDigitsMatchesBytes checks the eight-at-a-time digit count, which
// decides whether a value's digit runs are followed at all, against a count
// byte by byte, over every byte value and every tail length.
func TestCountDigitsMatchesBytes(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(7, 8))
	for range 20000 {
		v := make([]byte, 8+r.IntN(40))
		for i := range v {
			switch r.IntN(3) {
			case 0:
				v[i] = byte('0' + r.IntN(10))
			case 1:
				v[i] = []byte("/:\x2f\x3a\xb0\xb9\xff\x00")[r.IntN(8)] // the digits' neighbours and their high twins
			default:
				v[i] = byte(r.IntN(256))
			}
		}
		want := 0
		for _, b := range v {
			if isDigit(b) {
				want++
			}
		}
		require.Equal(t, want, countDigits(v), "%q", v)
	}
}

// TestDigitTableFollowsTheRule runs the compiled digit-run table and the
// rule it was compiled from side by side over random mixes of digits,
// separators, letters and dots.
func TestDigitTableFollowsTheRule(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(9, 10))
	for range 20000 {
		v := randomOf(r, "0123456789012345678901234567890123456789 --..a_x:/", 60)
		rule, ruleHit := runState{}, false
		d := runStart
		for _, b := range v {
			var reached bool
			rule, reached = rule.step(digitClass[b])
			ruleHit = ruleHit || reached
			d = digitNext[d+digitClass[b]]
		}
		require.Equal(t, ruleHit, d == runHit, "%q", v)
	}
}

// randomOf returns up to max-1 bytes drawn from alphabet.
func randomOf(r *rand.Rand, alphabet string, max int) []byte {
	v := make([]byte, r.IntN(max))
	for i := range v {
		v[i] = alphabet[r.IntN(len(alphabet))]
	}
	return v
}
