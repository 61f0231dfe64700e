package pg

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jitgate/jitgate/grants"
)

// Under any framing but the default, the server escapes or quotes bytes
// inside values (DELIMITER '@' sends alice\@example.com), which the
// detectors do not recognise: such a COPY is refused, with column rules
// or without.
func TestCopyWithNonDefaultFramingIsRefused(t *testing.T) {
	t.Parallel()
	for _, o := range []harnessOpts{{}, {noColumnRules: true}} {
		h := newHarness(t, o)
		h.grant(bob, grants.AccessRead, time.Hour)
		conn := h.connect(bob)
		ctx := context.Background()
		for _, sql := range []string{
			"COPY (SELECT email FROM users WHERE id = 1) TO STDOUT (DELIMITER '@')",
			"COPY (SELECT email, 'x'::text FROM users WHERE id = 1) TO STDOUT (DELIMITER '.')",
			"COPY (SELECT note, 'x'::text FROM users WHERE id = 1) TO STDOUT (DELIMITER ' ')",
			"COPY (SELECT api_token, 'x'::text FROM users WHERE id = 1) TO STDOUT (DELIMITER '_')",
			"COPY (SELECT api_token, 'x'::text FROM users WHERE id = 1) TO STDOUT (DELIMITER 'a')",
			"COPY (SELECT password, 'a'::text FROM users WHERE id = 1) TO STDOUT (DELIMITER '*')",
			"COPY (SELECT email FROM users WHERE id = 1) TO STDOUT (FORMAT csv, DELIMITER '@')",
			"COPY (SELECT email FROM users WHERE id = 1) TO STDOUT (FORMAT csv, DELIMITER E'\\t')",
			"COPY (SELECT email FROM users WHERE id = 1) TO STDOUT (FORMAT csv, QUOTE '@')",
			"COPY (SELECT api_token FROM users WHERE id = 1) TO STDOUT (FORMAT csv, QUOTE '_', FORCE_QUOTE *)",
			"COPY (SELECT email FROM users WHERE id = 1) TO STDOUT (FORMAT csv, ESCAPE '@')",
			"COPY (SELECT email FROM users WHERE id = 1) TO STDOUT (NULL '\\')",
			"COPY (SELECT email FROM users WHERE id = 1) TO STDOUT (ENCODING 'SJIS')",
			"COPY users TO STDOUT (DELIMITER '@'); SELECT 1",
		} {
			_, err := conn.PgConn().CopyTo(ctx, &bytes.Buffer{}, sql)
			require.Equal(t, "42501", pgCode(err), "rules %v, %s: %v", !o.noColumnRules, sql, err)
			var one int
			require.NoError(t, conn.QueryRow(ctx, "SELECT 1").Scan(&one), "the session stays usable")
		}

		for _, sql := range []string{
			"COPY (SELECT id, email, note, api_token FROM users ORDER BY id) TO STDOUT",
			"COPY (SELECT id, email, note, api_token FROM users ORDER BY id) TO STDOUT (DELIMITER E'\\t', NULL 'none')",
			"COPY (SELECT id, email, note, api_token FROM users ORDER BY id) TO STDOUT (FORMAT csv, DELIMITER ',', QUOTE '\"', ESCAPE '\"', HEADER)",
		} {
			var out bytes.Buffer
			_, err := conn.PgConn().CopyTo(ctx, &out, sql)
			require.NoError(t, err, sql)
			for _, secret := range []string{"alice@example.com", "4111 1111 1111 1111", "ghp_aaaa"} {
				require.NotContains(t, out.String(), secret, "rules %v, %s", !o.noColumnRules, sql)
			}
			require.Contains(t, out.String(), "nothing secret", "clean values pass")
		}
	}
}

// psql shows the refusal and why, and goes on with the next statement.
func TestPsqlCopyRefusalNamesTheOption(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{noColumnRules: true})
	h.grant(bob, grants.AccessRead, time.Hour)
	out, _ := h.psql(bob, "-At", "-c", "COPY (SELECT email FROM users WHERE id = 1) TO STDOUT (DELIMITER '@')", "-c", "SELECT 'still here'")
	require.Contains(t, out, "DELIMITER")
	require.Contains(t, out, "still here")
	require.NotContains(t, out, `alice\@example.com`)
	require.Equal(t, 1, strings.Count(out, "ERROR:"))
}
