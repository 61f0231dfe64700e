package auth

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
)

// fetchWatch wraps go-oidc's RemoteKeySet, which caches the issuer's keys
// and refetches them when a token names a key ID it has not seen, to tell
// "the issuer could not be reached" apart from "no key verifies this token".
// IDTokenVerifier flattens the key set's error into text, so the fact is
// passed back through a slot in the context instead.
//
// It also retries a result that is the very failure of an earlier call:
// RemoteKeySet hands a finished fetch's result to its waiters before it
// frees the fetch for the next one, so a call made just after a failed
// fetch can join it and get its stale error, even once the issuer is back.
// A fetch of its own fails with a new error value.
type fetchWatch struct {
	keys oidc.KeySet

	mu   sync.Mutex
	last error // the last fetch failure returned
}

// staleRetries bounds the retries of a stale failure; each waits
// staleWait for RemoteKeySet to free the finished fetch.
const (
	staleRetries = 100
	staleWait    = time.Millisecond
)

type fetchErrKey struct{}

// watchFetch returns ctx carrying a slot that VerifySignature fills with the
// error of a failed key fetch.
func watchFetch(ctx context.Context) (context.Context, *error) {
	slot := new(error)
	return context.WithValue(ctx, fetchErrKey{}, slot), slot
}

func (w *fetchWatch) VerifySignature(ctx context.Context, jwt string) ([]byte, error) {
	payload, err := w.keys.VerifySignature(ctx, jwt)
	for i := 0; i < staleRetries && fetchFailed(err) && w.stale(err) && ctx.Err() == nil; i++ {
		time.Sleep(staleWait)
		payload, err = w.keys.VerifySignature(ctx, jwt)
	}
	if fetchFailed(err) {
		w.mu.Lock()
		w.last = err
		w.mu.Unlock()
		if slot, ok := ctx.Value(fetchErrKey{}).(*error); ok {
			*slot = err
		}
	}
	return payload, err
}

// fetchFailed reports a key set error of a failed fetch. RemoteKeySet
// wraps an error with %w only when fetching the key set failed (network,
// HTTP status, body, or ctx done); a signature that no key verifies is a
// plain errors.New. The tests pin this down.
func fetchFailed(err error) bool {
	return err != nil && errors.Unwrap(err) != nil
}

// stale reports whether err is the failure an earlier call already got.
func (w *fetchWatch) stale(err error) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.last != nil && reflect.TypeOf(err).Comparable() && reflect.TypeOf(w.last) == reflect.TypeOf(err) && w.last == err
}
