package grants_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/jitgate/jitgate/grants"
)

func TestSessionsRecordEvents(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := newStore(t)
	g, err := s.OperatorGrant(ctx, ask("prod-db", time.Hour), "cli:root", t0)
	require.NoError(t, err)

	_, err = s.StartSession(ctx, g.ID, "postgres", "127.0.0.1:5555", t0.Add(-time.Second))
	require.ErrorIs(t, err, grants.ErrNotFound, "before the grant starts")
	_, err = s.StartSession(ctx, g.ID, "postgres", "127.0.0.1:5555", t0.Add(time.Hour))
	require.ErrorIs(t, err, grants.ErrNotFound, "at the grant's end")

	sess, err := s.StartSession(ctx, g.ID, "postgres", "127.0.0.1:5555", t0.Add(time.Minute))
	require.NoError(t, err)
	require.Equal(t, "bob@example.com", sess.Identity)
	require.Equal(t, "prod-db", sess.Resource)

	events := []grants.SessionEvent{
		{SessionID: sess.ID, Seq: 1, At: t0.Add(2 * time.Minute), Kind: "query", Statement: "SELECT pg_sleep(5)", Classification: "read", Decision: "allow", Duration: 5 * time.Second, Rows: 1},
		{SessionID: sess.ID, Seq: 2, At: t0.Add(2 * time.Minute), Kind: "query", Statement: "DROP TABLE users", Params: []string{"$1=***"}, Classification: "risky", Reason: "DROP TABLE", Decision: "block", SQLState: "42501"},
		{SessionID: sess.ID, Seq: 3, At: t0.Add(4 * time.Minute), Kind: "execute", Statement: "SELECT 2", Classification: "read", Decision: "allow", Rows: 7},
		{SessionID: sess.ID, Seq: 4, At: t0.Add(5 * time.Minute), Kind: "execute", Statement: "SELECT $1, $2", Params: []string{`<a&b> "q"`, "é\\n"}, Classification: "read", Decision: "allow", Duration: time.Millisecond, Rows: 1},
	}
	// Events reach the store as their statements finish: the refusal
	// before the sleep that came ahead of it, in an earlier batch.
	require.NoError(t, s.RecordEvents(ctx, []grants.SessionEvent{events[1]}))
	require.NoError(t, s.RecordEvents(ctx, []grants.SessionEvent{events[3], events[0], events[2]}))
	got, err := s.SessionEvents(ctx, sess.ID)
	require.NoError(t, err)
	require.Equal(t, events, got, "listed in the order the statements came")

	require.NoError(t, s.EndSession(ctx, sess.ID, "client closed", t0.Add(4*time.Minute)))
	require.NoError(t, s.EndSession(ctx, sess.ID, "again", t0.Add(5*time.Minute)))
	ended, err := s.GetSession(ctx, sess.ID)
	require.NoError(t, err)
	require.Equal(t, "client closed", ended.EndReason, "the first end is kept")
	require.Equal(t, t0.Add(4*time.Minute), ended.EndedAt)
}

func TestGrantChangesAreNotifiedOnCommit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, pool := newStore(t)
	conn, err := pgx.Connect(ctx, pool.Config().ConnString())
	require.NoError(t, err)
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, "LISTEN "+grants.ChangeChannel)
	require.NoError(t, err)

	g, err := s.OperatorGrant(ctx, ask("prod-db", time.Hour), "cli:root", t0)
	require.NoError(t, err)
	_, err = s.Extend(ctx, g.ID, bob, t0.Add(2*time.Hour), "INC-123 more", t0.Add(time.Minute))
	require.NoError(t, err)
	_, err = s.Revoke(ctx, g.ID, alice, "incident over", t0.Add(2*time.Minute))
	require.NoError(t, err)

	var got []grants.Change
	for range 2 {
		wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		n, err := conn.WaitForNotification(wctx)
		cancel()
		require.NoError(t, err)
		c, err := grants.ParseChange(n.Payload)
		require.NoError(t, err)
		got = append(got, c)
	}
	require.Equal(t, grants.GrantActive, got[0].Status)
	require.Equal(t, t0.Add(2*time.Hour), got[0].ExpiresAt.UTC())
	require.Equal(t, grants.GrantRevoked, got[1].Status)
	require.Equal(t, "alice@example.com", got[1].By)
	require.Equal(t, "incident over", got[1].Reason)

	_, err = grants.ParseChange(`{"status":"revoked"}`)
	require.Error(t, err)
}
