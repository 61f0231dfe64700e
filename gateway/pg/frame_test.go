package pg

import (
	"bytes"
	"encoding/binary"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// chunkReader returns its data a few random bytes at a time, as a socket
// may.
type chunkReader struct {
	data []byte
	r    *rand.Rand
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	n := min(len(p), len(c.data), 1+c.r.IntN(300))
	copy(p, c.data[:n])
	c.data = c.data[n:]
	return n, nil
}

// TestMsgReaderFramesWhateverTheReads frames random messages, some larger
// than the buffer, from reads of random sizes, and checks each comes back
// whole and in order, then a clean io.EOF.
func TestMsgReaderFramesWhateverTheReads(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(11, 12))
	for range 200 {
		var stream []byte
		var want [][]byte
		for range 1 + r.IntN(40) {
			body := make([]byte, r.IntN(1500))
			for i := range body {
				body[i] = byte(r.IntN(256))
			}
			msg := binary.BigEndian.AppendUint32([]byte{'D'}, uint32(4+len(body)))
			msg = append(msg, body...)
			want = append(want, msg)
			stream = append(stream, msg...)
		}
		m := newMsgReader(&chunkReader{data: stream, r: r}, 512, 1<<20)
		for i, w := range want {
			typ, got, err := m.next()
			require.NoError(t, err, "message %d", i)
			require.Equal(t, byte('D'), typ)
			require.True(t, bytes.Equal(w, got), "message %d of %d bytes", i, len(w))
		}
		_, _, err := m.next()
		require.ErrorIs(t, err, io.EOF)
	}
}

func TestMsgReaderRefusesBadLengths(t *testing.T) {
	t.Parallel()
	m := newMsgReader(bytes.NewReader([]byte{'Q', 0, 0, 0, 3}), 64, 100)
	_, _, err := m.next()
	require.ErrorContains(t, err, "invalid length 3")
	m = newMsgReader(bytes.NewReader([]byte{'Q', 0, 0, 1, 0}), 64, 100)
	_, _, err = m.next()
	require.ErrorAs(t, err, new(errTooLarge))
	m = newMsgReader(bytes.NewReader([]byte{'Q', 0, 0, 0, 9, 'a'}), 64, 100)
	_, _, err = m.next()
	require.Error(t, err, "cut short")
}

// fullReader hands out fixed-size messages, filling every read to the
// brim, so that reads almost never end on a message boundary.
type fullReader struct {
	msg []byte
	at  int
}

func (f *fullReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = f.msg[f.at]
		f.at = (f.at + 1) % len(f.msg)
	}
	return len(p), nil
}

// TestMsgReaderCountsEveryRead guards the idle timeout: a session streaming
// a large result reads the socket again and again, and each read must
// count as activity even when no read ends on a message boundary.
func TestMsgReaderCountsEveryRead(t *testing.T) {
	t.Parallel()
	msg := binary.BigEndian.AppendUint32([]byte{'D'}, 1000-1)
	msg = append(msg, make([]byte, 1000-5)...)
	m := newMsgReader(&fullReader{msg: msg}, 64<<10, 1<<20)
	for range 1000 {
		_, _, err := m.next()
		require.NoError(t, err)
	}
	require.GreaterOrEqual(t, m.reads.Load(), uint64(1000*1000/(64<<10)), "every 64 KiB read counted")
}

// zeroReader returns nothing, forever, without an error.
type zeroReader struct{}

func (zeroReader) Read([]byte) (int, error) { return 0, nil }

func TestMsgReaderGivesUpOnReadsWithoutProgress(t *testing.T) {
	t.Parallel()
	_, _, err := newMsgReader(zeroReader{}, 64, 100).next()
	require.ErrorIs(t, err, io.ErrNoProgress)
}

// bindBody builds the part of a Bind after the portal and statement names.
func bindBody(paramFormats []int16, params [][]byte, resultFormats []int16) []byte {
	var b []byte
	b = binary.BigEndian.AppendUint16(b, uint16(len(paramFormats)))
	for _, f := range paramFormats {
		b = binary.BigEndian.AppendUint16(b, uint16(f))
	}
	b = binary.BigEndian.AppendUint16(b, uint16(len(params)))
	for _, p := range params {
		if p == nil {
			b = binary.BigEndian.AppendUint32(b, 0xFFFFFFFF)
			continue
		}
		b = binary.BigEndian.AppendUint32(b, uint32(len(p)))
		b = append(b, p...)
	}
	b = binary.BigEndian.AppendUint16(b, uint16(len(resultFormats)))
	for _, f := range resultFormats {
		b = binary.BigEndian.AppendUint16(b, uint16(f))
	}
	return b
}

func TestParseBind(t *testing.T) {
	t.Parallel()
	long := bytes.Repeat([]byte{7}, 40)
	for _, tc := range []struct {
		name          string
		paramFormats  []int16
		params        [][]byte
		resultFormats []int16
		wantParams    []string
	}{
		{"text", nil, [][]byte{[]byte("42"), nil}, nil, []string{"42", "NULL"}},
		{"one format for all", []int16{1}, [][]byte{{0, 0, 0, 42}, {0, 0, 0, 0, 0, 0, 0, 1}}, []int16{1}, []string{"[4 bytes, binary]", "[8 bytes, binary]"}},
		{"format each", []int16{0, 1}, [][]byte{[]byte("a"), long}, []int16{0, 1, 0}, []string{"a", "[40 bytes, binary]"}},
		{"text results", nil, nil, []int16{0}, []string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := parseBind(bindBody(tc.paramFormats, tc.params, tc.resultFormats))
			require.NoError(t, err)
			require.Equal(t, tc.wantParams, p.params)
			if len(tc.resultFormats) == 0 {
				require.Empty(t, p.formats)
			} else {
				require.Equal(t, tc.resultFormats, p.formats)
			}
		})
	}
	// The shared one-format slices must not be written through a portal.
	a, err := parseBind(bindBody(nil, nil, []int16{1}))
	require.NoError(t, err)
	b, err := parseBind(bindBody(nil, nil, []int16{0}))
	require.NoError(t, err)
	require.Equal(t, []int16{1}, a.formats)
	require.Equal(t, []int16{0}, b.formats)

	for _, bad := range [][]byte{
		{0, 1}, // a format count with no formats
		bindBody(nil, [][]byte{[]byte("abc")}, nil)[:7], // a value cut short
		{0, 0, 0, 0, 0, 2, 0},                           // two result formats, one byte
	} {
		_, err := parseBind(bad)
		require.ErrorIs(t, err, errBadBind, "%x", bad)
	}
}
