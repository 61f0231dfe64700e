package mask

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// newTestMasker builds a Masker with gitleaks' rules and a few column rules.
func newTestMasker(t testing.TB) *Masker {
	t.Helper()
	m, err := New([]string{"password", "*_token", "api_key", "ssn", "secret*"})
	require.NoError(t, err)
	return m
}

// maskCase is one value and what masking makes of it.
type maskCase struct {
	name string
	in   string
	want string // empty: in is clean and must come back unchanged
}

func runMaskCases(t *testing.T, cases []maskCase) {
	t.Helper()
	m := newTestMasker(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			want := tc.want
			if want == "" {
				want = tc.in
			}
			dst := []byte("prefix:")
			got, replaced := m.Append(dst, []byte(tc.in))
			require.Equal(t, "prefix:"+want, string(got))
			require.Equal(t, tc.want != "", replaced)
			require.Equal(t, want, m.String(tc.in))

			again, replacedAgain := m.Append(nil, []byte(want))
			require.Equal(t, want, string(again), "masking is idempotent")
			require.False(t, replacedAgain, "masked text holds no secret")
		})
	}
}
