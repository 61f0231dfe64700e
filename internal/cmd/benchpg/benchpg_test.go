package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"

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

func TestCPUCostPerTransaction(t *testing.T) {
	before := cpuSample{proxy: 1, server: 10, ok: true}
	after := cpuSample{proxy: 1.5, server: 12, ok: true}
	require.Equal(t, cpuCost{proxy: 50, server: 200, client: 30}, after.since(before, 300*time.Millisecond, 10000))
	require.Equal(t, cpuCost{}, after.since(cpuSample{}, time.Second, 10000), "nothing when /proc could not tell")
	n, ok := parseTransactions("number of clients: 8\nnumber of transactions actually processed: 91234\n")
	require.True(t, ok)
	require.Equal(t, 91234, n)
}

func TestMedianRunKeepsTheWholeRun(t *testing.T) {
	rs := []result{{tps: 300, p50: 3}, {tps: 100, p50: 1}, {tps: 200, p50: 2}}
	require.Equal(t, result{tps: 200, p50: 2}, medianRun(rs))
	require.Equal(t, 300.0, rs[0].tps, "the runs keep their order")
	require.Equal(t, result{tps: 100, p50: 1}, medianRun(rs[:2]), "the lower middle of two")
}

// A backend that ends during a scan makes that scan miss its CPU; the
// server's CPU is only taken from two scans that agree on the processes.
func TestStableCPUWaitsOutEndingBackends(t *testing.T) {
	scans := []pgScan{
		{total: 10, pids: []int{1, 2, 3}},
		{total: 4, pids: []int{1, 3}},                 // 2 ended mid-scan: its 6 s counted nowhere
		{total: 10, pids: []int{1, 3}, zombies: true}, // 3 ended, not yet waited for
		{total: 10.5, pids: []int{1}},
		{total: 10.5, pids: []int{1}},
	}
	n := 0
	got, ok := stableCPU(func() (pgScan, bool) { n++; return scans[n-1], true }, 0)
	require.True(t, ok)
	require.Equal(t, 10.5, got)
	require.Equal(t, len(scans), n)

	_, ok = stableCPU(func() (pgScan, bool) { return pgScan{}, false }, 0)
	require.False(t, ok, "no /proc")
	flip := 0
	_, ok = stableCPU(func() (pgScan, bool) { flip++; return pgScan{pids: []int{flip}}, true }, 0)
	require.False(t, ok, "never settles")
}
