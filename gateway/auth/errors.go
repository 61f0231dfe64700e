package auth

import "errors"

// Why a token was refused. Every error from Verify and VerifyFor wraps
// exactly one of these, and the cause after it, for the log. Never show the
// error text to the client: show PublicMessage.
var (
	// ErrInvalidToken: not a well-formed ID token signed by the issuer for
	// our audience (bad signature, unknown key, forbidden algorithm, wrong
	// issuer or audience, not yet valid, malformed claims, too large).
	ErrInvalidToken = errors.New("invalid token")
	// ErrExpired: a genuine token whose expiry has passed.
	ErrExpired = errors.New("token expired")
	// ErrNoEmail: the token has no usable "email" claim.
	ErrNoEmail = errors.New("token has no email")
	// ErrEmailUnverified: "email_verified" is false, or absent while
	// Config.AllowMissingEmailVerified is off.
	ErrEmailUnverified = errors.New("token email is not verified")
	// ErrEmailMismatch: the token's email is not the one the client asked to
	// connect as (VerifyFor).
	ErrEmailMismatch = errors.New("token email does not match user name")
	// ErrIssuerUnavailable: the token names a key we do not have and the
	// issuer's key set could not be fetched. The token may be fine.
	ErrIssuerUnavailable = errors.New("identity provider unavailable")
)

// PublicMessage returns the fixed text to show a client refused with err.
// It never includes err's text, which may carry claims or internal URLs.
func PublicMessage(err error) string {
	switch {
	case errors.Is(err, ErrExpired):
		return "your ID token has expired: sign in again to get a fresh one"
	case errors.Is(err, ErrEmailMismatch):
		return "the user name must be the email address in your ID token"
	case errors.Is(err, ErrNoEmail), errors.Is(err, ErrEmailUnverified):
		return "your ID token carries no verified email address"
	case errors.Is(err, ErrIssuerUnavailable):
		return "the identity provider cannot be reached: try again shortly"
	default:
		return "the password must be a valid ID token from your identity provider"
	}
}
