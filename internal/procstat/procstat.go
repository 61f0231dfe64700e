// Package procstat reads what Linux's /proc/PID/stat says of a process: its
// name, its state and the CPU it has used, for the benchmarks that say what
// each process on the data path spent.
package procstat

import (
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTicks is USER_HZ, the unit of the times in /proc/PID/stat: 100 on
// every Linux architecture Go supports.
const clockTicks = 100

// Stat is one process's line.
type Stat struct {
	Comm, State string
	// CPU is its own user and system time; Children adds that of the
	// children it has waited for.
	CPU, Children time.Duration
}

// Read returns process pid's line; ok is false where /proc is missing or
// pid is gone.
func Read(pid int) (Stat, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return Stat{}, false
	}
	return Parse(string(b))
}

// Parse reads a /proc/PID/stat line. The name is in parentheses and may
// hold spaces and parentheses, so the fields are counted from its last
// closing one.
func Parse(line string) (Stat, bool) {
	open, end := strings.IndexByte(line, '('), strings.LastIndexByte(line, ')')
	if open < 0 || end < open {
		return Stat{}, false
	}
	fields := strings.Fields(line[end+1:])
	// After the name: state(0) ... utime(11) stime(12) cutime(13) cstime(14).
	if len(fields) < 15 {
		return Stat{}, false
	}
	var ticks [4]int64
	for i, f := range fields[11:15] {
		v, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return Stat{}, false
		}
		ticks[i] = v
	}
	tick := time.Second / clockTicks
	return Stat{
		Comm: line[open+1 : end], State: fields[0],
		CPU:      time.Duration(ticks[0]+ticks[1]) * tick,
		Children: time.Duration(ticks[2]+ticks[3]) * tick,
	}, true
}
