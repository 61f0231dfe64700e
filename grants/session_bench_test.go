package grants_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/jitgate/jitgate/grants"
	"github.com/jitgate/jitgate/internal/dbtest"
	"github.com/jitgate/jitgate/internal/procstat"
)

// BenchmarkRecordEvents measures what one recorded statement costs, on the
// client and, when the server runs on this machine, on the server: the
// server's share is paid by the same PostgreSQL that often runs the
// statements being recorded.
func BenchmarkRecordEvents(b *testing.B) {
	ctx := context.Background()
	pool := dbtest.NewPool(b)
	s := grants.NewStore(pool, nil)
	sessions := make([]uuid.UUID, 8)
	for i := range sessions {
		sessions[i] = uuid.New()
	}
	const batch = 256
	evs := make([]grants.SessionEvent, batch)
	at := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	for i := range evs {
		evs[i] = grants.SessionEvent{
			SessionID: sessions[i%len(sessions)], Kind: "execute",
			Statement:      "SELECT abalance FROM pgbench_accounts WHERE aid = $1;",
			Params:         []string{strconv.Itoa(i * 7919 % 1000000)},
			Classification: "read", Decision: "allow", Duration: 42 * time.Microsecond, Rows: 1,
		}
	}
	before := serverCPU(b, pool)
	b.ResetTimer()
	for n := 0; n < b.N; n += batch {
		for i := range evs {
			at = at.Add(time.Microsecond)
			evs[i].At = at
		}
		if err := s.RecordEvents(ctx, evs); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if after := serverCPU(b, pool); before >= 0 && after >= 0 {
		b.ReportMetric(float64((after-before).Microseconds())/float64(b.N), "server-µs/event")
	}
}

// serverCPU is the CPU time the pool's server processes have used, or -1
// when they are not on this machine.
func serverCPU(b *testing.B, pool *pgxpool.Pool) time.Duration {
	rows, err := pool.Query(context.Background(), "SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
	if err != nil {
		b.Fatal(err)
	}
	pids, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		b.Fatal(err)
	}
	var total time.Duration
	for _, pid := range pids {
		st, ok := procstat.Read(int(pid))
		if !ok {
			return -1
		}
		total += st.CPU
	}
	return total
}
