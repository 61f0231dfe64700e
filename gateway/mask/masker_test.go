package mask

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// cleanValues are typical column values and texts that hold no secret.
var cleanValues = []string{
	"",
	"42",
	"alice",
	"2024-01-15 10:20:30.123456+00",
	"550e8400-e29b-41d4-a716-446655440000",
	"t",
	"{\"a\": 1, \"b\": [true, null]}",
	"SELECT abalance FROM pgbench_accounts WHERE aid = 48213",
	"The quick brown fox jumps over the lazy dog.",
	"\x00\xff\xfe binary \x80\x81",
	"héllo wörld ☃",
	"+1 555-123-4567",
	"3.14159265358979",
}

func TestCleanUnchanged(t *testing.T) {
	t.Parallel()
	m := newTestMasker(t)
	for _, v := range cleanValues {
		got, replaced := m.Append(nil, []byte(v))
		require.False(t, replaced, v)
		require.Equal(t, []byte(v), []byte(string(got)), "byte for byte: %q", v)
		require.Equal(t, v, m.String(v))
	}
}

func TestCleanAllocatesNothing(t *testing.T) {
	m := newTestMasker(t)
	dst := make([]byte, 0, 4096)
	for _, v := range cleanValues {
		b := []byte(v)
		allocs := testing.AllocsPerRun(100, func() {
			dst, _ = m.Append(dst[:0], b)
		})
		require.Zero(t, allocs, "Append(%q)", v)
		allocs = testing.AllocsPerRun(100, func() { _ = m.String(v) })
		require.Zero(t, allocs, "String(%q)", v)
	}
}

func TestMultipleAndOverlapping(t *testing.T) {
	t.Parallel()
	runMaskCases(t, []maskCase{
		{"several kinds",
			"user bob@corp.com paid with 4111 1111 1111 1111 using key AKIAIOSFODNN7EXAMPLE and password=hunter2",
			"user ***@corp.com paid with **** **** **** 1111 using key AKIA**** and password=****"},
		// The assignment covers the whole value; the AWS finding inside it
		// is dropped.
		{"token format inside assignment", "aws_access_key_id=AKIAIOSFODNN7EXAMPLE", "aws_access_key_id=****"},
		{"jwt inside bearer", "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.sig", "Authorization: Bearer ****"},
		{"email as assigned value", "token=bob@corp.com", "token=****"},
		{"card as assigned value", "secret=4111111111111111", "secret=****"},
		{"url password and email", "see postgres://bob:pw@db.corp.com/x or bob@corp.com",
			"see postgres://bob:****@db.corp.com/x or ***@corp.com"},
		{"multiline recording", "line1 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\nline2 a@b.io\n", "line1 ghp_****\nline2 ***@b.io\n"},
	})
}

func TestClean(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   []finding
		want []finding
	}{
		{"sorted and disjoint", []finding{{start: 5, end: 7, repl: "b"}, {start: 0, end: 2, repl: "a"}},
			[]finding{{start: 0, end: 2, repl: "a"}, {start: 5, end: 7, repl: "b"}}},
		{"contained dropped", []finding{{start: 2, end: 4, repl: "in"}, {start: 0, end: 9, repl: "out"}},
			[]finding{{start: 0, end: 9, repl: "out"}}},
		{"same span keeps first", []finding{{start: 0, end: 3, repl: "x"}, {start: 0, end: 3, repl: "y"}},
			[]finding{{start: 0, end: 3, repl: "x"}}},
		{"partial overlap merged", []finding{{start: 0, end: 5, card: true}, {start: 3, end: 9, repl: "b"}},
			[]finding{{start: 0, end: 9, repl: stars}}},
		{"touching kept apart", []finding{{start: 0, end: 3, repl: "a"}, {start: 3, end: 5, repl: "b"}},
			[]finding{{start: 0, end: 3, repl: "a"}, {start: 3, end: 5, repl: "b"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.want, clean(tc.in))
		})
	}
}

func TestColumns(t *testing.T) {
	t.Parallel()
	m := newTestMasker(t)
	tests := []struct {
		name string
		want bool
	}{
		{"password", true},
		{"PASSWORD", true},
		{"Password", true},
		{"access_token", true},
		{"REFRESH_TOKEN", true},
		{"api_key", true},
		{"ssn", true},
		{"secret", true},
		{"secret_answer", true},
		{"token", false},
		{"password_hint", false},
		{"email", false},
		{"", false},
	}
	for _, tc := range tests {
		require.Equal(t, tc.want, m.Column(tc.name), tc.name)
	}
	require.Equal(t, "********", m.Whole())
	require.True(t, m.HasColumnRules())
	none, err := New(nil, WithoutGitleaks())
	require.NoError(t, err)
	require.False(t, none.HasColumnRules())
}

func TestNewBadGlob(t *testing.T) {
	t.Parallel()
	_, err := New([]string{"password", "[bad"}, WithoutGitleaks())
	require.Error(t, err)
	require.Contains(t, err.Error(), `"[bad"`)
}

func TestWithoutGitleaks(t *testing.T) {
	t.Parallel()
	m, err := New(nil, WithoutGitleaks())
	require.NoError(t, err)
	const npm = "npm_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
	require.Equal(t, npm, m.String(npm))
	require.Equal(t, "ghp_****", m.String("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"))
}

func TestLongValue(t *testing.T) {
	t.Parallel()
	m := newTestMasker(t)
	prose := strings.Repeat("lorem ipsum dolor sit amet, consectetur adipiscing elit. ", 200)
	in := prose + "password=hunter2 " + prose
	require.Equal(t, prose+"password=**** "+prose, m.String(in))
}
