package auth

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

// replayKeys answers VerifySignature from a script, as RemoteKeySet would:
// a fetch failure is a wrapped error, and a call that joins a finished
// failed fetch gets that fetch's very error.
type replayKeys struct {
	answers []error
	calls   int
}

func (r *replayKeys) VerifySignature(context.Context, string) ([]byte, error) {
	err := r.answers[min(r.calls, len(r.answers)-1)]
	r.calls++
	if err != nil {
		return nil, err
	}
	return []byte("payload"), nil
}

func TestFetchWatchRetriesAStaleFailure(t *testing.T) {
	t.Parallel()
	down := fmt.Errorf("fetching keys %w", errors.New("503 Service Unavailable"))
	again := fmt.Errorf("fetching keys %w", errors.New("503 Service Unavailable"))
	keys := &replayKeys{answers: []error{down, down, nil}}
	w := &fetchWatch{keys: keys}

	ctx, slot := watchFetch(context.Background())
	_, err := w.VerifySignature(ctx, "jwt")
	require.Same(t, down, err)
	require.Same(t, down, *slot)

	payload, err := w.VerifySignature(context.Background(), "jwt")
	require.NoError(t, err, "the same failure again is the finished fetch's, not a new one")
	require.Equal(t, "payload", string(payload))
	require.Equal(t, 3, keys.calls)

	// A new failure is the issuer's answer now: returned at once.
	keys.answers, keys.calls = []error{again}, 0
	_, err = w.VerifySignature(context.Background(), "jwt")
	require.Same(t, again, err)
	require.Equal(t, 1, keys.calls)

	// A token no key verifies is not a fetch failure: never retried.
	bad := errors.New("failed to verify id token signature")
	keys.answers, keys.calls = []error{bad}, 0
	_, err = w.VerifySignature(context.Background(), "jwt")
	require.Same(t, bad, err)
	require.Equal(t, 1, keys.calls)
}
