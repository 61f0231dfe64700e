package mask

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestAdversarialValues guards against quadratic time: a user controls what
// their rows hold, and the gateway masks every one. Each value is 20 kB of
// one repeated trigger; linear work takes milliseconds, quadratic seconds.
func TestAdversarialValues(t *testing.T) {
	t.Parallel()
	m := newTestMasker(t)
	for _, unit := range []string{
		`password="`, `secret`, `://a:`, `@a.`, `-----BEGIN PRIVATE KEY-----`,
		`eyJaaaa.`, `4111 `, `authorization: `, `PASSWORD '`, `ghp_`, `a`,
	} {
		v := []byte(strings.Repeat(unit, 20000/len(unit)))
		start := time.Now()
		m.Append(nil, v)
		require.Less(t, time.Since(start), time.Second, "%q repeated", unit)
	}
}
