package main

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// result is one pgbench run.
type result struct {
	tps float64
	p50 float64 // median latency in µs; 0 when the run logged none
	// cpu is what the run cost in CPU per transaction; zero where /proc
	// cannot tell.
	cpu cpuCost
}

// cpuCost is CPU time per transaction in µs: of the process on the data
// path (relay or gateway; none for direct), of the server, of pgbench.
// On a machine whose CPUs the run saturates, these say where throughput
// goes.
type cpuCost struct{ proxy, server, client float64 }

// row is one (mode, clients) combination: a result per target in the order
// of the targets (for relay and gateway the round of median TPS), and the
// median over rounds of the gateway's TPS over the relay's in the same
// round.
type row struct {
	mode    string
	clients int
	results []result
	ratio   float64
}

// pgbenchTable runs pgbench -S for each mode and client count: once
// directly, then rounds times through the relay and the gateway, the two
// back to back in each round and in turns first, so that both see the same
// conditions and a slow spell of a shared machine lands on one round, not
// on one side. One-client runs log every transaction for the median
// latency.
func pgbenchTable(ctx context.Context, targets []target, secs, rounds int, dir string) ([]row, error) {
	var rows []row
	for _, mode := range []string{"simple", "prepared"} {
		for _, clients := range []int{1, 8} {
			run := func(t target) (result, error) {
				progress("pgbench -M %s -c %d through %s (%d s)", mode, clients, t.name, secs)
				prefix := ""
				if clients == 1 {
					prefix = filepath.Join(dir, fmt.Sprintf("pgbench-%s-%s", mode, t.name), "pgbench_log")
				}
				res, err := pgbench(ctx, t, mode, clients, secs, prefix)
				if err != nil {
					return res, fmt.Errorf("pgbench -M %s -c %d through %s: %w", mode, clients, t.name, err)
				}
				return res, nil
			}
			direct, err := run(targets[0])
			if err != nil {
				return nil, err
			}
			var relay, gateway []result
			var ratios []float64
			for i := range rounds {
				pair := []int{1, 2}
				if i%2 == 1 {
					pair = []int{2, 1}
				}
				var got [3]result
				for _, ti := range pair {
					if got[ti], err = run(targets[ti]); err != nil {
						return nil, err
					}
				}
				relay, gateway = append(relay, got[1]), append(gateway, got[2])
				ratios = append(ratios, got[2].tps/got[1].tps)
			}
			rows = append(rows, row{mode: mode, clients: clients, ratio: median(ratios),
				results: []result{direct, medianRun(relay), medianRun(gateway)}})
		}
	}
	return rows, nil
}

// medianRun returns the run of median TPS (the lower middle one of an even
// number).
func medianRun(rs []result) result {
	rs = slices.Clone(rs)
	slices.SortFunc(rs, func(a, b result) int { return cmp.Compare(a.tps, b.tps) })
	return rs[(len(rs)-1)/2]
}

// pgbench runs the select-only builtin against t; with a logPrefix it logs
// every transaction there and takes the median latency from the logs.
func pgbench(ctx context.Context, t target, mode string, clients, secs int, logPrefix string) (result, error) {
	args := []string{"-n", "-S", "-T", strconv.Itoa(secs), "-c", strconv.Itoa(clients),
		"-j", strconv.Itoa(min(clients, 2)), "-M", mode}
	if logPrefix != "" {
		if err := os.MkdirAll(filepath.Dir(logPrefix), 0o755); err != nil {
			return result{}, fmt.Errorf("log dir: %w", err)
		}
		args = append(args, "-l", "--log-prefix="+logPrefix)
	}
	cmd := exec.CommandContext(ctx, "pgbench", args...)
	cmd.Env = t.env()
	before := t.cpuNow()
	out, err := cmd.CombinedOutput()
	if err != nil {
		return result{}, fmt.Errorf("%w\n%s", err, tail(string(out), 15))
	}
	var res result
	if res.tps, err = parseTPS(string(out)); err != nil {
		return result{}, err
	}
	if txns, ok := parseTransactions(string(out)); ok {
		res.cpu = t.cpuNow().since(before, cmd.ProcessState.UserTime()+cmd.ProcessState.SystemTime(), txns)
	}
	if logPrefix != "" {
		res.p50, err = logMedian(logPrefix)
		os.RemoveAll(filepath.Dir(logPrefix))
	}
	return res, err
}

var txnsLine = regexp.MustCompile(`(?m)^number of transactions actually processed: ([0-9]+)`)

func parseTransactions(out string) (int, bool) {
	m := txnsLine.FindStringSubmatch(out)
	if m == nil {
		return 0, false
	}
	n, err := strconv.Atoi(m[1])
	return n, err == nil && n > 0
}

var tpsLine = regexp.MustCompile(`(?m)^tps = ([0-9.]+) \(without initial connection time\)`)

func parseTPS(out string) (float64, error) {
	m := tpsLine.FindStringSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("no tps line in pgbench's output:\n%s", tail(out, 15))
	}
	return strconv.ParseFloat(m[1], 64)
}

// logMedian returns the median latency in µs of the transactions in the
// per-transaction logs that start with prefix (one file per thread).
func logMedian(prefix string) (float64, error) {
	files, err := filepath.Glob(prefix + ".*")
	if err != nil || len(files) == 0 {
		return 0, fmt.Errorf("no pgbench logs %s.*", prefix)
	}
	var lat []float64
	for _, f := range files {
		if lat, err = appendLatencies(lat, f); err != nil {
			return 0, err
		}
	}
	if len(lat) == 0 {
		return 0, errors.New("pgbench logged no transactions")
	}
	return median(lat), nil
}

// appendLatencies appends the third column of a pgbench log: a
// transaction's latency in µs.
func appendLatencies(lat []float64, path string) ([]float64, error) {
	f, err := os.Open(path)
	if err != nil {
		return lat, fmt.Errorf("pgbench log: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 3 {
			return lat, fmt.Errorf("pgbench log %s: short line %q", path, sc.Text())
		}
		v, err := strconv.ParseFloat(fields[2], 64)
		if err != nil {
			return lat, fmt.Errorf("pgbench log %s: latency %q: %w", path, fields[2], err)
		}
		lat = append(lat, v)
	}
	return lat, sc.Err()
}

// median sorts xs and returns its middle value (the mean of the two middle
// ones when there is an even number). xs must not be empty.
func median(xs []float64) float64 {
	slices.Sort(xs)
	mid := len(xs) / 2
	if len(xs)%2 == 1 {
		return xs[mid]
	}
	return (xs[mid-1] + xs[mid]) / 2
}
