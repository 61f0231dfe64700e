package pg

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync/atomic"
	"syscall"
	"time"
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
	// large holds a message longer than buf while it is read: lhave of
	// its ltotal bytes are in.
	large         []byte
	lhave, ltotal int
	// reads counts the reads that returned data: the session's sign of
	// activity, whether or not they ended on a message boundary. The
	// session's idle check reads it from another goroutine; a counter
	// costs the data path less than a clock read per read.
	reads atomic.Uint64
	// err is a read error that came with data, returned once the data
	// is used up; empty counts reads that returned nothing and no error.
	err   error
	empty int

	// raw, when set, is the plain TCP socket under r: each reads it
	// directly (see eachRaw). stop ends eachRaw between two reads.
	raw  *net.TCPConn
	stop *atomic.Bool
	// recheck bounds how long eachRaw may miss the end of the connection.
	recheck time.Duration
}

// rawRecheck is msgReader.recheck unless a test wants it otherwise.
const rawRecheck = time.Second

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

// frame returns the next message if it is buffered whole; ok is false when
// more must be read first.
func (m *msgReader) frame() (typ byte, msg []byte, ok bool, err error) {
	if m.ltotal > 0 {
		if m.lhave < m.ltotal {
			return 0, nil, false, nil
		}
		msg = m.large[:m.ltotal]
		m.lhave, m.ltotal = 0, 0
		if cap(m.large) > 1<<24 {
			// Do not keep a huge buffer alive for the rest of the session.
			m.large = nil
		}
		return msg[0], msg, true, nil
	}
	if m.end-m.start < 5 {
		return 0, nil, false, nil
	}
	hdr := m.buf[m.start : m.start+5]
	typ = hdr[0]
	n := int(binary.BigEndian.Uint32(hdr[1:5]))
	if n < 4 {
		return 0, nil, false, fmt.Errorf("message %q has invalid length %d", typ, n)
	}
	if n-4 > m.max {
		return 0, nil, false, errTooLarge{typ: typ, size: n - 4}
	}
	total := 1 + n
	if total > len(m.buf) {
		// Longer than the buffer: gather it in large, from what is
		// buffered and then straight from the reads.
		if cap(m.large) < total {
			m.large = make([]byte, total)
		}
		m.ltotal = total
		m.lhave = copy(m.large[:total], m.buf[m.start:m.end])
		m.start, m.end = 0, 0
		return 0, nil, false, nil
	}
	if m.end-m.start < total {
		return 0, nil, false, nil
	}
	msg = m.buf[m.start : m.start+total : m.start+total]
	m.start += total
	return typ, msg, true, nil
}

// space is where the next read goes: the rest of a large message, or the
// buffer's free end, moving what is buffered to the front first when the
// message it starts would not fit behind it.
func (m *msgReader) space() []byte {
	if m.ltotal > 0 {
		return m.large[m.lhave:m.ltotal]
	}
	if m.start == m.end {
		m.start, m.end = 0, 0
		return m.buf
	}
	need := 5
	if m.end-m.start >= 5 {
		need = 1 + int(binary.BigEndian.Uint32(m.buf[m.start+1:]))
	}
	if m.start+need > len(m.buf) {
		m.end = copy(m.buf, m.buf[m.start:m.end])
		m.start = 0
	}
	return m.buf[m.end:]
}

// advance takes in k bytes just read into space.
func (m *msgReader) advance(k int) {
	if m.ltotal > 0 {
		m.lhave += k
	} else {
		m.end += k
	}
	m.reads.Add(1)
}

// readSome reads once from r.
func (m *msgReader) readSome() error {
	if m.err != nil {
		return m.err
	}
	k, err := m.r.Read(m.space())
	if k > 0 {
		m.advance(k)
		m.empty = 0
		m.err = err // comes back once what was read is used up
		return nil
	}
	if err == nil {
		if m.empty++; m.empty >= 100 {
			err = io.ErrNoProgress
		}
	}
	return err
}

// deliver hands every whole message buffered to handle, then calls idle if
// nothing at all is left buffered: the caller's moment to write what it
// batched, before the reader waits for more.
func (m *msgReader) deliver(handle func(typ byte, msg []byte) error, idle func() error) error {
	for {
		typ, msg, ok, err := m.frame()
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		if err := handle(typ, msg); err != nil {
			return err
		}
	}
	if m.buffered() {
		return nil
	}
	return idle()
}

// each calls handle for every message in order until a read or handle
// fails, and idle (see deliver) before each wait for more.
func (m *msgReader) each(handle func(typ byte, msg []byte) error, idle func() error) error {
	if m.raw != nil {
		return m.eachRaw(handle, idle)
	}
	for {
		if err := m.deliver(handle, idle); err != nil {
			return err
		}
		if err := m.readSome(); err != nil {
			return err
		}
	}
}

// eachRaw is each on a plain TCP socket, inside a RawConn.Read that lasts
// as long as the connection. A read through net.Conn that finds the socket
// empty costs a system call that returns EAGAIN before the goroutine parks,
// once per direction per statement for a client waiting on each answer.
// Here a short read says the socket held no more data, and the goroutine
// parks at once: the poller, edge-triggered, marks the socket ready for
// data that comes after that read, so no data is missed (a readiness that
// was already used up costs one EAGAIN read, as before). This only holds
// within one RawConn.Read, as each call forgets the readiness seen before.
//
// What a short read cannot say is whether the peer's FIN or RST came with
// the data it returned: their readiness may have been the same as the
// data's, already used. So parking after a short read arms a read deadline
// (once, while none is armed): it ends the RawConn.Read, and the next one
// reads once more whatever happens, so an end is seen within recheck. A
// park after EAGAIN needs none: anything after that read comes with an
// edge of its own. Busy sessions pay a timer a second, idle ones nothing.
func (m *msgReader) eachRaw(handle func(typ byte, msg []byte) error, idle func() error) error {
	rc, err := m.raw.SyscallConn()
	if err != nil {
		return err
	}
	var failed error
	drained, armed := false, false
	read := func(fd uintptr) bool {
		for {
			if m.stop != nil && m.stop.Load() {
				failed = net.ErrClosed
				return true
			}
			if err := m.deliver(handle, idle); err != nil {
				failed = err
				return true
			}
			if drained {
				drained = false
				if !armed {
					if err := m.raw.SetReadDeadline(time.Now().Add(m.recheck)); err != nil {
						failed = err
						return true
					}
					armed = true
				}
				return false
			}
			dst := m.space()
			k, err := rawRead(fd, dst)
			switch {
			case err == syscall.EINTR:
				continue
			case err == syscall.EAGAIN:
				return false
			case err != nil:
				failed = os.NewSyscallError("read", err)
				return true
			case k == 0:
				failed = io.EOF
				return true
			}
			m.advance(k)
			drained = k < len(dst)
		}
	}
	for {
		err := rc.Read(read)
		if failed != nil {
			return failed
		}
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			return err
		}
		// The deadline came: read again, without one until the next
		// short read.
		if err := m.raw.SetReadDeadline(time.Time{}); err != nil {
			return err
		}
		drained, armed = false, false
	}
}

// readRaw makes m read conn's socket directly when conn is plain TCP,
// possibly behind a bufConn whose buffered bytes are taken over first.
// stop, once set, ends the reading. TLS connections are read through r.
func (m *msgReader) readRaw(conn net.Conn, stop *atomic.Bool) {
	bc, buffered := conn.(*bufConn)
	if buffered {
		conn = bc.Conn
	}
	tc, ok := conn.(*net.TCPConn)
	if !ok || buffered && bc.r.Buffered() > len(m.buf) {
		return
	}
	if buffered {
		pre, _ := bc.r.Peek(bc.r.Buffered())
		m.end = copy(m.buf, pre)
		_, _ = bc.r.Discard(len(pre))
	}
	m.raw, m.stop, m.recheck = tc, stop, rawRecheck
}

// buffered reports whether any bytes are buffered: part of a message means
// more of it is on the way, so the caller's flush can wait for it.
func (m *msgReader) buffered() bool { return m.end > m.start || m.ltotal > 0 }

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
