package auth

import (
	"encoding/json"
	"fmt"
	"net/mail"
	"slices"
	"strings"
)

// claimSet is the payload of a token whose signature, issuer, audience and
// expiry go-oidc has already checked.
type claimSet map[string]json.RawMessage

// present reports whether claim name is in c with a non-null value.
func (c claimSet) present(name string) (json.RawMessage, bool) {
	raw, ok := c[name]
	if !ok || string(raw) == "null" {
		return nil, false
	}
	return raw, true
}

// email returns the normalized "email" claim, refusing it unless it is
// verified; a missing "email_verified" passes only when allowMissingVerified.
func (c claimSet) email(allowMissingVerified bool) (string, error) {
	raw, ok := c.present("email")
	if !ok {
		return "", fmt.Errorf("%w: no email claim", ErrNoEmail)
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", fmt.Errorf("%w: email claim is not a string", ErrNoEmail)
	}
	email := NormalizeEmail(s)
	if addr, err := mail.ParseAddress(email); err != nil || addr.Address != email {
		return "", fmt.Errorf("%w: email claim %q is not a plain address", ErrNoEmail, s)
	}
	verified, ok, err := c.emailVerified()
	switch {
	case err != nil:
		return "", err
	case !ok && !allowMissingVerified:
		return "", fmt.Errorf("%w: no email_verified claim", ErrEmailUnverified)
	case ok && !verified:
		return "", fmt.Errorf("%w: email_verified is false", ErrEmailUnverified)
	}
	return email, nil
}

// emailVerified reads "email_verified" as a boolean or, as some providers
// (AWS Cognito) send it, the string "true" or "false".
func (c claimSet) emailVerified() (verified, ok bool, err error) {
	raw, ok := c.present("email_verified")
	if !ok {
		return false, false, nil
	}
	if err := json.Unmarshal(raw, &verified); err == nil {
		return verified, true, nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		switch strings.ToLower(strings.TrimSpace(s)) {
		case "true":
			return true, true, nil
		case "false":
			return false, true, nil
		}
	}
	return false, false, fmt.Errorf("%w: email_verified is %s, not a boolean", ErrInvalidToken, raw)
}

// groups reads claim name as a list of strings or a single string. A
// missing claim is no groups; any other shape refuses the token, since
// groups may widen what the user can do and a misconfigured claim must be
// seen, not silently ignored.
func (c claimSet) groups(name string) ([]string, error) {
	raw, ok := c.present(name)
	if !ok {
		return nil, nil
	}
	var list []string
	if err := json.Unmarshal(raw, &list); err != nil {
		var one string
		if json.Unmarshal(raw, &one) != nil {
			return nil, fmt.Errorf("%w: claim %q is neither a string nor a list of strings", ErrInvalidToken, name)
		}
		list = []string{one}
	}
	groups := make([]string, 0, len(list))
	for _, g := range list {
		if g = strings.TrimSpace(g); g != "" && !slices.Contains(groups, g) {
			groups = append(groups, g)
		}
	}
	return groups, nil
}

// NormalizeEmail returns email as identities are compared: trimmed and
// lowercased. Slack profile emails must go through it too.
func NormalizeEmail(email string) string {
	return strings.ToLower(strings.TrimSpace(email))
}
