package grants

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/jitgate/jitgate/sqlc"
)

// DB is what the Store needs of Postgres: queries plus transactions. A
// *pgxpool.Pool is one; so is a pgx.Tx, where Begin makes a savepoint.
type DB interface {
	sqlc.DBTX
	Begin(ctx context.Context) (pgx.Tx, error)
}

// Policies finds the policy of a resource by name. Configuration implements
// it; the Store asks at the moment of each decision.
type Policies interface {
	Policy(resource string) (Policy, bool)
}

// SystemActor names jitgate itself in the audit log and as the one who ends
// grants and requests that ran out of time.
const SystemActor = "jitgate"

// Store keeps requests, reviews, grants and the audit log in Postgres.
type Store struct {
	db       DB
	q        *sqlc.Queries
	policies Policies
}

// NewStore returns a Store over db that decides with policies.
func NewStore(db DB, policies Policies) *Store {
	return &Store{db: db, q: sqlc.New(), policies: policies}
}

// policy returns the named resource's policy, or ErrNotFound when the
// configuration no longer has it: nothing is decided for an unknown resource.
func (s *Store) policy(resource string) (Policy, error) {
	p, ok := s.policies.Policy(resource)
	if !ok {
		return Policy{}, fmt.Errorf("%w: resource %q is not configured", ErrNotFound, resource)
	}
	return p, nil
}

// inTx runs fn in one transaction: every state change and its audit rows
// commit together or not at all.
func (s *Store) inTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, s.db, fn)
}

// dbTime is now as Postgres will store it, so values read back compare equal
// to the values written.
func dbTime(t time.Time) time.Time {
	return t.UTC().Truncate(time.Microsecond)
}

// interpretError turns what pgx says into the package's sentinels at the
// edge, keeping the cause for logs.
func interpretError(err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return ErrNotFound
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "23505", "23503", "23514", "40001":
			return fmt.Errorf("%w: %s (%s)", ErrConflict, pgErr.Message, pgErr.ConstraintName)
		}
	}
	return err
}

// notMoved explains an empty conditional UPDATE: the row exists but was no
// longer in the state the change needed.
func notMoved(err error, what string) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%w: %s changed before this could apply", ErrConflict, what)
	}
	return interpretError(err)
}
