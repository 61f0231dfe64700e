package gateway

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/jitgate/jitgate/grants"
)

// ErrRecorderBehind refuses a statement because it could not be recorded:
// the recorder's backlog is full or its writes are failing. Nothing runs
// unrecorded.
var ErrRecorderBehind = errors.New("session recording is behind")

// EventWriter stores a batch of session events. It must not keep the slice
// after it returns: the recorder reuses it for the next batch.
type EventWriter interface {
	RecordEvents(ctx context.Context, events []grants.SessionEvent) error
}

// Recorder writes session events in batches, off the data path. A statement
// takes a place in the backlog before it runs (Begin) and fills in how it
// went when it completes (Finish); only finished events are written.
type Recorder struct {
	w        EventWriter
	log      *slog.Logger
	limit    int
	interval time.Duration

	mu       sync.Mutex
	inflight int
	done     []grants.SessionEvent
	// units is what the events begun and not yet written weigh against
	// limit: one each, and one more per textUnit of their text.
	units int
	// spare is the last batch written, kept for its capacity: a batch
	// grown anew each interval was most of what recording allocated.
	spare   []grants.SessionEvent
	failing bool
	wake    chan struct{}
}

// Pending is an event whose statement is still running. It must not be
// used after Finish or Discard: Pendings are reused, as one is taken per
// statement.
type Pending struct {
	r     *Recorder
	ev    grants.SessionEvent
	units int
}

// textUnit is how much statement and parameter text weighs as much as one
// event: a backlog of large statements is bounded by its bytes, not only
// by its count.
const textUnit = 4 << 10

// weight is what ev counts against the recorder's limit.
func weight(ev *grants.SessionEvent) int {
	n := len(ev.Statement)
	for _, p := range ev.Params {
		n += len(p)
	}
	return 1 + n/textUnit
}

// weightOf sums the weights of events.
func weightOf(events []grants.SessionEvent) int {
	n := 0
	for i := range events {
		n += weight(&events[i])
	}
	return n
}

var pendings = sync.Pool{New: func() any { return new(Pending) }}

// keepBatch is the largest batch, in events, always kept for reuse. A
// larger one is kept while batches fill a quarter of it: a steady rate
// above keepBatch per interval reuses its batch instead of growing one
// anew each time, and one grown by a burst is let go at the next, smaller
// batch rather than held for good.
const keepBatch = 1 << 13

// NewRecorder returns a recorder holding at most limit events in memory and
// writing what it has every interval. Each textUnit of an event's
// statement and parameters counts as one event more.
func NewRecorder(w EventWriter, limit int, interval time.Duration, log *slog.Logger) *Recorder {
	return &Recorder{w: w, log: log, limit: limit, interval: interval, wake: make(chan struct{}, 1)}
}

// Begin reserves a place for ev. It fails with ErrRecorderBehind when the
// backlog is full or the last write failed.
func (r *Recorder) Begin(ev grants.SessionEvent) (*Pending, error) {
	w := weight(&ev)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.failing || r.units+w > r.limit {
		return nil, ErrRecorderBehind
	}
	r.inflight++
	r.units += w
	p := pendings.Get().(*Pending)
	p.r, p.ev, p.units = r, ev, w
	return p, nil
}

// Record begins and finishes ev at once, for statements that never ran.
func (r *Recorder) Record(ev grants.SessionEvent) error {
	p, err := r.Begin(ev)
	if err != nil {
		return err
	}
	p.Finish(0, ev.SQLState, 0)
	return nil
}

// Discard gives up the place of an event whose statement never ran, as
// when the server skipped it after an earlier error in its group. Like
// Finish, it ends the Pending.
func (p *Pending) Discard() {
	r := p.r
	r.mu.Lock()
	r.inflight--
	r.units -= p.units
	r.mu.Unlock()
	*p = Pending{}
	pendings.Put(p)
}

// Event is the event as begun, for callers that fill in more before Finish.
func (p *Pending) Event() *grants.SessionEvent { return &p.ev }

// Finish completes the event and queues it for writing.
func (p *Pending) Finish(rows int64, sqlState string, took time.Duration) {
	p.ev.Rows, p.ev.Duration = rows, took
	if sqlState != "" {
		p.ev.SQLState = sqlState
	}
	r := p.r
	w := weight(&p.ev) // the caller may have changed the text since Begin
	r.mu.Lock()
	r.inflight--
	r.units += w - p.units
	r.done = append(r.done, p.ev)
	full := r.units >= r.limit/2
	r.mu.Unlock()
	*p = Pending{}
	pendings.Put(p)
	if full {
		select {
		case r.wake <- struct{}{}:
		default:
		}
	}
}

// Backlog reports the events whose statements still run and those waiting
// to be written, for metrics and tests.
func (r *Recorder) Backlog() (inflight, waiting int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.inflight, len(r.done)
}

// Run writes batches until ctx ends, then writes what is left.
func (r *Recorder) Run(ctx context.Context) {
	t := time.NewTicker(r.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			flushCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			if err := r.Flush(flushCtx); err != nil {
				r.log.Error("session events lost at shutdown", "err", err)
			}
			cancel()
			return
		case <-t.C:
		case <-r.wake:
		}
		if err := r.Flush(ctx); err != nil && ctx.Err() == nil {
			r.log.Error("recording session events failed; refusing new statements until it recovers", "err", err)
		}
	}
}

// Flush writes every finished event now. On failure the events stay queued
// and Begin refuses until a later flush succeeds.
func (r *Recorder) Flush(ctx context.Context) error {
	r.mu.Lock()
	batch := r.done
	if len(batch) == 0 {
		r.failing = false
		r.mu.Unlock()
		return nil
	}
	r.done, r.spare = r.spare[:0], nil
	r.mu.Unlock()
	written := weightOf(batch)
	err := r.w.RecordEvents(ctx, batch)
	if isDataError(err) {
		// One bad event must not stop the recording of everyone's: write
		// them one by one and set aside those the database refuses.
		batch, err = r.oneByOne(ctx, batch)
	}
	if err != nil {
		written -= weightOf(batch)
		r.mu.Lock()
		r.done = append(batch, r.done...)
		r.units -= written
		r.failing = true
		r.mu.Unlock()
		return err
	}
	clear(batch) // let the events' strings go before the next batch
	r.mu.Lock()
	r.units -= written
	r.failing = false
	if cap(batch) <= keepBatch || len(batch) >= cap(batch)/4 {
		r.spare = batch[:0]
	}
	r.mu.Unlock()
	return nil
}

// oneByOne writes events singly. It returns the events still unwritten
// when a write fails for another reason than the event's data.
func (r *Recorder) oneByOne(ctx context.Context, batch []grants.SessionEvent) ([]grants.SessionEvent, error) {
	for i, ev := range batch {
		err := r.w.RecordEvents(ctx, batch[i:i+1])
		switch {
		case isDataError(err):
			r.log.Error("session event refused by the database and set aside", "session", ev.SessionID, "kind", ev.Kind, "err", err)
		case err != nil:
			return batch[i:], err
		}
	}
	return nil, nil
}

// isDataError reports a refusal of the data itself (SQLSTATE classes 22
// and 23), which retrying cannot fix.
func isDataError(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (strings.HasPrefix(pe.Code, "22") || strings.HasPrefix(pe.Code, "23"))
}
