package grants

import (
	"errors"
	"fmt"
)

// The closed set of reasons an operation on grants fails. Callers check them
// with errors.Is; every error this package returns wraps exactly one.
var (
	// ErrNotFound: no such request, grant or session.
	ErrNotFound = errors.New("not found")
	// ErrConflict: the thing is no longer in the state the operation needs,
	// usually because someone else acted first.
	ErrConflict = errors.New("conflict")
	// ErrDenied: the actor may not do this.
	ErrDenied = errors.New("denied")
	// ErrExpired: the request or grant has run out of time.
	ErrExpired = errors.New("expired")
	// ErrInvalid: the input breaks a rule; an *InputError says which field.
	ErrInvalid = errors.New("invalid")
)

// Specific denials, each still an ErrDenied.
var (
	ErrSelfReview  = fmt.Errorf("%w: requesters cannot review their own request", ErrDenied)
	ErrNotReviewer = fmt.Errorf("%w: not a reviewer of this resource", ErrDenied)
)

// InputError names the field of the input that broke a rule, so each caller
// can point at it in its own terms: a CLI flag, a Slack modal field.
type InputError struct {
	Field string
	Msg   string
}

func (e *InputError) Error() string { return e.Msg }

// Unwrap makes every InputError an ErrInvalid.
func (e *InputError) Unwrap() error { return ErrInvalid }

func invalid(field, format string, args ...any) error {
	return &InputError{Field: field, Msg: fmt.Sprintf(format, args...)}
}
