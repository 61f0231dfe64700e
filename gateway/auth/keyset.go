package auth

import (
	"context"
	"errors"

	"github.com/coreos/go-oidc/v3/oidc"
)

// fetchWatch wraps go-oidc's RemoteKeySet, which caches the issuer's keys
// and refetches them when a token names a key ID it has not seen, to tell
// "the issuer could not be reached" apart from "no key verifies this token".
// IDTokenVerifier flattens the key set's error into text, so the fact is
// passed back through a slot in the context instead.
type fetchWatch struct {
	keys oidc.KeySet
}

type fetchErrKey struct{}

// watchFetch returns ctx carrying a slot that VerifySignature fills with the
// error of a failed key fetch.
func watchFetch(ctx context.Context) (context.Context, *error) {
	slot := new(error)
	return context.WithValue(ctx, fetchErrKey{}, slot), slot
}

func (w fetchWatch) VerifySignature(ctx context.Context, jwt string) ([]byte, error) {
	payload, err := w.keys.VerifySignature(ctx, jwt)
	// RemoteKeySet wraps an error with %w only when fetching the key set
	// failed (network, HTTP status, body, or ctx done); a signature that no
	// key verifies is a plain errors.New. The tests pin this down.
	if err != nil && errors.Unwrap(err) != nil {
		if slot, ok := ctx.Value(fetchErrKey{}).(*error); ok {
			*slot = err
		}
	}
	return payload, err
}
