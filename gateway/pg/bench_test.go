package pg

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/jitgate/jitgate/grants"
)

// BenchmarkSelect runs one single-row SELECT per iteration, pgbench -S's
// shape, with pgx over plaintext: straight to the target as the baseline,
// then through the gateway with classification, masking and recording on,
// in the extended protocol (a statement prepared once, as pgbench -M
// prepared) and the simple one. What the gateway costs is the difference
// to the baseline in ns/op and allocs/op, the client's own share being
// the same on both sides.
func BenchmarkSelect(b *testing.B) {
	h := newHarness(b, harnessOpts{plaintext: true})
	h.grant(bob, grants.AccessRead, time.Hour)
	through := h.url(bob, h.token(bob), "prod-db")
	for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeCacheStatement, pgx.QueryExecModeSimpleProtocol} {
		for _, path := range []struct{ name, url string }{{"direct", h.target.Config().ConnString()}, {"gateway", through}} {
			b.Run(mode.String()+"/"+path.name, func(b *testing.B) {
				ctx := context.Background()
				cfg, err := pgx.ParseConfig(path.url)
				if err != nil {
					b.Fatal(err)
				}
				cfg.DefaultQueryExecMode = mode
				conn, err := pgx.ConnectConfig(ctx, cfg)
				if err != nil {
					b.Fatal(err)
				}
				defer conn.Close(ctx)
				b.ReportAllocs()
				var name string
				id := 0
				for b.Loop() {
					id = id%100 + 1
					if err := conn.QueryRow(ctx, "SELECT name FROM items WHERE id = $1", id).Scan(&name); err != nil {
						b.Fatal(err)
					}
				}
				if name == "" {
					b.Fatal("no row came back")
				}
			})
		}
	}
}

// BenchmarkWideRows reads 10,000 rows of five short text columns per
// iteration, an email in every row and a token in every tenth, as make
// bench-pg's wide query does: straight to the target as the baseline, then
// through the gateway, which masks them. It reports rows/s.
func BenchmarkWideRows(b *testing.B) {
	h := newHarness(b, harnessOpts{plaintext: true})
	h.grant(bob, grants.AccessRead, time.Hour)
	ctx := context.Background()
	const rows = 10_000
	_, err := h.target.Exec(ctx, `CREATE TABLE wide AS SELECT g AS id, md5(g::text) AS a,
		'user' || g || '@example.com' AS b, 'plain text number ' || g AS c,
		CASE WHEN g % 10 = 0 THEN 'token ghp_' || repeat('x', 36) ELSE 'nothing here' END AS d,
		repeat('y', 20) AS e FROM generate_series(1, 10000) g`)
	if err != nil {
		b.Fatal(err)
	}
	through := h.url(bob, h.token(bob), "prod-db")
	for _, path := range []struct{ name, url string }{{"direct", h.target.Config().ConnString()}, {"gateway", through}} {
		b.Run(path.name, func(b *testing.B) {
			conn, err := pgx.Connect(ctx, path.url)
			if err != nil {
				b.Fatal(err)
			}
			defer conn.Close(ctx)
			for b.Loop() {
				rs, err := conn.Query(ctx, "SELECT * FROM wide")
				if err != nil {
					b.Fatal(err)
				}
				n := 0
				for rs.Next() {
					n++
				}
				if err := rs.Err(); err != nil || n != rows {
					b.Fatalf("%d rows, %v", n, err)
				}
			}
			b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
