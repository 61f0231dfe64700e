package main

import (
	"context"
	"crypto/md5"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

const wideQuery = "SELECT * FROM wide"

// wideResult is the best rate of the wide query through the relay and the
// gateway, and what the gateway's masking did to it.
type wideResult struct {
	relay, gateway wideRun // the fastest run of each
	masking        maskCheck
}

// wideRounds is how many times the wide query runs through each of relay
// and gateway. One run lasts a tenth of a second, so a single slow spell of
// a shared machine can halve it: the best of several is the steady figure.
const wideRounds = 5

// benchWide runs the wide query wideRounds times through each of relay and
// gateway, alternating which goes first, and keeps the best rate of each.
func benchWide(ctx context.Context, relay, gateway target) (wideResult, error) {
	best := map[string]wideRun{}
	for i := range wideRounds {
		progress("%s through relay and gateway (round %d of %d)", wideQuery, i+1, wideRounds)
		pair := []target{relay, gateway}
		if i%2 == 1 {
			slices.Reverse(pair)
		}
		for _, t := range pair {
			run, err := wideRate(ctx, t)
			if err != nil {
				return wideResult{}, err
			}
			if run.rate > best[t.name].rate {
				best[t.name] = run
			}
		}
	}
	return wideResult{relay: best[relay.name], gateway: best[gateway.name]}, nil
}

// wideRun is one wide query: rows per second, not counting the connection,
// and CPU per row (µs) of the process on the data path, the server and
// benchpg reading the rows.
type wideRun struct {
	rate float64
	cpu  cpuCost
}

// wideRate runs the wide query once through t.
func wideRate(ctx context.Context, t target) (wideRun, error) {
	conn, err := pgx.Connect(ctx, t.url())
	if err != nil {
		return wideRun{}, fmt.Errorf("connect through %s: %w", t.name, err)
	}
	defer conn.Close(ctx)
	start, before, self := time.Now(), t.cpuNow(), selfCPU()
	rows, err := conn.Query(ctx, wideQuery)
	if err != nil {
		return wideRun{}, fmt.Errorf("%s through %s: %w", wideQuery, t.name, err)
	}
	n := 0
	for rows.Next() {
		n++
	}
	if err := rows.Err(); err != nil {
		return wideRun{}, fmt.Errorf("%s through %s: %w", wideQuery, t.name, err)
	}
	elapsed := time.Since(start)
	if n != wideRows {
		return wideRun{}, fmt.Errorf("%s through %s: %d rows, want %d", wideQuery, t.name, n, wideRows)
	}
	return wideRun{rate: float64(n) / elapsed.Seconds(), cpu: t.cpuNow().since(before, selfCPU()-self, n)}, nil
}

// maskCheck counts, over the wide table read through the gateway, the
// values that still carry their original secret and the harmless values
// that were changed anyway.
type maskCheck struct {
	rows       int
	emails     int    // b values that still hold the original email
	tokens     int    // rows whose d holds a token
	tokensKept int    // ... that still does
	changed    int    // a, c and e values that differ from the original
	sample     string // the first b value as the gateway returned it
}

const wideToken = "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"

func checkMasking(ctx context.Context, gateway target) (maskCheck, error) {
	progress("checking what the gateway masked in wide")
	conn, err := pgx.Connect(ctx, gateway.url())
	if err != nil {
		return maskCheck{}, fmt.Errorf("connect through gateway: %w", err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, wideQuery)
	if err != nil {
		return maskCheck{}, fmt.Errorf("%s through gateway: %w", wideQuery, err)
	}
	var m maskCheck
	var id int
	var v [5]string
	_, err = pgx.ForEachRow(rows, []any{&id, &v[0], &v[1], &v[2], &v[3], &v[4]}, func() error {
		m.count(id, v)
		return nil
	})
	if err != nil {
		return m, fmt.Errorf("%s through gateway: %w", wideQuery, err)
	}
	if m.emails > 0 {
		return m, fmt.Errorf("masking did not apply: %d of %d values of wide.b still hold the original email (first b: %q)", m.emails, m.rows, m.sample)
	}
	return m, nil
}

// count adds one row of wide: id, then a to e.
func (m *maskCheck) count(id int, v [5]string) {
	m.rows++
	if m.sample == "" {
		m.sample = v[1]
	}
	if strings.Contains(v[1], fmt.Sprintf("user%d@example.com", id)) {
		m.emails++
	}
	if id%10 == 0 {
		m.tokens++
		if strings.Contains(v[3], wideToken) {
			m.tokensKept++
		}
	}
	m.changed += harmlessChanged(id, v)
}

// harmlessChanged counts the values among a, c and e, which hold no secret,
// that are not what the table holds.
func harmlessChanged(id int, v [5]string) int {
	n := 0
	for i, want := range map[int]string{
		0: fmt.Sprintf("%x", md5.Sum([]byte(strconv.Itoa(id)))),
		2: "plain text number " + strconv.Itoa(id),
		4: strings.Repeat("y", 20),
	} {
		if v[i] != want {
			n++
		}
	}
	return n
}
