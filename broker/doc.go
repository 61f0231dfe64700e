// Package broker is jitgate's application layer: it files requests, applies
// reviews, revokes and extends grants, authorizes gateway sessions, runs the
// scheduled jobs and fans grant changes out to every replica. It talks to chat
// through the small Notifier interface it declares.
//
// The grants core it builds on lives in package grants; the pieces above land
// with the Postgres gateway, Slack bot and scheduled-jobs issues.
package broker
