package classify

import (
	"fmt"
	"testing"

	pg_query "github.com/pganalyze/pg_query_go/v6"
)

func BenchmarkClassify(b *testing.B) {
	literals := func(format string) []string {
		s := make([]string, 4096)
		for i := range s {
			s[i] = fmt.Sprintf(format, i*7919%100000+1)
		}
		return s
	}
	pgbenchSelect := literals("SELECT abalance FROM pgbench_accounts WHERE aid = %d;")
	tpcb := literals("BEGIN; UPDATE pgbench_accounts SET abalance = abalance + -1234 WHERE aid = %d; " +
		"SELECT abalance FROM pgbench_accounts WHERE aid = 5; " +
		"UPDATE pgbench_tellers SET tbalance = tbalance + -1234 WHERE tid = 3; " +
		"UPDATE pgbench_branches SET bbalance = bbalance + -1234 WHERE bid = 1; " +
		"INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (3, 1, 5, -1234, CURRENT_TIMESTAMP); END;")

	run := func(name string, c *Classifier, texts []string) {
		b.Run(name, func(b *testing.B) {
			for _, s := range texts { // warm the cache with the statement's shape
				c.Classify(s)
				break
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				c.Classify(texts[i%len(texts)])
				i++
			}
		})
	}
	run("select/same-text", New(Options{}), pgbenchSelect[:1])
	run("select/changing-literals", New(Options{}), pgbenchSelect)
	run("select/cold", New(Options{CacheSize: -1}), pgbenchSelect)
	b.Run("select/changing-literals/sessions-in-parallel", func(b *testing.B) {
		// What the gateway does: every session's client half classifies at
		// once, through one cache.
		c := New(Options{})
		c.Classify(pgbenchSelect[0])
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			s := c.NewSession()
			for i := 0; pb.Next(); i++ {
				s.Classify(pgbenchSelect[i%len(pgbenchSelect)])
			}
		})
	})
	run("tpcb-multi/same-text", New(Options{}), tpcb[:1])
	run("tpcb-multi/changing-literals", New(Options{}), tpcb)
	run("tpcb-multi/cold", New(Options{CacheSize: -1}), tpcb)
}

func BenchmarkNestingDepth(b *testing.B) {
	sql := "SELECT abalance FROM pgbench_accounts WHERE aid = 48213;"
	b.SetBytes(int64(len(sql)))
	for b.Loop() {
		nestingDepth(sql, defaultMaxDepth)
	}
}

// BenchmarkPgQuery measures the library calls Classify builds on, for the
// same statement, so that Classify's numbers can be read as ratios on a
// noisy machine.
func BenchmarkPgQuery(b *testing.B) {
	sql := "SELECT abalance FROM pgbench_accounts WHERE aid = 48213;"
	b.Run("Parse", func(b *testing.B) {
		for b.Loop() {
			pg_query.Parse(sql)
		}
	})
	b.Run("Normalize", func(b *testing.B) {
		for b.Loop() {
			pg_query.Normalize(sql)
		}
	})
	tree, err := pg_query.Parse(sql)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("walk", func(b *testing.B) {
		for b.Loop() {
			walkTree(tree)
		}
	})
}
