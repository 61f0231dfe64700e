// Command benchpg measures what the Postgres gateway costs: it runs pgbench
// and a wide-row query directly against a server, through a plain TCP relay
// (internal/cmd/pgrelay) and through `jitgate serve`, and prints one table
// comparing them. `make bench-pg` runs it inside a throwaway PostgreSQL.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:])
	stop()
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchpg:", err)
		os.Exit(1)
	}
}

type options struct {
	seconds    int    // length of each pgbench run
	rounds     int    // relay and gateway runs per combination
	scale      int    // pgbench -i scale factor
	cpuProfile string // where jitgate serve writes its CPU profile, if anywhere
	hold       bool   // set up, print how to reach each target, and wait instead of measuring
}

func parseFlags(args []string) (options, error) {
	fs := flag.NewFlagSet("benchpg", flag.ContinueOnError)
	var o options
	fs.IntVar(&o.seconds, "seconds", 10, "length of each pgbench run in `seconds`")
	fs.IntVar(&o.scale, "scale", 10, "pgbench -i scale `factor` of the target database")
	fs.IntVar(&o.rounds, "rounds", 5, "`n` runs each of relay and gateway per mode and client count; the ratio is their median")
	quick := fs.Bool("quick", false, "3-second runs, for a smoke run")
	fs.BoolVar(&o.hold, "hold", false, "set everything up, print the environment that points pgbench or psql at each target, and wait for an interrupt instead of measuring (for profiling by hand)")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write jitgate serve's CPU profile over all gateway runs to `file` (go tool pprof reads it)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if *quick {
		o.seconds, o.rounds = 3, 1
	}
	if o.seconds < 1 || o.scale < 1 || o.rounds < 1 {
		return o, fmt.Errorf("-seconds, -scale and -rounds must be at least 1, got %d, %d and %d", o.seconds, o.scale, o.rounds)
	}
	return o, nil
}

// run prepares the databases, starts the relay and jitgate, measures, and
// prints the report. Children are stopped however it ends; the temp dir is
// kept when something failed, for its logs.
func run(ctx context.Context, args []string) (err error) {
	opts, err := parseFlags(args)
	if err != nil {
		return err
	}
	srv, err := serverFromEnv()
	if err != nil {
		return err
	}
	root, err := moduleRoot(ctx)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "jitgate-bench-")
	if err != nil {
		return fmt.Errorf("temp dir: %w", err)
	}
	defer func() {
		if err != nil {
			progress("files kept in %s", dir)
			return
		}
		os.RemoveAll(dir)
	}()
	return measure(ctx, opts, srv, root, dir)
}

func measure(ctx context.Context, opts options, srv server, root, dir string) (err error) {
	bins, err := buildBinaries(ctx, root)
	if err != nil {
		return err
	}
	defer bins.remove()
	version, err := prepareDatabases(ctx, srv, opts.scale)
	if err != nil {
		return err
	}
	relay, err := startRelay(bins.pgrelay, srv.hostPort(), dir)
	if err != nil {
		return err
	}
	defer relay.stop()
	jg, err := startJitgate(ctx, srv, bins.jitgate, dir, opts.cpuProfile)
	if err != nil {
		return err
	}
	defer jg.stop()
	defer func() {
		if err != nil && ctx.Err() == nil {
			fmt.Fprintf(os.Stderr, "last lines of %s:\n%s", jg.serve.logPath, jg.serve.tail(30))
		}
	}()
	targets := []target{srv.direct(), srv.via("relay", relay.addr, relay.cmd.Process.Pid), jg.target()}
	if opts.hold {
		return hold(ctx, targets)
	}
	rep, err := benchmark(ctx, opts, targets, dir)
	if rep.rows == nil {
		return err
	}
	rep.header = fmt.Sprintf("PostgreSQL %s, pgbench -S scale %d, %d s per run, %d rounds, %d CPUs, %s", version, opts.scale, opts.seconds, opts.rounds, runtime.NumCPU(), procsSetting())
	rep.print(os.Stdout)
	reportLogErrors(jg.serve.logPath)
	return err
}

// procsSetting says how many Ps the relay and jitgate run with: they
// inherit GOMAXPROCS from benchpg's environment, and on a small box shared
// with the server and pgbench the setting moves both of them.
func procsSetting() string {
	if v := os.Getenv("GOMAXPROCS"); v != "" {
		return "GOMAXPROCS=" + v + " for relay and gateway"
	}
	return fmt.Sprintf("Go's default GOMAXPROCS (%d) for relay and gateway", runtime.GOMAXPROCS(0))
}

// hold prints, for each target, the shell variables that point libpq at it
// and the process on its data path, then waits until ctx ends.
func hold(ctx context.Context, targets []target) error {
	for _, t := range targets {
		fmt.Printf("# %s (data path pid %d)\n%s\n", t.name, t.pid, strings.Join(t.libpqVars(), " "))
	}
	progress("holding; interrupt to stop")
	<-ctx.Done()
	return nil
}

// benchmark checks that every target answers, runs pgbench and the wide-row
// query through each, and checks the gateway's masking. When only the
// masking check fails, it returns the whole report with the error.
func benchmark(ctx context.Context, opts options, targets []target, dir string) (report, error) {
	warnIfBusy()
	progress("checking that direct, relay and gateway answer")
	for _, t := range targets {
		if _, err := pgbench(ctx, t, "simple", 1, 1, ""); err != nil {
			return report{}, fmt.Errorf("pgbench through %s: %w", t.name, err)
		}
	}
	rows, err := pgbenchTable(ctx, targets, opts.seconds, opts.rounds, dir)
	if err != nil {
		return report{}, err
	}
	wide, err := benchWide(ctx, targets[1], targets[2])
	if err != nil {
		return report{}, err
	}
	rep := report{rows: rows, wide: wide}
	rep.wide.masking, err = checkMasking(ctx, targets[2])
	return rep, err
}

func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "benchpg: "+format+"\n", args...)
}

// warnIfBusy says so when other work keeps the CPUs busy in the second
// before measuring (Linux only): the relay, the gateway and the server then
// compete with it, and the ratios swing from run to run.
func warnIfBusy() {
	before, ok := cpuTimes()
	time.Sleep(time.Second)
	after, ok2 := cpuTimes()
	if !ok || !ok2 || after[1] <= before[1] {
		return
	}
	busy := float64(after[0]-before[0]) / float64(after[1]-before[1])
	if busy > 0.25 {
		progress("other work keeps the CPUs %.0f%% busy: expect noisy numbers", 100*busy)
	}
}

// cpuTimes returns the busy and total time of all CPUs from /proc/stat.
func cpuTimes() ([2]uint64, bool) {
	b, err := os.ReadFile("/proc/stat")
	fields := strings.Fields(strings.SplitN(string(b), "\n", 2)[0])
	if err != nil || len(fields) < 9 || fields[0] != "cpu" {
		return [2]uint64{}, false
	}
	var t [2]uint64
	for i, f := range fields[1:9] {
		v, _ := strconv.ParseUint(f, 10, 64)
		t[1] += v
		if i != 3 && i != 4 { // idle, iowait
			t[0] += v
		}
	}
	return t, true
}
