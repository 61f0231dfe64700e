package auth

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
)

const (
	// MaxTokenBytes is the largest token Verify reads; longer input is
	// refused before any parsing. Real ID tokens are 1–4 KiB; this leaves
	// room for long group lists.
	MaxTokenBytes = 16 << 10

	// DefaultGroupsClaim is the claim read for groups when Config names none.
	DefaultGroupsClaim = "groups"

	discoveryTimeout = 10 * time.Second
	httpTimeout      = 10 * time.Second
)

// signingAlgs are the only algorithms a token may be signed with. "none"
// and HMAC (HS*) are never accepted: an HMAC "signature" keyed with the
// issuer's public key is a classic forgery.
var signingAlgs = []string{oidc.RS256, oidc.ES256}

// Config says which issuer and audience to trust.
type Config struct {
	// Issuer is the issuer URL exactly as its discovery document and its
	// tokens name it ("https://accounts.example.com"). It must be https,
	// except on a loopback host (tests and the demo).
	Issuer string
	// Audience is jitgate's client ID at the issuer; tokens must list it in
	// "aud".
	Audience string
	// GroupsClaim is the top-level claim holding the user's groups, a list
	// of strings or one string. Empty means DefaultGroupsClaim.
	GroupsClaim string
	// AllowMissingEmailVerified accepts a token that has no
	// "email_verified" claim at all. Some providers (Microsoft Entra ID, for
	// instance) never send it, and only issue addresses the organization
	// controls; turn it on only for such a provider. A token whose
	// "email_verified" is false is refused either way.
	AllowMissingEmailVerified bool
	// HTTPClient fetches discovery and keys. Nil means a client with a
	// 10-second timeout.
	HTTPClient *http.Client
	// Now is the clock tokens' expiry is checked against. Nil means
	// time.Now.
	Now func() time.Time
}

// Identity is who a verified token says the client is.
type Identity struct {
	Email   string // normalized (NormalizeEmail) and verified
	Subject string // the issuer's stable "sub", for the audit log
	Groups  []string
	Expiry  time.Time // when the token expires
}

// Verifier checks ID tokens of one issuer for one audience. It is safe for
// concurrent use.
type Verifier struct {
	cfg    Config
	tokens *oidc.IDTokenVerifier
}

// NewVerifier runs OIDC discovery against cfg.Issuer, within ctx and at most
// 10 seconds, and returns a verifier for its tokens. Keys are fetched on
// first use, cached, and fetched again when a token names an unknown key ID,
// which is how the issuer's key rotation reaches jitgate. (So a key the
// issuer retires stays trusted until the next such refetch: go-oidc's
// RemoteKeySet has no expiry of its own.)
func NewVerifier(ctx context.Context, cfg Config) (*Verifier, error) {
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("oidc config: %w", err)
	}
	if cfg.GroupsClaim == "" {
		cfg.GroupsClaim = DefaultGroupsClaim
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: httpTimeout}
	}
	jwksURL, err := discover(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("discover OIDC issuer %s: %w", cfg.Issuer, err)
	}
	// The key set outlives ctx: it only carries the HTTP client.
	keys := oidc.NewRemoteKeySet(oidc.ClientContext(context.Background(), cfg.HTTPClient), jwksURL)
	tokens := oidc.NewVerifier(cfg.Issuer, &fetchWatch{keys: keys}, &oidc.Config{
		ClientID:             cfg.Audience,
		SupportedSigningAlgs: signingAlgs,
		Now:                  cfg.Now,
	})
	return &Verifier{cfg: cfg, tokens: tokens}, nil
}

// discover fetches the issuer's discovery document and returns its JWKS URL.
func discover(ctx context.Context, cfg Config) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, discoveryTimeout)
	defer cancel()
	provider, err := oidc.NewProvider(oidc.ClientContext(ctx, cfg.HTTPClient), cfg.Issuer)
	if err != nil {
		return "", err
	}
	var meta struct {
		JWKSURL string `json:"jwks_uri"`
	}
	if err := provider.Claims(&meta); err != nil {
		return "", fmt.Errorf("read discovery document: %w", err)
	}
	if err := checkURL(meta.JWKSURL); err != nil {
		return "", fmt.Errorf("jwks_uri: %w", err)
	}
	return meta.JWKSURL, nil
}

func (c Config) validate() error {
	if err := checkURL(c.Issuer); err != nil {
		return fmt.Errorf("issuer: %w", err)
	}
	if c.Audience == "" {
		return errors.New("audience (the client ID) is required")
	}
	return nil
}

// checkURL accepts https URLs, and http ones only on a loopback host: keys
// fetched over plain http could be swapped by anyone on the path.
func checkURL(raw string) error {
	u, err := url.Parse(raw)
	switch {
	case raw == "":
		return errors.New("is required")
	case err != nil:
		return err
	case u.Host == "":
		return fmt.Errorf("%q has no host", raw)
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && isLoopback(u.Hostname()):
		return nil
	default:
		return fmt.Errorf("%q must be https (http only on a loopback host)", raw)
	}
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Verify checks rawToken and returns the identity it proves. Every error
// wraps one of the package's sentinels; see PublicMessage for what to tell
// the client. A key fetch it triggers is bounded by ctx and the HTTP client's
// timeout; give ctx the connection's authentication deadline.
func (v *Verifier) Verify(ctx context.Context, rawToken string) (Identity, error) {
	if len(rawToken) > MaxTokenBytes {
		return Identity{}, fmt.Errorf("%w: %d bytes, over the %d-byte limit", ErrInvalidToken, len(rawToken), MaxTokenBytes)
	}
	raw := strings.TrimSpace(rawToken)
	if raw == "" {
		return Identity{}, fmt.Errorf("%w: empty", ErrInvalidToken)
	}
	ctx, fetchErr := watchFetch(ctx)
	tok, err := v.tokens.Verify(ctx, raw)
	if err != nil {
		return Identity{}, v.refusal(err, *fetchErr)
	}
	var claims claimSet
	if err := tok.Claims(&claims); err != nil {
		return Identity{}, fmt.Errorf("%w: claims: %w", ErrInvalidToken, err)
	}
	email, err := claims.email(v.cfg.AllowMissingEmailVerified)
	if err != nil {
		return Identity{}, err
	}
	groups, err := claims.groups(v.cfg.GroupsClaim)
	if err != nil {
		return Identity{}, err
	}
	return Identity{Email: email, Subject: tok.Subject, Groups: groups, Expiry: tok.Expiry}, nil
}

// refusal maps an error of go-oidc's verifier to our sentinels.
func (v *Verifier) refusal(err, fetchErr error) error {
	var expired *oidc.TokenExpiredError
	switch {
	case errors.As(err, &expired):
		return fmt.Errorf("%w: %w", ErrExpired, err)
	case fetchErr != nil:
		return fmt.Errorf("%w: fetch keys of %s: %w", ErrIssuerUnavailable, v.cfg.Issuer, fetchErr)
	default:
		return fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
}

// VerifyFor is Verify, and also requires the token's email to be wantEmail
// (compared normalized, so case-insensitively): the Postgres user name a
// client connects as must be the email its token proves.
func (v *Verifier) VerifyFor(ctx context.Context, rawToken, wantEmail string) (Identity, error) {
	id, err := v.Verify(ctx, rawToken)
	if err != nil {
		return Identity{}, err
	}
	if id.Email != NormalizeEmail(wantEmail) {
		return Identity{}, fmt.Errorf("%w: token is for %s, client asked for %q", ErrEmailMismatch, id.Email, wantEmail)
	}
	return id, nil
}
