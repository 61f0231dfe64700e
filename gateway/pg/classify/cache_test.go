package classify

import (
	"fmt"
	"sync"
	"testing"

	pg_query "github.com/pganalyze/pg_query_go/v6"
)

// Pairs that normalize to the same text but whose verdicts differ by a
// constant: the normalized cache must never carry one verdict to the other.
var literalPairs = []struct{ safe, dangerous string }{
	{"DELETE FROM t WHERE 1 = 2", "DELETE FROM t WHERE 1 = 1"},
	{"DELETE FROM t WHERE false", "DELETE FROM t WHERE true"},
	{"DELETE FROM t WHERE id = 1 AND false", "DELETE FROM t WHERE id = 1 OR true"},
	{"DELETE FROM t WHERE 1 = NULL::int", "DELETE FROM t WHERE $1 = 1"},
	{"UPDATE t SET a = 1 WHERE id + 1 = id + 2", "UPDATE t SET a = 1 WHERE id + 1 = id + 1"},
	{"SELECT set_config('application_name', 'x', false)", "SELECT set_config('standard_conforming_strings', 'off', false)"},
	{"SELECT set_config('standard_conforming_strings', 'on', false)", "SELECT set_config('standard_conforming_strings', 'off', false)"},
	{"SELECT set_config('application_name', 'x', false)", "SELECT set_config('role', 'postgres', false)"},
	{"SET client_encoding = 'UTF8'", "SET client_encoding = 'LATIN1'"},
	{"SET standard_conforming_strings = 'on'", "SET standard_conforming_strings = 'off'"},
	{"SET default_transaction_read_only = 'on'", "SET default_transaction_read_only = 'off'"},
	{"SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY", "SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE"},
	{"BEGIN READ ONLY", "BEGIN READ WRITE"},
	{"MERGE INTO t USING s ON false WHEN MATCHED THEN DELETE", "MERGE INTO t USING s ON true WHEN MATCHED THEN DELETE"},
	// Normalize turns the first into the text of the second (found by FuzzClassify).
	{"UPDATE A SET A=A''WHERE!A", "UPDATE A SET A=A$1WHERE!A"},
	{"UPDATE t SET a = b''WHERE id = 1", "UPDATE t SET a = b$1WHERE id = 1"},
}

func TestUnambiguousNormalizedText(t *testing.T) {
	t.Parallel()
	for sql, want := range map[string]bool{
		"SELECT * FROM t WHERE a = 1":   true,
		"SELECT $1, 'x', $$y$$":         true,
		"DELETE FROM t WHERE id = $1":   true,
		"UPDATE A SET A=A''WHERE!A":     false, // A$1WHERE
		"SELECT a$1 FROM t WHERE b = 2": false, // loosely: an identifier with $
		"SELECT ''1":                    false,
		"SELECT $$x$$1":                 false,
		"SELECT $q$x$q$_1":              false,
		"SELECT 'x' 1":                  true,
	} {
		norm, err := pg_query.Normalize(sql)
		if err != nil {
			norm = sql
		}
		if got := unambiguous(sql, norm); got != want {
			t.Errorf("unambiguous(%q, %q) = %v, want %v", sql, norm, got, want)
		}
	}
}

func TestLiteralVerdictsAreNotSharedByNormalizing(t *testing.T) {
	t.Parallel()
	for _, p := range literalPairs {
		for _, order := range [][]string{{p.safe, p.dangerous}, {p.dangerous, p.safe}} {
			c := New(Options{})
			for range 3 {
				for _, sql := range order {
					v := c.Classify(sql)
					if dangerous := v.Risky || v.Refuse; dangerous != (sql == p.dangerous) {
						t.Errorf("after %q: %q gave %+v", order[0], sql, v)
					}
				}
			}
		}
	}
}

func TestChangingLiteralsHitTheNormalizedCache(t *testing.T) {
	t.Parallel()
	c := New(Options{})
	for _, format := range []string{
		"SELECT abalance FROM pgbench_accounts WHERE aid = %d;",
		"UPDATE pgbench_accounts SET abalance = abalance + %d WHERE aid = 5;",
		"INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (3, 1, %d, -1234, CURRENT_TIMESTAMP);",
		"BEGIN; UPDATE pgbench_tellers SET tbalance = tbalance + %d WHERE tid = 3; END;",
	} {
		before := c.parses.Load()
		first := c.Classify(fmt.Sprintf(format, 1))
		for i := 2; i < 100; i++ {
			if v := c.Classify(fmt.Sprintf(format, i)); v.Write != first.Write || v.Risky || v.Refuse {
				t.Errorf("%s with %d: %+v, want %+v", format, i, v, first)
			}
		}
		if n := c.parses.Load() - before; n != 1 {
			t.Errorf("%s: parsed %d times for 99 literals, want once", format, n)
		}
	}
}

// A statement prepared with $1 caches the normalized form first; the same
// statement sent with literals must still reach the fast key, not pay
// Normalize for every new literal.
func TestLiteralsAfterPreparedUseTheFastKey(t *testing.T) {
	t.Parallel()
	c := New(Options{})
	prepared := c.Classify("SELECT abalance FROM pgbench_accounts WHERE aid = $1;")
	before := c.normals.Load()
	for i := range 100 {
		v := c.Classify(fmt.Sprintf("SELECT abalance FROM pgbench_accounts WHERE aid = %d;", i*7919))
		if v.Write != prepared.Write || v.Risky || v.Refuse {
			t.Fatalf("aid = %d: %+v, want %+v", i*7919, v, prepared)
		}
	}
	if n := c.normals.Load() - before; n != 1 {
		t.Errorf("Normalize ran %d times for 100 literals after the prepared form, want once", n)
	}
	if n := c.parses.Load(); n != 1 {
		t.Errorf("parsed %d times, want once (the prepared form)", n)
	}
	// Where the constants are not where the normalized form has them
	// (Normalize takes "-1" as one constant, the fast key "-" and a
	// number), the fast key must not be stored.
	c.Classify("SELECT $1")
	before = c.normals.Load()
	c.Classify("SELECT -1")
	c.Classify("SELECT -2")
	if n := c.normals.Load() - before; n != 2 {
		t.Errorf("Normalize ran %d times for two texts whose constants the fast key reads differently, want 2", n)
	}
}

func TestCacheIsBounded(t *testing.T) {
	t.Parallel()
	c := New(Options{CacheSize: 10})
	for i := range 1000 {
		c.Classify(fmt.Sprintf("SELECT %d FROM t%d", i, i))
	}
	if n := c.cache.len(); n > 10 {
		t.Errorf("cache holds %d entries, want at most 10", n)
	}
	// What is used keeps being found.
	c.Classify("SELECT 1 FROM hot")
	before := c.parses.Load()
	for i := range 1000 {
		c.Classify(fmt.Sprintf("SELECT %d FROM cold%d", i, i))
		c.Classify("SELECT 1 FROM hot")
	}
	if n := c.parses.Load() - before; n != 1000 {
		t.Errorf("%d parses for 1000 new statements and a hot one, want 1000", n)
	}
}

func TestCacheOff(t *testing.T) {
	t.Parallel()
	c := New(Options{CacheSize: -1})
	for range 3 {
		if v := c.Classify("DROP TABLE t"); !v.Risky {
			t.Fatalf("without cache: %+v", v)
		}
	}
	if n := c.parses.Load(); n != 3 {
		t.Errorf("parsed %d times, want 3", n)
	}
}

func TestConcurrentClassify(t *testing.T) {
	t.Parallel()
	c := New(Options{CacheSize: 64})
	cases := append(append([]classifyCase{}, evasions[:60]...), ordinary...)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			s := c.NewSession()
			for i := range 400 {
				tc := cases[(i*7+g)%len(cases)]
				checkVerdict(t, tc.sql, c.Classify(tc.sql), tc.want)
				lit := fmt.Sprintf("SELECT abalance FROM pgbench_accounts WHERE aid = %d", i)
				if v := c.Classify(lit); v.Write || v.Risky || v.Refuse {
					t.Errorf("%s: %+v", lit, v)
				}
				s.Classify(fmt.Sprintf("PREPARE p%d AS SELECT %d", i, i))
				if v := s.Classify(fmt.Sprintf("EXECUTE p%d", i)); v.Refuse {
					t.Errorf("EXECUTE p%d: %+v", i, v)
				}
			}
		})
	}
	wg.Wait()
}
