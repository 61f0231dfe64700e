package procstat

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestParseCountsFieldsAfterTheName(t *testing.T) {
	// A name may hold spaces and parentheses; the times are ticks of 1/100 s.
	st, ok := Parse("4242 (post gres) (x)) S 1 4242 4242 0 -1 4194560 900 0 0 0 150 50 7 3 20 0 1 0 100 0 0\n")
	require.True(t, ok)
	require.Equal(t, Stat{Comm: "post gres) (x)", State: "S", CPU: 2 * time.Second, Children: 100 * time.Millisecond}, st)
	_, ok = Parse("4242 (short) S 1 2 3")
	require.False(t, ok)
	_, ok = Parse("4242 (bad) S 1 2 3 4 5 6 7 8 9 10 x 50 7 3")
	require.False(t, ok)
}

func TestReadsThisProcess(t *testing.T) {
	st, ok := Read(os.Getpid())
	require.True(t, ok)
	// The state is the main thread's, which may sleep while another
	// thread reads: only the name says this is the process.
	require.Contains(t, []string{"R", "S", "D"}, st.State)
	name := filepath.Base(os.Args[0])
	require.Equal(t, name[:min(len(name), 15)], st.Comm, "the kernel keeps 15 bytes of the name")
	_, ok = Read(-1)
	require.False(t, ok)
}
