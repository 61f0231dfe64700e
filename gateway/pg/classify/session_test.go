package classify

import (
	"fmt"
	"slices"
	"sync"
	"testing"
)

func TestSessionPreparedStatements(t *testing.T) {
	t.Parallel()
	c := New(Options{})
	s := c.NewSession()
	steps := []struct {
		sql  string
		want outcome
	}{
		{"PREPARE del AS DELETE FROM t", riskyBecause("DELETE without WHERE")},
		{"PREPARE sel(int) AS SELECT * FROM t WHERE id = $1", read},
		{"PREPARE upd(int) AS UPDATE t SET a = 1 WHERE id = $1", write},
		{"EXECUTE sel(1)", read},
		{"EXECUTE upd(1)", write},
		{"EXECUTE del", riskyBecause("DELETE without WHERE")},
		{"execute DEL", riskyBecause("DELETE without WHERE")},
		{"EXECUTE nope", refusedBecause("EXECUTE of unknown prepared statement nope")},
		{"EXPLAIN EXECUTE del", read},
		{"EXPLAIN ANALYZE EXECUTE del", riskyBecause("DELETE without WHERE")},
		{"DEALLOCATE sel", read},
		{"EXECUTE sel(1)", refusedBecause("EXECUTE of unknown prepared statement sel")},
		// The server keeps the first statement of a name until it is
		// deallocated, and a deallocation may fail unseen: a name keeps
		// every danger it was prepared with.
		{"PREPARE del AS SELECT 1", read},
		{"EXECUTE del", riskyBecause("DELETE without WHERE")},
		{"DEALLOCATE del", read},
		{"PREPARE del AS SELECT 1", read},
		{"EXECUTE del", riskyBecause("DELETE without WHERE")},
		{"DEALLOCATE ALL", read},
		{"EXECUTE upd(1)", refusedBecause("EXECUTE of unknown prepared statement upd")},
		{"PREPARE x AS SELECT 1; DISCARD ALL", riskyBecause("DISCARD ALL resets role and read-only settings")},
		{"EXECUTE x", refusedBecause("EXECUTE of unknown prepared statement x")},
	}
	for _, st := range steps {
		checkVerdict(t, st.sql, s.Classify(st.sql), st.want)
	}
}

func TestSessionsAreSeparate(t *testing.T) {
	t.Parallel()
	c := New(Options{})
	a, b := c.NewSession(), c.NewSession()
	a.Classify("PREPARE p AS SELECT 1")
	if v := b.Classify("EXECUTE p"); !v.Refuse {
		t.Errorf("another session's statement was known: %+v", v)
	}
	if v := c.Classify("EXECUTE p"); !v.Refuse {
		t.Errorf("a session's statement was known without it: %+v", v)
	}
	if v := a.Classify("EXECUTE p"); v.Refuse {
		t.Errorf("own statement unknown: %+v", v)
	}
}

func TestSessionProtocolStatements(t *testing.T) {
	t.Parallel()
	c := New(Options{})
	s := c.NewSession()
	if v := s.Prepare("stmt1", "DELETE FROM t"); !v.Risky {
		t.Errorf("Prepare of DELETE without WHERE: %+v", v)
	}
	if v, ok := s.Prepared("stmt1"); !ok || !v.Risky || !v.Write {
		t.Errorf("Prepared(stmt1) = %+v, %v", v, ok)
	}
	if v := s.Classify("EXECUTE stmt1"); !v.Risky {
		t.Errorf("SQL EXECUTE of a protocol statement: %+v", v)
	}
	s.Classify("PREPARE sqlp AS SELECT pg_read_file('x')")
	if v, ok := s.Prepared("sqlp"); !ok || !slices.Contains(v.Reasons, "calls pg_read_file") {
		t.Errorf("Prepared(sqlp) = %+v, %v", v, ok)
	}
	s.Deallocate("stmt1")
	if _, ok := s.Prepared("stmt1"); ok {
		t.Error("Prepared after Deallocate")
	}
	// The unnamed statement is replaced by every Parse.
	s.Prepare("", "DELETE FROM t")
	s.Prepare("", "SELECT 1")
	if v, ok := s.Prepared(""); !ok || v.Risky {
		t.Errorf("unnamed statement = %+v, %v", v, ok)
	}
	if _, ok := s.Prepared("never"); ok {
		t.Error("Prepared of an unknown name")
	}
}

func TestSessionBoundsPreparedNames(t *testing.T) {
	t.Parallel()
	c := New(Options{CacheSize: -1})
	s := c.NewSession()
	for i := range maxPrepared {
		if v := s.Prepare(fmt.Sprint("p", i), "SELECT 1"); v.Refuse {
			t.Fatalf("statement %d refused: %+v", i, v)
		}
	}
	if v := s.Classify("PREPARE one_more AS SELECT 1"); !v.Refuse {
		t.Errorf("PREPARE beyond the bound: %+v", v)
	}
	s.Classify("DEALLOCATE ALL")
	if v := s.Classify("PREPARE one_more AS SELECT 1"); v.Refuse {
		t.Errorf("PREPARE after DEALLOCATE ALL: %+v", v)
	}
}

func TestSessionConcurrentUse(t *testing.T) {
	t.Parallel()
	s := New(Options{}).NewSession()
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 200 {
				name := fmt.Sprintf("p%d_%d", g, i)
				s.Classify("PREPARE " + name + " AS DELETE FROM t")
				if v := s.Classify("EXECUTE " + name); !v.Risky || v.Refuse {
					t.Errorf("EXECUTE %s: %+v", name, v)
				}
				s.Classify("DEALLOCATE " + name)
			}
		})
	}
	wg.Wait()
}
