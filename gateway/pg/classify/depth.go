package classify

// The parse tree of SQL nests not only at brackets: "1+1+...+1", "a::t::t...",
// "x JOIN y JOIN z ..." and "SELECT 1 UNION SELECT 1 ..." build left-deep trees
// one level per operator, and libpg_query walks them recursively in C when it
// hands the tree over. So the depth that is bounded before parsing is an upper
// bound of the tree's depth counted in brackets and operators:
//
//   - each bracket group, CASE ... END and BEGIN ATOMIC ... END adds one level
//     to the segment that holds it;
//   - inside a level, commas (and statement-separating semicolons inside
//     brackets) split siblings, so only the costliest segment counts;
//   - AND and OR also split siblings, because the parser flattens them into
//     one list (the level is charged two more for that list);
//   - every operator token (symbols, ::, NOT, IS, IN, LIKE, BETWEEN, ...)
//     costs one in its segment;
//   - set operations and JOINs cost one for the whole level, whatever commas
//     or ANDs come between them, because their operands hold those.
//
// Overestimating is safe (the statement is refused); underestimating is not,
// so every doubtful case counts.

// meter accumulates the nesting estimate from a stream of token events. Its
// first levels live inside it, so that measuring ordinary SQL allocates
// nothing.
type meter struct {
	inline [8]level
	more   []level
	n      int // open levels, the top level included
	max    int // maximum of finished statements
	limit  int // once the estimate must exceed this, stop growing memory
	over   bool
}

type levelKind uint8

const (
	levelTop levelKind = iota
	levelBracket
	levelCase
	levelAtomic
)

type level struct {
	chain   int32 // set operations and joins: never reset within the level
	seg     int32 // operators of the current segment
	inner   int32 // deepest group nested in the current segment
	best    int32 // costliest finished segment
	kind    levelKind
	boolean bool // AND or OR seen at this level
}

func (l *level) endSegment() {
	l.best = max(l.best, l.seg+l.inner)
	l.seg, l.inner = 0, 0
}

func (l *level) value() int32 {
	l.endSegment()
	v := l.chain + l.best
	if l.boolean {
		v += 2
	}
	return v
}

func newMeter(limit int) *meter {
	return &meter{n: 1, limit: limit}
}

func (m *meter) level(i int) *level {
	if i < len(m.inline) {
		return &m.inline[i]
	}
	return &m.more[i-len(m.inline)]
}

func (m *meter) top() *level { return m.level(m.n - 1) }

func (m *meter) push(k levelKind) {
	// Every open level adds at least one to the estimate, so a stack deeper
	// than the limit already decides; stop there rather than grow it.
	if m.n > m.limit+1 {
		m.over = true
		return
	}
	if m.n < len(m.inline) {
		m.inline[m.n] = level{kind: k}
	} else {
		m.more = append(m.more[:m.n-len(m.inline)], level{kind: k})
	}
	m.n++
}

func (m *meter) pop() {
	v := m.top().value()
	m.n--
	p := m.top()
	p.inner = max(p.inner, 1+v)
}

// closeBracket ends the innermost bracket, and any CASE or ATOMIC left open
// inside it (the text does not parse then, but count them anyway).
func (m *meter) closeBracket() {
	for m.n > 1 {
		k := m.top().kind
		m.pop()
		if k == levelBracket {
			return
		}
	}
}

func (m *meter) end() {
	if k := m.top().kind; k == levelCase || k == levelAtomic {
		m.pop()
	}
}

func (m *meter) comma() { m.top().endSegment() }

func (m *meter) semicolon() {
	if m.n > 1 {
		m.top().endSegment() // inside brackets or BEGIN ATOMIC: a sibling
		return
	}
	m.max = max(m.max, int(m.inline[0].value()))
	m.inline[0] = level{}
}

func (m *meter) boolean() {
	l := m.top()
	l.endSegment()
	l.boolean = true
}

func (m *meter) chain()   { m.top().chain++ }
func (m *meter) op(n int) { m.top().seg += int32(n) }
func (m *meter) done() int {
	if m.over {
		return m.limit + 1
	}
	for m.n > 1 {
		m.pop()
	}
	return max(m.max, int(m.inline[0].value()))
}

type wordKind uint8

const (
	wordOther wordKind = iota
	wordBool           // AND, OR
	wordChain          // set operations, JOIN
	wordCase
	wordEnd
	wordBegin
	wordAtomic
	wordOp
)

// wordOf returns the kind of an unquoted word, whatever its case.
func wordOf(w string) wordKind {
	var b [len("intersect")]byte
	if len(w) < 2 || len(w) > len(b) {
		return wordOther
	}
	for i := 0; i < len(w); i++ {
		c := w[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b[i] = c
	}
	switch string(b[:len(w)]) {
	case "and", "or":
		return wordBool
	case "union", "intersect", "except", "join":
		return wordChain
	case "case":
		return wordCase
	case "end":
		return wordEnd
	case "begin":
		return wordBegin
	case "atomic":
		return wordAtomic
	// ANY, ALL and SOME are not here: they only qualify the operator or set
	// operation before them, which already counts.
	case "not", "is", "isnull", "notnull", "collate", "at", "like", "ilike",
		"similar", "between", "in", "overlaps", "operator", "escape",
		"exists", "array", "row", "uescape":
		return wordOp
	}
	return wordOther
}

// word feeds a keyword to the meter; prev is the word before it, for
// BEGIN ATOMIC.
func (m *meter) word(k, prev wordKind) {
	switch k {
	case wordBool:
		m.boolean()
	case wordChain:
		m.chain()
	case wordCase:
		m.push(levelCase)
	case wordEnd:
		m.end()
	case wordAtomic:
		if prev == wordBegin {
			m.push(levelAtomic)
		}
	case wordOp:
		m.op(1)
	}
}

// nestingDepth returns an upper bound of how deeply the parse tree of sql
// nests, without parsing it. Above limit the exact value is not computed: any
// result greater than limit means "too deep".
func nestingDepth(sql string, limit int) int {
	m := meter{n: 1, limit: limit}
	prev := wordOther
	for i := 0; i < len(sql) && !m.over; {
		c := sql[i]
		k := wordOther
		switch {
		case isSpace(c):
			i++
			continue
		case c == '-' && at(sql, i+1) == '-':
			i = skipLineComment(sql, i)
			continue
		case c == '/' && at(sql, i+1) == '*':
			i = skipBlockComment(sql, i)
			continue
		case c == '\'':
			i = skipString(sql, i+1, false)
		case c == '"':
			i = skipQuotedIdent(sql, i+1)
		case c == '$':
			switch end, ok := dollarDelimiter(sql, i); {
			case ok:
				i = skipDollarQuoted(sql, i, end)
			default:
				// A parameter such as $1, or a lone $. pg_query's lexer
				// ends a parameter at its digits ("$1abc" is $1 and abc).
				i++
				for i < len(sql) && isDigit(sql[i]) {
					i++
				}
			}
		case isIdentStart(c):
			j := skipWord(sql, i)
			if end, ok := prefixedString(sql, i, j); ok {
				i = end
				break
			}
			k = wordOf(sql[i:j])
			m.word(k, prev)
			i = j
		case isDigit(c):
			i = skipNumber(sql, i)
		case c == '(' || c == '[':
			m.push(levelBracket)
			i++
		case c == ')' || c == ']':
			m.closeBracket()
			i++
		case c == ',':
			m.comma()
			i++
		case c == ';':
			m.semicolon()
			i++
		case c == ':' && at(sql, i+1) == ':':
			m.op(1)
			i += 2
		case isOpChar(c):
			var n int
			i, n = skipOperator(sql, i)
			m.op(n)
		default:
			i++
		}
		prev = k
	}
	return m.done()
}

func at(s string, i int) byte {
	if i < len(s) {
		return s[i]
	}
	return 0
}

// isSpace is the lexer's {space}: [ \t\n\r\f\v].
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// isIdentStart is the lexer's {ident_start}: [A-Za-z\200-\377_].
func isIdentStart(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_' || c >= 0x80
}

// isIdentCont is the lexer's {ident_cont}: [A-Za-z\200-\377_0-9\$].
func isIdentCont(c byte) bool { return isIdentStart(c) || isDigit(c) || c == '$' }

// isOpChar is the lexer's {op_chars}.
func isOpChar(c byte) bool {
	switch c {
	case '~', '!', '@', '#', '^', '&', '|', '`', '?', '+', '-', '*', '/', '%', '<', '>', '=':
		return true
	}
	return false
}

// skipWord skips identifier characters.
func skipWord(s string, i int) int {
	for i < len(s) && isIdentCont(s[i]) {
		i++
	}
	return i
}

// skipNumber skips a number. A "$" right after the digits starts a new
// token, as in the lexer; letters after them are an exponent or junk the
// lexer rejects, and are skipped as a word.
func skipNumber(s string, i int) int {
	for i < len(s) && (isDigit(s[i]) || s[i] == '_' || s[i] == '.') {
		i++
	}
	if i < len(s) && isIdentStart(s[i]) {
		return skipWord(s, i)
	}
	return i
}

func skipLineComment(s string, i int) int {
	for i < len(s) && s[i] != '\n' && s[i] != '\r' {
		i++
	}
	return i
}

// skipBlockComment skips a /* */ comment, which nests in Postgres.
func skipBlockComment(s string, i int) int {
	depth := 0
	for i < len(s) {
		switch {
		case s[i] == '/' && at(s, i+1) == '*':
			depth++
			i += 2
		case s[i] == '*' && at(s, i+1) == '/':
			depth--
			i += 2
			if depth == 0 {
				return i
			}
		default:
			i++
		}
	}
	return i
}

// prefixedString recognises E'...', B'...', X'...', N'...', U&'...' and
// U&"..." whose prefix word spans s[i:j]; it returns the index after them.
func prefixedString(s string, i, j int) (int, bool) {
	if j-i != 1 {
		return 0, false
	}
	switch s[i] | 0x20 {
	case 'e':
		if at(s, j) == '\'' {
			return skipString(s, j+1, true), true
		}
	case 'b', 'x', 'n':
		if at(s, j) == '\'' {
			return skipString(s, j+1, false), true
		}
	case 'u':
		if at(s, j) == '&' {
			switch at(s, j+1) {
			case '\'':
				return skipString(s, j+2, false), true
			case '"':
				return skipQuotedIdent(s, j+2), true
			}
		}
	}
	return 0, false
}

// skipString skips the rest of a quoted string whose opening quote ends at i,
// including the continuations Postgres glues on ('a'<newline>'b'). In an
// E'...' string a backslash escapes the next byte.
func skipString(s string, i int, escapes bool) int {
	for i < len(s) {
		switch c := s[i]; {
		case escapes && c == '\\':
			i += 2
		case c == '\'' && at(s, i+1) == '\'':
			i += 2
		case c == '\'':
			next, ok := continuation(s, i+1)
			if !ok {
				return i + 1
			}
			i = next + 1
		default:
			i++
		}
	}
	return len(s)
}

// continuation reports whether the whitespace after a closing quote at i
// continues the string: {whitespace_with_newline}{quote} in scan.l, where
// whitespace_with_newline is {horiz_whitespace}*{newline}{special_whitespace}*.
// It returns the index of the continuing quote.
func continuation(s string, i int) (int, bool) {
	for i < len(s) { // {horiz_whitespace}*: [ \t\f] or a -- comment
		if c := s[i]; c == ' ' || c == '\t' || c == '\f' {
			i++
		} else if c == '-' && at(s, i+1) == '-' {
			i = skipLineComment(s, i)
		} else {
			break
		}
	}
	if c := at(s, i); c != '\n' && c != '\r' {
		return 0, false
	}
	i++
	for i < len(s) { // {special_whitespace}*: {space}+ or a -- comment and newline
		if isSpace(s[i]) {
			i++
		} else if s[i] == '-' && at(s, i+1) == '-' {
			i = skipLineComment(s, i)
			if i >= len(s) {
				return 0, false
			}
			i++
		} else {
			break
		}
	}
	return i, at(s, i) == '\''
}

func skipQuotedIdent(s string, i int) int {
	for i < len(s) {
		if s[i] == '"' {
			if at(s, i+1) == '"' {
				i += 2
				continue
			}
			return i + 1
		}
		i++
	}
	return len(s)
}

// dollarDelimiter recognises $$ or $tag$ at i ({dolqdelim} in scan.l) and
// returns the index just after it.
func dollarDelimiter(s string, i int) (int, bool) {
	j := i + 1
	if at(s, j) == '$' {
		return j + 1, true
	}
	if j >= len(s) || !isIdentStart(s[j]) {
		return 0, false
	}
	for j < len(s) && (isIdentStart(s[j]) || isDigit(s[j])) {
		j++
	}
	if at(s, j) == '$' {
		return j + 1, true
	}
	return 0, false
}

func skipDollarQuoted(s string, start, end int) int {
	delim := s[start:end]
	for i := end; i+len(delim) <= len(s); i++ {
		if s[i] == '$' && s[i:i+len(delim)] == delim {
			return i + len(delim)
		}
	}
	return len(s)
}

// skipOperator skips a run of operator characters, stopping where a comment
// starts, and returns how many operator tokens it may hold: Postgres splits
// trailing + and - off an operator, so each of those may be a token of its own.
func skipOperator(s string, i int) (int, int) {
	n, j := 1, i
	for ; j < len(s) && isOpChar(s[j]); j++ {
		if j > i && (s[j] == '-' && at(s, j+1) == '-' || s[j] == '/' && at(s, j+1) == '*') {
			break
		}
		if j > i && (s[j] == '+' || s[j] == '-') {
			n++
		}
	}
	return j, n
}
