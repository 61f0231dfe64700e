package pg

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/jitgate/jitgate/gateway/mask"
	"github.com/jitgate/jitgate/gateway/pg/classify"
)

func TestCopyPlanMasksColumns(t *testing.T) {
	t.Parallel()
	m := testMasker(t)
	text := classify.CopyOut{Format: classify.CopyText, Delimiter: '\t', Null: `\N`}
	csv := classify.CopyOut{Format: classify.CopyCSV, Delimiter: ',', Quote: '"', Escape: '"'}
	fields := []field{{name: "id", oid: 23}, {name: "pw", oid: oidText}, {name: "ssn", oid: 23}}
	src := []colSource{{}, {masked: true}, {}}
	tests := []struct {
		name string
		out  classify.CopyOut
		row  string
		want string
	}{
		{"text", text, "1\thunter2\t123\n", "1\t********\t\\N\n"},
		{"text NULL stays NULL", text, "2\t\\N\t\\N\n", "2\t\\N\t\\N\n"},
		{"text escapes", text, "a\\tb\\\\\tx\\ty\\\t\tz\n", "a\\tb\\\\\t********\t\\N\n"},
		{"text other delimiter", with(text, func(o *classify.CopyOut) { o.Delimiter = '|' }), "1\\|2|p|3\n", "1\\|2|********|\\N\n"},
		{"text custom NULL is no oracle", with(text, func(o *classify.CopyOut) { o.Null = "hunter2" }), "1\thunter2\thunter2\n", "1\t********\thunter2\n"},
		{"csv", csv, "1,hunter2,3\n", "1,********,\n"},
		{"csv NULL and empty string", csv, `2,,""` + "\n", `2,,` + "\n"},
		{"csv quoted", csv, `"a,""b","x,""y""` + "\n" + `z",` + "\n", `"a,""b",********,` + "\n"},
		{"csv escape", with(csv, func(o *classify.CopyOut) { o.Escape = '\\' }), `"a\",b","\\",9` + "\n", `"a\",b",********,` + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newCopyPlan(m, tt.out, fields, src, reachNone)
			require.True(t, p.whole)
			got, err := p.mask(nil, []byte(tt.row))
			require.NoError(t, err)
			require.Equal(t, tt.want, string(got))
		})
	}
}

func TestCopyPlanRefusesRowsItCannotSplit(t *testing.T) {
	t.Parallel()
	m := testMasker(t)
	text := classify.CopyOut{Format: classify.CopyText, Delimiter: '\t', Null: `\N`}
	csv := classify.CopyOut{Format: classify.CopyCSV, Delimiter: ',', Quote: '"', Escape: '"'}
	fields := []field{{name: "id", oid: 23}, {name: "password", oid: oidText}}
	for _, tt := range []struct {
		out classify.CopyOut
		row string
	}{
		{text, "1\thunter2"},           // no newline
		{text, "1\thunter2\tx\n"},      // a column too many
		{text, "1hunter2\n"},           // one too few
		{text, "1\thunter2\\\n"},       // a dangling escape
		{csv, "1,\"hunter2\n"},         // an open quote
		{csv, "1,\"hunter2\",\"x\"\n"}, // a column too many
	} {
		_, err := newCopyPlan(m, tt.out, fields, nil, reachNone).mask(nil, []byte(tt.row))
		require.ErrorIs(t, err, errCopyRow, "%q", tt.row)
	}
}

func TestCopyPlanLeavesOutGeneratedColumns(t *testing.T) {
	t.Parallel()
	m := testMasker(t)
	out := classify.CopyOut{Format: classify.CopyText, Delimiter: '\t', Null: `\N`, AllColumns: true}
	fields := []field{{name: "id", oid: 23}, {name: "twice", oid: 23}, {name: "login_token", oid: oidVarchar}}
	src := []colSource{{}, {generated: true}, {masked: true}}
	p := newCopyPlan(m, out, fields, src, reachNone)
	require.Len(t, p.cols, 2)
	got, err := p.mask(nil, []byte("1\tabc\n"))
	require.NoError(t, err)
	require.Equal(t, "1\t********\n", string(got))
	out.AllColumns = false // a column list names what it sends
	require.Len(t, newCopyPlan(m, out, fields, src, reachNone).cols, 3)
}

func with(o classify.CopyOut, f func(*classify.CopyOut)) classify.CopyOut {
	f(&o)
	return o
}

func FuzzCopySplit(f *testing.F) {
	for _, s := range []string{"1\thunter2\n", "a\\tb\\\\\tx\n", `"a,""b",x` + "\n", `"\"",""` + "\n", "\n"} {
		f.Add([]byte(s), true)
		f.Add([]byte(s), false)
	}
	m, err := mask.New([]string{"password"}, mask.WithoutGitleaks())
	require.NoError(f, err)
	f.Fuzz(func(t *testing.T, row []byte, csv bool) {
		out := classify.CopyOut{Format: classify.CopyText, Delimiter: '\t', Null: `\N`}
		if csv {
			out = classify.CopyOut{Format: classify.CopyCSV, Delimiter: ',', Quote: '"', Escape: '"'}
		}
		p := newCopyPlan(m, out, []field{{name: "a", oid: oidText}, {name: "password", oid: oidText}}, nil, reachNone)
		got, err := p.mask(nil, row)
		if err != nil {
			return
		}
		// A row that split splits again the same way once masked.
		again, err := p.mask(nil, got)
		require.NoError(t, err)
		require.Equal(t, got, again)
	})
}
