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
//
// Some of them echo a value unquoted: `SELECT password::regoper` answers
// `operator does not exist: hunter2`, `chr(ssn)` answers `requested
// character too large for encoding: 123456789`, `lo_get(ssn)` answers
// `large object 123456789 does not exist`. When such an error does not
// point into the statement (no position field: the parser did not raise
// it about the text it was sent), what its message has after ": ", and
// each number in it, is hidden unless the statement holds it. Notices,
// warnings and what functions raise (classes 00, 01, 02, P0) are left to
// the detectors: their numbers are counts and such, which they are about;
// so are protocol errors (class 08), which quote no data.

// hiddenValue stands in for a value an error echoed.
const hiddenValue = "***"

// errorShape is what hiding a field's values needs to know of the whole
// ErrorResponse or NoticeResponse.
type errorShape struct {
	code []byte // SQLSTATE
	// placed: the error points into the statement (field P), so the
	// parser raised it about the text it was sent.
	placed bool
}

// errorShapeOf reads the shape of an ErrorResponse or NoticeResponse.
func errorShapeOf(msg []byte) errorShape {
	var e errorShape
	for b := body(msg); len(b) > 1 && b[0] != 0; {
		t := b[0]
		v, rest, err := cbytes(b[1:])
		if err != nil {
			break
		}
		switch t {
		case 'C':
			e.code = v
		case 'P':
			e.placed = true
		}
		b = rest
	}
	return e
}

// hidesValues reports whether errors of code echo the values they failed
// on.
func hidesValues(code []byte) bool {
	return len(code) == 5 && code[0] == '2' && (code[1] == '2' || code[1] == '3')
}

// echoesUnquoted reports whether a message of an error of this shape,
// outside classes 22 and 23, may echo a value unquoted.
func (e errorShape) echoesUnquoted() bool {
	if e.placed {
		return false
	}
	if len(e.code) == 5 {
		switch string(e.code[:2]) {
		case "00", "01", "02", "08", "P0":
			return false
		}
	}
	return true
}

// hideErrorValues returns the field of type typ (an ErrorResponse or
// NoticeResponse field code) with the values it echoes hidden, and
// whether it changed anything.
func hideErrorValues(e errorShape, typ byte, v []byte, stmt string) ([]byte, bool) {
	if typ == 'q' {
		// The query a function ran: query_to_xml(password, ...) runs
		// the value.
		return []byte(hiddenValue), !bytes.Equal(v, []byte(hiddenValue))
	}
	code := e.code
	if !hidesValues(code) {
		if typ != 'M' && typ != 'D' && typ != 'W' {
			return v, false
		}
		out, changed := hideUnsent(v, stmt)
		if typ == 'M' && e.echoesUnquoted() {
			var tail, nums bool
			out, tail = hideUnsentTail(out, stmt)
			lower := strings.ToLower(stmt)
			out, nums = hideNumbers(out, func(v []byte, i, j int) bool {
				// A digit that ends a name (int4, $1) is no number.
				return i > 0 && nameByte(v[i-1]) || containsName(lower, strings.ToLower(string(v[i:j])))
			})
			changed = changed || tail || nums
		}
		return out, changed
	}
	switch {
	case code[1] == '3' && typ == 'D':
		return hideKeyValues(v)
	case code[1] == '3' && typ == 'M':
		// Class 23 messages quote constraint and relation names only.
		return v, false
	case typ == 'M':
		return hideBadInput(v)
	case typ == 'D' || typ == 'W':
		// Details and context show the input as it is ("JSON data,
		// line 1: hunter2", "COPY users, line 1, column ssn: ...").
		return hideAfterColon(v)
	}
	return v, false
}

// hideBadInput hides the input a class 22 message echoes: quoted ("for
// type integer: "hunter2""), else after a colon ("date out of range:
// 123456789-01-01"), else every number ("setseed parameter 1.23457e+08 is
// out of allowed range").
func hideBadInput(v []byte) ([]byte, bool) {
	if bytes.IndexByte(v, '"') >= 0 {
		return hideQuoted(v)
	}
	if bytes.Contains(v, []byte(": ")) {
		return hideAfterColon(v)
	}
	return hideNumbers(v, nil)
}

// hideNumbers hides each number v[i:j] of v (a digit and what follows of
// digits, points, exponents and signs) that keep does not keep; every one
// when keep is nil.
func hideNumbers(v []byte, keep func(v []byte, i, j int) bool) ([]byte, bool) {
	var out []byte
	changed := false
	for i := 0; i < len(v); {
		if c := v[i]; '0' <= c && c <= '9' {
			j := i
			for j < len(v) && (v[j] >= '0' && v[j] <= '9' || v[j] == '.' || v[j] == 'e' || v[j] == '+' || v[j] == '-') {
				j++
			}
			if keep != nil && keep(v, i, j) {
				out = append(out, v[i:j]...)
			} else {
				out = append(out, hiddenValue...)
				changed = true
			}
			i = j
			continue
		}
		out = append(out, v[i])
		i++
	}
	if !changed {
		return v, false
	}
	return out, true
}

// hideUnsentTail hides what follows the first ": " of v unless the
// statement holds it as it is.
func hideUnsentTail(v []byte, stmt string) ([]byte, bool) {
	i := bytes.Index(v, []byte(": "))
	if i < 0 {
		return v, false
	}
	if strings.Contains(stmt, string(v[i+2:])) {
		return v, false
	}
	return hideAfterColon(v)
}

// hideQuoted hides everything between the first and the last double
// quote: a value may itself hold quotes, so pairing them could show part
// of it.
func hideQuoted(v []byte) ([]byte, bool) {
	i, j := bytes.IndexByte(v, '"'), bytes.LastIndexByte(v, '"')
	switch {
	case i < 0:
		return v, false
	case i == j:
		// One quote: what follows may be a value cut short.
		return append(hideSpan(v, i+1, len(v)), '"'), true
	}
	return hideSpan(v, i+1, j), true
}

// hideSpan returns a copy of v with v[from:to] replaced by hiddenValue.
func hideSpan(v []byte, from, to int) []byte {
	out := make([]byte, 0, from+len(hiddenValue)+len(v)-to+1)
	out = append(out, v[:from]...)
	out = append(out, hiddenValue...)
	return append(out, v[to:]...)
}

// hideAfterColon keeps what comes before the first ": " and hides the
// rest; all of it when there is none.
func hideAfterColon(v []byte) ([]byte, bool) {
	i := bytes.Index(v, []byte(": "))
	if i < 0 {
		return []byte(hiddenValue), !bytes.Equal(v, []byte(hiddenValue))
	}
	if bytes.Equal(v[i+2:], []byte(hiddenValue)) {
		return v, false
	}
	return hideSpan(v, i+2, len(v)), true
}

// hideUnsent hides, from the first quoted name the statement does not
// hold as a name (compared without case, as unquoted names are folded) to
// the last quote, what the field quotes. String constants and comments of
// the statement do not count, so a value cannot bring its own quotes and
// a constant that holds what they enclose; an odd number of quotes means
// a value brought one, and everything between the first and last goes.
func hideUnsent(v []byte, stmt string) ([]byte, bool) {
	first, last := bytes.IndexByte(v, '"'), bytes.LastIndexByte(v, '"')
	if first < 0 {
		return v, false
	}
	hide := first == last || bytes.Count(v, []byte{'"'})%2 == 1
	if !hide {
		names := strings.ToLower(namesOnly(stmt))
		for i := first; i < last; {
			end := i + 1 + bytes.IndexByte(v[i+1:], '"')
			if name := v[i+1 : end]; len(name) > 0 && !containsName(names, strings.ToLower(string(name))) {
				hide = true
				break
			}
			next := bytes.IndexByte(v[end+1:], '"')
			if next < 0 {
				break
			}
			i = end + 1 + next
		}
	}
	if !hide {
		return v, false
	}
	return hideQuoted(v)
}

// containsName reports whether s holds name as a word of its own (not
// inside a longer name). Both are lower case.
func containsName(s, name string) bool {
	for at := 0; ; {
		i := strings.Index(s[at:], name)
		if i < 0 {
			return false
		}
		i += at
		end := i + len(name)
		if (i == 0 || !nameByte(s[i-1])) && (end == len(s) || !nameByte(s[end])) {
			return true
		}
		at = i + 1
	}
}

// namesOnly blanks out the string constants (standard, E”, dollar
// quoted) and the comments of a statement, leaving its names, keywords
// and quoted identifiers where they were.
func namesOnly(sql string) string {
	b := []byte(sql)
	blank := func(from, to int) {
		for k := from; k < to && k < len(b); k++ {
			b[k] = ' '
		}
	}
	for i := 0; i < len(b); {
		switch c := b[i]; {
		case c == '\'':
			escapes := i > 0 && (b[i-1] == 'e' || b[i-1] == 'E')
			j := i + 1
			for j < len(b) {
				if escapes && b[j] == '\\' {
					j += 2
					continue
				}
				if b[j] == '\'' {
					if j+1 < len(b) && b[j+1] == '\'' {
						j += 2
						continue
					}
					break
				}
				j++
			}
			blank(i, j+1)
			i = j + 1
		case c == '"':
			j := i + 1
			for j < len(b) && b[j] != '"' {
				j++
			}
			i = j + 1
		case c == '-' && i+1 < len(b) && b[i+1] == '-':
			j := i
			for j < len(b) && b[j] != '\n' {
				j++
			}
			blank(i, j)
			i = j
		case c == '/' && i+1 < len(b) && b[i+1] == '*':
			j := strings.Index(string(b[i+2:]), "*/")
			end := len(b)
			if j >= 0 {
				end = i + 2 + j + 2
			}
			blank(i, end)
			i = end
		case c == '$' && (i == 0 || !nameByte(b[i-1])):
			j := i + 1
			for j < len(b) && (b[j] == '_' || b[j] >= 0x80 || 'a' <= b[j]|0x20 && b[j]|0x20 <= 'z' || j > i+1 && '0' <= b[j] && b[j] <= '9') {
				j++
			}
			if j >= len(b) || b[j] != '$' {
				i++ // a parameter ($1) or a name's $
				continue
			}
			tag := string(b[i : j+1])
			k := strings.Index(string(b[j+1:]), tag)
			end := len(b)
			if k >= 0 {
				end = j + 1 + k + len(tag)
			}
			blank(i, end)
			i = end
		default:
			i++
		}
	}
	return string(b)
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
	return hideSpan(v, start, end), true
}
