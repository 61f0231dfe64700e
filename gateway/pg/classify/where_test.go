package classify

import "testing"

func TestConstantWhere(t *testing.T) {
	t.Parallel()
	// Each condition is tried as "DELETE FROM t WHERE <cond>". Conditions
	// surely false or null select nothing; every other condition that does
	// not depend on the row may select everything.
	noRows := []string{
		"1 = 2", "false", "NULL", "NOT true", "1 > 2", "'a' = 'b'", "1 IS NULL",
		"NULL IS NOT NULL", "1 IN (2, 3)", "1 NOT IN (1, 2)", "5 BETWEEN 1 AND 3",
		"2 NOT BETWEEN 1 AND 3", "true AND false", "false OR NULL", "'1' = 2",
		"'f'::bool", "0::boolean", "1 IS DISTINCT FROM 1", "NULL IS DISTINCT FROM NULL",
		"(1 = 1) IS FALSE", "2 * 3 = 7", "-1 > 0", "1.5 = 1.50 AND false",
		"1::int = 2", "'1.5'::numeric = 2", "'abc'::text = 'abd'", "NOT (1 = 1)",
		"id = 1 AND false", "false AND id = id", "1 <> 1 OR 2 <> 2", "'no'",
		"1.5::int = 1", "NULL::int = 1", "(NULL)",
	}
	allRows := []string{
		"1 = 1", "true", "'t'", "'yes'::boolean", "1::bool", "2 > 1", "1 IN (1, 2)",
		"2 BETWEEN 1 AND 3", "NULL IS NULL", "1 IS DISTINCT FROM 2",
		"NULL IS NOT DISTINCT FROM NULL", "(1 = 2) IS NOT TRUE", "2 * 3 = 6",
		"0.1 + 0.2 = 0.3", "-1 < 0", "'1' = 1", "1::int = 1.0", "1.5::int = 2",
		"'a' < 'b'", "random() < 2", "$1", "$1 = $2", "id = id", "id >= id",
		"lower(a) = lower(a)", "a IS NOT DISTINCT FROM a", "id = 1 OR true",
		"NOT false", "true AND id = id", "NULL = NULL", "1 = NULL",
		"1.0::float8 = 1", "'a'::char(3) = 'a'", "(SELECT true)", "EXISTS (SELECT 1)",
		"current_user = current_user", "id = 1 OR $1", "NOT (id = 1 AND false)",
		"t.a + 1 = t.a + 1", "(1 = 1) = true", "1 = 1 IS TRUE", "OPERATOR(pg_catalog.=)(1, 1)",
		"1 OPERATOR(public.=) 2", "99999999999999999999 * 99999999999999999999 > 0",
	}
	c := New(Options{})
	for _, cond := range noRows {
		if v := c.Classify("DELETE FROM t WHERE " + cond); v.Risky || v.Refuse {
			t.Errorf("WHERE %s: selects no row, got %+v", cond, v)
		}
	}
	for _, cond := range allRows {
		if v := c.Classify("DELETE FROM t WHERE " + cond); !v.Risky && !v.Refuse {
			t.Errorf("WHERE %s: may select every row, got %+v", cond, v)
		}
	}
}

func TestRowConditionsReadNoConstant(t *testing.T) {
	t.Parallel()
	// These verdicts must be shareable through the normalized cache.
	for _, sql := range []string{
		"UPDATE pgbench_accounts SET abalance = abalance + -1234 WHERE aid = 5",
		"DELETE FROM t WHERE id = 5 AND a > 10 OR b LIKE 'x%'",
		"DELETE FROM t WHERE id IN (1, 2, 3)",
		"SELECT abalance FROM pgbench_accounts WHERE aid = 48213",
		"INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (3, 1, 5, -1234, CURRENT_TIMESTAMP)",
		"SET application_name = 'x'",
		"SELECT nextval('s')",
		"MERGE INTO t USING s ON t.id = s.id + 1 WHEN MATCHED THEN DELETE",
	} {
		if an := parseAndWalk(sql); an.literal {
			t.Errorf("%q: verdict read a constant", sql)
		}
	}
}
