// Package pg is jitgate's PostgreSQL wire-protocol gateway. It accepts
// unchanged clients (psql, pgx, pgbench, any driver), authenticates them by
// the OIDC token in the password field, checks their grant, connects to the
// target with credentials the user never sees, and then relays the session:
// every statement is classified and decided before it reaches the server,
// every result row is masked on its way back, every statement is recorded,
// and the session is cut off the moment its grant ends.
//
// The relay frames messages itself rather than decoding each one: only the
// messages it must look at (Query, Parse, Bind, Describe, Execute, Sync and
// the server's RowDescription, DataRow, CommandComplete, ErrorResponse and
// ReadyForQuery) are read past their header, and writes are batched until
// the reader has nothing more buffered.
package pg
