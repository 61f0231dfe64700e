package bot

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestTTLCacheForgetsAfterDirectoryTTL(t *testing.T) {
	now := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	c := newTTLCache[string, string](func() time.Time { return now })
	_, ok := c.get("alice@example.com")
	require.False(t, ok)
	c.put("alice@example.com", "U0ALICE")
	now = now.Add(directoryTTL - time.Second)
	v, ok := c.get("alice@example.com")
	require.True(t, ok)
	require.Equal(t, "U0ALICE", v)
	now = now.Add(time.Second)
	_, ok = c.get("alice@example.com")
	require.False(t, ok, "a removed group member stops counting once the entry is stale")
}
