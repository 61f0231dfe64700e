package auth_test

import (
	"context"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jitgate/jitgate/gateway/auth"
	"github.com/jitgate/jitgate/internal/oidctest"
)

// newVerifier returns a verifier for iss's tokens, with cfg changed by mods.
func newVerifier(t *testing.T, iss *oidctest.Issuer, mods ...func(*auth.Config)) *auth.Verifier {
	t.Helper()
	cfg := auth.Config{Issuer: iss.URL(), Audience: iss.ClientID()}
	for _, m := range mods {
		m(&cfg)
	}
	v, err := auth.NewVerifier(t.Context(), cfg)
	require.NoError(t, err)
	return v
}

func TestVerifyValid(t *testing.T) {
	t.Parallel()
	iss := oidctest.New(t)
	v := newVerifier(t, iss)
	c := oidctest.User("  Alice@Example.COM ", "dba", "oncall")
	c.Subject = "u-123"
	c.Expiry = time.Now().Add(20 * time.Minute).Truncate(time.Second)

	id, err := v.Verify(t.Context(), iss.Token(c))
	require.NoError(t, err)
	require.Equal(t, auth.Identity{
		Email:   "alice@example.com",
		Subject: "u-123",
		Groups:  []string{"dba", "oncall"},
		Expiry:  c.Expiry,
	}, id)
}

func TestVerifyCachesKeys(t *testing.T) {
	t.Parallel()
	iss := oidctest.New(t)
	v := newVerifier(t, iss)
	for range 3 {
		_, err := v.Verify(t.Context(), iss.Token(oidctest.User("a@example.com")))
		require.NoError(t, err)
	}
	require.Equal(t, 1, iss.KeyFetches())
}

func TestVerifyES256(t *testing.T) {
	t.Parallel()
	iss := oidctest.New(t)
	iss.UseKey(oidctest.NewECKey())
	v := newVerifier(t, iss)
	_, err := v.Verify(t.Context(), iss.Token(oidctest.User("a@example.com")))
	require.NoError(t, err)
}

func TestVerifyWrongKey(t *testing.T) {
	t.Parallel()
	iss := oidctest.New(t)
	v := newVerifier(t, iss)
	stranger := oidctest.NewRSAKey()
	tests := map[string]string{
		// The issuer's key ID on a signature by another key.
		"known kid": iss.Token(oidctest.User("a@example.com"), oidctest.WithKey(stranger), oidctest.WithKeyID(iss.SigningKey().ID())),
		// A key ID the issuer never published: refetched, still unknown.
		"unknown kid": iss.Token(oidctest.User("a@example.com"), oidctest.WithKey(stranger)),
	}
	for name, tok := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := v.Verify(t.Context(), tok)
			t.Log(err)
			require.ErrorIs(t, err, auth.ErrInvalidToken)
			require.NotErrorIs(t, err, auth.ErrIssuerUnavailable)
		})
	}
}

func TestVerifyKeyRotation(t *testing.T) {
	t.Parallel()
	iss := oidctest.New(t)
	v := newVerifier(t, iss)
	old := iss.Token(oidctest.User("a@example.com"))
	_, err := v.Verify(t.Context(), old)
	require.NoError(t, err)
	require.Equal(t, 1, iss.KeyFetches())

	iss.RotateKey()
	_, err = v.Verify(t.Context(), iss.Token(oidctest.User("a@example.com")))
	require.NoError(t, err, "a token from the new key verifies after a refetch")
	require.Equal(t, 2, iss.KeyFetches())

	_, err = v.Verify(t.Context(), old)
	require.NoError(t, err, "the old key is still published and cached")
	require.Equal(t, 2, iss.KeyFetches())
}

func TestVerifyExpired(t *testing.T) {
	t.Parallel()
	iss := oidctest.New(t)
	now := time.Now()
	c := oidctest.User("a@example.com")
	c.Expiry = now.Add(10 * time.Minute)
	tok := iss.Token(c)

	before := newVerifier(t, iss, func(cfg *auth.Config) { cfg.Now = func() time.Time { return now.Add(9 * time.Minute) } })
	_, err := before.Verify(t.Context(), tok)
	require.NoError(t, err)

	after := newVerifier(t, iss, func(cfg *auth.Config) { cfg.Now = func() time.Time { return now.Add(11 * time.Minute) } })
	_, err = after.Verify(t.Context(), tok)
	require.ErrorIs(t, err, auth.ErrExpired)

	_, err = before.Verify(t.Context(), iss.Token(oidctest.User("a@example.com"), oidctest.Expired()))
	require.ErrorIs(t, err, auth.ErrExpired)
}

func TestVerifyRefusesForeignTokens(t *testing.T) {
	t.Parallel()
	iss := oidctest.New(t)
	other := oidctest.New(t)
	v := newVerifier(t, iss)
	alice := oidctest.User("a@example.com")
	tests := map[string]string{
		"wrong audience":                  iss.Token(alice, oidctest.WithAudience("someone-else")),
		"wrong issuer claim":              iss.Token(alice, oidctest.WithIssuer("https://evil.example")),
		"other issuer":                    other.Token(alice),
		"other issuer, our iss claim":     other.Token(alice, oidctest.WithIssuer(iss.URL())),
		"alg none":                        iss.ForgeAlgNone(alice),
		"HS256 with public key as secret": iss.ForgeHS256(alice),
		"not a JWT":                       "hunter2",
		"empty":                           "   ",
		"two parts":                       strings.Join(strings.Split(iss.Token(alice), ".")[:2], "."),
	}
	for name, tok := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := v.Verify(t.Context(), tok)
			t.Log(err)
			require.ErrorIs(t, err, auth.ErrInvalidToken)
		})
	}
}

func TestVerifyAudienceList(t *testing.T) {
	t.Parallel()
	iss := oidctest.New(t)
	v := newVerifier(t, iss)
	_, err := v.Verify(t.Context(), iss.Token(oidctest.User("a@example.com"), oidctest.WithAudience("other", iss.ClientID())))
	require.NoError(t, err)
}

func TestVerifyForgeriesNeverFetchKeys(t *testing.T) {
	t.Parallel()
	iss := oidctest.New(t)
	v := newVerifier(t, iss)
	for _, tok := range []string{iss.ForgeAlgNone(oidctest.User("a@example.com")), iss.ForgeHS256(oidctest.User("a@example.com"))} {
		_, err := v.Verify(t.Context(), tok)
		require.ErrorIs(t, err, auth.ErrInvalidToken)
	}
	require.Zero(t, iss.KeyFetches(), "the algorithm is refused before any key is looked up")
}

func TestVerifyEmail(t *testing.T) {
	t.Parallel()
	iss := oidctest.New(t)
	strict := newVerifier(t, iss)
	lenient := newVerifier(t, iss, func(c *auth.Config) { c.AllowMissingEmailVerified = true })
	alice := oidctest.User("a@example.com")
	unverified := alice
	unverified.EmailVerified = false
	tests := []struct {
		name          string
		tok           string
		strict, loose error
	}{
		{"missing email", iss.Token(oidctest.User("")), auth.ErrNoEmail, auth.ErrNoEmail},
		{"null email", iss.Token(alice, oidctest.WithClaim("email", nil)), auth.ErrNoEmail, auth.ErrNoEmail},
		{"email not a string", iss.Token(alice, oidctest.WithClaim("email", 42)), auth.ErrNoEmail, auth.ErrNoEmail},
		{"email with a display name", iss.Token(oidctest.User("Alice <a@example.com>")), auth.ErrNoEmail, auth.ErrNoEmail},
		{"email without domain", iss.Token(oidctest.User("alice")), auth.ErrNoEmail, auth.ErrNoEmail},
		{"email_verified false", iss.Token(unverified), auth.ErrEmailUnverified, auth.ErrEmailUnverified},
		{"email_verified missing", iss.Token(alice, oidctest.WithoutClaim("email_verified")), auth.ErrEmailUnverified, nil},
		{`email_verified "true"`, iss.Token(alice, oidctest.WithClaim("email_verified", "true")), nil, nil},
		{`email_verified "false"`, iss.Token(alice, oidctest.WithClaim("email_verified", "false")), auth.ErrEmailUnverified, auth.ErrEmailUnverified},
		{"email_verified 1", iss.Token(alice, oidctest.WithClaim("email_verified", 1)), auth.ErrInvalidToken, auth.ErrInvalidToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, c := range []struct {
				v    *auth.Verifier
				want error
			}{{strict, tt.strict}, {lenient, tt.loose}} {
				id, err := c.v.Verify(t.Context(), tt.tok)
				t.Log(err)
				if c.want == nil {
					require.NoError(t, err)
					require.Equal(t, "a@example.com", id.Email)
					continue
				}
				require.ErrorIs(t, err, c.want)
				require.Zero(t, id)
			}
		})
	}
}

func TestVerifyGroups(t *testing.T) {
	t.Parallel()
	iss := oidctest.New(t)
	v := newVerifier(t, iss)
	roles := newVerifier(t, iss, func(c *auth.Config) { c.GroupsClaim = "roles" })
	alice := oidctest.User("a@example.com")
	tests := []struct {
		name    string
		v       *auth.Verifier
		tok     string
		want    []string
		wantErr error
	}{
		{"list", v, iss.Token(oidctest.User("a@example.com", "dba", "oncall")), []string{"dba", "oncall"}, nil},
		{"string", v, iss.Token(alice, oidctest.WithClaim("groups", "dba")), []string{"dba"}, nil},
		{"absent", v, iss.Token(alice), nil, nil},
		{"trimmed and deduplicated", v, iss.Token(alice, oidctest.WithClaim("groups", []string{" dba", "dba", "", "ops"})), []string{"dba", "ops"}, nil},
		{"custom claim", roles, iss.Token(alice, oidctest.WithClaim("roles", []string{"admin"})), []string{"admin"}, nil},
		{"custom claim ignores groups", roles, iss.Token(oidctest.User("a@example.com", "dba")), nil, nil},
		{"number", v, iss.Token(alice, oidctest.WithClaim("groups", 7)), nil, auth.ErrInvalidToken},
		{"list of numbers", v, iss.Token(alice, oidctest.WithClaim("groups", []int{1, 2})), nil, auth.ErrInvalidToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := tt.v.Verify(t.Context(), tt.tok)
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			if len(tt.want) == 0 {
				require.Empty(t, id.Groups)
				return
			}
			require.Equal(t, tt.want, id.Groups)
		})
	}
}

func TestVerifyFor(t *testing.T) {
	t.Parallel()
	iss := oidctest.New(t)
	v := newVerifier(t, iss)
	tok := iss.Token(oidctest.User("Alice@Example.com"))

	id, err := v.VerifyFor(t.Context(), tok, " alice@EXAMPLE.com")
	require.NoError(t, err)
	require.Equal(t, "alice@example.com", id.Email)

	id, err = v.VerifyFor(t.Context(), tok, "bob@example.com")
	require.ErrorIs(t, err, auth.ErrEmailMismatch)
	require.Zero(t, id)

	_, err = v.VerifyFor(t.Context(), iss.Token(oidctest.User("bob@example.com"), oidctest.Expired()), "bob@example.com")
	require.ErrorIs(t, err, auth.ErrExpired, "token errors come before the name check")
}

func TestVerifyTokenSize(t *testing.T) {
	t.Parallel()
	iss := oidctest.New(t)
	v := newVerifier(t, iss)
	alice := oidctest.User("a@example.com")

	_, err := v.Verify(t.Context(), iss.Token(alice, oidctest.WithClaim("pad", strings.Repeat("x", 10<<10))))
	require.NoError(t, err, "a large genuine token under the cap verifies")

	big := iss.Token(alice, oidctest.WithClaim("pad", strings.Repeat("x", 13<<10)))
	require.Greater(t, len(big), auth.MaxTokenBytes)
	_, err = v.Verify(t.Context(), big)
	require.ErrorIs(t, err, auth.ErrInvalidToken)
	require.Contains(t, err.Error(), "limit")

	_, err = v.Verify(t.Context(), strings.Repeat("a", 1<<20))
	require.ErrorIs(t, err, auth.ErrInvalidToken)
}

func TestVerifyIssuerDown(t *testing.T) {
	t.Parallel()
	t.Run("closed before any key was fetched", func(t *testing.T) {
		t.Parallel()
		iss := oidctest.New(t)
		v := newVerifier(t, iss)
		tok := iss.Token(oidctest.User("a@example.com"))
		iss.Close()
		_, err := v.Verify(t.Context(), tok)
		t.Log(err)
		require.ErrorIs(t, err, auth.ErrIssuerUnavailable)
		require.NotErrorIs(t, err, auth.ErrInvalidToken)
		require.Contains(t, err.Error(), iss.URL())
	})
	t.Run("answering 503 after a rotation", func(t *testing.T) {
		t.Parallel()
		iss := oidctest.New(t)
		v := newVerifier(t, iss)
		old := iss.Token(oidctest.User("a@example.com"))
		_, err := v.Verify(t.Context(), old)
		require.NoError(t, err)

		iss.SetDown(true)
		iss.RotateKey()
		_, err = v.Verify(t.Context(), iss.Token(oidctest.User("a@example.com")))
		t.Log(err)
		require.ErrorIs(t, err, auth.ErrIssuerUnavailable)

		_, err = v.Verify(t.Context(), old)
		require.NoError(t, err, "a token whose key is cached needs no fetch")

		iss.SetDown(false)
		_, err = v.Verify(t.Context(), iss.Token(oidctest.User("a@example.com")))
		require.NoError(t, err, "recovers once the issuer is back")
	})
	t.Run("hanging, bounded by the caller's context", func(t *testing.T) {
		t.Parallel()
		ln := hangingListener(t)
		iss := oidctest.New(t)
		v := newVerifier(t, iss, func(c *auth.Config) {
			c.HTTPClient = redirectKeys(ln.Addr().String())
		})
		ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
		defer cancel()
		_, err := v.Verify(ctx, iss.Token(oidctest.User("a@example.com")))
		t.Log(err)
		require.ErrorIs(t, err, auth.ErrIssuerUnavailable)
	})
}

func TestVerifyConcurrentWithRotation(t *testing.T) {
	t.Parallel()
	iss := oidctest.New(t)
	v := newVerifier(t, iss)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 5 {
				_, err := v.Verify(t.Context(), iss.Token(oidctest.User("a@example.com")))
				assert.NoError(t, err) // not require: FailNow must not run off the test goroutine
			}
		})
	}
	iss.RotateKey()
	wg.Wait()
}

func TestNewVerifierErrors(t *testing.T) {
	t.Parallel()
	iss := oidctest.New(t)
	down := oidctest.New(t)
	down.Close()
	tests := map[string]struct {
		cfg  auth.Config
		want string
	}{
		"unreachable":             {auth.Config{Issuer: down.URL(), Audience: "jitgate"}, down.URL()},
		"issuer mismatch":         {auth.Config{Issuer: iss.URL() + "/", Audience: "jitgate"}, iss.URL()},
		"plain http off loopback": {auth.Config{Issuer: "http://idp.example.com", Audience: "jitgate"}, "https"},
		"no issuer":               {auth.Config{Audience: "jitgate"}, "issuer"},
		"no audience":             {auth.Config{Issuer: iss.URL()}, "audience"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := auth.NewVerifier(t.Context(), tt.cfg)
			t.Log(err)
			require.ErrorContains(t, err, tt.want)
		})
	}
}

func TestNewVerifierDiscoveryTimeout(t *testing.T) {
	t.Parallel()
	ln := hangingListener(t)
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := auth.NewVerifier(ctx, auth.Config{Issuer: "http://" + ln.Addr().String(), Audience: "jitgate"})
	t.Log(err)
	require.ErrorContains(t, err, ln.Addr().String())
	require.Less(t, time.Since(start), 5*time.Second)
}

func TestPublicMessageHidesCause(t *testing.T) {
	t.Parallel()
	iss := oidctest.New(t)
	v := newVerifier(t, iss)
	_, err := v.VerifyFor(t.Context(), iss.Token(oidctest.User("secret-person@example.com")), "bob@example.com")
	require.ErrorIs(t, err, auth.ErrEmailMismatch)
	msg := auth.PublicMessage(err)
	require.NotContains(t, msg, "secret-person")
	require.Equal(t, "the user name must be the email address in your ID token", msg)
	for _, e := range []error{auth.ErrInvalidToken, auth.ErrExpired, auth.ErrNoEmail, auth.ErrEmailUnverified, auth.ErrIssuerUnavailable} {
		require.NotEmpty(t, auth.PublicMessage(e))
	}
}

// hangingListener accepts connections and never answers them.
func hangingListener(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				_ = c.Close()
			}
		}()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	return ln
}

// redirectKeys returns a client that fetches discovery as usual but the
// key set from addr.
func redirectKeys(addr string) *http.Client {
	return &http.Client{Transport: roundTripFunc(func(req *http.Request) (*http.Response, error) {
		if req.URL.Path == "/keys" {
			req = req.Clone(req.Context())
			req.URL.Host, req.Host = addr, addr
		}
		return http.DefaultTransport.RoundTrip(req)
	})}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }
