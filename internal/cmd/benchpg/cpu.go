package main

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
	"time"

	"github.com/jitgate/jitgate/internal/procstat"
)

// cpuOf returns the CPU time, in seconds, that process pid has used (user
// and system, with its waited-for children); ok is false where /proc is
// missing or pid is gone.
func cpuOf(pid int) (float64, bool) {
	st, ok := procstat.Read(pid)
	return secs(st), ok
}

// secs is what a process and the children it waited for have used.
func secs(st procstat.Stat) float64 { return (st.CPU + st.Children).Seconds() }

// serverCPU returns the CPU time, in seconds, of every postgres process,
// including backends that ended (the postmaster's waited-for children).
// It is what the server spent on all clients, jitgate's recording among
// them. Backends end right after a run, when the samples are taken, so
// one scan of /proc can miss one: a backend not yet waited for counts
// nowhere, and one waited for between the postmaster's line and its own
// counts nowhere either. So it scans until two scans in a row see the same
// processes and none of them ended, for up to a second.
func serverCPU() (float64, bool) { return stableCPU(postgresCPU, 20*time.Millisecond) }

// pgScan is one look at the postgres processes: their CPU in seconds,
// their pids in the order seen, and whether one has ended unwaited for.
type pgScan struct {
	total   float64
	pids    []int
	zombies bool
}

func stableCPU(scan func() (pgScan, bool), pause time.Duration) (float64, bool) {
	var last []int
	for i := range 50 {
		s, ok := scan()
		if !ok {
			return 0, false
		}
		if !s.zombies && i > 0 && slices.Equal(s.pids, last) {
			return s.total, true
		}
		last = s.pids
		time.Sleep(pause)
	}
	return 0, false
}

func postgresCPU() (pgScan, bool) {
	dirs, err := filepath.Glob("/proc/[0-9]*/stat")
	if err != nil || len(dirs) == 0 {
		return pgScan{}, false
	}
	var s pgScan
	for _, d := range dirs {
		b, err := os.ReadFile(d)
		if err != nil {
			continue // ended since the glob: the next scan differs
		}
		if st, ok := procstat.Parse(string(b)); ok && st.Comm == "postgres" {
			s.total += secs(st)
			s.zombies = s.zombies || st.State == "Z"
			pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(d)))
			s.pids = append(s.pids, pid)
		}
	}
	return s, true
}

// cpuSample is the CPU used so far by a target's proxy and by the server.
type cpuSample struct {
	proxy, server float64
	ok            bool
}

func (t target) cpuNow() cpuSample {
	srv, ok := serverCPU()
	s := cpuSample{server: srv, ok: ok}
	if t.pid != 0 {
		var pok bool
		s.proxy, pok = cpuOf(t.pid)
		s.ok = s.ok && pok
	}
	return s
}

// since is the cost per transaction of txns transactions run between
// before and s, pgbench having used client.
func (s cpuSample) since(before cpuSample, client time.Duration, txns int) cpuCost {
	if !s.ok || !before.ok {
		return cpuCost{}
	}
	per := 1e6 / float64(txns)
	return cpuCost{
		proxy:  (s.proxy - before.proxy) * per,
		server: (s.server - before.server) * per,
		client: client.Seconds() * per,
	}
}

// selfCPU is the CPU benchpg itself has used: the wide query's client.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
