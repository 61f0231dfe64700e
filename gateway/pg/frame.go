package pg

import (
	"encoding/binary"
	"fmt"
	"io"
	"sync/atomic"
)

// msgReader reads whole protocol messages (type byte, int32 length, body).
// A message that fits the buffer is returned in place, without a copy; it
// stays valid until the next call. It keeps its own buffer rather than a
// bufio.Reader: a large result is one message per row, and three calls
// into bufio per row cost more than the slicing they do.
type msgReader struct {
	r          io.Reader
	buf        []byte
	start, end int // buf[start:end] is read and not yet returned
	max        int
	large      []byte
	// reads counts the reads that returned data: the session's sign of
	// activity, whether or not they ended on a message boundary. The
	// session's idle check reads it from another goroutine; a counter
	// costs the data path less than a clock read per read.
	reads atomic.Uint64
}

func newMsgReader(r io.Reader, size, max int) *msgReader {
	return &msgReader{r: r, buf: make([]byte, size), max: max}
}

// errTooLarge is returned for a message longer than the reader's cap.
type errTooLarge struct {
	typ  byte
	size int
}

func (e errTooLarge) Error() string {
	return fmt.Sprintf("message %q of %d bytes is larger than allowed", e.typ, e.size)
}

// fill reads until at least n bytes (n <= len(buf)) are buffered, first
// moving what is buffered to the front when the rest would not fit.
func (m *msgReader) fill(n int) error {
	if m.start+n > len(m.buf) {
		m.end = copy(m.buf, m.buf[m.start:m.end])
		m.start = 0
	}
	for empty := 0; m.end-m.start < n; {
		k, err := m.r.Read(m.buf[m.end:])
		m.end += k
		if k > 0 {
			m.reads.Add(1)
			empty = 0
		} else if empty++; err == nil && empty >= 100 {
			err = io.ErrNoProgress
		}
		if err != nil {
			if m.end-m.start >= n {
				return nil // the error comes back with the next read
			}
			return err
		}
	}
	return nil
}

// next returns the next message: its type and its full bytes, header included.
func (m *msgReader) next() (byte, []byte, error) {
	if m.end-m.start < 5 {
		if err := m.fill(5); err != nil {
			return 0, nil, err
		}
	}
	hdr := m.buf[m.start : m.start+5]
	typ := hdr[0]
	n := int(binary.BigEndian.Uint32(hdr[1:5]))
	if n < 4 {
		return 0, nil, fmt.Errorf("message %q has invalid length %d", typ, n)
	}
	if n-4 > m.max {
		return 0, nil, errTooLarge{typ: typ, size: n - 4}
	}
	total := 1 + n
	if total <= len(m.buf) {
		if m.end-m.start < total {
			if err := m.fill(total); err != nil {
				return 0, nil, err
			}
		}
		msg := m.buf[m.start : m.start+total : m.start+total]
		m.start += total
		return typ, msg, nil
	}
	if cap(m.large) < total {
		m.large = make([]byte, total)
	}
	msg := m.large[:total]
	have := copy(msg, m.buf[m.start:m.end])
	m.start, m.end = 0, 0
	if _, err := io.ReadFull(m.r, msg[have:]); err != nil {
		return 0, nil, err
	}
	m.reads.Add(1)
	if cap(m.large) > 1<<24 {
		// Do not keep a huge buffer alive for the rest of the session.
		m.large = nil
	}
	return typ, msg, nil
}

// buffered reports whether another message may already be waiting, so the
// caller can delay a flush and batch its writes.
func (m *msgReader) buffered() bool { return m.end > m.start }

// body returns the bytes after the header.
func body(msg []byte) []byte { return msg[5:] }

// cstring reads a NUL-terminated string from b and returns it and the rest.
func cstring(b []byte) (string, []byte, error) {
	for i, c := range b {
		if c == 0 {
			return string(b[:i]), b[i+1:], nil
		}
	}
	return "", nil, fmt.Errorf("unterminated string")
}

// cbytes is cstring without the copy, for names only compared or hashed.
func cbytes(b []byte) ([]byte, []byte, error) {
	for i, c := range b {
		if c == 0 {
			return b[:i], b[i+1:], nil
		}
	}
	return nil, nil, fmt.Errorf("unterminated string")
}

func readInt16(b []byte) (int, []byte, error) {
	if len(b) < 2 {
		return 0, nil, fmt.Errorf("short message")
	}
	return int(int16(binary.BigEndian.Uint16(b))), b[2:], nil
}

func readInt32(b []byte) (int, []byte, error) {
	if len(b) < 4 {
		return 0, nil, fmt.Errorf("short message")
	}
	return int(int32(binary.BigEndian.Uint32(b))), b[4:], nil
}

// appendMsg starts a message of type typ in dst and returns the buffer and
// the offset of its length, to be filled by finishMsg.
func appendMsg(dst []byte, typ byte) ([]byte, int) {
	dst = append(dst, typ, 0, 0, 0, 0)
	return dst, len(dst) - 4
}

func finishMsg(dst []byte, at int) []byte {
	binary.BigEndian.PutUint32(dst[at:], uint32(len(dst)-at))
	return dst
}
