// Package auth turns the OIDC ID token a client sends (in the Postgres
// password field, or to `jitgate login`) into a verified Identity: signed by
// the configured issuer with RS256 or ES256, meant for jitgate's audience,
// not expired, and carrying a verified email. It fails closed: when the
// issuer cannot be reached to fetch a key it does not have, no token passes.
package auth
