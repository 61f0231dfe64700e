package oidctest

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// Claims are the usual claims of an ID token. Start from User, which marks
// the email verified.
type Claims struct {
	Subject       string    // "sub"; defaults to one derived from Email
	Email         string    // "email"; omitted when empty
	EmailVerified bool      // "email_verified"; always sent (WithoutClaim drops it)
	Groups        []string  // "groups"; omitted when nil
	Audience      string    // "aud"; defaults to DefaultClientID
	Expiry        time.Time // "exp"; defaults to an hour from now
}

// User returns the claims of a user with a verified email and groups.
func User(email string, groups ...string) Claims {
	return Claims{Email: email, EmailVerified: true, Groups: groups}
}

// TokenOption changes one token beyond its Claims, mostly to make it wrong.
type TokenOption func(*tokenSpec)

type tokenSpec struct {
	claims map[string]any
	key    *Key
	kid    string
}

// WithIssuer sets "iss" to iss instead of the issuer's URL.
func WithIssuer(iss string) TokenOption {
	return func(s *tokenSpec) { s.claims["iss"] = iss }
}

// WithAudience sets "aud"; more than one audience is sent as a list.
func WithAudience(aud ...string) TokenOption {
	return func(s *tokenSpec) {
		if len(aud) == 1 {
			s.claims["aud"] = aud[0]
			return
		}
		s.claims["aud"] = aud
	}
}

// Expired issues the token two hours ago, expiring an hour ago.
func Expired() TokenOption {
	return func(s *tokenSpec) {
		now := time.Now()
		s.claims["iat"] = now.Add(-2 * time.Hour).Unix()
		s.claims["exp"] = now.Add(-time.Hour).Unix()
	}
}

// WithKey signs with k instead of the issuer's signing key. Unless k was
// given to UseKey, the issuer does not publish it: a verifier must refuse.
func WithKey(k *Key) TokenOption {
	return func(s *tokenSpec) { s.key = k }
}

// WithKeyID puts kid in the header instead of the signing key's ID.
func WithKeyID(kid string) TokenOption {
	return func(s *tokenSpec) { s.kid = kid }
}

// WithClaim sets claim name to v, replacing what Claims put there; v is
// marshalled to JSON as it is (a string, a list, a number ...).
func WithClaim(name string, v any) TokenOption {
	return func(s *tokenSpec) { s.claims[name] = v }
}

// WithoutClaim removes claim name from the token.
func WithoutClaim(name string) TokenOption {
	return func(s *tokenSpec) { delete(s.claims, name) }
}

// Token returns a compact JWS ID token for c, signed by the issuer's current
// key (RS256 unless UseKey installed an ES256 one).
func (i *Issuer) Token(c Claims, opts ...TokenOption) string {
	s := i.spec(c, opts)
	signer, err := jose.NewSigner(
		jose.SigningKey{Algorithm: s.key.alg, Key: s.key.signer},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", s.kid),
	)
	if err != nil {
		panic("oidctest: new signer: " + err.Error())
	}
	return sign(signer, s.claims)
}

// ForgeAlgNone returns the token Token would issue, but with "alg":"none"
// and no signature. A verifier must refuse it.
func (i *Issuer) ForgeAlgNone(c Claims, opts ...TokenOption) string {
	s := i.spec(c, opts)
	header := mustJSON(map[string]any{"alg": "none", "typ": "JWT", "kid": s.kid})
	enc := base64.RawURLEncoding
	return enc.EncodeToString(header) + "." + enc.EncodeToString(mustJSON(s.claims)) + "."
}

// ForgeHS256 returns the token Token would issue, but signed HS256 with the
// signing key's public key (PEM) as the HMAC secret: the algorithm-confusion
// forgery that anyone holding the public JWKS can make. A verifier must
// refuse it.
func (i *Issuer) ForgeHS256(c Claims, opts ...TokenOption) string {
	s := i.spec(c, opts)
	der, err := x509.MarshalPKIXPublicKey(s.key.Public())
	if err != nil {
		panic("oidctest: marshal public key: " + err.Error())
	}
	secret := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	signer, err := jose.NewSigner(
		jose.SigningKey{Algorithm: jose.HS256, Key: secret},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", s.kid),
	)
	if err != nil {
		panic("oidctest: new HMAC signer: " + err.Error())
	}
	return sign(signer, s.claims)
}

func (i *Issuer) spec(c Claims, opts []TokenOption) *tokenSpec {
	now := time.Now()
	if c.Subject == "" {
		c.Subject = "user:" + c.Email
	}
	if c.Audience == "" {
		c.Audience = i.ClientID()
	}
	if c.Expiry.IsZero() {
		c.Expiry = now.Add(time.Hour)
	}
	claims := map[string]any{
		"iss":            i.url,
		"sub":            c.Subject,
		"aud":            c.Audience,
		"iat":            now.Unix(),
		"exp":            c.Expiry.Unix(),
		"email_verified": c.EmailVerified,
	}
	if c.Email != "" {
		claims["email"] = c.Email
	}
	if c.Groups != nil {
		claims["groups"] = c.Groups
	}
	s := &tokenSpec{claims: claims, key: i.SigningKey()}
	for _, o := range opts {
		o(s)
	}
	if s.kid == "" {
		s.kid = s.key.id
	}
	return s
}

func sign(signer jose.Signer, claims map[string]any) string {
	jws, err := signer.Sign(mustJSON(claims))
	if err != nil {
		panic("oidctest: sign: " + err.Error())
	}
	tok, err := jws.CompactSerialize()
	if err != nil {
		panic("oidctest: serialize: " + err.Error())
	}
	return tok
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic("oidctest: marshal: " + err.Error())
	}
	return b
}
