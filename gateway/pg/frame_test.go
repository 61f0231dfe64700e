package pg

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"io"
	"math/rand/v2"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// next returns the next message, reading as needed: each without the
// handler, for the framing tests.
func (m *msgReader) next() (byte, []byte, error) {
	for {
		typ, msg, ok, err := m.frame()
		if ok || err != nil {
			return typ, msg, err
		}
		if err := m.readSome(); err != nil {
			return 0, nil, err
		}
	}
}

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
		stream, want := randomMessages(r, 1+r.IntN(40), 1500)
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
	b = appendValues(b, params)
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
		})
	}

	for _, bad := range [][]byte{
		{0, 1}, // a format count with no formats
		bindBody(nil, [][]byte{[]byte("abc")}, nil)[:7], // a value cut short
		{0, 0, 0, 0, 0, 2, 0},                           // two result formats, one byte
	} {
		_, err := parseBind(bad)
		require.ErrorIs(t, err, errBadBind, "%x", bad)
	}
}

// tcpPair returns both ends of a loopback TCP connection.
func tcpPair(t *testing.T) (*net.TCPConn, *net.TCPConn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	client, err := net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	server := <-accepted
	require.NotNil(t, server)
	t.Cleanup(func() { client.Close(); server.Close() })
	return client.(*net.TCPConn), server.(*net.TCPConn)
}

func randomMessages(r *rand.Rand, n, maxBody int) (stream []byte, msgs [][]byte) {
	for range n {
		body := make([]byte, r.IntN(maxBody))
		for i := range body {
			body[i] = byte(r.IntN(256))
		}
		msg := binary.BigEndian.AppendUint32([]byte{'D'}, uint32(4+len(body)))
		msg = append(msg, body...)
		msgs = append(msgs, msg)
		stream = append(stream, msg...)
	}
	return stream, msgs
}

// TestRawReaderFramesWhateverArrives reads a real socket directly: random
// messages, some larger than the buffer, written in random pieces with
// pauses, some of them already read into a bufConn, come back whole and
// in order, and the end is seen soon after the writer closes.
func TestRawReaderFramesWhateverArrives(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(13, 14))
	for round := range 20 {
		writer, reader := tcpPair(t)
		stream, want := randomMessages(r, 200, 3000)
		pre := r.IntN(200)
		var closed atomic.Int64
		go func() {
			rest := stream[pre:]
			wr := rand.New(rand.NewPCG(uint64(round), 1))
			for len(rest) > 0 {
				n := min(len(rest), 1+wr.IntN(5000))
				if _, err := writer.Write(rest[:n]); err != nil {
					return
				}
				rest = rest[n:]
				if wr.IntN(10) == 0 {
					time.Sleep(time.Duration(wr.IntN(300)) * time.Microsecond)
				}
			}
			closed.Store(time.Now().UnixNano())
			writer.Close()
		}()
		// The startup phase may have read ahead: those bytes come first.
		bc := &bufConn{Conn: reader, r: bufio.NewReader(io.MultiReader(bytes.NewReader(stream[:pre]), reader))}
		_, err := bc.r.Peek(pre)
		require.NoError(t, err)
		var stop atomic.Bool
		m := newMsgReader(bc, 1024, 1<<20)
		m.readRaw(bc, &stop)
		require.NotNil(t, m.raw, "a plain TCP connection is read directly")
		var got int
		err = m.each(func(typ byte, msg []byte) error {
			require.True(t, bytes.Equal(want[got], msg), "round %d message %d of %d bytes", round, got, len(want[got]))
			got++
			return nil
		}, func() error { return nil })
		require.ErrorIs(t, err, io.EOF)
		require.Equal(t, len(want), got, "round %d", round)
		// An end that came with the last data may be seen late, not never.
		require.Less(t, time.Since(time.Unix(0, closed.Load())), rawRecheck+time.Second, "round %d: the end was seen late", round)
	}
}

// TestRawReaderMissesNoWakeup plays request and answer, one at a time, as
// a client waiting on each answer does: the case where the reader parks
// right after a short read. The recheck is off, so a readiness it missed
// would hang the test instead of costing a second.
func TestRawReaderMissesNoWakeup(t *testing.T) {
	t.Parallel()
	peer, conn := tcpPair(t)
	const rounds = 20000
	go func() {
		msg := []byte{'S', 0, 0, 0, 4}
		answer := make([]byte, 5)
		for range rounds {
			if _, err := peer.Write(msg); err != nil {
				return
			}
			if _, err := io.ReadFull(peer, answer); err != nil {
				return
			}
		}
		peer.Close()
	}()
	var stop atomic.Bool
	m := newMsgReader(conn, 1024, 1<<20)
	m.readRaw(conn, &stop)
	require.NotNil(t, m.raw)
	m.recheck = time.Hour
	var pending, seen int
	done := make(chan error, 1)
	go func() {
		done <- m.each(func(byte, []byte) error {
			seen++
			pending++
			return nil
		}, func() error {
			for ; pending > 0; pending-- {
				if _, err := conn.Write([]byte{'Z', 0, 0, 0, 4}); err != nil {
					return err
				}
			}
			return nil
		})
	}()
	select {
	case err := <-done:
		require.ErrorIs(t, err, io.EOF)
		require.Equal(t, rounds, seen)
	case <-time.After(60 * time.Second):
		t.Fatalf("stuck after %d of %d rounds", seen, rounds)
	}
	require.Greater(t, m.reads.Load(), uint64(0))
}

// TestRawReaderStops ends a reader that is busy with a steady stream, which
// Close alone would not interrupt, and one that is parked.
func TestRawReaderStops(t *testing.T) {
	t.Parallel()
	peer, conn := tcpPair(t)
	go func() {
		msg := []byte{'D', 0, 0, 0, 4}
		for {
			if _, err := peer.Write(bytes.Repeat(msg, 1000)); err != nil {
				return
			}
		}
	}()
	var stop atomic.Bool
	m := newMsgReader(conn, 1024, 1<<20)
	m.readRaw(conn, &stop)
	var seen atomic.Int64
	done := make(chan error, 1)
	go func() {
		done <- m.each(func(byte, []byte) error { seen.Add(1); return nil }, func() error { return nil })
	}()
	require.Eventually(t, func() bool { return seen.Load() > 10000 }, 10*time.Second, time.Millisecond)
	stop.Store(true)
	select {
	case err := <-done:
		require.ErrorIs(t, err, net.ErrClosed)
	case <-time.After(5 * time.Second):
		t.Fatal("a busy reader did not stop")
	}

	idlePeer, idleConn := tcpPair(t)
	defer idlePeer.Close()
	m = newMsgReader(idleConn, 1024, 1<<20)
	m.readRaw(idleConn, new(atomic.Bool))
	handled := make(chan struct{}, 1)
	go func() {
		done <- m.each(func(byte, []byte) error { handled <- struct{}{}; return nil }, func() error { return nil })
	}()
	_, err := idlePeer.Write([]byte{'S', 0, 0, 0, 4})
	require.NoError(t, err)
	<-handled
	time.Sleep(20 * time.Millisecond) // it parks after that read
	require.NoError(t, idleConn.Close(), "Close of a parked reader")
	select {
	case err := <-done:
		require.ErrorIs(t, err, net.ErrClosed)
	case <-time.After(5 * time.Second):
		t.Fatal("a parked reader did not stop at Close")
	}
}
