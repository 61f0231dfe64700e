package classify

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCopyOuts(t *testing.T) {
	t.Parallel()
	c := New(Options{})
	text := CopyOut{Format: CopyText, Delimiter: '\t', Quote: '"', Escape: '"', Null: `\N`}
	csv := CopyOut{Format: CopyCSV, Delimiter: ',', Quote: '"', Escape: '"', Null: ""}
	with := func(o CopyOut, f func(*CopyOut)) CopyOut { f(&o); return o }
	tests := []struct {
		sql  string
		want []CopyOut
	}{
		{"COPY users TO STDOUT", []CopyOut{with(text, func(o *CopyOut) { o.Query, o.AllColumns = `SELECT * FROM "users"`, true })}},
		{`COPY public."Users" (id, "Pass""word") TO STDOUT`, []CopyOut{with(text, func(o *CopyOut) { o.Query = `SELECT "id", "Pass""word" FROM "public"."Users"` })}},
		{"COPY (SELECT password AS pw FROM users WHERE note = ')(' /* ) */) TO STDOUT", []CopyOut{with(text, func(o *CopyOut) {
			o.Query = "SELECT password AS pw FROM users WHERE note = ')(' /* ) */"
		})}},
		{"/* (x */ COPY ((SELECT 1) UNION (SELECT 2)) TO STDOUT WITH CSV HEADER", []CopyOut{with(csv, func(o *CopyOut) { o.Query, o.Header = "(SELECT 1) UNION (SELECT 2)", true })}},
		{`SELECT 1; COPY (SELECT 2) TO STDOUT (FORMAT csv, DELIMITER ',', NULL 'x', QUOTE '"', ESCAPE '"', HEADER off, FORCE_QUOTE *, ENCODING 'UTF-8')`, []CopyOut{with(csv, func(o *CopyOut) {
			o.Query, o.Null = "SELECT 2", "x"
		})}},
		{`COPY t TO STDOUT (FORMAT text, HEADER 1, DELIMITER E'\t', NULL '\N')`, []CopyOut{with(text, func(o *CopyOut) { o.Query, o.AllColumns, o.Header = `SELECT * FROM "t"`, true, true })}},
		{"COPY t TO STDOUT (FORMAT binary)", []CopyOut{with(text, func(o *CopyOut) { o.Query, o.AllColumns, o.Format = `SELECT * FROM "t"`, true, CopyBinary })}},
		{"COPY t FROM STDIN; COPY t TO '/tmp/x'; SELECT 1", nil},
	}
	for _, tt := range tests {
		got, err := c.CopyOuts(tt.sql)
		require.NoError(t, err, tt.sql)
		require.Equal(t, tt.want, got, tt.sql)
	}
}

func TestCopyOutsRefusesUncertainFraming(t *testing.T) {
	t.Parallel()
	c := New(Options{})
	for _, sql := range []string{
		"COPY t TO STDOUT (DELIMITER '|')",
		"COPY t TO STDOUT (DELIMITER '@')",
		"COPY t TO STDOUT (FORMAT csv, DELIMITER ';')",
		`COPY t TO STDOUT (FORMAT csv, DELIMITER E'\t')`,
		"COPY t TO STDOUT (FORMAT csv, QUOTE '@')",
		`COPY t TO STDOUT (FORMAT csv, ESCAPE '\')`,
		`COPY t TO STDOUT (NULL 'a\b')`,
		"COPY t TO STDOUT (ENCODING 'SJIS')",
		"COPY t TO STDOUT (FORMAT fancy)",
		"COPY t TO STDOUT (FORMAT 'CSV')",
		"COPY t TO STDOUT (DELIMITER ',,')",
		"COPY t TO STDOUT (DELIMITER '\\')",
		"COPY t TO STDOUT (FORMAT csv, DELIMITER '\"')",
		"COPY t TO STDOUT (HEADER match)",
		"COPY t TO STDOUT (HEADER 2)",
		"COPY t TO STDOUT (FREEZE)",
		"COPY t TO STDOUT (SOMETHING_NEW 1)",
	} {
		_, err := c.CopyOuts(sql)
		require.ErrorIs(t, err, ErrCopyFraming, sql)
		var oe *CopyOptionError
		require.ErrorAs(t, err, &oe, sql)
		require.NotEmpty(t, oe.Option, "the refusal can name the option")
	}
	_, err := c.CopyOuts("COPY (SELECT") // does not parse
	require.Error(t, err)
	require.NotErrorIs(t, err, ErrCopyFraming)
}
