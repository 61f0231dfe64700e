package classify

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestFastKey(t *testing.T) {
	t.Parallel()
	tests := []struct {
		sql, key string
		ok       bool
	}{
		{"SELECT abalance FROM pgbench_accounts WHERE aid = 48213;", "SELECT abalance FROM pgbench_accounts WHERE aid = \x80;", true},
		{"UPDATE t SET a = a + -1234 WHERE id = 5", "UPDATE t SET a = a + -\x80 WHERE id = \x80", true},
		{"SELECT * FROM t WHERE name = 'it''s' AND x = 1.5", "SELECT * FROM t WHERE name = \x82 AND x = \x81", true},
		{"SELECT a1, t.b FROM t2 t", "SELECT a1, t.b FROM t2 t", true},
		{"SELECT 2147483647, 2147483648, 00000000001", "SELECT \x80, \x81, \x80", true},
		{"SELECT E'\\x'", "", false},
		{"SELECT x'1F'", "", false},
		{"SELECT int '5'", "SELECT int \x82", true},
		{"SELECT 1e5", "", false},
		{"SELECT 0x1F", "", false},
		{"SELECT 1_000", "", false},
		{"SELECT 1.2.3", "", false},
		{"SELECT $1", "", false},
		{"SELECT $$x$$", "", false},
		{`SELECT "Col" FROM t`, "", false},
		{"SELECT 1 -- comment", "", false},
		{"SELECT /* c */ 1", "", false},
		{"SELECT 'é'", "", false},
		{"SELECT 'a'\n'b'", "", false},
		{"SELECT 'a' 'b'", "", false},
		{"SELECT 'unterminated", "", false},
	}
	for _, tt := range tests {
		key, ok := fastKey(tt.sql)
		require.Equal(t, tt.ok, ok, tt.sql)
		require.Equal(t, tt.key, key, tt.sql)
	}
}

func TestFastKeyDoesNotShareLiteralVerdicts(t *testing.T) {
	t.Parallel()
	for _, order := range [][]string{
		{"DELETE FROM t WHERE 1 = 2", "DELETE FROM t WHERE 1 = 1"},
		{"DELETE FROM t WHERE 1 = 1", "DELETE FROM t WHERE 1 = 2"},
		{"SELECT set_config('application_name', 'x', false)", "SELECT set_config('standard_conforming_strings', 'off', false)"},
		{"COPY t TO STDOUT", "COPY t FROM 'x'"},
	} {
		warm := New(Options{})
		for range 2 {
			for _, sql := range order {
				require.Equal(t, New(Options{}).Classify(sql), warm.Classify(sql), sql)
			}
		}
	}
}

func BenchmarkFastKey(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_, _ = fastKey("SELECT abalance FROM pgbench_accounts WHERE aid = 48213;")
	}
}

func TestFastKeyRefusesWhatPrecheckRefuses(t *testing.T) {
	t.Parallel()
	c := New(Options{})
	require.False(t, c.Classify("SELECT 'x'").Refuse)
	for _, sql := range []string{"SELECT '\xff'", "SELECT 'a\x00'", "SELECT 'a\\'"} {
		_, ok := fastKey(sql)
		require.False(t, ok, "%q", sql)
	}
	require.True(t, c.Classify("SELECT '\xff'").Refuse, "a warm fast key must not bypass the UTF-8 check")
}
