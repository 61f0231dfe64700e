package pg

import (
	"encoding/binary"
	"fmt"
	"time"

	"github.com/jitgate/jitgate/gateway/mask"
)

// Type OIDs whose values are text the masker can read and rewrite. For
// these, a masked value is still a valid value of the type.
const (
	oidChar      = 18
	oidName      = 19
	oidText      = 25
	oidJSON      = 114
	oidXML       = 142
	oidUnknown   = 705
	oidBpchar    = 1042
	oidVarchar   = 1043
	oidJSONB     = 3802
	oidTextArr   = 1009
	oidBpcharArr = 1014
	oidVarchArr  = 1015
	oidJSONArr   = 199
	oidJSONBArr  = 3807
	oidBytea     = 17
	// firstUserOID: types created in a database (citext, enums, domains)
	// have OIDs from here up; their text form is text.
	firstUserOID = 16384
)

// colAction is what happens to one column's values.
type colAction uint8

const (
	colPass   colAction = iota // not text: left as is
	colDetect                  // text: detectors rewrite what they find
	colArray                   // a binary array of text: each element is detected
	colWhole                   // a masked column: the whole value is replaced
	// colDetectNull: a value of another type, read as text; if detectors
	// find anything in it (a card number in a bigint, a secret inside a
	// record) it becomes NULL, since a rewritten value would not be valid.
	colDetectNull
)

type column struct {
	action colAction
	oid    uint32
	binary bool
}

// rowPlan says, per column of a result, how its values are masked.
type rowPlan struct {
	cols []column
	// active is false when every column passes, so rows go out untouched.
	active bool
	// expires is when the sources of its columns must be asked again; the
	// zero time when no column came from a table.
	expires time.Time
	// gen is the catalog's generation it was built under, and fields what
	// it was built from, to build it again once the schema changed.
	gen    uint64
	fields []field
	// derived: which columns the statement may fill from masked ones,
	// masked whole.
	derived reach
}

// field is a column of a RowDescription. table and attnum name the table
// column it is, when it is one (table is 0 otherwise).
type field struct {
	name   string
	table  uint32
	attnum int16
	oid    uint32
	format int16
}

// parseRowDescription reads a RowDescription's fields.
func parseRowDescription(msg []byte) ([]field, error) {
	b := body(msg)
	n, b, err := readInt16(b)
	if err != nil || n < 0 {
		return nil, fmt.Errorf("bad RowDescription")
	}
	fields := make([]field, n)
	for i := range fields {
		var name string
		if name, b, err = cstring(b); err != nil || len(b) < 18 {
			return nil, fmt.Errorf("bad RowDescription")
		}
		fields[i] = field{
			name:   name,
			table:  binary.BigEndian.Uint32(b[0:4]),
			attnum: int16(binary.BigEndian.Uint16(b[4:6])),
			oid:    binary.BigEndian.Uint32(b[6:10]),
			format: int16(binary.BigEndian.Uint16(b[16:18])),
		}
		b = b[18:]
	}
	return fields, nil
}

func textLike(oid uint32, binaryFormat bool) bool {
	switch oid {
	case oidChar, oidName, oidText, oidJSON, oidXML, oidUnknown, oidBpchar, oidVarchar, oidJSONB:
		return true
	case oidTextArr, oidBpcharArr, oidVarchArr, oidJSONArr, oidJSONBArr:
		return !binaryFormat
	}
	return oid >= firstUserOID && !binaryFormat
}

// noSecrets are types whose text form cannot hold a secret or a person's
// data in a form the detectors know: small numbers, truth values, times.
func noSecrets(oid uint32) bool {
	switch oid {
	case 16, 21, 23, 26, 700, 701, 1082, 1083, 1114, 1184, 1186, 1266, 2950:
		// bool, int2, int4, oid, float4, float8, date, time, timestamp,
		// timestamptz, interval, timetz, uuid
		return true
	}
	return false
}

func textArray(oid uint32) bool {
	switch oid {
	case oidTextArr, oidBpcharArr, oidVarchArr, oidJSONArr, oidJSONBArr:
		return true
	}
	return false
}

// newRowPlan decides each column's action. A column rule applies to the
// name the result column carries and, through src (nil when no column is
// a table's, or there are no rules), to the table column it comes from;
// derived masks the columns the statement may fill from masked ones (see
// session.derives).
func newRowPlan(m *mask.Masker, fields []field, src []colSource, derived reach) *rowPlan {
	p := &rowPlan{cols: make([]column, len(fields)), derived: derived}
	for i, f := range fields {
		c := column{oid: f.oid, binary: f.format == 1}
		switch {
		case m.Column(f.name), src != nil && src[i].masked, derived.masks(f), c.binary && f.table != 0 && f.attnum == 0:
			// A whole row in binary is a record the detectors cannot read.
			c.action = colWhole
		case textLike(f.oid, c.binary), c.binary && f.oid == oidBytea:
			c.action = colDetect
		case c.binary && textArray(f.oid):
			c.action = colArray
		case !c.binary && !noSecrets(f.oid):
			c.action = colDetectNull
		}
		p.cols[i] = c
		p.active = p.active || c.action != colPass
	}
	return p
}

// wholeValue is what a masked column's value becomes. Text types get a
// fixed marker, JSON a JSON string of it; for every other type NULL is the
// one value that is valid whatever the type.
func wholeValue(c column) ([]byte, bool) {
	switch c.oid {
	case oidJSON:
		return []byte(`"********"`), true
	case oidJSONB:
		if c.binary {
			return []byte("\x01\"********\""), true
		}
		return []byte(`"********"`), true
	}
	if textLike(c.oid, c.binary) {
		return []byte("********"), true
	}
	return nil, false
}

// rowMasker rewrites DataRows by a plan, reusing its buffers.
type rowMasker struct {
	m       *mask.Masker
	scratch []byte
	spans   [][2]int // per column: offset in scratch, length (-1 NULL, -2 original)
}

// mask appends msg to dst, masked by plan. When nothing changed it appends
// the original bytes.
func (rm *rowMasker) mask(dst, msg []byte, plan *rowPlan) ([]byte, error) {
	b := body(msg)
	n, b, err := readInt16(b)
	if err != nil || n < 0 {
		return nil, fmt.Errorf("bad DataRow")
	}
	if !plan.active && n == len(plan.cols) {
		return append(dst, msg...), nil
	}
	if n != len(plan.cols) {
		return nil, fmt.Errorf("DataRow has %d columns, its description %d", n, len(plan.cols))
	}
	rm.scratch, rm.spans = rm.scratch[:0], rm.spans[:0]
	changed := false
	values := b
	for i := range n {
		var size int
		if size, b, err = readInt32(b); err != nil || size > len(b) {
			return nil, fmt.Errorf("bad DataRow")
		}
		if size < 0 {
			rm.spans = append(rm.spans, [2]int{0, -1})
			continue
		}
		v := b[:size]
		b = b[size:]
		did := rm.maskValue(plan.cols[i], v)
		changed = changed || did
	}
	if !changed {
		return append(dst, msg...), nil
	}
	return rm.rebuild(dst, values, n), nil
}

// maskValue appends v's masked form to scratch when it changes and records
// where; otherwise it records that the original stands.
func (rm *rowMasker) maskValue(col column, v []byte) bool {
	start := len(rm.scratch)
	switch col.action {
	case colWhole:
		w, ok := wholeValue(col)
		if !ok {
			rm.spans = append(rm.spans, [2]int{0, -1})
			return true
		}
		rm.scratch = append(rm.scratch, w...)
	case colDetect:
		var did bool
		if col.oid == oidJSONB && col.binary && len(v) > 0 {
			rm.scratch = append(rm.scratch, v[0])
			rm.scratch, did = rm.m.AppendMasked(rm.scratch, v[1:])
		} else {
			rm.scratch, did = rm.m.AppendMasked(rm.scratch, v)
		}
		if !did {
			rm.scratch = rm.scratch[:start]
			rm.spans = append(rm.spans, [2]int{0, -2})
			return false
		}
	case colDetectNull:
		if _, did := rm.m.AppendMasked(rm.scratch[len(rm.scratch):], v); did {
			rm.spans = append(rm.spans, [2]int{0, -1})
			return true
		}
		rm.spans = append(rm.spans, [2]int{0, -2})
		return false
	case colArray:
		var did bool
		rm.scratch, did = maskBinaryArray(rm.m, rm.scratch, v)
		if !did {
			rm.scratch = rm.scratch[:start]
			rm.spans = append(rm.spans, [2]int{0, -2})
			return false
		}
	default:
		rm.spans = append(rm.spans, [2]int{0, -2})
		return false
	}
	rm.spans = append(rm.spans, [2]int{start, len(rm.scratch) - start})
	return true
}

// rebuild writes a new DataRow from the original values and the spans.
func (rm *rowMasker) rebuild(dst, values []byte, n int) []byte {
	dst, at := appendMsg(dst, 'D')
	dst = binary.BigEndian.AppendUint16(dst, uint16(n))
	b := values
	for i := range n {
		size := int(int32(binary.BigEndian.Uint32(b)))
		b = b[4:]
		var orig []byte
		if size > 0 {
			orig, b = b[:size], b[size:]
		}
		span := rm.spans[i]
		switch {
		case span[1] == -1:
			dst = binary.BigEndian.AppendUint32(dst, 0xFFFFFFFF)
		case span[1] == -2:
			dst = binary.BigEndian.AppendUint32(dst, uint32(int32(size)))
			dst = append(dst, orig...)
		default:
			dst = binary.BigEndian.AppendUint32(dst, uint32(span[1]))
			dst = append(dst, rm.scratch[span[0]:span[0]+span[1]]...)
		}
	}
	return finishMsg(dst, at)
}

// maskBinaryArray masks each element of an array of text in binary format:
// a header of ndim, flags, element type and dimensions, then each element
// as int32 length and bytes. Only element lengths change.
func maskBinaryArray(m *mask.Masker, dst, v []byte) ([]byte, bool) {
	if len(v) < 12 {
		return dst, false
	}
	ndim := int(binary.BigEndian.Uint32(v))
	hdr := 12 + 8*ndim
	if ndim < 0 || ndim > 6 || len(v) < hdr {
		return dst, false
	}
	start := len(dst)
	dst = append(dst, v[:hdr]...)
	changed := false
	for b := v[hdr:]; len(b) > 0; {
		if len(b) < 4 {
			return dst[:start], false
		}
		size := int(int32(binary.BigEndian.Uint32(b)))
		b = b[4:]
		if size < 0 {
			dst = binary.BigEndian.AppendUint32(dst, 0xFFFFFFFF)
			continue
		}
		if size > len(b) {
			return dst[:start], false
		}
		at := len(dst)
		dst = append(dst, 0, 0, 0, 0)
		var did bool
		dst, did = m.Append(dst, b[:size])
		changed = changed || did
		binary.BigEndian.PutUint32(dst[at:], uint32(len(dst)-at-4))
		b = b[size:]
	}
	if !changed {
		return dst[:start], false
	}
	return dst, true
}
