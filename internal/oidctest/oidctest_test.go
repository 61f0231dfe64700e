package oidctest_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/require"

	"github.com/jitgate/jitgate/internal/oidctest"
)

func getJSON(t *testing.T, url string, v any) int {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		require.NoError(t, json.NewDecoder(resp.Body).Decode(v))
	}
	return resp.StatusCode
}

func jwks(t *testing.T, iss *oidctest.Issuer) []string {
	t.Helper()
	var set jose.JSONWebKeySet
	require.Equal(t, http.StatusOK, getJSON(t, iss.URL()+"/keys", &set))
	var ids []string
	for _, k := range set.Keys {
		require.True(t, k.IsPublic(), "JWKS must hold public keys only")
		ids = append(ids, k.KeyID)
	}
	return ids
}

func TestDiscovery(t *testing.T) {
	t.Parallel()
	iss := oidctest.New(t)
	require.True(t, strings.HasPrefix(iss.URL(), "http://127.0.0.1:"), iss.URL())

	var doc struct {
		Issuer  string   `json:"issuer"`
		JWKSURI string   `json:"jwks_uri"`
		Algs    []string `json:"id_token_signing_alg_values_supported"`
	}
	require.Equal(t, http.StatusOK, getJSON(t, iss.URL()+"/.well-known/openid-configuration", &doc))
	require.Equal(t, iss.URL(), doc.Issuer)
	require.Equal(t, iss.URL()+"/keys", doc.JWKSURI)
	require.Equal(t, []string{"RS256"}, doc.Algs)
	require.Equal(t, []string{iss.SigningKey().ID()}, jwks(t, iss))
	require.Equal(t, 1, iss.KeyFetches())
}

// verify checks tok's signature against the issuer's published key and
// returns its header and claims.
func verify(t *testing.T, iss *oidctest.Issuer, tok string) (jose.Header, map[string]any) {
	t.Helper()
	jws, err := jose.ParseSigned(tok, []jose.SignatureAlgorithm{jose.RS256, jose.ES256})
	require.NoError(t, err)
	payload, err := jws.Verify(iss.SigningKey().Public())
	require.NoError(t, err)
	var claims map[string]any
	require.NoError(t, json.Unmarshal(payload, &claims))
	return jws.Signatures[0].Header, claims
}

func TestToken(t *testing.T) {
	t.Parallel()
	iss := oidctest.New(t)
	exp := time.Now().Add(30 * time.Minute).Truncate(time.Second)
	c := oidctest.User("alice@example.com", "dba", "oncall")
	c.Expiry = exp

	header, claims := verify(t, iss, iss.Token(c))
	require.Equal(t, iss.SigningKey().ID(), header.KeyID)
	require.Equal(t, iss.URL(), claims["iss"])
	require.Equal(t, oidctest.DefaultClientID, claims["aud"])
	require.Equal(t, "alice@example.com", claims["email"])
	require.Equal(t, true, claims["email_verified"])
	require.Equal(t, []any{"dba", "oncall"}, claims["groups"])
	require.Equal(t, float64(exp.Unix()), claims["exp"])
	require.NotEmpty(t, claims["sub"])
}

func TestTokenOptions(t *testing.T) {
	t.Parallel()
	iss := oidctest.New(t)
	_, claims := verify(t, iss, iss.Token(oidctest.User("a@example.com"),
		oidctest.WithIssuer("https://other.example"),
		oidctest.WithAudience("x", "y"),
		oidctest.Expired(),
		oidctest.WithClaim("groups", "admins"),
		oidctest.WithoutClaim("email_verified"),
	))
	require.Equal(t, "https://other.example", claims["iss"])
	require.Equal(t, []any{"x", "y"}, claims["aud"])
	require.Less(t, claims["exp"], float64(time.Now().Unix()))
	require.Equal(t, "admins", claims["groups"])
	require.NotContains(t, claims, "email_verified")

	other := oidctest.NewRSAKey()
	header := parseHeader(t, iss.Token(oidctest.User("a@example.com"), oidctest.WithKey(other)))
	require.Equal(t, other.ID(), header["kid"])
	header = parseHeader(t, iss.Token(oidctest.User("a@example.com"), oidctest.WithKey(other), oidctest.WithKeyID("k1")))
	require.Equal(t, "k1", header["kid"])
}

func TestRotateKey(t *testing.T) {
	t.Parallel()
	iss := oidctest.New(t)
	first := iss.SigningKey()
	iss.RotateKey()
	second := iss.SigningKey()
	require.NotEqual(t, first.ID(), second.ID())
	require.Equal(t, []string{second.ID(), first.ID()}, jwks(t, iss))

	ec := oidctest.NewECKey()
	iss.UseKey(ec)
	require.Equal(t, "ES256", ec.Algorithm())
	header, _ := verify(t, iss, iss.Token(oidctest.User("a@example.com")))
	require.Equal(t, "ES256", header.Algorithm)

	iss.RetireOldKeys()
	require.Equal(t, []string{ec.ID()}, jwks(t, iss))
}

func parseHeader(t *testing.T, tok string) map[string]any {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[0])
	require.NoError(t, err)
	var h map[string]any
	require.NoError(t, json.Unmarshal(b, &h))
	return h
}

func TestForgeries(t *testing.T) {
	t.Parallel()
	iss := oidctest.New(t)
	none := iss.ForgeAlgNone(oidctest.User("a@example.com"))
	require.Equal(t, "none", parseHeader(t, none)["alg"])
	require.True(t, strings.HasSuffix(none, "."), "no signature")

	hs := iss.ForgeHS256(oidctest.User("a@example.com"))
	require.Equal(t, "HS256", parseHeader(t, hs)["alg"])
	require.Equal(t, iss.SigningKey().ID(), parseHeader(t, hs)["kid"])
}

func TestDownAndClose(t *testing.T) {
	t.Parallel()
	iss, err := oidctest.Start()
	require.NoError(t, err)
	var v any
	iss.SetDown(true)
	require.Equal(t, http.StatusServiceUnavailable, getJSON(t, iss.URL()+"/keys", &v))
	iss.SetDown(false)
	require.Equal(t, http.StatusOK, getJSON(t, iss.URL()+"/keys", &v))

	iss.Close()
	_, err = http.Get(iss.URL() + "/keys")
	require.Error(t, err)
}
