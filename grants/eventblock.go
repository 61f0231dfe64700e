package grants

import (
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/jitgate/jitgate/sqlc"
)

// A block is one session's events of one batch, stored as one row of
// session_event_blocks (migration 0007 says why). Its events column is
// JSON:
//
//	{"e":[[seq, µs after first_at, kind, statement index, params or null,
//	       classification, reason, decision, duration_us, rows, sqlstate], ...],
//	 "s":[statement, ...]}
//
// Each distinct statement text is written once per block: a session runs
// the same few prepared statements over and over. The session_events view
// unpacks blocks into a row per event; nothing in Go reads this format.

// maxBlockBytes bounds a block's events text, well under what one value
// may hold (1 GB), so a batch of large statements is split into several
// rows instead of failing whole. An event larger than this is a block of
// its own.
const maxBlockBytes = 8 << 20

// blocks packs events into rows, a block per session (more for one past
// maxBlockBytes), reusing the scratch's buffers.
func (sc *eventScratch) blocks(events []SessionEvent) []sqlc.InsertSessionEventBlocksParams {
	// Group the events by session, in the order the batch has them:
	// slot numbers sessions by first appearance, and a counting sort
	// lays each session's events out together.
	clear(sc.slots)
	if sc.slots == nil {
		sc.slots = make(map[uuid.UUID]int)
	}
	of := slices.Grow(sc.of[:0], len(events))[:len(events)]
	sc.of = of
	starts := sc.starts[:0]
	for i := range events {
		n, ok := sc.slots[events[i].SessionID]
		if !ok {
			n = len(starts)
			sc.slots[events[i].SessionID] = n
			starts = append(starts, 0)
		}
		of[i] = n
		starts[n]++
	}
	at := 0
	for n, count := range starts {
		starts[n] = at
		at += count
	}
	starts = append(starts, at)
	sc.starts = starts
	order := slices.Grow(sc.order[:0], len(events))[:len(events)]
	sc.order = order
	next := slices.Grow(sc.next[:0], len(starts))[:len(starts)]
	sc.next = next
	copy(next, starts)
	for i, n := range of {
		order[next[n]] = i
		next[n]++
	}

	rows := sc.rows[:0]
	for n := range len(starts) - 1 {
		for lo, hi := starts[n], starts[n+1]; lo < hi; {
			end := blockEnd(events, order[lo:hi])
			rows = append(rows, sc.block(events, order[lo:lo+end]))
			lo += end
		}
	}
	sc.rows = rows
	return rows
}

// blockEnd is how many of the events (by index) the next block takes: as
// many as fit in maxBlockBytes, at least one.
func blockEnd(events []SessionEvent, idx []int) int {
	size := 0
	for k, i := range idx {
		e := &events[i]
		size += 64 + len(e.Statement) + len(e.Reason) + len(e.Kind) + len(e.Classification) + len(e.Decision) + len(e.SQLState)
		for _, p := range e.Params {
			size += 3 + len(p)
		}
		if size > maxBlockBytes && k > 0 {
			return k
		}
	}
	return len(idx)
}

// block encodes one block of the events at idx, all of one session.
func (sc *eventScratch) block(events []SessionEvent, idx []int) sqlc.InsertSessionEventBlocksParams {
	// Times are compared as the server keeps them, in microseconds of
	// the wall clock: Before and After would use the monotonic reading,
	// which a clock step during the batch sets apart from the wall time
	// stored.
	first := &events[idx[0]]
	base, last := first.At.UnixMicro(), first.At.UnixMicro()
	firstSeq, lastSeq := first.Seq, first.Seq
	for _, i := range idx[1:] {
		e := &events[i]
		at := e.At.UnixMicro()
		base, last = min(base, at), max(last, at)
		firstSeq, lastSeq = min(firstSeq, e.Seq), max(lastSeq, e.Seq)
	}

	clear(sc.stmtIndex)
	if sc.stmtIndex == nil {
		sc.stmtIndex = make(map[string]int)
	}
	stmts := sc.stmts[:0]
	b := append(sc.buf[:0], `{"e":[`...)
	for k, i := range idx {
		e := &events[i]
		if k > 0 {
			b = append(b, ',')
		}
		s, ok := sc.stmtIndex[e.Statement]
		if !ok {
			s = len(stmts)
			sc.stmtIndex[e.Statement] = s
			stmts = append(stmts, e.Statement)
		}
		b = append(b, '[')
		b = strconv.AppendInt(b, e.Seq, 10)
		b = append(b, ',')
		b = strconv.AppendInt(b, e.At.UnixMicro()-base, 10)
		b = append(b, ',')
		b = appendJSONString(b, e.Kind)
		b = append(b, ',')
		b = strconv.AppendInt(b, int64(s), 10)
		b = append(b, ',')
		if e.Params == nil {
			b = append(b, "null"...)
		} else {
			b = append(b, '[')
			for j, p := range e.Params {
				if j > 0 {
					b = append(b, ',')
				}
				b = appendJSONString(b, p)
			}
			b = append(b, ']')
		}
		for _, t := range [...]string{e.Classification, e.Reason, e.Decision} {
			b = append(b, ',')
			b = appendJSONString(b, t)
		}
		b = append(b, ',')
		b = strconv.AppendInt(b, e.Duration.Microseconds(), 10)
		b = append(b, ',')
		b = strconv.AppendInt(b, e.Rows, 10)
		b = append(b, ',')
		b = appendJSONString(b, e.SQLState)
		b = append(b, ']')
	}
	b = append(b, `],"s":[`...)
	for k, s := range stmts {
		if k > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, s)
	}
	b = append(b, "]}"...)
	clear(stmts)
	sc.stmts, sc.buf = stmts[:0], b
	return sqlc.InsertSessionEventBlocksParams{
		SessionID: pgtype.UUID{Bytes: first.SessionID, Valid: true},
		FirstSeq:  firstSeq, LastSeq: lastSeq,
		FirstAt: time.UnixMicro(base).UTC(), LastAt: time.UnixMicro(last).UTC(),
		Events: string(b),
	}
}

// appendJSONString appends s as a JSON string that jsonb accepts: each run
// of invalid UTF-8 becomes U+FFFD, and NUL, which jsonb refuses even escaped,
// becomes the two characters \0, as the gateway writes it in text.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r != utf8.RuneError || size != 1 {
				i += size
				continue
			}
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		case 0:
			b = append(b, '\\', '\\', '0')
		default:
			if c < utf8.RuneSelf {
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
				break
			}
			// A run of bytes that are not UTF-8 is one U+FFFD, as
			// strings.ToValidUTF8 makes it.
			b = append(b, `\ufffd`...)
			for i+1 < len(s) && s[i+1] >= utf8.RuneSelf {
				if r, size := utf8.DecodeRuneInString(s[i+1:]); r != utf8.RuneError || size != 1 {
					break
				}
				i++
			}
		}
		i++
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
