package pg

import (
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/jitgate/jitgate/gateway/mask"
)

// appendValues appends a count and length-prefixed values (nil is NULL), as
// DataRow and Bind carry them.
func appendValues(b []byte, values [][]byte) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(len(values)))
	for _, v := range values {
		if v == nil {
			b = binary.BigEndian.AppendUint32(b, 0xFFFFFFFF)
			continue
		}
		b = binary.BigEndian.AppendUint32(b, uint32(len(v)))
		b = append(b, v...)
	}
	return b
}

func dataRow(values ...[]byte) []byte {
	m, at := appendMsg(nil, 'D')
	m = appendValues(m, values)
	return finishMsg(m, at)
}

func rowValues(t *testing.T, msg []byte) [][]byte {
	t.Helper()
	require.Equal(t, byte('D'), msg[0])
	require.Equal(t, len(msg)-1, int(binary.BigEndian.Uint32(msg[1:5])), "length header matches")
	b := msg[5:]
	n := int(binary.BigEndian.Uint16(b))
	b = b[2:]
	out := make([][]byte, n)
	for i := range n {
		size := int(int32(binary.BigEndian.Uint32(b)))
		b = b[4:]
		if size < 0 {
			continue
		}
		out[i], b = b[:size], b[size:]
	}
	require.Empty(t, b)
	return out
}

func testMasker(t *testing.T) *mask.Masker {
	m, err := mask.New([]string{"password", "*_token", "ssn"})
	require.NoError(t, err)
	return m
}

func TestRowMasking(t *testing.T) {
	t.Parallel()
	m := testMasker(t)
	plan := newRowPlan(m, []field{
		{name: "id", oid: 23, format: 1},
		{name: "email", oid: oidText},
		{name: "password", oid: oidVarchar},
		{name: "ssn", oid: 23, format: 1},
		{name: "doc", oid: oidJSONB, format: 1},
		{name: "api_token", oid: oidJSON},
	}, nil, reachNone)
	rm := rowMasker{m: m}

	clean := dataRow([]byte{0, 0, 0, 2}, []byte("no email"), nil, nil, []byte("\x01{}"), nil)
	out, err := rm.mask(nil, clean, plan)
	require.NoError(t, err)
	require.Equal(t, clean, out, "a clean row is forwarded byte for byte")

	secret := dataRow([]byte{0, 0, 0, 1}, []byte("mail alice@example.com now"), []byte("hunter2"),
		[]byte{0, 0, 0, 9}, []byte("\x01{\"to\": \"bob@example.org\"}"), []byte(`{"t":1}`))
	out, err = rm.mask(nil, secret, plan)
	require.NoError(t, err)
	vals := rowValues(t, out)
	require.Equal(t, []byte{0, 0, 0, 1}, vals[0])
	require.NotContains(t, string(vals[1]), "alice@example.com")
	require.Contains(t, string(vals[1]), "@example.com")
	require.Equal(t, "********", string(vals[2]))
	require.Nil(t, vals[3], "a masked int column becomes NULL")
	require.Equal(t, byte(1), vals[4][0], "jsonb binary keeps its version byte")
	require.NotContains(t, string(vals[4]), "bob@example.org")
	require.Equal(t, `"********"`, string(vals[5]), "a masked json column stays JSON")
}

func TestBinaryTextArrayMasking(t *testing.T) {
	t.Parallel()
	m := testMasker(t)
	arr := binary.BigEndian.AppendUint32(nil, 1) // ndim
	arr = binary.BigEndian.AppendUint32(arr, 0)  // flags
	arr = binary.BigEndian.AppendUint32(arr, oidText)
	arr = binary.BigEndian.AppendUint32(arr, 3) // dim size
	arr = binary.BigEndian.AppendUint32(arr, 1) // lower bound
	for _, s := range []string{"plain", "carol@example.com", ""} {
		arr = binary.BigEndian.AppendUint32(arr, uint32(len(s)))
		arr = append(arr, s...)
	}
	plan := newRowPlan(m, []field{{name: "tags", oid: oidTextArr, format: 1}}, nil, reachNone)
	rm := rowMasker{m: m}
	out, err := rm.mask(nil, dataRow(arr), plan)
	require.NoError(t, err)
	v := rowValues(t, out)[0]
	require.NotContains(t, string(v), "carol@example.com")
	b := v[20:]
	var elems []string
	for len(b) > 0 {
		n := int(binary.BigEndian.Uint32(b))
		elems = append(elems, string(b[4:4+n]))
		b = b[4+n:]
	}
	require.Len(t, elems, 3, "the array keeps its shape")
	require.Equal(t, "plain", elems[0])
	require.Contains(t, elems[1], "@example.com")
	require.Equal(t, "", elems[2])
}

func TestMalformedDataRowIsAnError(t *testing.T) {
	t.Parallel()
	m := testMasker(t)
	plan := newRowPlan(m, []field{{name: "a", oid: oidText}}, nil, reachNone)
	rm := rowMasker{m: m}
	bad := dataRow([]byte("abc"))
	bad[8] = 0x7f // length far past the end
	_, err := rm.mask(nil, bad, plan)
	require.Error(t, err)
}

func BenchmarkRowMasking(b *testing.B) {
	m, _ := mask.New([]string{"password"})
	plan := newRowPlan(m, []field{{name: "a", oid: oidText}, {name: "b", oid: oidText}, {name: "c", oid: oidText}, {name: "d", oid: oidText}, {name: "e", oid: oidText}}, nil, reachNone)
	rm := rowMasker{m: m}
	row := dataRow([]byte("0cc175b9c0f1b6a831c399e269772661"), []byte("plain text number 12345"), []byte("nothing here"), []byte("yyyyyyyyyyyyyyyyyyyy"), []byte("another value"))
	dst := make([]byte, 0, 1024)
	b.ReportAllocs()
	b.SetBytes(int64(len(row)))
	for b.Loop() {
		dst, _ = rm.mask(dst[:0], row, plan)
	}
}
