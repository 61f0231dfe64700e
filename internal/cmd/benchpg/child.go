package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// child is a long-running process benchpg started; its stderr (and stdout,
// unless taken) goes to a log file.
type child struct {
	name    string
	logPath string
	cmd     *exec.Cmd
	done    chan struct{}
	err     error // set when done is closed
}

// startChild starts bin with args. When stdout is not nil it receives the
// child's standard output instead of the log file.
func startChild(name, logPath string, stdout *os.File, bin string, args ...string) (*child, error) {
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("%s log: %w", name, err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if stdout != nil {
		cmd.Stdout = stdout
	}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	c := &child{name: name, logPath: logPath, cmd: cmd, done: make(chan struct{})}
	go func() {
		c.err = cmd.Wait()
		logFile.Close()
		close(c.done)
	}()
	return c, nil
}

// exited returns an error saying how the child ended, or nil while it runs.
func (c *child) exited() error {
	select {
	case <-c.done:
		return fmt.Errorf("%s exited: %v", c.name, c.err)
	default:
		return nil
	}
}

// stop asks the child to end with SIGTERM and kills it when it has not
// after ten seconds.
func (c *child) stop() {
	if c.exited() != nil {
		return
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(10 * time.Second):
		progress("%s did not stop on SIGTERM; killing it", c.name)
		_ = c.cmd.Process.Kill()
		<-c.done
	}
}

// tail returns the last n lines of the child's log.
func (c *child) tail(n int) string {
	b, err := os.ReadFile(c.logPath)
	if err != nil {
		return fmt.Sprintf("(cannot read %s: %v)\n", c.logPath, err)
	}
	return tail(string(b), n)
}

// reportLogErrors prints the error lines of jitgate's log, which a run that
// looked fine may still have.
func reportLogErrors(path string) {
	f, err := os.Open(path)
	if err != nil {
		progress("cannot read the gateway log: %v", err)
		return
	}
	defer f.Close()
	var errs []string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if strings.Contains(sc.Text(), "level=ERROR") {
			errs = append(errs, sc.Text())
		}
	}
	if err := sc.Err(); err != nil {
		progress("reading the gateway log: %v", err)
	}
	if len(errs) == 0 {
		return
	}
	progress("jitgate logged %d errors; the first ones:", len(errs))
	for _, line := range errs[:min(len(errs), 5)] {
		fmt.Fprintln(os.Stderr, "  "+line)
	}
}
