package pg

import (
	"errors"

	"github.com/jitgate/jitgate/gateway/mask"
	"github.com/jitgate/jitgate/gateway/pg/classify"
)

// copyPlan says how the rows of one COPY ... TO STDOUT are masked column by
// column. The server sends each row as one CopyData message, newline
// included; the plan splits it as the server framed it and replaces the
// values of masked columns. The detectors then run over the whole row, as
// for every COPY.
type copyPlan struct {
	out  classify.CopyOut
	cols []copyCol
	// whole is set when some column is masked whole; otherwise rows are
	// not split at all.
	whole bool
	// headerDue: the next row is the header line of column names.
	headerDue bool
	// keepNull: the NULL marker cannot also be a value's text, so a NULL
	// in a masked column may stay NULL. In text format a value equal to a
	// NULL string other than \N is written as is, and keeping it would
	// tell that the value equals the string chosen.
	keepNull bool
	// blind: a COPY of a whole table whose columns the catalog could not
	// tell, generated ones included, so which ones it sends is unknown.
	// Every column it sends is masked.
	blind  bool
	bounds [][2]int
}

type copyCol struct {
	whole bool
	// value replaces a masked column's values: the marker for text types,
	// the NULL marker for others, as no other value is valid whatever the
	// type.
	value []byte
}

// newCopyPlan builds the plan of a COPY from the description of its
// query: fields, and what their table columns say (src, nil when none is
// a table's).
func newCopyPlan(m *mask.Masker, out classify.CopyOut, fields []field, src []colSource, derived reach) *copyPlan {
	p := &copyPlan{out: out, headerDue: out.Header, keepNull: out.Format == classify.CopyCSV || out.Null == `\N`}
	for i, f := range fields {
		var sc colSource
		if src != nil {
			sc = src[i]
		}
		if out.AllColumns && sc.generated {
			continue
		}
		p.blind = p.blind || out.AllColumns && sc.unknown
		c := copyCol{whole: sc.masked || m.Column(f.name) || derived.masks(f)}
		if c.whole {
			p.whole = true
			c.value = []byte(out.Null)
			if copyTextType(f.oid) {
				c.value = []byte(m.Whole())
			}
		}
		p.cols = append(p.cols, c)
	}
	return p
}

// blinded is the plan of a blind COPY that sends n columns: each is
// masked to the NULL marker, valid whatever its type.
func (p *copyPlan) blinded(n int) *copyPlan {
	b := *p
	b.cols, b.whole, b.keepNull = make([]copyCol, n), true, true
	for i := range b.cols {
		b.cols[i] = copyCol{whole: true, value: []byte(p.out.Null)}
	}
	return &b
}

// copyTextType: types whose text form the whole-value marker is a valid
// value of.
func copyTextType(oid uint32) bool {
	switch oid {
	case oidText, oidVarchar, oidBpchar, oidName, oidUnknown:
		return true
	}
	return false
}

var errCopyRow = errors.New("COPY row does not split into its columns")

// mask appends row with the values of masked columns replaced.
func (p *copyPlan) mask(dst, row []byte) ([]byte, error) {
	var ok bool
	p.bounds, ok = p.split(p.bounds[:0], row)
	if !ok || len(p.bounds) != len(p.cols) {
		return nil, errCopyRow
	}
	for i, b := range p.bounds {
		if i > 0 {
			dst = append(dst, p.out.Delimiter)
		}
		v, c := row[b[0]:b[1]], p.cols[i]
		if !c.whole || p.keepNull && string(v) == p.out.Null {
			dst = append(dst, v...)
		} else {
			dst = append(dst, c.value...)
		}
	}
	return append(dst, '\n'), nil
}

// split appends the start and end of each column's text in row, whose
// last byte is the newline that ends it.
func (p *copyPlan) split(bounds [][2]int, row []byte) ([][2]int, bool) {
	if len(row) == 0 || row[len(row)-1] != '\n' {
		return bounds, false
	}
	row = row[:len(row)-1]
	if p.out.Format == classify.CopyCSV {
		return splitCSV(bounds, row, p.out.Delimiter, p.out.Quote, p.out.Escape)
	}
	return splitText(bounds, row, p.out.Delimiter)
}

// splitText splits a row of text format: a backslash escapes the byte
// after it, a delimiter in a value is always escaped.
func splitText(bounds [][2]int, row []byte, delim byte) ([][2]int, bool) {
	start := 0
	for i := 0; i < len(row); i++ {
		switch row[i] {
		case '\\':
			if i++; i == len(row) {
				return bounds, false
			}
		case delim:
			bounds = append(bounds, [2]int{start, i})
			start = i + 1
		}
	}
	return append(bounds, [2]int{start, len(row)}), true
}

// splitCSV splits a row of CSV: a value holding the delimiter, the quote
// or a line break is quoted, and inside quotes the escape byte (by default
// the quote itself, doubled) protects a quote or an escape byte.
func splitCSV(bounds [][2]int, row []byte, delim, quote, escape byte) ([][2]int, bool) {
	start, quoted := 0, false
	for i := 0; i < len(row); i++ {
		c := row[i]
		switch {
		case quoted && c == escape && i+1 < len(row) && (row[i+1] == quote || row[i+1] == escape) && (escape != quote || row[i+1] == quote):
			i++
		case quoted && c == quote:
			quoted = false
		case quoted:
		case c == quote:
			quoted = true
		case c == delim:
			bounds = append(bounds, [2]int{start, i})
			start = i + 1
		}
	}
	return append(bounds, [2]int{start, len(row)}), !quoted
}
