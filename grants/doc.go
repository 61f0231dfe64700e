// Package grants is jitgate's domain: requests, reviews and time-boxed grants,
// the rules that decide them, and the Store that keeps them in Postgres.
//
// The rules are pure functions of their inputs and an explicit now; the Store
// applies them inside transactions and makes every state change a conditional
// UPDATE, so concurrent reviewers, retried deliveries and replicas running the
// same job can never produce two outcomes.
package grants
