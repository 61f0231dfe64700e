package pg

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/jitgate/jitgate/gateway"
	"github.com/jitgate/jitgate/gateway/mask"
	"github.com/jitgate/jitgate/gateway/pg/classify"
	"github.com/jitgate/jitgate/grants"
	"github.com/jitgate/jitgate/internal/config"
)

// A result column can carry any name the query gives it, so column rules
// that looked only at that name would let `SELECT password AS pw` through.
// A RowDescription field that is a table's column also names the table (by
// OID) and the column (by number), and those mean the same in every
// session: the catalog answers for them from a side connection of its own,
// shared by all sessions of a resource, rather than in-band, where a query
// of the gateway's would run inside the user's transaction and pipeline.

const (
	// defaultCatalogTTL bounds how long a column's source is trusted, so a
	// renamed column is seen within it.
	defaultCatalogTTL = 10 * time.Second
	// catalogRetry is how long lookups fail at once after one failed, so
	// an unreachable catalog does not stall every new result shape.
	catalogRetry   = 5 * time.Second
	catalogTimeout = 3 * time.Second
	// lockedRetry is how long a view whose tables a session has locked
	// stays masked before it is asked about again.
	lockedRetry = time.Second
	// catalogLockTimeout bounds the wait for a lock a user's session holds (a
	// view's definition is described, which locks its tables): short,
	// since the lookup runs one at a time for every session.
	catalogLockTimeout = "100ms"
	// maxViewDepth bounds how many views deep a column is followed.
	maxViewDepth = 8
)

// colSource is what a result column's table column says about it.
type colSource struct {
	// masked: a column rule covers the table column (or, for a view, the
	// column it shows), or its source could not be told.
	masked bool
	// generated: COPY of the whole table leaves it out.
	generated bool
	// unknown: the catalog could not say anything of it, generated
	// included.
	unknown bool
}

// relation is what the catalog said about one table or view.
type relation struct {
	expires time.Time
	// cols by attribute number; a number not here is unknown, so masked.
	cols map[int16]colSource
}

// catalog resolves the sources of result columns for one resource. It is
// safe for concurrent use.
type catalog struct {
	res    config.Resource
	masker *mask.Masker
	clock  gateway.Clock
	ttl    time.Duration
	log    *slog.Logger
	// cls reads view definitions, for the columns they compute.
	cls *classify.Classifier

	mu   sync.RWMutex
	rels map[uint32]relation
	// gen counts forget calls: plans and lookups begun under an older
	// one may hold answers from before a change of the schema.
	gen atomic.Uint64

	// lookup is held for a lookup: one at a time, on conn.
	lookup  sync.Mutex
	conn    *pgconn.PgConn
	down    time.Time // until then lookups fail at once
	failing bool      // the last lookup failed, and that was logged
}

func newCatalog(res config.Resource, m *mask.Masker, cls *classify.Classifier, clock gateway.Clock, ttl time.Duration, log *slog.Logger) *catalog {
	return &catalog{res: res, masker: m, cls: cls, clock: clock, ttl: ttl, log: log.With("resource", res.Name), rels: map[uint32]relation{}}
}

// derives reports whether a view's definition may compute its columns
// from a masked column, or cannot be read.
func (c *catalog) derives(def string) bool {
	v := c.cls.Classify(def)
	return v.Refuse || anyMasked(c.masker, v.Derived)
}

// sources returns what each field's table column says (the zero colSource
// for a field that is no table's column) and when to ask again. It returns
// nil and the zero time when no field is a table's column.
func (c *catalog) sources(fields []field) ([]colSource, time.Time) {
	if !hasTable(fields) {
		return nil, time.Time{}
	}
	now := c.clock.Now()
	if want := c.stale(fields, now); len(want) > 0 {
		c.refresh(want)
	}
	out := make([]colSource, len(fields))
	var expires time.Time
	c.mu.RLock()
	defer c.mu.RUnlock()
	for i, f := range fields {
		if f.table == 0 {
			continue
		}
		r, ok := c.rels[f.table]
		src, known := r.cols[f.attnum]
		if !known {
			src = colSource{masked: true, unknown: true}
		}
		out[i] = src
		exp := now // not stored (dropped meanwhile): ask again next time
		if ok {
			exp = r.expires
		}
		if expires.IsZero() || exp.Before(expires) {
			expires = exp
		}
	}
	return out, expires
}

func hasTable(fields []field) bool {
	for _, f := range fields {
		if f.table != 0 {
			return true
		}
	}
	return false
}

// stale returns the tables of fields that are not known, or no longer.
func (c *catalog) stale(fields []field, now time.Time) []uint32 {
	var want []uint32
	c.mu.RLock()
	defer c.mu.RUnlock()
	for _, f := range fields {
		if f.table == 0 {
			continue
		}
		if r, ok := c.rels[f.table]; ok && now.Before(r.expires) {
			continue
		}
		if !containsOID(want, f.table) {
			want = append(want, f.table)
		}
	}
	return want
}

func containsOID(oids []uint32, oid uint32) bool {
	for _, o := range oids {
		if o == oid {
			return true
		}
	}
	return false
}

// refresh looks up the tables in want. When that fails, every column of
// them is masked until catalogRetry has passed: fail closed.
func (c *catalog) refresh(want []uint32) {
	c.lookup.Lock()
	defer c.lookup.Unlock()
	now := c.clock.Now()
	// Another session may have looked them up while this one waited.
	want = c.stale(tableFields(want), now)
	if len(want) == 0 {
		return
	}
	if now.Before(c.down) {
		c.storeFailed(want, c.down)
		return
	}
	gen := c.gen.Load()
	ctx, cancel := context.WithTimeout(context.Background(), catalogTimeout)
	defer cancel()
	l := &catalogLookup{c: c, ctx: ctx, expires: now.Add(c.ttl), retry: now.Add(lockedRetry), got: map[uint32]relation{}, views: map[uint32]viewState{}}
	err := l.run(want)
	if lockTimeout(err) {
		// Not the catalog's fault: mask these relations, not everything.
		c.storeFailed(want, now.Add(lockedRetry))
		return
	}
	if err != nil {
		c.down = now.Add(catalogRetry)
		if !c.failing {
			c.log.Warn("cannot look up which table columns results come from; masking such columns whole until it can", "err", err)
			c.failing = true
		}
		c.storeFailed(want, c.down)
		return
	}
	if c.failing {
		c.log.Info("looking up which table columns results come from again")
		c.failing = false
	}
	c.storeFrom(gen, l.got)
}

// forget drops every cached answer, once a session changed the schema:
// the next statement must be judged by what is true now, not for up to
// a TTL by what was true before (a view replaced to show a password).
func (c *catalog) forget() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen.Add(1)
	clear(c.rels)
}

// storeFrom stores the answers of a lookup begun under gen, unless the
// schema changed meanwhile: they may predate the change. What is not
// stored is masked, and asked again next time.
func (c *catalog) storeFrom(gen uint64, rels map[uint32]relation) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen.Load() != gen {
		return
	}
	c.storeLocked(rels)
}

// tableFields makes fields naming oids, to ask stale about them.
func tableFields(oids []uint32) []field {
	fs := make([]field, len(oids))
	for i, o := range oids {
		fs[i].table = o
	}
	return fs
}

func (c *catalog) store(rels map[uint32]relation) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.storeLocked(rels)
}

func (c *catalog) storeLocked(rels map[uint32]relation) {
	if len(c.rels) > 10000 {
		// A bound on memory; what is dropped is asked again.
		clear(c.rels)
	}
	for oid, r := range rels {
		c.rels[oid] = r
	}
}

// storeFailed remembers that nothing is known of oids until expires.
func (c *catalog) storeFailed(oids []uint32, expires time.Time) {
	failed := make(map[uint32]relation, len(oids))
	for _, o := range oids {
		failed[o] = relation{expires: expires}
	}
	c.store(failed)
}

// close ends the side connection.
func (c *catalog) close() {
	c.lookup.Lock()
	defer c.lookup.Unlock()
	c.dropConnection()
}

// connection returns the side connection, opening it when needed. fresh
// says it was opened just now.
func (c *catalog) connection(ctx context.Context) (conn *pgconn.PgConn, fresh bool, err error) {
	if c.conn != nil && !c.conn.IsClosed() {
		return c.conn, false, nil
	}
	cfg, err := upstreamConfig(c.res, map[string]string{"application_name": "jitgate catalog"}, grants.AccessRead)
	if err != nil {
		return nil, false, err
	}
	// Only the catalog is searched, so view definitions come back with
	// every other name qualified, and no object of a user's can stand in
	// for one the lookups name.
	cfg.RuntimeParams["search_path"] = "pg_catalog"
	cfg.RuntimeParams["statement_timeout"] = "3s"
	cfg.RuntimeParams["lock_timeout"] = catalogLockTimeout
	conn, err = pgconn.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, false, err
	}
	c.conn = conn
	return conn, true, nil
}

// dropConnection closes a side connection that failed.
func (c *catalog) dropConnection() {
	if c.conn != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = c.conn.Close(ctx)
		c.conn = nil
	}
}
