package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestMedian(t *testing.T) {
	require.Equal(t, 2.0, median([]float64{3, 1, 2}))
	require.Equal(t, 2.5, median([]float64{4, 1, 3, 2}))
}

func TestParseTPS(t *testing.T) {
	out := "latency average = 0.101 ms\ninitial connection time = 2.345 ms\ntps = 9876.543210 (without initial connection time)\n"
	tps, err := parseTPS(out)
	require.NoError(t, err)
	require.InDelta(t, 9876.54321, tps, 1e-6)
	_, err = parseTPS("pgbench: error: connection refused\n")
	require.ErrorContains(t, err, "no tps line")
}

func TestLogMedianReadsEveryThreadsLog(t *testing.T) {
	prefix := filepath.Join(t.TempDir(), "pgbench_log")
	require.NoError(t, os.WriteFile(prefix+".123", []byte("0 1 100 0 1700000000 1\n0 2 300 0 1700000000 2\n"), 0o600))
	require.NoError(t, os.WriteFile(prefix+".123.1", []byte("1 1 200 0 1700000000 3\n"), 0o600))
	p50, err := logMedian(prefix)
	require.NoError(t, err)
	require.Equal(t, 200.0, p50)
}
