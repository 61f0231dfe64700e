package pg

import (
	"net"
	"os"
	"syscall"
	"unsafe"
)

// A session's plain TCP sockets are read and written with raw system calls
// (syscall.RawSyscall), which the Go scheduler does not see. The sockets
// are non-blocking: a call never waits, and waiting for readiness still
// goes through the poller (RawConn.Read and RawConn.Write), deadlines and
// Close included. What a call announced to the scheduler costs is the
// runtime's sysmon thread: on a machine whose CPUs are all busy (the
// gateway beside its clients and the server), a write to a loopback socket
// runs the receiver's TCP path inline, is often preempted midway, and is
// then seen "in a system call" by sysmon, which hands its P to another
// thread and keeps polling every 20 µs. At 8 pgbench clients on 2 cores
// that was 8 % of the gateway's CPU, and the handoffs woke threads for
// nothing. TLS connections go through their net.Conn.

// rawRead reads once from the non-blocking socket fd into b.
func rawRead(fd uintptr, b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	n, _, errno := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)))
	if errno != 0 {
		return 0, errno
	}
	return int(n), nil
}

// rawWrite writes once from b to the non-blocking socket fd.
func rawWrite(fd uintptr, b []byte) (int, error) {
	n, _, errno := syscall.RawSyscall(syscall.SYS_WRITE, fd, uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)))
	if errno != 0 {
		return 0, errno
	}
	return int(n), nil
}

// connWriter writes to conn, through raw system calls when conn is plain
// TCP (possibly behind a bufConn, which only buffers reads).
type connWriter struct {
	conn net.Conn
	rc   syscall.RawConn // nil when conn is not plain TCP
}

func newConnWriter(conn net.Conn) connWriter {
	w := connWriter{conn: conn}
	if bc, ok := conn.(*bufConn); ok {
		conn = bc.Conn
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		if rc, err := tc.SyscallConn(); err == nil {
			w.rc = rc
		}
	}
	return w
}

// Write writes all of b or says why not, as net.Conn.Write does: a write
// deadline that passes while the socket is full, a Close, or the socket's
// error.
func (w connWriter) Write(b []byte) (int, error) {
	if w.rc == nil {
		return w.conn.Write(b)
	}
	var n int
	var failed error
	err := w.rc.Write(func(fd uintptr) bool {
		for n < len(b) {
			k, err := rawWrite(fd, b[n:])
			switch err {
			case nil:
				n += k
			case syscall.EINTR:
			case syscall.EAGAIN:
				return false
			default:
				failed = os.NewSyscallError("write", err)
				return true
			}
		}
		return true
	})
	if err == nil {
		err = failed
	}
	if err != nil {
		return n, &net.OpError{Op: "write", Net: "tcp", Source: w.conn.LocalAddr(), Addr: w.conn.RemoteAddr(), Err: err}
	}
	return n, nil
}
