package classify

import (
	"strconv"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
)

// redacted stands for a statement that could not be scanned.
const redacted = "(statement not shown: it carries credentials)"

// Redact returns sql with every string constant replaced by $n, for
// statements whose Verdict says Secret. Postgres' own scanner finds the
// constants, however they are quoted ('...', E'...', U&'...', $$...$$,
// $tag$...$tag$, B'...', X'...') or separated from their keyword.
func Redact(sql string) string {
	scan, err := pg_query.Scan(sql)
	if err != nil {
		return redacted
	}
	var b strings.Builder
	at, n := 0, 0
	for _, tok := range scan.GetTokens() {
		switch tok.GetToken() {
		case pg_query.Token_SCONST, pg_query.Token_USCONST, pg_query.Token_BCONST, pg_query.Token_XCONST:
		default:
			continue
		}
		start, end := int(tok.GetStart()), int(tok.GetEnd())
		if start < at || end > len(sql) || start > end {
			return redacted
		}
		n++
		b.WriteString(sql[at:start])
		b.WriteString("$" + strconv.Itoa(n))
		at = end
	}
	b.WriteString(sql[at:])
	return b.String()
}
