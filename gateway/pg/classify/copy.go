package classify

import (
	"errors"
	"fmt"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
)

// CopyFormat is how COPY writes its rows.
type CopyFormat uint8

const (
	CopyText CopyFormat = iota
	CopyCSV
	CopyBinary
)

// CopyOut is one COPY ... TO STDOUT statement: what to describe to learn
// the columns it sends, and how it frames them, so that a gateway can mask
// its rows column by column.
type CopyOut struct {
	// Query is SQL whose result columns are the columns COPY sends: the
	// text inside COPY ( ... ), or a SELECT of the named table's columns.
	Query string
	// AllColumns is set for COPY of a table without a column list, which
	// leaves out the table's generated columns that SELECT * includes.
	AllColumns bool
	Format     CopyFormat
	Delimiter  byte
	Quote      byte // CSV only
	Escape     byte // CSV only
	Null       string
	Header     bool
}

// ErrCopyFraming is returned for a COPY whose rows cannot be split into
// columns with certainty.
var ErrCopyFraming = errors.New("cannot frame COPY rows")

// CopyOuts returns the COPY ... TO STDOUT statements of sql, in order. It
// parses afresh (COPY is rare, and its options are read from string
// literals, which the cache does not keep apart). An error wrapping
// ErrCopyFraming names an option or encoding that would make a row's
// columns uncertain; any other error means the text does not parse.
func (c *Classifier) CopyOuts(sql string) ([]CopyOut, error) {
	if len(sql) > c.maxLength {
		return nil, errors.New("too long to parse")
	}
	if an := c.precheck(sql); an != nil {
		return nil, errors.New(an.verdict.Reasons[0])
	}
	tree, err := pg_query.Parse(sql)
	if err != nil {
		return nil, err
	}
	var outs []CopyOut
	for _, raw := range tree.GetStmts() {
		x := raw.GetStmt().GetCopyStmt()
		if x == nil || x.IsFrom || x.IsProgram || x.Filename != "" {
			continue
		}
		out, err := copyOut(sql, raw, x)
		if err != nil {
			return nil, err
		}
		outs = append(outs, out)
	}
	return outs, nil
}

func copyOut(sql string, raw *pg_query.RawStmt, x *pg_query.CopyStmt) (CopyOut, error) {
	out, err := copyOptions(x.Options)
	if err != nil {
		return out, err
	}
	if x.Query != nil {
		out.Query, err = copyQueryText(statementText(sql, raw))
		return out, err
	}
	out.Query, out.AllColumns, err = copyTableQuery(x)
	return out, err
}

// statementText is the part of sql that raw was parsed from.
func statementText(sql string, raw *pg_query.RawStmt) string {
	start := int(raw.StmtLocation)
	if raw.StmtLen == 0 {
		return sql[start:]
	}
	return sql[start : start+int(raw.StmtLen)]
}

// copyQueryText returns the query of COPY ( query ) TO ... exactly as the
// server reads it: the text between the bracket after COPY and its match,
// found by the Postgres scanner, so brackets inside strings, quoted names
// and comments do not count. The exact text, rather than a deparsed tree,
// describes exactly the columns the COPY will send.
func copyQueryText(stmt string) (string, error) {
	scan, err := pg_query.Scan(stmt)
	if err != nil {
		return "", err
	}
	depth, open := 0, -1
	for _, t := range scan.GetTokens() {
		switch t.Token {
		case pg_query.Token_SQL_COMMENT, pg_query.Token_C_COMMENT:
			continue
		case pg_query.Token_ASCII_40:
			if depth == 0 {
				open = int(t.End)
			}
			depth++
		case pg_query.Token_ASCII_41:
			depth--
			if depth == 0 && open >= 0 {
				return stmt[open:t.Start], nil
			}
		default:
			if open < 0 && t.Token != pg_query.Token_COPY {
				return "", errors.New("no query after COPY")
			}
		}
	}
	return "", errors.New("no query after COPY")
}

// copyTableQuery is the SELECT of the columns COPY table [(columns)]
// sends. Names come from the tree already unquoted and case-folded, so
// quoting every one keeps them exact.
func copyTableQuery(x *pg_query.CopyStmt) (string, bool, error) {
	rel := x.Relation
	if rel == nil || rel.Relname == "" {
		return "", false, errors.New("COPY names no table")
	}
	var b strings.Builder
	b.WriteString("SELECT ")
	if len(x.Attlist) == 0 {
		b.WriteString("*")
	}
	for i, a := range x.Attlist {
		name := a.GetString_().GetSval()
		if name == "" {
			return "", false, errors.New("COPY column list holds a non-name")
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(quoteIdent(name))
	}
	b.WriteString(" FROM ")
	for _, part := range []string{rel.Catalogname, rel.Schemaname} {
		if part != "" {
			b.WriteString(quoteIdent(part) + ".")
		}
	}
	b.WriteString(quoteIdent(rel.Relname))
	return b.String(), len(x.Attlist) == 0, nil
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// copyOptions reads the options that decide how rows are framed, with the
// server's defaults. Options the server accepts only for COPY FROM, and
// any it may add later, are refused: they might change the framing.
func copyOptions(opts []*pg_query.Node) (CopyOut, error) {
	out := CopyOut{Format: CopyText}
	var delim, quote, escape, null *string
	for _, o := range opts {
		d := o.GetDefElem()
		if d == nil {
			return out, optionError("(unnamed)", "is not a name and a value")
		}
		var err error
		switch d.Defname {
		case "format":
			out.Format, err = copyFormat(d)
		case "delimiter":
			delim, err = stringOption(d)
		case "quote":
			quote, err = stringOption(d)
		case "escape":
			escape, err = stringOption(d)
		case "null":
			null, err = stringOption(d)
		case "header":
			out.Header, err = copyHeader(d)
		case "force_quote":
			// Quoting changes no column boundary the splitter cannot read.
		case "encoding":
			err = copyEncoding(d)
		default:
			err = optionError(strings.ToUpper(d.Defname), "is not one jitgate can frame")
		}
		if err != nil {
			return out, err
		}
	}
	return out, copyFraming(&out, delim, quote, escape, null)
}

// copyFraming fills in the framing bytes and refuses any but the
// server's defaults. Under other framing the server escapes or quotes
// bytes inside values (DELIMITER '@' writes alice\@example.com, QUOTE '_'
// doubles every underscore of a token), and the detectors, which read
// the row as sent, no longer recognise the secret.
func copyFraming(out *CopyOut, delim, quote, escape, null *string) error {
	defDelim, defNull := "\t", `\N`
	if out.Format == CopyCSV {
		defDelim, defNull = ",", ""
	}
	d, q := orDefault(delim, defDelim), orDefault(quote, `"`)
	e := orDefault(escape, q)
	out.Null = orDefault(null, defNull)
	switch {
	case d != defDelim:
		return optionError("DELIMITER", "other than the default makes the server escape or quote it inside values")
	case q != `"`:
		return optionError("QUOTE", `other than '"' makes the server double it inside values`)
	case e != `"`:
		return optionError("ESCAPE", `other than '"' makes the server escape it inside values`)
	case null != nil && *null != `\N` && out.Format != CopyCSV && strings.IndexByte(out.Null, '\\') >= 0:
		// A backslash of a chosen NULL string would read as an escape.
		return optionError("NULL", "with a backslash makes rows ambiguous")
	}
	out.Delimiter, out.Quote, out.Escape = d[0], q[0], e[0]
	return nil
}

// CopyOptionError names the COPY option, as it is written in SQL, that
// makes the rows of a COPY ... TO STDOUT unsafe to pass: the gateway could
// not split them into columns, or the detectors could not read them. It
// wraps ErrCopyFraming.
type CopyOptionError struct {
	Option string
	why    string
}

func optionError(option, why string) error { return &CopyOptionError{Option: option, why: why} }

func (e *CopyOptionError) Error() string {
	return fmt.Sprintf("%s: %s %s", ErrCopyFraming, e.Option, e.why)
}

func (e *CopyOptionError) Unwrap() error { return ErrCopyFraming }

func orDefault(p *string, def string) string {
	if p == nil {
		return def
	}
	return *p
}

func stringOption(d *pg_query.DefElem) (*string, error) {
	s, ok := d.Arg.GetNode().(*pg_query.Node_String_)
	if !ok {
		return nil, optionError(strings.ToUpper(d.Defname), "without a string")
	}
	return &s.String_.Sval, nil
}

func copyFormat(d *pg_query.DefElem) (CopyFormat, error) {
	s, err := stringOption(d)
	if err != nil {
		return 0, err
	}
	// The server compares the names exactly, so does this.
	switch *s {
	case "text":
		return CopyText, nil
	case "csv":
		return CopyCSV, nil
	case "binary":
		return CopyBinary, nil
	}
	return 0, optionError("FORMAT", "other than text, csv or binary")
}

// copyHeader reads HEADER as the server does: no value, a boolean, 0 or
// 1, or true, false, on, off in any case. MATCH is for COPY FROM only.
func copyHeader(d *pg_query.DefElem) (bool, error) {
	switch a := d.Arg.GetNode().(type) {
	case nil:
		return true, nil
	case *pg_query.Node_Boolean:
		return a.Boolean.Boolval, nil
	case *pg_query.Node_Integer:
		switch a.Integer.Ival {
		case 0:
			return false, nil
		case 1:
			return true, nil
		}
	case *pg_query.Node_String_:
		switch strings.ToLower(a.String_.Sval) {
		case "true", "on":
			return true, nil
		case "false", "off":
			return false, nil
		}
	}
	return false, optionError("HEADER", "with a value the server would not take")
}

// copyEncoding allows only encodings in which every byte below 0x80 is
// the ASCII character: in others (SJIS, BIG5) a delimiter, quote or
// backslash byte can be the second half of a character. Names are
// compared as the server does, lowered and without punctuation.
func copyEncoding(d *pg_query.DefElem) error {
	s, err := stringOption(d)
	if err != nil {
		return err
	}
	var b strings.Builder
	for _, r := range strings.ToLower(*s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	switch b.String() {
	case "utf8", "unicode", "sqlascii":
		return nil
	}
	return optionError("ENCODING", "other than UTF8 or SQL_ASCII")
}
