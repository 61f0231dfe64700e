package main

import (
	"fmt"
	"io"
	"text/tabwriter"
)

// The gateway's targets, as ratios or differences to the plain relay.
const (
	tpsTarget  = 0.95 // gateway TPS / relay TPS, at least
	p50Target  = 60.0 // gateway p50 - relay p50 at 1 client in µs, at most
	wideTarget = 0.8  // gateway rows/s / relay rows/s, at least
)

// report is everything benchpg measured; results are ordered direct,
// relay, gateway.
type report struct {
	header string
	rows   []row
	wide   wideResult
}

func (r report) print(w io.Writer) {
	fmt.Fprintf(w, "\n%s\n\n", r.header)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "mode\tclients\tdirect TPS\trelay TPS\tgateway TPS\tgateway/relay (median of rounds)\tvs target")
	for _, row := range r.rows {
		d, rl, g := row.results[0], row.results[1], row.results[2]
		fmt.Fprintf(tw, "%s\t%d\t%.0f\t%.0f\t%.0f\t%.2f\t%s\n", row.mode, row.clients,
			d.tps, rl.tps, g.tps, row.ratio, verdict(row.ratio >= tpsTarget, fmt.Sprintf("≥ %.2f", tpsTarget)))
	}
	tw.Flush()
	fmt.Fprintln(w)
	r.printCPU(w)
	for _, row := range r.rows {
		if row.clients == 1 {
			r.printLatency(w, row)
		}
	}
	r.printWide(w)
}

// printCPU shows where the CPU went per transaction, when /proc told: the
// runs saturate the machine's CPUs, so what the gateway spends beyond the
// relay, and what its recording makes the server spend, is throughput lost.
func (r report) printCPU(w io.Writer) {
	if len(r.rows) == 0 || r.rows[0].results[2].cpu == (cpuCost{}) {
		return
	}
	fmt.Fprintln(w, "CPU per transaction (µs): the process on the data path, the server, pgbench")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "mode\tclients\tdirect\trelay\tgateway")
	for _, row := range r.rows {
		fmt.Fprintf(tw, "%s\t%d", row.mode, row.clients)
		for _, res := range row.results {
			c := res.cpu
			fmt.Fprintf(tw, "\t%.0f / %.0f / %.0f", c.proxy, c.server, c.client)
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
	fmt.Fprintln(w)
}

func (r report) printLatency(w io.Writer, row row) {
	d, rl, g := row.results[0].p50, row.results[1].p50, row.results[2].p50
	fmt.Fprintf(w, "p50 latency at 1 client (µs): direct %.0f, relay %.0f, gateway %.0f, %+.0f µs (%s)  %s\n",
		d, rl, g, g-rl, row.mode, verdict(g-rl <= p50Target, fmt.Sprintf("≤ +%.0f µs", p50Target)))
}

func (r report) printWide(w io.Writer) {
	ratio := r.wide.gateway.rate / r.wide.relay.rate
	fmt.Fprintf(w, "wide rows (100k x 5 text): relay %.0f rows/s, gateway %.0f rows/s, ratio %.2f  %s\n",
		r.wide.relay.rate, r.wide.gateway.rate, ratio, verdict(ratio >= wideTarget, fmt.Sprintf("≥ %.2f", wideTarget)))
	if c, g := r.wide.relay.cpu, r.wide.gateway.cpu; g != (cpuCost{}) {
		fmt.Fprintf(w, "CPU per wide row (ns, ±100: /proc counts 10 ms ticks), data path / server / reader: relay %.0f / %.0f / %.0f, gateway %.0f / %.0f / %.0f\n",
			1000*c.proxy, 1000*c.server, 1000*c.client, 1000*g.proxy, 1000*g.server, 1000*g.client)
	}
	m := r.wide.masking
	fmt.Fprintf(w, "masking through the gateway: emails in b masked in %d of %d rows (first b: %q); tokens in d masked in %d of %d; a, c, e values changed: %d\n",
		m.rows-m.emails, m.rows, m.sample, m.tokens-m.tokensKept, m.tokens, m.changed)
}

// verdict marks a measurement against its target.
func verdict(ok bool, target string) string {
	if ok {
		return "ok (target " + target + ")"
	}
	return "BELOW TARGET (" + target + ")"
}
