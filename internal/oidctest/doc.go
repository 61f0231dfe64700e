// Package oidctest runs a real OpenID Connect issuer in-process, on a
// loopback address, for tests and for the local `jitgate demo`: it serves
// discovery and a JWKS over HTTP and signs ID tokens with keys that can be
// rotated, so code under test verifies tokens exactly as it would against a
// production identity provider.
//
// It is test and demo code. `jitgate serve` never uses it: production always
// verifies tokens from the operator's own identity provider.
package oidctest
