package pg

import (
	"bytes"
	"strings"
)

// Errors of SQLSTATE classes 22 (data exception) and 23 (integrity
// constraint violation) echo the values they failed on: `SELECT
// password::int` answers `invalid input syntax for type integer:
// "hunter2"`, and a NOT NULL violation answers `Failing row contains (...)`
// with every column of the row. Column rules cannot follow a value into an
// error, so these values are hidden whatever column they came from; the
// detectors still run over what is left. Identifiers (constraint,
// relation and column names) are kept: they are what the error is about.
//
// Other errors quote identifiers, and values that were taken for one:
// `SELECT password::regclass` answers `relation "hunter2" does not exist`.
// There a quoted name is kept only when the statement itself (as the
// gateway shows it, masked) holds it, as `column "foo" does not exist`
// does for the `foo` it was sent.

// hiddenValue stands in for a value an error echoed.
const hiddenValue = "***"

// hidesValues reports whether errors of code echo the values they failed
// on.
func hidesValues(code []byte) bool {
	return len(code) == 5 && code[0] == '2' && (code[1] == '2' || code[1] == '3')
}

// hideErrorValues returns the field of type typ (an ErrorResponse or
// NoticeResponse field code) with the values it echoes hidden, and
// whether it changed anything. code is the error's SQLSTATE.
func hideErrorValues(code []byte, typ byte, v []byte, stmt string) ([]byte, bool) {
	if !hidesValues(code) {
		if typ == 'M' || typ == 'D' || typ == 'W' {
			return hideUnsent(v, stmt)
		}
		return v, false
	}
	switch {
	case code[1] == '3' && typ == 'D':
		return hideKeyValues(v)
	case code[1] == '3' && typ == 'M':
		// Class 23 messages quote constraint and relation names only.
		return v, false
	case typ == 'M' || typ == 'D' || typ == 'W':
		// Class 22 quotes the bad input ("...: "VALUE""), and a COPY's
		// context the line and column value.
		return hideQuoted(v)
	}
	return v, false
}

// hideQuoted hides everything between the first and the last double
// quote: a value may itself hold quotes, so pairing them could show part
// of it.
func hideQuoted(v []byte) ([]byte, bool) {
	i, j := bytes.IndexByte(v, '"'), bytes.LastIndexByte(v, '"')
	if i < 0 || i == j {
		if i >= 0 {
			// One quote: what follows may be a value cut short.
			return append(append(v[:i+1:i+1], hiddenValue...), '"'), true
		}
		return v, false
	}
	out := make([]byte, 0, i+len(hiddenValue)+len(v)-j)
	out = append(out, v[:i+1]...)
	out = append(out, hiddenValue...)
	return append(out, v[j:]...), true
}

// hideUnsent hides, from the first quoted name the statement does not
// hold as a word (compared without case, as unquoted names are folded) to
// the last quote, what the field quotes.
func hideUnsent(v []byte, stmt string) ([]byte, bool) {
	last := bytes.LastIndexByte(v, '"')
	for i := 0; i < last; {
		open := bytes.IndexByte(v[i:], '"')
		if open < 0 {
			break
		}
		open += i
		end := bytes.IndexByte(v[open+1:], '"')
		if end < 0 {
			break
		}
		end += open + 1
		if name := v[open+1 : end]; len(name) > 0 && !containsFold(stmt, name) {
			out := make([]byte, 0, open+1+len(hiddenValue)+len(v)-last)
			out = append(out, v[:open+1]...)
			out = append(out, hiddenValue...)
			return append(out, v[last:]...), true
		}
		i = end + 1
	}
	return v, false
}

// containsFold reports whether s holds name as a word of its own (not
// inside a longer name), ignoring case.
func containsFold(s string, name []byte) bool {
	s, n := strings.ToLower(s), strings.ToLower(string(name))
	for at := 0; ; {
		i := strings.Index(s[at:], n)
		if i < 0 {
			return false
		}
		i += at
		end := i + len(n)
		if (i == 0 || !nameByte(s[i-1])) && (end == len(s) || !nameByte(s[end])) {
			return true
		}
		at = i + 1
	}
}

// nameByte reports whether c can continue an unquoted SQL name.
func nameByte(c byte) bool {
	return c == '_' || c == '$' || c >= 0x80 || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// hideKeyValues hides the values of a class 23 detail: "Key (a, b)=(1, x)
// already exists.", "... is not present in table ...", "... conflicts with
// existing key (a)=(2).", "Failing row contains (1, null, x).". Everything
// from the first value to the last closing parenthesis goes, which is
// always at least every value.
func hideKeyValues(v []byte) ([]byte, bool) {
	start := -1
	if rest, ok := bytes.CutPrefix(v, []byte("Failing row contains (")); ok {
		start = len(v) - len(rest)
	} else if i := bytes.Index(v, []byte(")=(")); i >= 0 {
		start = i + 3
	}
	if start < 0 {
		// A detail of a shape not known here may still echo values.
		return []byte(hiddenValue), !bytes.Equal(v, []byte(hiddenValue))
	}
	end := bytes.LastIndexByte(v, ')')
	if end < start {
		end = len(v)
	}
	out := make([]byte, 0, start+len(hiddenValue)+len(v)-end)
	out = append(out, v[:start]...)
	out = append(out, hiddenValue...)
	return append(out, v[end:]...), true
}
