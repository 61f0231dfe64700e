package pg

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jitgate/jitgate/gateway"
)

// TestConnWriterWritesAll writes more than the socket buffers hold, so
// that raw writes come back short and with EAGAIN, to a reader that
// starts late and reads in small pieces: every byte arrives, in order.
func TestConnWriterWritesAll(t *testing.T) {
	a, b := tcpPair(t)
	require.NoError(t, a.SetWriteBuffer(64<<10))
	require.NoError(t, b.SetReadBuffer(64<<10))
	for _, conn := range []net.Conn{a, &bufConn{Conn: a, r: bufio.NewReader(a)}} {
		w := newConnWriter(conn)
		require.NotNil(t, w.rc, "%T is written with raw system calls", conn)
		want := make([]byte, 4<<20)
		r := rand.New(rand.NewPCG(1, uint64(len(want))))
		for i := range want {
			want[i] = byte(r.Uint32())
		}
		got := make(chan []byte, 1)
		go func() {
			time.Sleep(50 * time.Millisecond)
			buf := make([]byte, 0, len(want))
			chunk := make([]byte, 10_000)
			for len(buf) < len(want) {
				n, err := b.Read(chunk)
				buf = append(buf, chunk[:n]...)
				if err != nil {
					break
				}
			}
			got <- buf
		}()
		// Several writes of uneven sizes, as flushes are.
		for rest := want; len(rest) > 0; {
			n := min(len(rest), 1+r.IntN(300_000))
			k, err := w.Write(rest[:n])
			require.NoError(t, err)
			require.Equal(t, n, k)
			rest = rest[n:]
		}
		require.True(t, bytes.Equal(want, <-got), "the reader got what was written")
	}
}

// TestConnWriterDeadline: a write into a socket nobody reads ends when
// its deadline is set to now from elsewhere, as the session's end does to
// a client that stopped reading.
func TestConnWriterDeadline(t *testing.T) {
	a, _ := tcpPair(t)
	w := newConnWriter(a)
	done := make(chan error, 1)
	go func() {
		_, err := w.Write(make([]byte, 64<<20))
		done <- err
	}()
	time.Sleep(100 * time.Millisecond)
	require.NoError(t, a.SetWriteDeadline(time.Now()))
	select {
	case err := <-done:
		require.ErrorIs(t, err, os.ErrDeadlineExceeded)
	case <-time.After(5 * time.Second):
		t.Fatal("the write outlived its deadline")
	}
}

// TestConnWriterErrors: a write to a connection the peer reset fails with
// the socket's error, and one to a connection closed here with
// net.ErrClosed, which the session takes for an ordinary end.
func TestConnWriterErrors(t *testing.T) {
	a, b := tcpPair(t)
	w := newConnWriter(a)
	require.NoError(t, b.SetLinger(0))
	require.NoError(t, b.Close())
	var err error
	for range 100 {
		if _, err = w.Write([]byte("ping")); err != nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	require.Error(t, err, "writes to a reset connection fail")
	require.True(t, errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE), "%v", err)
	var op *net.OpError
	require.ErrorAs(t, err, &op)
	require.Equal(t, "write", op.Op)

	require.NoError(t, a.Close())
	_, err = w.Write([]byte("ping"))
	require.ErrorIs(t, err, net.ErrClosed)
}

// TestConnWriterTLS: a TLS connection is written through itself.
func TestConnWriterTLS(t *testing.T) {
	a, b := tcpPair(t)
	cert, err := gateway.SelfSigned([]string{"127.0.0.1"})
	require.NoError(t, err)
	server := tls.Server(b, &tls.Config{Certificates: []tls.Certificate{cert}})
	client := tls.Client(a, &tls.Config{InsecureSkipVerify: true})
	w := newConnWriter(client)
	require.Nil(t, w.rc, "TLS is not written raw")
	got := make(chan []byte, 1)
	go func() {
		buf, _ := io.ReadAll(io.LimitReader(server, 5))
		got <- buf
	}()
	_, err = w.Write([]byte("hello"))
	require.NoError(t, err)
	require.Equal(t, "hello", string(<-got))
}
