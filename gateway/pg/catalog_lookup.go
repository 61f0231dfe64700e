package pg

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// The lookups read the target's catalog, not jitgate's own database, so
// their SQL lives here and not in queries/ (sqlc compiles those against
// jitgate's schema). Every name is qualified, though the side connection
// searches only pg_catalog anyway.
const (
	attributesSQL = `SELECT a.attrelid, a.attnum, a.attname, a.attgenerated OPERATOR(pg_catalog.<>) '', c.relkind = ANY ('{v,m}')
FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) a.attrelid
WHERE a.attrelid = ANY ($1::pg_catalog.oid[]) AND a.attnum OPERATOR(pg_catalog.<>) 0 AND NOT a.attisdropped`
	viewdefSQL = `SELECT pg_catalog.pg_get_viewdef($1::pg_catalog.oid)`
)

// catalogLookup is one round of questions on the side connection.
type catalogLookup struct {
	c       *catalog
	ctx     context.Context
	conn    *pgconn.PgConn
	expires time.Time
	// retry is when to ask again about a view whose tables were locked.
	retry time.Time
	got   map[uint32]relation
	// views holds the views of got whose columns do not yet say what
	// they show: their answers are only their own names' until resolved.
	views map[uint32]viewState
}

type viewState uint8

const (
	viewResolved viewState = iota // or not a view
	viewPending
	viewResolving // a view that reads itself, through others, sees this
)

// run looks up want. A kept connection that went bad while idle (the
// server restarted, a proxy timed it out) gets one fresh try.
func (l *catalogLookup) run(want []uint32) error {
	conn, fresh, err := l.c.connection(l.ctx)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	l.conn = conn
	err = l.relations(want, 0)
	if err != nil && !fresh && !serverError(err) {
		l.c.dropConnection()
		clear(l.got)
		clear(l.views)
		if l.conn, _, err = l.c.connection(l.ctx); err != nil {
			return fmt.Errorf("connect: %w", err)
		}
		err = l.relations(want, 0)
	}
	if err != nil && !serverError(err) {
		l.c.dropConnection()
	}
	return err
}

// lockTimeout reports whether the server gave up waiting for a lock
// (lock_not_available): a user's session holds one, and the catalog is
// fine.
func lockTimeout(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "55P03"
}

// serverError reports whether the server refused a question, on a
// connection that is still good.
func serverError(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Severity == "ERROR"
}

// relations looks up the columns of the tables and views oids. A table
// the catalog does not show (dropped, or created in a transaction not yet
// committed) has no known columns, so all of them are masked.
func (l *catalogLookup) relations(oids []uint32, depth int) error {
	res := l.conn.ExecParams(l.ctx, attributesSQL, [][]byte{oidArray(oids)}, nil, nil, nil).Read()
	if res.Err != nil {
		return fmt.Errorf("read attributes: %w", res.Err)
	}
	for _, o := range oids {
		l.got[o] = relation{expires: l.expires, cols: map[int16]colSource{}}
	}
	var views []uint32
	for _, row := range res.Rows {
		rel, num, name, generated, view, err := parseAttribute(row)
		if err != nil {
			return err
		}
		l.got[rel].cols[num] = colSource{masked: l.c.masker.Column(name), generated: generated}
		if view && !containsOID(views, rel) {
			views = append(views, rel)
			l.views[rel] = viewPending
		}
	}
	for _, o := range oids {
		if l.views[o] == viewResolved {
			wholeRow(l.got[o].cols)
		}
	}
	for _, v := range views {
		if err := l.resolve(v, depth); err != nil {
			return err
		}
	}
	return nil
}

// wholeRow sets what a whole-row reference (attribute 0, SELECT i FROM
// items i) says: masked when any column of the relation is, or when none
// is known.
func wholeRow(cols map[int16]colSource) {
	masked := true
	for num, col := range cols {
		if num > 0 {
			if col.masked {
				masked = true
				break
			}
			masked = false
		}
	}
	cols[0] = colSource{masked: masked}
}

// resolve follows a view's columns, once, and only after every view it
// reads is resolved itself: in whatever order a batch's rows come back,
// an outer view never inherits an inner view's name-only answer.
func (l *catalogLookup) resolve(oid uint32, depth int) error {
	if l.views[oid] != viewPending {
		return nil // resolved, or not a view, or a cycle: source masks it
	}
	l.views[oid] = viewResolving
	err := l.view(oid, depth)
	delete(l.views, oid)
	return err
}

func parseAttribute(row [][]byte) (rel uint32, num int16, name string, generated, view bool, err error) {
	if len(row) != 5 || row[0] == nil || row[1] == nil || row[2] == nil || len(row[3]) != 1 || len(row[4]) != 1 {
		return 0, 0, "", false, false, errors.New("unexpected attribute row")
	}
	r, err1 := strconv.ParseUint(string(row[0]), 10, 32)
	n, err2 := strconv.ParseInt(string(row[1]), 10, 16)
	if err := errors.Join(err1, err2); err != nil {
		return 0, 0, "", false, false, fmt.Errorf("unexpected attribute row: %w", err)
	}
	return uint32(r), int16(n), string(row[2]), row[3][0] == 't', row[4][0] == 't', nil
}

func oidArray(oids []uint32) []byte {
	parts := make([]string, len(oids))
	for i, o := range oids {
		parts[i] = strconv.FormatUint(uint64(o), 10)
	}
	return []byte("{" + strings.Join(parts, ",") + "}")
}

// view follows the columns of a view (or materialized view) to what they
// show: its definition, described on the side connection, says which
// table column each of its columns is, if any. A view column is masked if
// a rule covers its own name or the column behind it, or if it is computed
// and the definition derives from a masked column. The bases are looked up
// afresh, so a view's answer is never older than its tables'.
func (l *catalogLookup) view(oid uint32, depth int) error {
	r := l.got[oid]
	fields, derived, err := l.viewFields(oid, depth)
	switch {
	case lockTimeout(err):
		// A session holds a lock on a table it reads: mask this view
		// alone, and only until the lock is likely gone.
		l.c.log.Info("a view's tables are locked; masking its columns whole for now", "view", oid)
		r.expires = l.retry
	case serverError(err):
		l.c.log.Warn("cannot follow a view's columns to their tables; masking them whole", "view", oid, "err", err)
	case err != nil:
		return err
	}
	var need []uint32
	for _, f := range fields {
		if _, ok := l.got[f.TableOID]; f.TableOID != 0 && !ok && !containsOID(need, f.TableOID) {
			need = append(need, f.TableOID)
		}
	}
	if len(need) > 0 {
		if err := l.relations(need, depth+1); err != nil {
			return err
		}
	}
	for _, f := range fields {
		if err := l.resolve(f.TableOID, depth+1); err != nil {
			return err
		}
	}
	for num, col := range r.cols {
		switch {
		case num <= 0:
			continue
		case fields == nil || int(num) > len(fields):
			col.masked = true
		case fields[num-1].TableOID == 0:
			col.masked = col.masked || derived
		default:
			f := fields[num-1]
			col.masked = col.masked || l.source(f.TableOID, int16(f.TableAttributeNumber)).masked
			if base, ok := l.got[f.TableOID]; ok && base.expires.Before(r.expires) {
				r.expires = base.expires // what it shows is asked again as soon
			}
		}
		r.cols[num] = col
	}
	wholeRow(r.cols)
	l.got[oid] = r
	return nil
}

// viewFields describes a view's definition, and says whether it derives
// computed columns from masked ones (catalog.derives); nil fields (and no
// error) when the view is too deep to follow.
func (l *catalogLookup) viewFields(oid uint32, depth int) ([]pgconn.FieldDescription, bool, error) {
	if depth >= maxViewDepth {
		return nil, false, nil
	}
	res := l.conn.ExecParams(l.ctx, viewdefSQL, [][]byte{strconv.AppendUint(nil, uint64(oid), 10)}, nil, nil, nil).Read()
	if res.Err != nil {
		return nil, false, fmt.Errorf("read view definition: %w", res.Err)
	}
	if len(res.Rows) != 1 || len(res.Rows[0]) != 1 || res.Rows[0][0] == nil {
		return nil, false, nil
	}
	def := string(res.Rows[0][0])
	sd, err := l.conn.Prepare(l.ctx, "", def, nil)
	if err != nil {
		return nil, false, fmt.Errorf("describe view definition: %w", err)
	}
	return sd.Fields, l.c.derives(def), nil
}

// source is what this lookup found of a table column; masked if nothing,
// or if it is a view's not yet resolved (one that reads itself).
func (l *catalogLookup) source(oid uint32, num int16) colSource {
	if src, ok := l.got[oid].cols[num]; ok && l.views[oid] == viewResolved {
		return src
	}
	return colSource{masked: true}
}
