package gateway

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/jitgate/jitgate/grants"
	"github.com/jitgate/jitgate/internal/fakeclock"
)

type grantMap map[uuid.UUID]grants.Grant

func (m grantMap) GetGrant(_ context.Context, id uuid.UUID) (grants.Grant, error) {
	g, ok := m[id]
	if !ok {
		return grants.Grant{}, grants.ErrNotFound
	}
	return g, nil
}

var t0 = time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)

func testGrant() grants.Grant {
	return grants.Grant{ID: uuid.New(), Requester: "bob@example.com", Resource: "prod-db", Status: grants.GrantActive, StartsAt: t0, ExpiresAt: t0.Add(time.Hour)}
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func cause(l *Live) error {
	select {
	case <-l.Context().Done():
		return context.Cause(l.Context())
	default:
		return nil
	}
}

func TestRegistryEndsSessionsAtExpiry(t *testing.T) {
	t.Parallel()
	clock := fakeclock.New(t0)
	g := testGrant()
	r := NewRegistry(clock, grantMap{g.ID: g}, 0, quietLog())
	a, err := r.Open(context.Background(), g)
	require.NoError(t, err)
	b, err := r.Open(context.Background(), g)
	require.NoError(t, err)

	clock.Advance(59 * time.Minute)
	require.NoError(t, cause(a))
	clock.Advance(time.Minute)
	var ended *EndedError
	require.ErrorAs(t, cause(a), &ended)
	require.Equal(t, "access to prod-db ended: grant expired", ended.Error())
	require.ErrorAs(t, cause(b), &ended)
	a.Close()
	b.Close()
	require.Equal(t, 0, r.Count())
}

func TestRegistryFollowsChanges(t *testing.T) {
	t.Parallel()
	clock := fakeclock.New(t0)
	g := testGrant()
	r := NewRegistry(clock, grantMap{g.ID: g}, 0, quietLog())
	l, err := r.Open(context.Background(), g)
	require.NoError(t, err)

	// An extension moves the deadline.
	r.GrantChanged(grants.Change{GrantID: g.ID, Status: grants.GrantActive, ExpiresAt: t0.Add(2 * time.Hour)})
	clock.Advance(time.Hour)
	require.NoError(t, cause(l), "the old deadline no longer applies")

	// A change for another grant does nothing.
	r.GrantChanged(grants.Change{GrantID: uuid.New(), Status: grants.GrantRevoked})
	require.NoError(t, cause(l))

	r.GrantChanged(grants.Change{GrantID: g.ID, Status: grants.GrantRevoked, By: "alice@example.com", Reason: "incident over"})
	require.EqualError(t, cause(l), "access to prod-db ended: grant revoked by alice@example.com (incident over)")
}

func TestRegistryResyncFailsClosed(t *testing.T) {
	t.Parallel()
	clock := fakeclock.New(t0)
	g, lost := testGrant(), testGrant()
	revoked := g
	revoked.Status, revoked.EndedBy = grants.GrantReleased, "bob@example.com"
	r := NewRegistry(clock, grantMap{g.ID: revoked}, 0, quietLog())
	a, err := r.Open(context.Background(), g)
	require.NoError(t, err)
	b, err := r.Open(context.Background(), lost)
	require.NoError(t, err)
	r.Resync(context.Background())
	require.EqualError(t, cause(a), "access to prod-db ended: grant released")
	require.ErrorContains(t, cause(b), "could not be verified")
}

func TestRegistryCapsSessionsPerPerson(t *testing.T) {
	t.Parallel()
	clock := fakeclock.New(t0)
	g := testGrant()
	r := NewRegistry(clock, grantMap{}, 2, quietLog())
	a, err := r.Open(context.Background(), g)
	require.NoError(t, err)
	_, err = r.Open(context.Background(), g)
	require.NoError(t, err)
	_, err = r.Open(context.Background(), g)
	require.ErrorIs(t, err, ErrTooManySessions)
	a.Close()
	a.Close()
	_, err = r.Open(context.Background(), g)
	require.NoError(t, err, "closing frees a place, once")
	_, err = r.Open(context.Background(), g)
	require.ErrorIs(t, err, ErrTooManySessions)

	clock.Advance(2 * time.Hour)
	other := testGrant()
	other.Requester = "carol@example.com"
	_, err = r.Open(context.Background(), other)
	var ended *EndedError
	require.True(t, errors.As(err, &ended), "a grant past its end opens nothing")
}
