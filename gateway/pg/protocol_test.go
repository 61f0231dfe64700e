package pg

// Protocol edge cases, each once a way to get rows back unmasked, a
// statement unrecorded, or the session or recorder stuck. Clients here speak
// the wire protocol message by message.

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/stretchr/testify/require"

	"github.com/jitgate/jitgate/grants"
	"github.com/jitgate/jitgate/internal/config"
)

type raw struct {
	t    testing.TB
	fe   *pgproto3.Frontend
	conn net.Conn
}

func (h *harness) raw(email string) *raw {
	h.t.Helper()
	pc, err := pgconn.Connect(context.Background(), h.url(email, h.token(email), "prod-db"))
	require.NoError(h.t, err)
	hj, err := pc.Hijack()
	require.NoError(h.t, err)
	h.t.Cleanup(func() { hj.Conn.Close() })
	return &raw{t: h.t, fe: hj.Frontend, conn: hj.Conn}
}

func (r *raw) send(msgs ...pgproto3.FrontendMessage) {
	r.t.Helper()
	for _, m := range msgs {
		r.fe.Send(m)
	}
	require.NoError(r.t, r.fe.Flush())
}

// until reads messages until stop returns true, returning a transcript and
// the text of every DataRow value.
func (r *raw) until(stop func(pgproto3.BackendMessage) bool) (log []string, values []string, err error) {
	_ = r.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	defer r.conn.SetReadDeadline(time.Time{})
	for {
		m, err := r.fe.Receive()
		if err != nil {
			return log, values, err
		}
		switch m := m.(type) {
		case *pgproto3.DataRow:
			for _, v := range m.Values {
				values = append(values, string(v))
			}
			log = append(log, fmt.Sprintf("DataRow%q", m.Values))
		case *pgproto3.ErrorResponse:
			log = append(log, "Error "+m.Code+" "+m.Message)
		case *pgproto3.CopyData:
			values = append(values, string(m.Data))
			log = append(log, fmt.Sprintf("CopyData%q", m.Data))
		case *pgproto3.NotificationResponse:
			log = append(log, "Notification "+m.Payload)
		case *pgproto3.ParameterStatus:
			log = append(log, "ParameterStatus "+m.Name+"="+m.Value)
		default:
			log = append(log, fmt.Sprintf("%T", m))
		}
		if stop(m) {
			return log, values, nil
		}
	}
}

func (r *raw) ready() ([]string, []string) {
	r.t.Helper()
	log, values, err := r.until(func(m pgproto3.BackendMessage) bool { _, ok := m.(*pgproto3.ReadyForQuery); return ok })
	r.t.Logf("transcript: %v", log)
	require.NoError(r.t, err, "transcript so far: %v", log)
	return log, values
}

// requireUsable checks that the session still answers a query.
func (r *raw) requireUsable() {
	r.t.Helper()
	r.send(&pgproto3.Query{String: "SELECT 'usable'"})
	_, values := r.ready()
	require.Equal(r.t, []string{"usable"}, values)
}

// settle reads what the server still owes (ReadyForQuery answers of Syncs
// whose count may depend on timing) up to the answer of a marker query.
func (r *raw) settle() {
	r.t.Helper()
	r.send(&pgproto3.Query{String: "SELECT 'settled'"})
	marked := false
	log, _, err := r.until(func(m pgproto3.BackendMessage) bool {
		if d, ok := m.(*pgproto3.DataRow); ok && len(d.Values) == 1 && string(d.Values[0]) == "settled" {
			marked = true
		}
		_, ok := m.(*pgproto3.ReadyForQuery)
		return ok && marked
	})
	r.t.Logf("transcript: %v", log)
	require.NoError(r.t, err, "transcript so far: %v", log)
}

func (r *raw) errorResp() {
	r.t.Helper()
	log, _, err := r.until(func(m pgproto3.BackendMessage) bool { _, ok := m.(*pgproto3.ErrorResponse); return ok })
	r.t.Logf("transcript: %v", log)
	require.NoError(r.t, err)
}

const secretSQL = "SELECT note, password, api_token FROM users ORDER BY id"

func requireMasked(t *testing.T, values []string) {
	t.Helper()
	all := strings.Join(values, "|")
	if strings.Contains(all, "hunter2") || strings.Contains(all, "4111 1111 1111 1111") || strings.Contains(all, "ghp_aaaa") {
		t.Errorf("unmasked secrets reached the client: %s", all)
	} else {
		t.Logf("rows were masked: %s", all)
	}
}

// A Query sent while the server skips to Sync (after an error and a Flush)
// would be ignored by the server; the gateway ends the session rather than
// fall out of step with it.
func TestQueryInsideOpenGroupEndsSession(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.grant(bob, grants.AccessRead, time.Hour)
	r := h.raw(bob)

	r.send(&pgproto3.Parse{Name: "s", Query: secretSQL}, &pgproto3.Describe{ObjectType: 'S', Name: "s"},
		&pgproto3.Parse{Name: "e", Query: "SELECT 1/0"}, &pgproto3.Sync{})
	r.ready()
	// error without Sync; the server now ignores everything until Sync.
	r.send(&pgproto3.Bind{PreparedStatement: "e"}, &pgproto3.Execute{}, &pgproto3.Flush{})
	r.errorResp()
	// A Query inside the unfinished group: the gateway ends the session
	// rather than guess what the server skipped.
	r.send(&pgproto3.Query{String: "SELECT 1"}, &pgproto3.Sync{})
	log, _, err := r.until(func(m pgproto3.BackendMessage) bool { _, ok := m.(*pgproto3.ErrorResponse); return ok })
	require.NoError(t, err)
	require.Contains(t, log[len(log)-1], "08P01")
	_, _, err = r.until(func(pgproto3.BackendMessage) bool { return false })
	require.Error(t, err, "the session is closed")
}

// A Close the server skipped (an error earlier in its group) leaves a name
// the gateway no longer knows; a Bind to it is refused, never forwarded
// undecided.
func TestBindAfterSkippedCloseIsRefused(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	g := h.grant(bob, grants.AccessRead, time.Hour)
	r := h.raw(bob)
	r.send(&pgproto3.Parse{Name: "s", Query: secretSQL}, &pgproto3.Parse{Name: "e", Query: "SELECT 1/0"}, &pgproto3.Sync{})
	r.ready()
	r.send(&pgproto3.Bind{PreparedStatement: "e"}, &pgproto3.Execute{}, &pgproto3.Close{ObjectType: 'S', Name: "s"}, &pgproto3.Sync{})
	r.ready()
	r.send(&pgproto3.Bind{PreparedStatement: "s"}, &pgproto3.Execute{}, &pgproto3.Sync{})
	_, values := r.ready()
	requireMasked(t, values)
	for _, e := range h.events(g) {
		t.Logf("event: %s %q", e.Kind, e.Statement)
	}
}

// Execute of a portal the gateway never saw bound (an SQL cursor) is refused.
func TestExecuteOfUnboundPortalIsRefused(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.grant(bob, grants.AccessRead, time.Hour)
	r := h.raw(bob)
	r.send(&pgproto3.Query{String: "BEGIN; DECLARE c CURSOR FOR " + secretSQL})
	r.ready()
	r.send(&pgproto3.Execute{Portal: "c"}, &pgproto3.Sync{})
	_, values := r.ready()
	requireMasked(t, values)
}

// A FETCH described before its cursor existed (NoData) is described again at
// Execute, so its rows are masked.
func TestFetchIsDescribedAtExecute(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.grant(bob, grants.AccessRead, time.Hour)
	r := h.raw(bob)
	r.send(&pgproto3.Parse{Name: "f", Query: "FETCH ALL FROM c"}, &pgproto3.Describe{ObjectType: 'S', Name: "f"}, &pgproto3.Sync{})
	r.ready()
	r.send(&pgproto3.Query{String: "BEGIN; DECLARE c CURSOR FOR " + secretSQL})
	r.ready()
	r.send(&pgproto3.Bind{PreparedStatement: "f"}, &pgproto3.Execute{}, &pgproto3.Sync{})
	_, values := r.ready()
	requireMasked(t, values)
}

// A pipelining client whose group messages arrive after the server's error
// keeps a working session.
func TestPipelineAfterErrorStaysInStep(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.grant(bob, grants.AccessRead, time.Hour)
	r := h.raw(bob)
	r.send(&pgproto3.Parse{Query: "SELECT 1/0"}, &pgproto3.Bind{}, &pgproto3.Execute{}, &pgproto3.Flush{})
	r.errorResp()
	r.send(&pgproto3.Parse{Query: "SELECT 2"}, &pgproto3.Bind{}, &pgproto3.Execute{}, &pgproto3.Sync{})
	r.ready()
	r.send(&pgproto3.Query{String: "SELECT 3"})
	r.ready()
}

// A refused Parse followed by Flush (no Sync) gets its error at once.
func TestRefusalIsSentOnFlush(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.grant(bob, grants.AccessRead, time.Hour)
	r := h.raw(bob)
	r.send(&pgproto3.Parse{Query: "DROP TABLE users"}, &pgproto3.Flush{})
	log, _, err := r.until(func(m pgproto3.BackendMessage) bool { _, ok := m.(*pgproto3.ErrorResponse); return ok })
	t.Logf("transcript %v", log)
	require.NoError(t, err, "a server would answer the Flush with the error")
}

// The grant ends while the client is not reading a large result: the
// session is still cut off.
func TestCutOffWithNonReadingClient(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	g := h.grant(bob, grants.AccessRead, time.Hour)
	r := h.raw(bob)
	r.send(&pgproto3.Query{String: "SELECT repeat('x', 1000) FROM generate_series(1, 200000)"})
	// Wait until the target is blocked writing to the gateway, which is
	// blocked writing to a client that does not read.
	h.onTarget("wait_event = 'ClientWrite' AND query LIKE 'SELECT repeat%'", 1, 10*time.Second, "")
	_, err := h.store.Revoke(context.Background(), g.ID, grants.Identity{Email: "alice@example.com"}, "stop", h.clock.Now())
	require.NoError(t, err)
	h.onTarget("query LIKE 'SELECT repeat%'", 0, 2*time.Second, "the target connection is closed within 2 seconds although the client stopped reading")
	require.Eventually(t, func() bool { return h.registry.Count() == 0 }, 2*time.Second, 10*time.Millisecond,
		"and the session is unregistered within 2 seconds too")
}

// A statement whose recording the database refuses (invalid UTF-8, a NUL in
// a parameter) must not stop recording, and so every statement of every
// session.
func TestBadEventDoesNotStopRecording(t *testing.T) {
	for name, send := range map[string][]pgproto3.FrontendMessage{
		"invalid utf-8": {&pgproto3.Query{String: "SELECT '\xff'"}},
		"nul parameter": {&pgproto3.Parse{Query: "SELECT $1::bytea"}, &pgproto3.Bind{Parameters: [][]byte{[]byte("a\x00b")}}, &pgproto3.Execute{}, &pgproto3.Sync{}},
	} {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, harnessOpts{})
			h.grant(bob, grants.AccessRead, time.Hour)
			h.grant("carol@example.com", grants.AccessRead, time.Hour)
			r := h.raw(bob)
			r.send(send...)
			r.ready()
			require.NoError(t, h.recorder.Flush(context.Background()), "a bad event is set aside, not retried forever")
			var n int
			err := h.connect("carol@example.com").QueryRow(context.Background(), "SELECT 1").Scan(&n)
			require.NoError(t, err, "another person's statements still run")
		})
	}
}

// Values of types outside the text family (record, refcursor, cstring; bytea
// in binary format) are still masked.
func TestNonTextTypesAreMasked(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.grant(bob, grants.AccessRead, time.Hour)
	r := h.raw(bob)
	for _, q := range []string{
		"SELECT ROW(note, password) FROM users WHERE id = 1",
		"SELECT note::refcursor FROM users WHERE id = 1",
		"SELECT textout(note) FROM users WHERE id = 1",
	} {
		r.send(&pgproto3.Query{String: q})
		_, values := r.ready()
		require.NotContains(t, strings.Join(values, "|"), "4111 1111 1111 1111", q)
	}
	r.send(&pgproto3.Parse{Query: "SELECT convert_to(note, 'UTF8') FROM users WHERE id = 1"},
		&pgproto3.Bind{ResultFormatCodes: []int16{1}}, &pgproto3.Execute{}, &pgproto3.Sync{})
	_, values := r.ready()
	require.NotContains(t, strings.Join(values, "|"), "4111 1111 1111 1111", "bytea in binary")
}

// SQL DEALLOCATE and PREPARE under a name the client once Parsed: the next
// Execute is described again, so the new statement's rows are masked.
func TestSQLRePrepareForgetsDescriptions(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	g := h.grant(bob, grants.AccessRead, time.Hour)
	r := h.raw(bob)
	r.send(&pgproto3.Parse{Name: "s", Query: "SELECT 1::int AS a, 2::int AS b, 3::int AS c"}, &pgproto3.Describe{ObjectType: 'S', Name: "s"}, &pgproto3.Sync{})
	r.ready()
	r.send(&pgproto3.Query{String: "DEALLOCATE s"})
	r.ready()
	r.send(&pgproto3.Query{String: "PREPARE s AS " + secretSQL})
	r.ready()
	r.send(&pgproto3.Bind{PreparedStatement: "s"}, &pgproto3.Execute{}, &pgproto3.Sync{})
	_, values := r.ready()
	requireMasked(t, values)
	for _, e := range h.events(g) {
		t.Logf("event: %s %q %s", e.Kind, e.Statement, e.Classification)
	}
}

// A Parse of a name that already exists is refused, as the server would, so
// what is recorded is what runs.
func TestDuplicateParseIsRefused(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	g := h.grant(bob, grants.AccessRead, time.Hour)
	r := h.raw(bob)
	r.send(&pgproto3.Parse{Name: "s", Query: secretSQL}, &pgproto3.Sync{})
	r.ready()
	r.send(&pgproto3.Parse{Name: "s", Query: "SELECT 'harmless'"}, &pgproto3.Sync{})
	r.ready()
	r.send(&pgproto3.Bind{PreparedStatement: "s"}, &pgproto3.Execute{}, &pgproto3.Sync{})
	r.ready()
	for _, e := range h.events(g) {
		t.Logf("event: %s %q rows=%d", e.Kind, e.Statement, e.Rows)
	}
}

// A Parse the server skipped, after an error earlier in its group, created
// nothing: the gateway lets the name be prepared again, as the server does,
// and records nothing for the statements of the group that never ran.
func TestSkippedParseLeavesNameFree(t *testing.T) {
	for name, first := range map[string]string{"server error": "SELECT 1/0", "gateway refusal": "DROP TABLE users"} {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, harnessOpts{})
			g := h.grant(bob, grants.AccessRead, time.Hour)
			r := h.raw(bob)
			r.send(&pgproto3.Parse{Query: first}, &pgproto3.Bind{}, &pgproto3.Execute{},
				&pgproto3.Parse{Name: "x", Query: "SELECT 'skipped'"}, &pgproto3.Bind{PreparedStatement: "x"}, &pgproto3.Execute{}, &pgproto3.Sync{})
			r.ready()
			r.send(&pgproto3.Parse{Name: "x", Query: "SELECT 'ran'"}, &pgproto3.Bind{PreparedStatement: "x"}, &pgproto3.Execute{}, &pgproto3.Sync{})
			log, values := r.ready()
			require.Equal(t, []string{"ran"}, values, "transcript %v", log)
			for _, e := range h.events(g) {
				require.NotContains(t, e.Statement, "skipped", "a statement the server skipped was recorded as run: %+v", e)
			}
		})
	}
}

// Binding the unnamed statement after a Parse of it failed is refused: the
// server may still hold the one before, which the gateway no longer knows.
func TestBindOfFailedUnnamedStatementIsRefused(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.grant(bob, grants.AccessRead, time.Hour)
	r := h.raw(bob)
	r.send(&pgproto3.Parse{Query: secretSQL}, &pgproto3.Sync{})
	r.ready()
	// The Bind fails (one parameter too many), so the server skips the
	// Parse after it: its unnamed statement is still the secret query,
	// while the gateway last saw "SELECT 'harmless'" sent under that name.
	r.send(&pgproto3.Bind{Parameters: [][]byte{[]byte("1")}}, &pgproto3.Parse{Query: "SELECT 'harmless'::text a, 'b'::text b, 'c'::text c"}, &pgproto3.Sync{})
	log, _ := r.ready()
	require.Contains(t, strings.Join(log, "|"), "Error 08P01")
	r.send(&pgproto3.Bind{}, &pgproto3.Execute{}, &pgproto3.Sync{})
	log, values := r.ready()
	require.Empty(t, values, "transcript %v", log)
	require.Contains(t, strings.Join(log, "|"), "does not know prepared statement")
}

// After a refusal in a group, the server skips the rest of it, so the
// gateway neither decides nor records the rest: a risky statement there
// is not put to a reviewer, and does not run.
func TestMessagesAfterRefusalAreNotDecided(t *testing.T) {
	rev := &fakeReviewer{answer: true}
	h := newHarness(t, harnessOpts{risky: config.RiskyReview, reviewer: rev})
	g := h.grant(bob, grants.AccessWrite, time.Hour)
	r := h.raw(bob)
	r.send(&pgproto3.Parse{Query: "SELEC 1"}, &pgproto3.Bind{}, &pgproto3.Execute{},
		&pgproto3.Parse{Query: "TRUNCATE items"}, &pgproto3.Bind{}, &pgproto3.Execute{}, &pgproto3.Sync{})
	log, _ := r.ready()
	require.Contains(t, strings.Join(log, "|"), "Error 42501")
	rev.mu.Lock()
	require.Empty(t, rev.held, "no reviewer was asked about a statement the server skips")
	rev.answer = false
	rev.mu.Unlock()
	var n int
	require.NoError(t, h.target.QueryRow(context.Background(), "SELECT count(*) FROM items").Scan(&n))
	require.NotZero(t, n, "nothing was truncated")

	// The same statement outside a refused group is put to the reviewer.
	r.send(&pgproto3.Parse{Query: "TRUNCATE items"}, &pgproto3.Bind{}, &pgproto3.Execute{}, &pgproto3.Sync{})
	r.ready()
	rev.mu.Lock()
	require.Len(t, rev.held, 1)
	rev.mu.Unlock()
	var kinds []string
	for _, e := range h.events(g) {
		kinds = append(kinds, e.Kind+" "+e.Statement+" "+e.Decision)
	}
	require.NotContains(t, kinds, "parse TRUNCATE items allow")
	require.Len(t, kinds, 2, "the refused text and the TRUNCATE put to review, nothing from the skipped rest: %q", kinds)
}

// A session's events are listed in the order its statements came, not the
// order they finished: a refusal pipelined behind a running statement is
// recorded at once, and written before the statement ahead of it ends.
func TestEventsKeepStatementOrder(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	g := h.grant(bob, grants.AccessRead, time.Hour)
	r := h.raw(bob)
	r.send(&pgproto3.Parse{Query: "SELECT pg_sleep(0.3)"}, &pgproto3.Bind{}, &pgproto3.Execute{},
		&pgproto3.Parse{Query: "DROP TABLE users"}, &pgproto3.Bind{}, &pgproto3.Execute{}, &pgproto3.Sync{})
	r.ready()
	r.send(&pgproto3.Query{String: "SELECT 1"})
	r.ready()
	var got []string
	var seqs []int64
	for _, e := range h.events(g) {
		t.Logf("event %d: %s %q %s rows=%d sqlstate=%q dur=%s", e.Seq, e.Kind, e.Statement, e.Decision, e.Rows, e.SQLState, e.Duration)
		got = append(got, e.Kind+" "+e.Statement+" "+e.Decision)
		seqs = append(seqs, e.Seq)
	}
	require.Equal(t, []string{"execute SELECT pg_sleep(0.3) allow", "parse DROP TABLE users block", "query SELECT 1 allow"}, got)
	require.Equal(t, []int64{1, 2, 3}, seqs, "numbered from 1, with no gap for the Parse recorded at its Execute")
}

// Every recording an expectation holds is finished when it leaves the queue,
// however it leaves.
func TestNoRecordingLeftOpen(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.grant(bob, grants.AccessRead, time.Hour)
	inflight := func() int {
		n, _ := h.recorder.Backlog()
		return n
	}
	for range 5 {
		r := h.raw(bob)
		r.send(&pgproto3.Parse{Name: "e", Query: "SELECT 1/0"}, &pgproto3.Sync{})
		r.ready()
		r.send(&pgproto3.Bind{PreparedStatement: "e"}, &pgproto3.Describe{ObjectType: 'P'}, &pgproto3.Execute{}, &pgproto3.Flush{})
		r.errorResp()
		r.send(&pgproto3.Execute{}, &pgproto3.Sync{}) // skipped by the server until this Sync
		r.ready()
		r.conn.Close()
	}
	require.Eventually(t, func() bool { return inflight() == 0 }, 5*time.Second, 10*time.Millisecond,
		"no recording is left open when sessions end")
}

// A FunctionCall inside a group the server is skipping runs nothing and
// lets no rows out.
func TestRefusedCallMidGroupRunsNothing(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.grant(bob, grants.AccessRead, time.Hour)
	r := h.raw(bob)
	big := "SELECT note, password, api_token FROM users, generate_series(1, 3000)"
	r.send(&pgproto3.Parse{Name: "s", Query: big}, &pgproto3.Describe{ObjectType: 'S', Name: "s"}, &pgproto3.Parse{Name: "e", Query: "SELECT 1/0"}, &pgproto3.Sync{})
	r.ready()
	r.send(&pgproto3.Bind{PreparedStatement: "e"}, &pgproto3.Execute{},
		&pgproto3.FunctionCall{Function: 1},
		&pgproto3.Bind{PreparedStatement: "s"}, &pgproto3.Execute{}, &pgproto3.Sync{})
	log, values, err := r.until(func(pgproto3.BackendMessage) bool { return false })
	if len(log) > 6 {
		log = append(log[:3], log[len(log)-3:]...)
	}
	t.Logf("transcript (abridged): %v (%v), %d values", log, err, len(values))
	requireMasked(t, values)
}

// Notification payloads and reported settings are masked like rows.
func TestNotificationsAndSettingsAreMasked(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.grant(bob, grants.AccessRead, time.Hour)
	r := h.raw(bob)
	r.send(&pgproto3.Query{String: "LISTEN x; SELECT pg_notify('x', 'card ' || note) FROM users WHERE id = 1"})
	log, _ := r.ready()
	require.Contains(t, strings.Join(log, "|"), "Notification")
	require.NotContains(t, strings.Join(log, "|"), "4111 1111 1111 1111")
	r.send(&pgproto3.Query{String: "SELECT set_config('application_name', note, false) IS NULL FROM users WHERE id = 1"})
	log, _ = r.ready()
	require.Contains(t, strings.Join(log, "|"), "ParameterStatus application_name=")
	require.NotContains(t, strings.Join(log, "|"), "4111 1111 1111 1111")
}

// COPY FROM STDIN through the extended protocol, as libpq's PQexecParams
// does it: the server ignores the Sync sent during COPY IN, and so does the
// gateway's queue.
func TestExtendedCopyInStaysInStep(t *testing.T) {
	h := newHarness(t, harnessOpts{risky: "allow"})
	h.grant(bob, grants.AccessWrite, time.Hour)
	r := h.raw(bob)
	r.send(&pgproto3.Parse{Name: "s", Query: secretSQL}, &pgproto3.Describe{ObjectType: 'S', Name: "s"},
		&pgproto3.Parse{Name: "e", Query: "SELECT 1/0"}, &pgproto3.Sync{})
	r.ready()
	r.send(&pgproto3.Parse{Query: "COPY items FROM STDIN"}, &pgproto3.Bind{}, &pgproto3.Describe{ObjectType: 'P'}, &pgproto3.Execute{}, &pgproto3.Sync{})
	log, _, err := r.until(func(m pgproto3.BackendMessage) bool { _, ok := m.(*pgproto3.CopyInResponse); return ok })
	require.NoError(t, err, "%v", log)
	r.send(&pgproto3.CopyData{Data: []byte("9001\tx\n")}, &pgproto3.CopyDone{}, &pgproto3.Sync{})
	r.ready()
	r.send(&pgproto3.Bind{PreparedStatement: "s"}, &pgproto3.Execute{},
		&pgproto3.Bind{DestinationPortal: "pe", PreparedStatement: "e"}, &pgproto3.Execute{Portal: "pe"}, &pgproto3.Sync{})
	_, values := r.ready()
	requireMasked(t, values)
}

// The same, with an ordinary pgx query afterwards.
func TestExtendedCopyInThenPgx(t *testing.T) {
	h := newHarness(t, harnessOpts{risky: "allow"})
	h.grant(bob, grants.AccessWrite, time.Hour)
	r := h.raw(bob)
	r.send(&pgproto3.Parse{Query: "COPY items FROM STDIN"}, &pgproto3.Bind{}, &pgproto3.Describe{ObjectType: 'P'}, &pgproto3.Execute{}, &pgproto3.Sync{})
	_, _, err := r.until(func(m pgproto3.BackendMessage) bool { _, ok := m.(*pgproto3.CopyInResponse); return ok })
	require.NoError(t, err)
	r.send(&pgproto3.CopyData{Data: []byte("9002\tx\n")}, &pgproto3.CopyDone{}, &pgproto3.Sync{})
	r.ready()
	// what pgx does for conn.Query("SELECT ...", args): Parse+Describe+Sync, then Bind+Execute+Sync.
	r.send(&pgproto3.Parse{Name: "p1", Query: "SELECT name FROM items WHERE id = 1"}, &pgproto3.Describe{ObjectType: 'S', Name: "p1"}, &pgproto3.Sync{})
	r.ready()
}

// A refusal inside a pgx batch fails the batch as a server error would:
// nothing before it stays.
func TestRefusalRollsBackItsBatch(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.grant(bob, grants.AccessWrite, time.Hour)
	conn := h.connect(bob)
	ctx := context.Background()
	b := &pgx.Batch{}
	b.Queue("INSERT INTO items VALUES (7001, 'x')")
	b.Queue("DROP TABLE users")
	err := conn.SendBatch(ctx, b).Close()
	require.Equal(t, "42501", pgCode(err))
	var n int
	require.NoError(t, h.target.QueryRow(ctx, "SELECT count(*) FROM items WHERE id = 7001").Scan(&n))
	b = &pgx.Batch{}
	b.Queue("INSERT INTO items VALUES (7002, 'x')")
	b.Queue("SELECT 1/0")
	err = conn.SendBatch(ctx, b).Close()
	var m int
	require.NoError(t, h.target.QueryRow(ctx, "SELECT count(*) FROM items WHERE id = 7002").Scan(&m))
	require.Equal(t, 0, n, "a refused statement fails its batch like a server error: nothing before it stays")
	require.Equal(t, 0, m)
}

func TestRefusalRollsBackItsGroup(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.grant(bob, grants.AccessWrite, time.Hour)
	r := h.raw(bob)
	r.send(&pgproto3.Parse{Query: "INSERT INTO items VALUES (7001, 'x')"}, &pgproto3.Bind{}, &pgproto3.Execute{},
		&pgproto3.Parse{Query: "DROP TABLE users"}, &pgproto3.Bind{}, &pgproto3.Execute{}, &pgproto3.Sync{})
	r.ready()
	var n int
	require.NoError(t, h.target.QueryRow(context.Background(), "SELECT count(*) FROM items WHERE id = 7001").Scan(&n))
	require.Equal(t, 0, n, "the group the client was told failed left nothing behind")
}

func TestSuspendedPortalStaysMasked(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.grant(bob, grants.AccessRead, time.Hour)
	r := h.raw(bob)
	r.send(&pgproto3.Query{String: "BEGIN"})
	r.ready()
	q := "SELECT note, password, api_token FROM users, generate_series(1,3) ORDER BY id"
	r.send(&pgproto3.Parse{Query: q}, &pgproto3.Bind{DestinationPortal: "p", ResultFormatCodes: []int16{1, 0, 1}}, &pgproto3.Execute{Portal: "p", MaxRows: 1}, &pgproto3.Sync{})
	_, v1 := r.ready()
	r.send(&pgproto3.Execute{Portal: "p", MaxRows: 2}, &pgproto3.Execute{Portal: "p"}, &pgproto3.Sync{})
	_, v2 := r.ready()
	requireMasked(t, append(v1, v2...))
}

func TestSimpleCopyInIgnoresSync(t *testing.T) {
	h := newHarness(t, harnessOpts{risky: "allow"})
	h.grant(bob, grants.AccessWrite, time.Hour)
	r := h.raw(bob)
	r.send(&pgproto3.Parse{Name: "s", Query: secretSQL}, &pgproto3.Describe{ObjectType: 'S', Name: "s"},
		&pgproto3.Parse{Name: "e", Query: "SELECT 1/0"}, &pgproto3.Sync{})
	r.ready()
	r.send(&pgproto3.Query{String: "COPY items FROM STDIN"}, &pgproto3.Sync{}, &pgproto3.CopyData{Data: []byte("9003\tx\n")}, &pgproto3.CopyDone{})
	r.ready()
	r.send(&pgproto3.Bind{PreparedStatement: "s"}, &pgproto3.Execute{},
		&pgproto3.Bind{DestinationPortal: "pe", PreparedStatement: "e"}, &pgproto3.Execute{Portal: "pe"}, &pgproto3.Sync{})
	_, values := r.ready()
	requireMasked(t, values)
}

// A named Parse the server refused leaves the name free, as on the server.
func TestFailedParseFreesTheName(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.grant(bob, grants.AccessRead, time.Hour)
	r := h.raw(bob)
	r.send(&pgproto3.Parse{Name: "s", Query: "SELECT * FROM no_such_table"}, &pgproto3.Sync{})
	log, _ := r.ready()
	require.Contains(t, strings.Join(log, "|"), "Error 42P01")
	r.send(&pgproto3.Parse{Name: "s", Query: "SELECT 7"}, &pgproto3.Bind{PreparedStatement: "s"}, &pgproto3.Execute{}, &pgproto3.Sync{})
	log, values := r.ready()
	require.NotContains(t, strings.Join(log, "|"), "42P05")
	require.Equal(t, []string{"7"}, values)
}

// Statement names starting with jitgate_ are the gateway's own: a client's
// jitgate_copy would break the description of every extended COPY.
func TestReservedStatementNamesAreRefused(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.grant(bob, grants.AccessRead, time.Hour)
	r := h.raw(bob)
	for _, msgs := range [][]pgproto3.FrontendMessage{
		{&pgproto3.Parse{Name: "jitgate_copy", Query: "SELECT 1"}},
		{&pgproto3.Describe{ObjectType: 'S', Name: "jitgate_copy"}},
		{&pgproto3.Bind{PreparedStatement: "jitgate_copy"}, &pgproto3.Execute{}},
		{&pgproto3.Close{ObjectType: 'S', Name: "jitgate_refused"}},
	} {
		r.send(append(msgs, &pgproto3.Sync{})...)
		log, _ := r.ready()
		require.Contains(t, strings.Join(log, "|"), "Error 42501 prepared statement", "%T", msgs[0])
	}
	r.send(&pgproto3.Query{String: "PREPARE jitgate_copy AS SELECT 1"})
	log, _ := r.ready()
	require.Contains(t, strings.Join(log, "|"), "Error 42501", "SQL PREPARE shares the names")

	r.send(&pgproto3.Parse{Name: "c", Query: "COPY (SELECT id, api_token AS t FROM users ORDER BY id) TO STDOUT"},
		&pgproto3.Bind{PreparedStatement: "c"}, &pgproto3.Execute{}, &pgproto3.Sync{})
	_, values := r.ready()
	require.Equal(t, []string{"1\t********\n", "2\t\\N\n"}, values, "extended COPY still works")
}

// A portal name can come to stand for something other than what the
// gateway saw bound: a Bind the server refused because an SQL cursor holds
// the name, or a portal the end of its transaction dropped and a cursor
// took over. Once the gateway knows, it refuses to run the name; before
// (a client pipelining past the refusal), the Execute describes the portal
// again, so the cursor's rows are masked by what they hold.
func TestReusedPortalNameIsDescribedAgain(t *testing.T) {
	const decoy = "SELECT 'a'::text x, 'b'::text y, 'c'::text z"
	declare := &pgproto3.Query{String: "DECLARE c CURSOR WITH HOLD FOR " + secretSQL}
	parse := []pgproto3.FrontendMessage{&pgproto3.Parse{Name: "s", Query: decoy}, &pgproto3.Describe{ObjectType: 'S', Name: "s"}, &pgproto3.Sync{}}
	bind := &pgproto3.Bind{DestinationPortal: "c", PreparedStatement: "s"}
	const refusal = "Error 42501 jitgate only runs portals bound in this session"
	for _, tc := range []struct {
		name    string
		steps   [][]pgproto3.FrontendMessage
		refused bool // else the cursor's rows come back, masked
	}{
		{"bind refused by the server", [][]pgproto3.FrontendMessage{
			{declare}, parse, {bind, &pgproto3.Sync{}}, {&pgproto3.Execute{Portal: "c"}, &pgproto3.Sync{}},
		}, true},
		{"bind refused, pipelined with the execute", [][]pgproto3.FrontendMessage{
			{declare}, parse, {bind, &pgproto3.Sync{}, &pgproto3.Execute{Portal: "c"}, &pgproto3.Sync{}},
		}, false},
		{"portal dropped at sync, name taken by a cursor", [][]pgproto3.FrontendMessage{
			parse, {bind, &pgproto3.Describe{ObjectType: 'P', Name: "c"}, &pgproto3.Sync{}}, {declare}, {&pgproto3.Execute{Portal: "c"}, &pgproto3.Sync{}},
		}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, harnessOpts{})
			h.grant(bob, grants.AccessRead, time.Hour)
			r := h.raw(bob)
			var values, log []string
			for _, step := range tc.steps {
				r.send(step...)
				for _, m := range step {
					if _, ok := m.(*pgproto3.Sync); ok || m == declare {
						l, v := r.ready()
						values, log = append(values, v...), append(log, l...)
					}
				}
			}
			requireMasked(t, values)
			refused := strings.Contains(strings.Join(log, "|"), refusal)
			if tc.refused {
				require.True(t, refused, "%v", log)
			} else {
				// Whether the gateway learns of the refused Bind before
				// it reads the Execute is a race it almost always loses.
				require.True(t, refused || len(values) > 0, "refused, or the cursor's rows came back: %v", log)
			}
		})
	}
}

// However COPY FROM STDIN ends (its data refused, a timeout while the
// server waits for data, a failure before it starts, one of several in a
// Query), the Syncs sent around it are answered exactly as the server
// answers them, and the session stays in step: rows that follow are masked
// by their own descriptions.
func TestCopyInEndingsStayInStep(t *testing.T) {
	const decoy = "SELECT 'a'::text x, 'b'::text y, 'c'::text z WHERE false"
	copyIn := func(r *raw) {
		r.t.Helper()
		log, _, err := r.until(func(m pgproto3.BackendMessage) bool { _, ok := m.(*pgproto3.CopyInResponse); return ok })
		require.NoError(r.t, err, "%v", log)
	}
	failed := func(code string) func(r *raw) {
		return func(r *raw) {
			r.t.Helper()
			log, _ := r.ready()
			require.Contains(r.t, strings.Join(log, "|"), "Error "+code)
		}
	}
	for _, tc := range []struct {
		name string
		run  func(r *raw)
	}{
		{"bad data, then syncs sent before copy done", func(r *raw) {
			// The server answers the first Sync after the bad row: whether
			// the gateway has seen the error when it passes that Sync on is
			// a race, so the client may get one ReadyForQuery or two.
			r.send(&pgproto3.Parse{Query: "COPY items FROM STDIN"}, &pgproto3.Bind{}, &pgproto3.Execute{}, &pgproto3.Sync{})
			copyIn(r)
			r.send(&pgproto3.CopyData{Data: []byte("not-a-number\tx\n")}, &pgproto3.Sync{},
				&pgproto3.CopyData{Data: []byte("9201\tx\n")}, &pgproto3.CopyDone{}, &pgproto3.Sync{})
			failed("22P02")(r)
		}},
		{"bad data after a pipelined sync", func(r *raw) {
			r.send(&pgproto3.Parse{Query: "COPY items FROM STDIN"}, &pgproto3.Bind{}, &pgproto3.Describe{ObjectType: 'P'}, &pgproto3.Execute{}, &pgproto3.Sync{})
			copyIn(r)
			r.send(&pgproto3.CopyData{Data: []byte("not-a-number\tx\n")}, &pgproto3.CopyDone{}, &pgproto3.Sync{})
			failed("22P02")(r)
		}},
		{"extended copy that fails before it starts", func(r *raw) {
			r.send(&pgproto3.Parse{Query: "COPY no_such_table FROM STDIN"}, &pgproto3.Bind{}, &pgproto3.Execute{}, &pgproto3.Sync{})
			failed("42P01")(r)
		}},
		{"simple copy that fails before it starts, sync pipelined", func(r *raw) {
			r.send(&pgproto3.Query{String: "COPY no_such_table FROM STDIN"}, &pgproto3.Sync{})
			failed("42P01")(r)
			r.ready() // the server answers the Sync
		}},
		{"simple copy with bad data, sync sent during it", func(r *raw) {
			r.send(&pgproto3.Query{String: "COPY items FROM STDIN"})
			copyIn(r)
			r.send(&pgproto3.Sync{}, &pgproto3.CopyData{Data: []byte("not-a-number\tx\n")}, &pgproto3.CopyDone{})
			failed("22P02")(r)
		}},
		{"simple copy with a flush during it", func(r *raw) {
			r.send(&pgproto3.Query{String: "COPY items FROM STDIN"})
			copyIn(r)
			r.send(&pgproto3.Flush{}, &pgproto3.CopyData{Data: []byte("9301\tx\n")}, &pgproto3.CopyDone{})
			r.ready()
		}},
		{"two copies in one query, syncs between", func(r *raw) {
			r.send(&pgproto3.Query{String: "COPY items FROM STDIN; COPY items FROM STDIN"})
			copyIn(r)
			r.send(&pgproto3.Sync{}, &pgproto3.CopyData{Data: []byte("9101\tx\n")}, &pgproto3.CopyDone{}, &pgproto3.Sync{})
			copyIn(r)
			r.send(&pgproto3.Sync{}, &pgproto3.CopyData{Data: []byte("9102\tx\n")}, &pgproto3.CopyDone{})
			r.ready()
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, harnessOpts{risky: "allow"})
			h.grant(bob, grants.AccessWrite, time.Hour)
			r := h.raw(bob)
			r.send(&pgproto3.Parse{Name: "d", Query: decoy}, &pgproto3.Describe{ObjectType: 'S', Name: "d"},
				&pgproto3.Parse{Name: "s", Query: secretSQL}, &pgproto3.Describe{ObjectType: 'S', Name: "s"}, &pgproto3.Sync{})
			r.ready()
			tc.run(r)
			r.settle()
			r.send(&pgproto3.Bind{PreparedStatement: "d"}, &pgproto3.Execute{},
				&pgproto3.Bind{DestinationPortal: "p2", PreparedStatement: "s"}, &pgproto3.Execute{Portal: "p2"}, &pgproto3.Sync{})
			log, values := r.ready()
			require.Len(t, values, 6, "the secret rows came back, in step: %v", log)
			requireMasked(t, values)
			r.requireUsable()
		})
	}
}

// Each answer of the server must match what the queue awaits; one that
// does not means the gateway no longer knows which statement rows belong
// to, and the session ends rather than guess.
func TestAnswerOutOfStepEndsSession(t *testing.T) {
	msg := func(typ byte, body string) []byte {
		m, at := appendMsg(nil, typ)
		return finishMsg(append(m, body...), at)
	}
	var (
		parseComplete   = msg('1', "")
		bindComplete    = msg('2', "")
		commandComplete = msg('C', "SELECT 1\x00")
		noFields        = msg('T', "\x00\x00")
		noData          = msg('n', "")
		ready           = msg('Z', "I")
		copyIn          = msg('G', "\x00\x00\x00")
		failure         = msg('E', "SERROR\x00C22012\x00Mdivision by zero\x00\x00")
	)
	type answer struct {
		queue []expKind // pushed before the answer
		msg   []byte
	}
	for _, tc := range []struct {
		name    string
		answers []answer
		ok      bool
	}{
		{"parse answered", []answer{{[]expKind{expParse}, parseComplete}}, true},
		{"bind answered as a parse", []answer{{[]expKind{expBind}, parseComplete}}, false},
		{"parse answered as a bind", []answer{{[]expKind{expParse}, bindComplete}}, false},
		{"command complete for a parse", []answer{{[]expKind{expParse}, commandComplete}}, false},
		{"row description for an execute", []answer{{[]expKind{expExecute}, noFields}}, false},
		{"no data for a query", []answer{{[]expKind{expQuery}, noData}}, false},
		{"copy for a sync", []answer{{[]expKind{expSync}, copyIn}}, false},
		{"copy the gateway did not count", []answer{{[]expKind{expQuery}, copyIn}}, false},
		{"ready with an answer missing", []answer{{[]expKind{expParse, expSync}, ready}}, false},
		{"ready after an error skipped the rest", []answer{{[]expKind{expParse}, failure}, {[]expKind{expBind, expExecute, expSync}, ready}}, true},
		{"nothing awaited", []answer{{nil, parseComplete}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := fuzzSession(t, grants.AccessRead)
			s.plans = newPlans()
			var err error
			for _, a := range tc.answers {
				for _, k := range a.queue {
					s.q.push(expectation{kind: k})
				}
				if err = s.onBackendMessage(a.msg[0], a.msg); err != nil {
					break
				}
			}
			if tc.ok {
				require.NoError(t, err)
				_, left := s.q.peek()
				require.False(t, left, "every expectation was answered")
				return
			}
			require.ErrorIs(t, err, outOfStep)
		})
	}
}

// While the server copies from the client, any message but COPY data,
// CopyDone, CopyFail, Flush and Sync would be taken by the server for a
// broken COPY and lost: the session ends, saying so. A Query pipelined
// behind a COPY that fails before it starts runs as usual.
func TestOnlyCopyDataDuringCopyIn(t *testing.T) {
	h := newHarness(t, harnessOpts{risky: "allow"})
	h.grant(bob, grants.AccessWrite, time.Hour)

	r := h.raw(bob)
	r.send(&pgproto3.Query{String: "COPY no_such_table FROM STDIN"}, &pgproto3.Query{String: "SELECT 'after'"})
	log, _ := r.ready()
	require.Contains(t, strings.Join(log, "|"), "Error 42P01")
	_, values := r.ready()
	require.Equal(t, []string{"after"}, values)

	r = h.raw(bob)
	r.send(&pgproto3.Query{String: "COPY items FROM STDIN"})
	log, _, err := r.until(func(m pgproto3.BackendMessage) bool { _, ok := m.(*pgproto3.CopyInResponse); return ok })
	require.NoError(t, err, "%v", log)
	r.send(&pgproto3.Query{String: "SELECT 'during'"})
	log, values, err = r.until(func(pgproto3.BackendMessage) bool { return false })
	require.Error(t, err, "the session ends")
	require.Empty(t, values)
	require.Contains(t, strings.Join(log, "|"), "Error 08P01 jitgate expected COPY data")
}

// A session holds a bounded number of named statements and portals; the
// portals a transaction's end dropped on the server no longer count.
func TestNamedStatementsAndPortalsAreBounded(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.grant(bob, grants.AccessRead, time.Hour)
	r := h.raw(bob)
	// readies reads n ReadyForQuery and returns the errors on the way.
	readies := func(n int) []string {
		t.Helper()
		var errs []string
		for range n {
			log, _, err := r.until(func(m pgproto3.BackendMessage) bool { _, ok := m.(*pgproto3.ReadyForQuery); return ok })
			require.NoError(t, err)
			for _, l := range log {
				if strings.HasPrefix(l, "Error") {
					errs = append(errs, l)
				}
			}
		}
		return errs
	}
	groups := func(from, to int, msg func(i int) pgproto3.FrontendMessage) {
		t.Helper()
		for i := from; i < to; i++ {
			r.fe.Send(msg(i))
			r.fe.Send(&pgproto3.Sync{})
		}
		require.NoError(t, r.fe.Flush())
	}
	parse := func(i int) pgproto3.FrontendMessage {
		return &pgproto3.Parse{Name: fmt.Sprintf("s%d", i), Query: "SELECT 1"}
	}
	groups(0, maxNamed, parse)
	require.Empty(t, readies(maxNamed))
	groups(maxNamed, maxNamed+1, parse)
	require.Equal(t, []string{fmt.Sprintf("Error 53000 jitgate holds at most %d named prepared statements per session", maxNamed)}, readies(1))

	// Portals bound outside a transaction are dropped at each Sync.
	bind := func(i int) pgproto3.FrontendMessage {
		return &pgproto3.Bind{DestinationPortal: fmt.Sprintf("p%d", i), PreparedStatement: "s0"}
	}
	for from := 0; from < maxNamed+1000; from += 1000 {
		groups(from, from+1000, bind)
		require.Empty(t, readies(1000), "portals %d to %d", from, from+1000)
	}

	// Inside one, they stay until it ends.
	r.send(&pgproto3.Query{String: "BEGIN"})
	r.ready()
	groups(0, maxNamed, bind)
	require.Empty(t, readies(maxNamed))
	groups(maxNamed, maxNamed+1, bind)
	require.Equal(t, []string{fmt.Sprintf("Error 53000 jitgate holds at most %d named portals per session", maxNamed)}, readies(1))
	r.send(&pgproto3.Query{String: "COMMIT"})
	r.ready()
	groups(maxNamed, maxNamed+1, bind)
	require.Empty(t, readies(1))
}

// What a prepared statement returns can change behind its description:
// it is deallocated and prepared again (through Executes, or by a Query
// pipelined behind the Describe), or the server re-plans it silently after
// search_path changed what its names resolve to. Rows are masked by the
// portal's own description, taken after whatever ran last.
func TestStatementChangedBehindItsDescription(t *testing.T) {
	const decoy = "SELECT 'a'::text x, 'b'::text y, 'c'::text z"
	for _, tc := range []struct {
		name  string
		setup string // run on the target first
		steps [][]pgproto3.FrontendMessage
	}{
		{"re-prepared through executes", "", [][]pgproto3.FrontendMessage{
			{&pgproto3.Parse{Name: "s", Query: decoy}, &pgproto3.Describe{ObjectType: 'S', Name: "s"}, &pgproto3.Sync{}},
			{&pgproto3.Parse{Query: "DEALLOCATE s"}, &pgproto3.Bind{}, &pgproto3.Execute{}, &pgproto3.Sync{}},
			{&pgproto3.Parse{Query: "PREPARE s AS " + secretSQL}, &pgproto3.Bind{}, &pgproto3.Execute{}, &pgproto3.Sync{}},
		}},
		{"re-prepared behind a pipelined describe", "", [][]pgproto3.FrontendMessage{
			{&pgproto3.Parse{Name: "s", Query: decoy}, &pgproto3.Sync{}},
			{&pgproto3.Describe{ObjectType: 'S', Name: "s"}, &pgproto3.Sync{}, &pgproto3.Query{String: "DEALLOCATE s; PREPARE s AS " + secretSQL}},
		}},
		{"re-planned after search_path changed", `CREATE SCHEMA a; CREATE SCHEMA b;
			CREATE TABLE a.t (pw text); INSERT INTO a.t VALUES ('nothing');
			CREATE VIEW b.t AS SELECT password AS pw FROM public.users`, [][]pgproto3.FrontendMessage{
			{&pgproto3.Query{String: "SET search_path = a, public"}},
			{&pgproto3.Parse{Name: "s", Query: "SELECT pw FROM t"}, &pgproto3.Describe{ObjectType: 'S', Name: "s"}, &pgproto3.Sync{}},
			{&pgproto3.Query{String: "SET search_path = b, public"}},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, harnessOpts{})
			if tc.setup != "" {
				_, err := h.target.Exec(context.Background(), tc.setup)
				require.NoError(t, err)
			}
			h.grant(bob, grants.AccessRead, time.Hour)
			r := h.raw(bob)
			for _, step := range tc.steps {
				r.send(step...)
				for _, m := range step {
					switch m.(type) {
					case *pgproto3.Sync, *pgproto3.Query:
						r.ready()
					}
				}
			}
			r.send(&pgproto3.Bind{PreparedStatement: "s"}, &pgproto3.Execute{}, &pgproto3.Sync{})
			log, values := r.ready()
			require.NotEmpty(t, values, "%v", log)
			requireMasked(t, values)
		})
	}
}

// A Bind the server refuses because its portal name is taken leaves the
// name to the portal that had it; the gateway no longer knows what that is
// and refuses to run it, and the session stays usable.
func TestPortalOfRefusedBindIsNotRun(t *testing.T) {
	h := newHarness(t, harnessOpts{risky: "allow"})
	h.grant(bob, grants.AccessWrite, time.Hour)
	r := h.raw(bob)
	r.send(&pgproto3.Query{String: "BEGIN"})
	r.ready()
	r.send(&pgproto3.Parse{Name: "cp", Query: "COPY items FROM STDIN"}, &pgproto3.Parse{Name: "sel", Query: "SELECT 1"},
		&pgproto3.Bind{DestinationPortal: "c", PreparedStatement: "cp"}, &pgproto3.Sync{})
	r.ready()
	r.send(&pgproto3.Query{String: "SAVEPOINT sp"})
	r.ready()
	r.send(&pgproto3.Bind{DestinationPortal: "c", PreparedStatement: "sel"}, &pgproto3.Sync{})
	log, _ := r.ready()
	require.Contains(t, strings.Join(log, "|"), "Error 42P03")
	r.send(&pgproto3.Query{String: "ROLLBACK TO sp"})
	r.ready()
	r.send(&pgproto3.Execute{Portal: "c"}, &pgproto3.Sync{})
	log, _ = r.ready()
	require.Contains(t, strings.Join(log, "|"), "Error 42501 jitgate only runs portals bound in this session")
	r.send(&pgproto3.Query{String: "ROLLBACK"})
	r.ready()
	r.requireUsable()
}

// The parameters named portals hold are bounded per session; closing a
// portal, or the end of its transaction, gives its share back.
func TestNamedPortalParametersAreBounded(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.grant(bob, grants.AccessRead, time.Hour)
	r := h.raw(bob)
	eighth := [][]byte{bytes.Repeat([]byte("x"), maxPortalBytes/8)}
	bind := func(i int) string {
		t.Helper()
		r.send(&pgproto3.Bind{DestinationPortal: fmt.Sprintf("p%d", i), PreparedStatement: "s", Parameters: eighth}, &pgproto3.Sync{})
		log, _ := r.ready()
		return strings.Join(log, "|")
	}
	r.send(&pgproto3.Query{String: "BEGIN"}, &pgproto3.Parse{Name: "s", Query: "SELECT length($1::text)"}, &pgproto3.Sync{})
	r.ready()
	r.ready()
	for i := range 8 {
		require.NotContains(t, bind(i), "Error", "portal %d", i)
	}
	r.send(&pgproto3.Close{ObjectType: 'P', Name: "p0"}, &pgproto3.Sync{})
	r.ready()
	require.NotContains(t, bind(8), "Error", "the closed portal's share was given back")
	// A refusal fails the transaction, as any error would.
	require.Contains(t, bind(9), "Error 53000 jitgate holds at most 64 MiB of parameters of named portals")
	r.send(&pgproto3.Query{String: "ROLLBACK"})
	r.ready()
	for i := 10; i < 20; i++ {
		require.NotContains(t, bind(i), "Error", "outside a transaction each portal ends at its Sync: portal %d", i)
	}
}

// A Bind runs code on the server (parameter input, domain checks), which
// can close and reopen a cursor under a portal's name between the client's
// Describe of it and its Execute: the Execute describes it again.
func TestCodeRunByABindIsSeenByTheNextExecute(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	_, err := h.target.Exec(context.Background(), `
		CREATE FUNCTION swap_c(v text) RETURNS boolean LANGUAGE plpgsql AS $$
		DECLARE c refcursor := 'c';
		BEGIN
			CLOSE c;
			OPEN c FOR SELECT note, password, api_token FROM users ORDER BY id;
			RETURN true;
		END $$;
		CREATE DOMAIN trig AS text CHECK (swap_c(VALUE));`)
	require.NoError(t, err)
	h.grant(bob, grants.AccessRead, time.Hour)
	r := h.raw(bob)
	const decoy = "SELECT 'a'::text x, 'b'::text y, 'c'::text z"
	r.send(
		&pgproto3.Parse{Name: "s", Query: decoy},
		&pgproto3.Parse{Name: "x", Query: "SELECT $1::trig"},
		&pgproto3.Bind{DestinationPortal: "c", PreparedStatement: "s"},
		&pgproto3.Describe{ObjectType: 'P', Name: "c"},
		&pgproto3.Bind{PreparedStatement: "x", Parameters: [][]byte{[]byte("v")}},
		&pgproto3.Execute{Portal: "c"},
		&pgproto3.Sync{})
	log, values := r.ready()
	t.Logf("%v", log)
	require.NotEmpty(t, values)
	requireMasked(t, values)
}

// COMMIT AND CHAIN drops every portal of the transaction, though no
// ReadyForQuery says the transaction ended: they stop counting.
func TestChainedCommitGivesPortalsBack(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.grant(bob, grants.AccessRead, time.Hour)
	r := h.raw(bob)
	r.send(&pgproto3.Parse{Name: "s0", Query: "SELECT 1"}, &pgproto3.Sync{})
	r.ready()
	r.send(&pgproto3.Query{String: "BEGIN"})
	r.ready()
	for i := 0; i < maxNamed; i++ {
		r.fe.Send(&pgproto3.Bind{DestinationPortal: fmt.Sprintf("p%d", i), PreparedStatement: "s0"})
		r.fe.Send(&pgproto3.Sync{})
	}
	require.NoError(t, r.fe.Flush())
	for i := 0; i < maxNamed; i++ {
		_, _, err := r.until(func(m pgproto3.BackendMessage) bool { _, ok := m.(*pgproto3.ReadyForQuery); return ok })
		require.NoError(t, err)
	}
	r.send(&pgproto3.Query{String: "COMMIT AND CHAIN"})
	log, _ := r.ready()
	t.Logf("commit and chain: %v", log)
	// The server holds no portal now: p0 is gone.
	r.send(&pgproto3.Bind{DestinationPortal: "fresh", PreparedStatement: "s0"}, &pgproto3.Execute{Portal: "fresh"}, &pgproto3.Sync{})
	log, values := r.ready()
	require.NotContains(t, strings.Join(log, "|"), "53000", "a fresh portal after the transaction ended: %v", log)
	require.Equal(t, []string{"1"}, values)
}

// drivenSession is a session with no sockets, whose two halves the test
// feeds message by message as the read loops would: client sends what the
// client would, backend answers as the server would. What the session
// writes either way is dropped.
func drivenSession(t *testing.T) (s *session, client func(...pgproto3.FrontendMessage), backend func(...pgproto3.BackendMessage)) {
	s = fuzzSession(t, grants.AccessRead)
	s.plans = newPlans()
	s.epoch = 1
	enc := func(m interface{ Encode([]byte) ([]byte, error) }) []byte { b, _ := m.Encode(nil); return b }
	client = func(ms ...pgproto3.FrontendMessage) {
		for _, m := range ms {
			b := enc(m)
			require.NoError(t, s.track(b[0]))
			if s.skipping && skippedAfterError(b[0]) {
				continue
			}
			require.NoError(t, s.onClientMessage(context.Background(), b[0], b))
		}
		s.uw = s.uw[:0]
	}
	backend = func(ms ...pgproto3.BackendMessage) {
		for _, m := range ms {
			b := enc(m)
			require.NoError(t, s.onBackendMessage(b[0], b))
		}
		s.cw = s.cw[:0]
	}
	return s, client, backend
}

// A long transaction that binds, runs and closes portal after portal
// (JDBC's C_n) holds on to none of them.
func TestClosedPortalsAreLetGo(t *testing.T) {
	s, client, backend := drivenSession(t)
	rd := &pgproto3.RowDescription{Fields: []pgproto3.FieldDescription{{Name: []byte("a"), DataTypeOID: 23, DataTypeSize: 4, TypeModifier: -1}}}
	client(&pgproto3.Parse{Name: "s", Query: "SELECT 1"}, &pgproto3.Sync{})
	backend(&pgproto3.ParseComplete{}, &pgproto3.ReadyForQuery{TxStatus: 'I'})
	client(&pgproto3.Query{String: "BEGIN"})
	backend(&pgproto3.CommandComplete{CommandTag: []byte("BEGIN")}, &pgproto3.ReadyForQuery{TxStatus: 'T'})
	const n = 20000
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("C_%d", i)
		client(&pgproto3.Bind{DestinationPortal: name, PreparedStatement: "s"}, &pgproto3.Execute{Portal: name, MaxRows: 10},
			&pgproto3.Close{ObjectType: 'P', Name: name}, &pgproto3.Sync{})
		backend(&pgproto3.BindComplete{}, rd, &pgproto3.DataRow{Values: [][]byte{[]byte("1")}},
			&pgproto3.CommandComplete{CommandTag: []byte("SELECT 1")}, &pgproto3.CloseComplete{}, &pgproto3.ReadyForQuery{TxStatus: 'T'})
	}
	t.Logf("live portals %d, txPortals %d", len(s.portals), len(s.txPortals))
	require.Empty(t, s.portals)
	require.LessOrEqual(t, len(s.txPortals), 2*maxNamed, "closed portals are let go of")
}

// An unnamed Bind the server refuses before it replaces the unnamed portal
// (a wrong parameter count) leaves the old one in place: the gateway does
// not run it under the refused Bind's statement.
func TestUnnamedPortalOfFailedBindIsNotRun(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	g := h.grant(bob, grants.AccessRead, time.Hour)
	r := h.raw(bob)
	r.send(&pgproto3.Query{String: "BEGIN"})
	r.ready()
	r.send(&pgproto3.Parse{Name: "sec", Query: secretSQL}, &pgproto3.Parse{Name: "dec", Query: "SELECT $1::int AS decoy"},
		&pgproto3.Bind{PreparedStatement: "sec"}, &pgproto3.Sync{})
	r.ready()
	// Savepoint commands through named portals: a simple Query, or an
	// unnamed Bind, would replace the unnamed portal.
	r.send(&pgproto3.Parse{Name: "sp", Query: "SAVEPOINT sp"}, &pgproto3.Parse{Name: "rb", Query: "ROLLBACK TO sp"},
		&pgproto3.Bind{DestinationPortal: "spp", PreparedStatement: "sp"}, &pgproto3.Execute{Portal: "spp"}, &pgproto3.Sync{})
	r.ready()
	r.send(&pgproto3.Bind{PreparedStatement: "dec"}, &pgproto3.Sync{}) // 0 params, needs 1
	log, _ := r.ready()
	require.Contains(t, strings.Join(log, "|"), "Error 08P01")
	r.send(&pgproto3.Bind{DestinationPortal: "rbp", PreparedStatement: "rb"}, &pgproto3.Execute{Portal: "rbp"}, &pgproto3.Sync{})
	r.ready()
	r.send(&pgproto3.Execute{}, &pgproto3.Sync{})
	log, values := r.ready()
	require.Empty(t, values, "%v", log)
	require.Contains(t, strings.Join(log, "|"), "Error 42501 jitgate only runs portals bound in this session")
	r.send(&pgproto3.Query{String: "ROLLBACK"})
	r.ready()
	var executes []string
	for _, e := range h.events(g) {
		if e.Kind == "execute" {
			executes = append(executes, e.Statement)
		}
	}
	require.NotContains(t, executes, "SELECT $1::int AS decoy", "nothing ran under the failed Bind's name")
}

// JDBC's fetch size: a named portal executed a few rows at a time across
// Syncs in a transaction stays masked and in step.
func TestFetchSizeAcrossSyncsStaysMasked(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.grant(bob, grants.AccessRead, time.Hour)
	r := h.raw(bob)
	r.send(&pgproto3.Query{String: "BEGIN"})
	r.ready()
	r.send(&pgproto3.Parse{Name: "S_1", Query: secretSQL}, &pgproto3.Bind{DestinationPortal: "C_1", PreparedStatement: "S_1"},
		&pgproto3.Describe{ObjectType: 'P', Name: "C_1"}, &pgproto3.Execute{Portal: "C_1", MaxRows: 1}, &pgproto3.Sync{})
	log, values := r.ready()
	require.Contains(t, strings.Join(log, "|"), "PortalSuspended")
	all := values
	r.send(&pgproto3.Execute{Portal: "C_1", MaxRows: 1}, &pgproto3.Sync{})
	log, values = r.ready()
	require.Contains(t, strings.Join(log, "|"), "PortalSuspended", "%v", log)
	all = append(all, values...)
	r.send(&pgproto3.Execute{Portal: "C_1", MaxRows: 1}, &pgproto3.Sync{})
	log, values = r.ready()
	require.Contains(t, strings.Join(log, "|"), "CommandComplete", "%v", log)
	all = append(all, values...)
	r.send(&pgproto3.Close{ObjectType: 'P', Name: "C_1"}, &pgproto3.Sync{})
	r.ready()
	r.send(&pgproto3.Query{String: "COMMIT"})
	r.ready()
	require.Len(t, all, 6)
	requireMasked(t, all)
}

// A portal executed a few rows at a time records its parameters, masked,
// with every Execute: they are made what is recorded once, at the Bind,
// and each Execute's event carries them as they were bound.
func TestPortalParamsRecordedByEveryExecute(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	g := h.grant(bob, grants.AccessRead, time.Hour)
	r := h.raw(bob)
	r.send(&pgproto3.Query{String: "BEGIN"})
	r.ready()
	r.send(&pgproto3.Parse{Name: "s", Query: "SELECT n, $2::text AS t FROM generate_series(1, $1::int) AS n"},
		&pgproto3.Bind{DestinationPortal: "c", PreparedStatement: "s", Parameters: [][]byte{[]byte("3"), []byte("password=hunter22")}},
		&pgproto3.Describe{ObjectType: 'P', Name: "c"}, &pgproto3.Sync{})
	r.ready()
	for i := range 3 {
		r.send(&pgproto3.Execute{Portal: "c", MaxRows: 1}, &pgproto3.Sync{})
		log, values := r.ready()
		require.Equal(t, strconv.Itoa(i+1), values[0], "%v", log)
	}
	r.send(&pgproto3.Query{String: "COMMIT"})
	r.ready()
	var params [][]string
	for _, e := range h.events(g) {
		if e.Kind == "execute" {
			params = append(params, e.Params)
		}
	}
	require.Len(t, params, 3)
	for _, p := range params {
		require.Equal(t, "3", p[0])
		require.NotContains(t, p[1], "hunter22", "the parameter is recorded masked")
	}
}

// A named portal lives until its transaction ends, a rollback to a
// savepoint set before it, or a CLOSE of its name, however that comes:
// after any of them, the name is the server's to give to a cursor, and an
// Execute of it is refused rather than recorded as the statement the
// gateway once bound there. Rollbacks to savepoints set after the Bind
// leave the portal running.
func TestPortalsDroppedWithTheirTransactionOrSavepoint(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	g := h.grant(bob, grants.AccessRead, time.Hour)
	const bound = "SELECT 'bound' AS v"
	for _, tc := range []struct {
		before, after []string
		extended      bool // the last of after goes through Parse/Bind/Execute
		alive         bool
	}{
		{before: []string{"BEGIN"}, after: []string{"ROLLBACK AND CHAIN"}},
		{before: []string{"BEGIN"}, after: []string{"ROLLBACK AND CHAIN"}, extended: true},
		{before: []string{"BEGIN"}, after: []string{"ROLLBACK; BEGIN"}},
		{before: []string{"BEGIN"}, after: []string{"COMMIT AND CHAIN"}},
		{before: []string{"BEGIN", "SAVEPOINT a"}, after: []string{"ROLLBACK TO a"}},
		{before: []string{"BEGIN", "SAVEPOINT a"}, after: []string{"ROLLBACK TO a"}, extended: true},
		{before: []string{"BEGIN", "SAVEPOINT a", "SAVEPOINT b"}, after: []string{"RELEASE b", "ROLLBACK TO SAVEPOINT a"}},
		{before: []string{"BEGIN"}, after: []string{"CLOSE c"}},
		{before: []string{"BEGIN"}, after: []string{"CLOSE ALL"}},
		{before: []string{"BEGIN"}, after: []string{"SAVEPOINT a", "ROLLBACK TO a"}, alive: true},
		{before: []string{"BEGIN", "SAVEPOINT a"}, after: []string{"SAVEPOINT b", "ROLLBACK TO b", "RELEASE a"}, alive: true},
		{before: []string{"BEGIN", "SAVEPOINT a"}, after: []string{"SAVEPOINT a", "ROLLBACK TO a"}, alive: true},
		// A SAVEPOINT the server refuses (the transaction failed) is not
		// the one a ROLLBACK TO of its name returns to.
		{before: []string{"BEGIN", "SAVEPOINT a"}, after: []string{"!SELECT 1/0", "!SAVEPOINT a", "ROLLBACK TO a"}},
		// A RELEASE the server skips after an error in its group
		// released nothing.
		{before: []string{"BEGIN"}, after: []string{"SAVEPOINT a", "|SELECT 1/0|RELEASE a", "ROLLBACK TO a"}, alive: true},
		// A ROLLBACK TO sent behind statements that move savepoints, in
		// the same text or pipelined, before the server answered them,
		// returns to a savepoint the gateway cannot know yet.
		{before: []string{"BEGIN", "SAVEPOINT x"}, after: []string{"SAVEPOINT x", "RELEASE x; ROLLBACK TO x"}},
		{before: []string{"BEGIN", "SAVEPOINT y"}, after: []string{"SAVEPOINT r", "SAVEPOINT y", "RELEASE r; ROLLBACK TO y"}},
		{before: []string{"BEGIN", "SAVEPOINT y"}, after: []string{"SAVEPOINT x", "SAVEPOINT y", "ROLLBACK TO x; ROLLBACK TO y"}},
		{before: []string{"BEGIN", "SAVEPOINT x"}, after: []string{"SAVEPOINT x", "+RELEASE x|ROLLBACK TO x"}},
		// JDBC's autosave: a savepoint sent with the statement that then
		// fails, and a rollback to it, leave the fetch-size portal bound
		// before them.
		{before: []string{"BEGIN"}, after: []string{"|SAVEPOINT PGJDBC_AUTOSAVE|SELECT 1/0", "ROLLBACK TO SAVEPOINT PGJDBC_AUTOSAVE"}, alive: true},
		// Past the savepoints the gateway follows, it forgets rather
		// than guesses: the first y, before the Bind, is what the
		// server returns to once r (and every y after it) is released.
		{before: []string{"BEGIN", "SAVEPOINT y"}, after: []string{"SAVEPOINT r", strings.Repeat("SAVEPOINT y;", 1100), "RELEASE r", "ROLLBACK TO y"}},
	} {
		var steps []string
		for _, q := range append(tc.before, append([]string{"(bind c)"}, tc.after...)...) {
			if len(q) > 30 {
				q = q[:30] + "..."
			}
			steps = append(steps, q)
		}
		name := strings.Join(steps, "; ")
		if tc.extended {
			name += " (extended)"
		}
		t.Run(name, func(t *testing.T) {
			r := h.raw(bob)
			for _, q := range tc.before {
				r.send(&pgproto3.Query{String: q})
				r.ready()
			}
			r.send(&pgproto3.Parse{Name: "s", Query: bound}, &pgproto3.Bind{DestinationPortal: "c", PreparedStatement: "s"},
				&pgproto3.Describe{ObjectType: 'P', Name: "c"}, &pgproto3.Sync{})
			r.ready()
			// A step starting with ! fails; one starting with | or + is
			// a pipelined group of |-separated statements, with an
			// error (|) or without (+).
			for i, q := range tc.after {
				failing := strings.HasPrefix(q, "!") || strings.HasPrefix(q, "|")
				switch {
				case strings.HasPrefix(q, "|"), strings.HasPrefix(q, "+"):
					var group []pgproto3.FrontendMessage
					for _, sql := range strings.Split(q[1:], "|") {
						group = append(group, &pgproto3.Parse{Query: sql}, &pgproto3.Bind{}, &pgproto3.Execute{})
					}
					r.send(append(group, &pgproto3.Sync{})...)
				case tc.extended && i == len(tc.after)-1:
					r.send(&pgproto3.Parse{Query: q}, &pgproto3.Bind{}, &pgproto3.Execute{}, &pgproto3.Sync{})
				default:
					r.send(&pgproto3.Query{String: strings.TrimPrefix(q, "!")})
				}
				log, _ := r.ready()
				if failing {
					require.Contains(t, strings.Join(log, "|"), "Error", "%s", q)
				} else {
					require.NotContains(t, strings.Join(log, "|"), "Error", "%s", q)
				}
			}
			if !tc.alive {
				r.send(&pgproto3.Query{String: "DECLARE c CURSOR FOR SELECT 'cursor' AS v"})
				log, _ := r.ready()
				require.NotContains(t, strings.Join(log, "|"), "Error", "the server dropped c: the name is free")
			}
			r.send(&pgproto3.Execute{Portal: "c"}, &pgproto3.Sync{})
			log, values := r.ready()
			if tc.alive {
				require.Equal(t, []string{"bound"}, values, "%v", log)
			} else {
				require.Contains(t, strings.Join(log, "|"), "Error 42501", "the gateway knows c is not what it bound")
				require.Empty(t, values)
			}
			r.send(&pgproto3.Query{String: "ROLLBACK"})
			r.ready()
			r.requireUsable()
		})
	}
	var executes []string
	for _, e := range h.events(g) {
		if e.Kind == "execute" {
			executes = append(executes, e.Statement)
		}
	}
	// Only the portals that lived ran, and were recorded, as bound.
	require.Len(t, slices.DeleteFunc(executes, func(s string) bool { return s != bound }), 5)
}

// A COPY FROM STDIN Execute sent after the server failed its group is
// skipped by the server: the Sync behind it does not wait for a copy that
// will not start.
func TestCopyExecuteAfterServerErrorIsSkipped(t *testing.T) {
	h := newHarness(t, harnessOpts{risky: "allow"})
	h.grant(bob, grants.AccessWrite, time.Hour)
	r := h.raw(bob)
	r.send(&pgproto3.Parse{Query: "SELECT * FROM no_such_table"}, &pgproto3.Flush{})
	r.errorResp()
	r.send(&pgproto3.Parse{Name: "cp", Query: "COPY items FROM STDIN"}, &pgproto3.Bind{PreparedStatement: "cp"},
		&pgproto3.Execute{}, &pgproto3.Sync{})
	log, _, err := r.until(func(m pgproto3.BackendMessage) bool { _, ok := m.(*pgproto3.ReadyForQuery); return ok })
	require.NoError(t, err, "the Sync is answered, as the server would: %v", log)
	r.requireUsable()
}

// DEALLOCATE ALL (and DISCARD ALL, which poolers send between clients)
// drops every prepared statement on the server; the gateway forgets them
// too, so the names are free again.
func TestDeallocateAllFreesStatementNames(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.grant(bob, grants.AccessRead, time.Hour)
	r := h.raw(bob)
	r.send(&pgproto3.Parse{Name: "s", Query: "SELECT 1"}, &pgproto3.Sync{})
	r.ready()
	r.send(&pgproto3.Query{String: "DEALLOCATE ALL"})
	r.ready()
	r.send(&pgproto3.Parse{Name: "s", Query: "SELECT 2"}, &pgproto3.Bind{PreparedStatement: "s"}, &pgproto3.Execute{}, &pgproto3.Sync{})
	log, values := r.ready()
	require.Equal(t, []string{"2"}, values, "%v", log)
}

// DEALLOCATE ALL sent through the extended protocol, as JDBC sends
// everything, frees the names too.
func TestExtendedDeallocateAllFreesNames(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.grant(bob, grants.AccessRead, time.Hour)
	r := h.raw(bob)
	r.send(&pgproto3.Parse{Name: "s", Query: "SELECT 1"}, &pgproto3.Sync{})
	r.ready()
	r.send(&pgproto3.Parse{Query: "DEALLOCATE ALL"}, &pgproto3.Bind{}, &pgproto3.Execute{}, &pgproto3.Sync{})
	log, _ := r.ready()
	require.NotContains(t, strings.Join(log, "|"), "Error")
	r.send(&pgproto3.Parse{Name: "s", Query: "SELECT 2"}, &pgproto3.Bind{PreparedStatement: "s"}, &pgproto3.Execute{}, &pgproto3.Sync{})
	log, values := r.ready()
	require.Equal(t, []string{"2"}, values, "%v", log)
}

// A protocol statement deallocated in SQL and prepared again under its
// name with SQL PREPARE is what runs at the next Bind: it is decided again
// as the EXECUTE it is, and recorded as such, not as the old text.
func TestSQLReprepareOfProtocolNameIsDecidedAgain(t *testing.T) {
	for _, dealloc := range []string{"DEALLOCATE s", "extended DEALLOCATE ALL"} {
		t.Run(dealloc, func(t *testing.T) {
			rev := &fakeReviewer{answer: true}
			h := newHarness(t, harnessOpts{risky: config.RiskyReview, reviewer: rev})
			g := h.grant(bob, grants.AccessWrite, time.Hour)
			r := h.raw(bob)
			r.send(&pgproto3.Parse{Name: "s", Query: "SELECT 'decoy'"}, &pgproto3.Sync{})
			r.ready()
			if dealloc == "DEALLOCATE s" {
				r.send(&pgproto3.Query{String: "DEALLOCATE s"})
			} else {
				r.send(&pgproto3.Parse{Query: "DEALLOCATE ALL"}, &pgproto3.Bind{}, &pgproto3.Execute{}, &pgproto3.Sync{})
			}
			r.ready()
			r.send(&pgproto3.Query{String: "PREPARE s AS DELETE FROM items"})
			log, _ := r.ready()
			t.Logf("prepare: %v", log)
			rev.mu.Lock()
			heldAfterPrepare := len(rev.held)
			rev.mu.Unlock()
			r.send(&pgproto3.Bind{PreparedStatement: "s"}, &pgproto3.Execute{}, &pgproto3.Sync{})
			log, _ = r.ready()
			t.Logf("execute: %v", log)
			var n int
			require.NoError(t, h.target.QueryRow(context.Background(), "SELECT count(*) FROM items").Scan(&n))
			rev.mu.Lock()
			held := len(rev.held)
			rev.mu.Unlock()
			ex := executeTexts(h, g)
			t.Logf("items left %d, reviews at prepare %d, total %d, executes %q", n, heldAfterPrepare, held, ex)
			require.Zero(t, n, "the approved DELETE ran")
			require.Contains(t, ex, "EXECUTE s (prepared with SQL PREPARE)", "recorded as what ran")
			require.NotContains(t, ex, "SELECT 'decoy'", "not as the old text")
			require.Greater(t, held, heldAfterPrepare, "EXECUTE of an SQL-prepared risky statement is reviewed again")
		})
	}
}

// A portal name bound again and again in one transaction (closed in SQL,
// which the gateway does not see) holds on to one portal's parameters, not
// every one's.
func TestReplacedPortalsAreLetGo(t *testing.T) {
	s, client, backend := drivenSession(t)
	client(&pgproto3.Parse{Name: "s", Query: "SELECT $1::text"}, &pgproto3.Sync{})
	backend(&pgproto3.ParseComplete{}, &pgproto3.ReadyForQuery{TxStatus: 'I'})
	client(&pgproto3.Query{String: "BEGIN"})
	backend(&pgproto3.CommandComplete{CommandTag: []byte("BEGIN")}, &pgproto3.ReadyForQuery{TxStatus: 'T'})
	big := []byte(strings.Repeat("x", 64<<10))
	const n = 2 * maxNamed
	for i := 0; i < n; i++ {
		client(&pgproto3.Bind{DestinationPortal: "X", PreparedStatement: "s", Parameters: [][]byte{big}}, &pgproto3.Sync{})
		backend(&pgproto3.BindComplete{}, &pgproto3.ReadyForQuery{TxStatus: 'T'})
		client(&pgproto3.Query{String: "CLOSE \"X\""})
		backend(&pgproto3.CommandComplete{CommandTag: []byte("CLOSE CURSOR")}, &pgproto3.ReadyForQuery{TxStatus: 'T'})
	}
	held := 0
	for _, p := range s.txPortals {
		for _, v := range p.params {
			held += len(v)
		}
	}
	t.Logf("portals %d, portalBytes %d, txPortals %d, params held by txPortals %d MiB", len(s.portals), s.portalBytes, len(s.txPortals), held>>20)
	require.LessOrEqual(t, len(s.txPortals), 2*maxNamed)
	require.LessOrEqual(t, held, maxPortalBytes)
}

// A DISCARD ALL the gateway refuses never reaches the server, so the
// session's statements and portals are still there.
func TestRefusedDiscardAllForgetsNothing(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.grant(bob, grants.AccessRead, time.Hour)
	r := h.raw(bob)
	r.send(&pgproto3.Query{String: "BEGIN"})
	r.ready()
	r.send(&pgproto3.Parse{Name: "s", Query: "SELECT 1"}, &pgproto3.Bind{DestinationPortal: "P", PreparedStatement: "s"}, &pgproto3.Sync{})
	r.ready()
	r.send(&pgproto3.Query{String: "DISCARD ALL"})
	log, _ := r.ready()
	require.Contains(t, strings.Join(log, "|"), "Error 42501")
	r.send(&pgproto3.Execute{Portal: "P"}, &pgproto3.Sync{})
	log, values := r.ready()
	r.send(&pgproto3.Bind{PreparedStatement: "s"}, &pgproto3.Execute{}, &pgproto3.Sync{})
	log2, values2 := r.ready()
	require.Equal(t, []string{"1"}, values, "portal P still on the server: %v", log)
	require.Equal(t, []string{"1"}, values2, "statement s still on the server: %v", log2)
}

// executeTexts returns the recorded text of every Execute of a grant's
// sessions.
func executeTexts(h *harness, g grants.Grant) []string {
	var out []string
	for _, e := range h.events(g) {
		if e.Kind == "execute" {
			out = append(out, e.Statement)
		}
	}
	return out
}
