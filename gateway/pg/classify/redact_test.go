package classify

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSecretStatementsAreRedactedByTheParser(t *testing.T) {
	c := New(Options{})
	for _, sql := range []string{
		"ALTER ROLE app PASSWORD 'hunter2hunter2'",
		"ALTER ROLE app PASSWORD $$hunter2hunter2$$",
		"ALTER ROLE app WITH ENCRYPTED PASSWORD $tag$hunter2hunter2$tag$",
		"alter role app password E'hunter2hunter2'",
		"ALTER ROLE app PASSWORD\n'hunter2hunter2'",
		"ALTER ROLE app PASSWORD/**/'hunter2hunter2'",
		"CREATE USER bob WITH PASSWORD 'hunter2hunter2' VALID UNTIL '2030-01-01'",
		"SELECT 1; CREATE ROLE x LOGIN PASSWORD 'hunter2hunter2'",
		"CREATE USER MAPPING FOR bob SERVER remote OPTIONS (user 'bob', password 'hunter2hunter2')",
		"ALTER SERVER remote OPTIONS (SET password 'hunter2hunter2')",
		"CREATE SUBSCRIPTION s CONNECTION 'host=db password=hunter2hunter2' PUBLICATION p",
	} {
		v := c.Classify(sql)
		require.True(t, v.Secret, sql)
		got := Redact(sql)
		require.NotContains(t, got, "hunter2", sql)
		require.Contains(t, got, "$1", sql)
	}
	for _, sql := range []string{"SELECT 'hunter2'", "UPDATE t SET a = 'x' WHERE id = 1", "ALTER TABLE t ADD COLUMN c text"} {
		require.False(t, c.Classify(sql).Secret, sql)
	}
	require.Equal(t, redacted, Redact("ALTER ROLE app PASSWORD 'unterminated"))
}
