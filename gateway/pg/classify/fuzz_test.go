package classify

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// FuzzClassify checks that Classify never panics or fails inside, that it
// is deterministic (a cold cache, a warm cache and a new session agree),
// that the quick depth scan never underestimates against Postgres' lexer,
// and that a verdict shared through the normalized cache holds for every
// value of the constants.
func FuzzClassify(f *testing.F) {
	for _, tc := range append(append([]classifyCase{}, evasions...), ordinary...) {
		if len(tc.sql) < 4096 {
			f.Add(tc.sql)
		}
	}
	for _, p := range literalPairs {
		f.Add(p.safe)
		f.Add(p.dangerous)
	}
	warm := New(Options{CacheSize: 256}) // small, so eviction runs too
	f.Fuzz(func(t *testing.T, sql string) {
		cold := New(Options{CacheSize: -1}).Classify(sql)
		first, second := warm.Classify(sql), warm.Classify(sql)
		inSession := warm.NewSession().Classify(sql)
		for _, v := range []Verdict{first, second, inSession} {
			if !sameVerdict(v, cold) {
				t.Fatalf("%q: verdicts differ: cold %+v, warm %+v", sql, cold, v)
			}
		}
		if slices.Contains(cold.Reasons, internalError) {
			t.Fatalf("%q: the walker panicked", sql)
		}
		checkDepthAgainstLexer(t, sql)
		checkConstantsDoNotMatter(t, sql)
	})
}

func sameVerdict(a, b Verdict) bool {
	return a.Write == b.Write && a.Risky == b.Risky && a.Refuse == b.Refuse &&
		slices.Equal(a.Reasons, b.Reasons) && slices.Equal(a.Kinds, b.Kinds)
}

func TestConstantsDoNotMatter(t *testing.T) {
	t.Parallel()
	for _, tc := range append(append([]classifyCase{}, evasions...), ordinary...) {
		checkConstantsDoNotMatter(t, tc.sql)
	}
	for _, p := range literalPairs {
		checkConstantsDoNotMatter(t, p.safe)
		checkConstantsDoNotMatter(t, p.dangerous)
	}
}

// constantTexts replace the i-th constant of a text: other values, other
// types, NULL, parameters.
var constantTexts = []func(i int) string{
	func(int) string { return "0" },
	func(int) string { return "1" },
	func(i int) string { return strconv.Itoa(i % 2) },
	func(int) string { return "1.5" },
	func(int) string { return "'off'" },
	func(int) string { return "'standard_conforming_strings'" },
	func(int) string { return "true" },
	func(int) string { return "false" },
	func(i int) string { return strconv.FormatBool(i%2 == 0) },
	func(int) string { return "NULL" },
	func(i int) string { return "$" + strconv.Itoa(i+1) },
}

// checkConstantsDoNotMatter rewrites the constants of sql and checks that
// the cache never changes a verdict: classified right after sql on a warm
// classifier (where they may share the normalized entry), every rewritten
// text gets the verdict it gets cold, and so does sql after it.
func checkConstantsDoNotMatter(t *testing.T, sql string) {
	t.Helper()
	if len(sql) > 1<<14 || New(Options{}).precheck(sql) != nil {
		return
	}
	spans := constantSpans(sql)
	if len(spans) == 0 {
		return
	}
	cold := func(s string) Verdict { return New(Options{CacheSize: -1}).Classify(s) }
	want := cold(sql)
	for _, replace := range constantTexts {
		var b strings.Builder
		last := 0
		for i, sp := range spans {
			b.WriteString(sql[last:sp[0]])
			b.WriteString(replace(i))
			last = sp[1]
		}
		b.WriteString(sql[last:])
		text := b.String()
		for _, order := range [][2]string{{sql, text}, {text, sql}} {
			c := New(Options{})
			c.Classify(order[0])
			got, want := c.Classify(order[1]), want
			if order[1] == text {
				want = cold(text)
			}
			if !sameVerdict(got, want) {
				t.Errorf("%q after %q: %+v, cold %+v", order[1], order[0], got, want)
			}
		}
	}
}

// constantSpans returns the byte ranges of the constants and parameters of
// sql, in order: the tokens of Postgres' lexer that start where the parse
// tree puts an A_Const or ParamRef (with the sign of a negative number).
func constantSpans(sql string) [][2]int {
	tree, err := pg_query.Parse(sql)
	if err != nil {
		return nil
	}
	scan, err := pg_query.Scan(sql)
	if err != nil {
		return nil
	}
	at := map[int32]int{}
	for i, tok := range scan.Tokens {
		at[tok.Start] = i
	}
	var spans [][2]int
	locs := constantLocations(tree.ProtoReflect(), nil)
	slices.Sort(locs)
	for _, loc := range slices.Compact(locs) {
		i, ok := at[loc]
		if !ok {
			return nil
		}
		tok := scan.Tokens[i]
		end := tok.End
		if tok.Token == pg_query.Token_ASCII_45 && i+1 < len(scan.Tokens) {
			end = scan.Tokens[i+1].End
		}
		if len(spans) > 0 && int(tok.Start) < spans[len(spans)-1][1] {
			return nil
		}
		spans = append(spans, [2]int{int(tok.Start), int(end)})
	}
	return spans
}

func constantLocations(m protoreflect.Message, locs []int32) []int32 {
	switch x := m.Interface().(type) {
	case *pg_query.A_Const:
		return append(locs, x.Location)
	case *pg_query.ParamRef:
		return append(locs, x.Location)
	}
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		if fd.Kind() != protoreflect.MessageKind {
			return true
		}
		if fd.IsList() {
			l := v.List()
			for i := range l.Len() {
				locs = constantLocations(l.Get(i).Message(), locs)
			}
		} else {
			locs = constantLocations(v.Message(), locs)
		}
		return true
	})
	return locs
}
