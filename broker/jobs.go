package broker

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/robfig/cron/v3"

	"github.com/jitgate/jitgate/grants"
)

// deliveryMemory is how long delivery keys are kept for de-duplication.
// Slack retries within minutes and a signature older than five minutes is
// refused, so an hour is ample.
const deliveryMemory = time.Hour

// Jobs are the scheduled passes that close what ran out of time: pending
// requests past their wait, grants past their end, held statements whose
// session went away. Each change is audited, so the feed tells the
// request's thread about it.
type Jobs struct {
	pool     *pgxpool.Pool
	store    *grants.Store
	policies grants.Policies
	now      func() time.Time
	log      *slog.Logger
	// Schedule is when passes run, in robfig/cron syntax.
	Schedule string
}

// NewJobs returns the jobs over pool, run every ten seconds.
func NewJobs(pool *pgxpool.Pool, policies grants.Policies, now func() time.Time, log *slog.Logger) *Jobs {
	return &Jobs{
		pool: pool, store: grants.NewStore(pool, policies), policies: policies,
		now: now, log: log.With("jobs", "expiry"), Schedule: "@every 10s",
	}
}

// Start runs passes on the schedule until ctx ends. On every replica: the
// pass takes an advisory lock first, so one replica acts each tick.
func (j *Jobs) Start(ctx context.Context) error {
	c := cron.New(cron.WithChain(cron.SkipIfStillRunning(cron.DiscardLogger)))
	if _, err := c.AddFunc(j.Schedule, func() { j.tick(ctx) }); err != nil {
		return fmt.Errorf("jobs schedule %q: %w", j.Schedule, err)
	}
	c.Start()
	<-ctx.Done()
	<-c.Stop().Done()
	return nil
}

func (j *Jobs) tick(ctx context.Context) {
	conn, err := lockedConn(ctx, j.pool, j.policies, lockKey("jobs"))
	if err != nil {
		j.log.Warn("scheduled pass: cannot take its lock", "err", err)
		return
	}
	if conn == nil {
		return // another replica runs this tick
	}
	defer conn.Close(context.Background())
	if err := j.RunOnce(ctx); err != nil && ctx.Err() == nil {
		j.log.Error("scheduled pass failed", "err", err)
	}
}

// RunOnce does one pass at the clock's now. Every step is a conditional
// update, so a pass repeated or raced by another replica changes each row
// once.
func (j *Jobs) RunOnce(ctx context.Context) error {
	now := j.now()
	reqs, err := j.store.TimeOutPending(ctx, now)
	if err != nil {
		return err
	}
	gs, err := j.store.ExpireGrants(ctx, now)
	if err != nil {
		return err
	}
	sts, err := j.store.TimeOutStatements(ctx, now)
	if err != nil {
		return err
	}
	if _, err := j.store.ForgetDeliveries(ctx, now.Add(-deliveryMemory)); err != nil {
		return err
	}
	if len(reqs)+len(gs)+len(sts) > 0 {
		j.log.Info("scheduled pass", "requests_timed_out", len(reqs), "grants_expired", len(gs), "statements_timed_out", len(sts))
	}
	return nil
}
