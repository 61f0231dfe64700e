package classify

import (
	"slices"
	"strings"
)

// Placeholders of fastKey, one per kind of constant token the server's
// lexer produces, so that two texts share a key only where their constants
// are of the same kinds: `varchar(1) ”` parses while `varchar(1) 0` does
// not. They are bytes fastKey never copies from a text.
const (
	slotInt    = '\x80' // ICONST: digits that fit an int32
	slotFloat  = '\x81' // FCONST: a decimal point, or too large for int32
	slotString = '\x82' // SCONST
)

// fastKey turns the commonest statements into a cache key with their
// numeric and string constants replaced by placeholders, in one pass and without the
// parser: pg_query.Normalize costs microseconds through cgo, which is most
// of the gateway's own work on simple-protocol traffic with changing
// literals.
//
// It only accepts a strict subset of SQL, and gives up (ok false) on
// anything where its reading could differ from the server's, or that the
// checks before parsing would refuse: non-ASCII bytes and NUL anywhere, comments, double-quoted identifiers, dollar quotes and parameters,
// backslashes, prefixed strings (E”, U&”, B”, X”, typed 'literals'),
// and numbers glued to letters (1e5, 0x1F, 1_000). Within the subset a
// token is a constant exactly when the server's lexer reads it as one, so
// two texts with one key differ only in the values of constants.
func fastKey(sql string) (string, bool) {
	b, ok := appendFastKey(nil, sql)
	if !ok {
		return "", false
	}
	return string(b), true
}

// appendFastKey is fastKey appending to dst, for callers that look the key
// up in a buffer of their own.
func appendFastKey(b []byte, sql string) ([]byte, bool) {
	b = slices.Grow(b, len(sql))
	for i := 0; i < len(sql); {
		c := sql[i]
		switch {
		case c >= 0x80, c == 0, c == '"', c == '$', c == '\\':
			return b, false
		case c == '-' && i+1 < len(sql) && sql[i+1] == '-',
			c == '/' && i+1 < len(sql) && sql[i+1] == '*':
			return b, false
		case isIdentStart(c):
			j := i + 1
			for j < len(sql) && isIdentCont(sql[j]) {
				j++
			}
			if j < len(sql) && (sql[j] == '\'' || sql[j] == '$') {
				return b, false // a prefixed or typed literal
			}
			b = append(b, sql[i:j]...)
			i = j
		case isDigit(c) || c == '.' && i+1 < len(sql) && isDigit(sql[i+1]):
			j, ok := scanNumber(sql, i)
			if !ok {
				return b, false
			}
			b = append(b, numberSlot(sql[i:j]))
			i = j
		case c == '\'':
			j, ok := scanString(sql, i)
			if !ok {
				return b, false
			}
			b = append(b, slotString)
			i = j
		default:
			b = append(b, c)
			i++
		}
	}
	return b, true
}

// scanNumber reads digits with at most one decimal point; a letter, '_' or
// another '.' right after makes the text too clever for the fast path.
func scanNumber(sql string, i int) (int, bool) {
	dot := false
	for ; i < len(sql); i++ {
		c := sql[i]
		switch {
		case isDigit(c):
		case c == '.' && !dot:
			dot = true
		case c == '.' || isIdentCont(c):
			return 0, false
		default:
			return i, true
		}
	}
	return i, true
}

// numberSlot is the kind the server's lexer gives a number.
func numberSlot(num string) byte {
	if strings.IndexByte(num, '.') >= 0 {
		return slotFloat
	}
	num = strings.TrimLeft(num, "0")
	if len(num) > 10 || len(num) == 10 && num > "2147483647" {
		return slotFloat
	}
	return slotInt
}

// scanString reads a standard single-quoted string, ” standing for a
// quote. Two strings separated by whitespace with a newline are one
// constant to the server; that, too, is left to the parser.
func scanString(sql string, i int) (int, bool) {
	for j := i + 1; j < len(sql); j++ {
		if sql[j] >= 0x80 || sql[j] == 0 || sql[j] == '\\' {
			return 0, false
		}
		if sql[j] != '\'' {
			continue
		}
		if j+1 < len(sql) && sql[j+1] == '\'' {
			j++
			continue
		}
		k := j + 1
		for k < len(sql) && (sql[k] == ' ' || sql[k] == '\t' || sql[k] == '\n' || sql[k] == '\r' || sql[k] == '\f') {
			if sql[k] != ' ' && sql[k] != '\t' {
				return 0, false
			}
			k++
		}
		if k < len(sql) && sql[k] == '\'' {
			return 0, false
		}
		return j + 1, true
	}
	return 0, false
}

// sameSlots reports whether the key of Normalize's output (every $n read
// as a number) has its placeholders exactly where the client's key has
// constants, whatever their kinds. Then Normalize replaced exactly the
// tokens fastKey did, and a verdict that may be shared through the
// normalized key may be shared through the fast one.
func sameSlots(fast []byte, normalized string) bool {
	var b strings.Builder
	b.Grow(len(normalized))
	for i := 0; i < len(normalized); i++ {
		if normalized[i] == '$' && i+1 < len(normalized) && isDigit(normalized[i+1]) {
			for i+1 < len(normalized) && isDigit(normalized[i+1]) {
				i++
			}
			b.WriteByte('0')
			continue
		}
		b.WriteByte(normalized[i])
	}
	norm, ok := fastKey(b.String())
	if !ok || len(norm) != len(fast) {
		return false
	}
	for i := range len(fast) {
		if fast[i] != norm[i] && !(isSlot(fast[i]) && isSlot(norm[i])) {
			return false
		}
	}
	return true
}

func isSlot(c byte) bool { return c == slotInt || c == slotFloat || c == slotString }
