package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// relay is a running pgrelay, the plain TCP baseline.
type relay struct {
	*child
	addr string
}

// startRelay starts pgrelay on a free loopback port in front of target and
// reads the address it prints.
func startRelay(bin, target, dir string) (*relay, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("relay stdout: %w", err)
	}
	defer r.Close()
	c, err := startChild("pgrelay", filepath.Join(dir, "pgrelay.log"), w, bin, "-listen", "127.0.0.1:0", "-target", target)
	w.Close()
	if err != nil {
		return nil, err
	}
	addr, err := firstLine(r, 10*time.Second)
	if err != nil {
		c.stop()
		return nil, fmt.Errorf("pgrelay address: %w\n%s", err, c.tail(10))
	}
	progress("relay on %s in front of %s", addr, target)
	return &relay{child: c, addr: addr}, nil
}

// firstLine reads one line from f, giving up after timeout.
func firstLine(f *os.File, timeout time.Duration) (string, error) {
	if err := f.SetReadDeadline(time.Now().Add(timeout)); err != nil {
		return "", err
	}
	line, err := bufio.NewReader(f).ReadString('\n')
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(line), nil
}
