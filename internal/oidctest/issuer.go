package oidctest

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// DefaultClientID is the audience of tokens whose Claims name none.
const DefaultClientID = "jitgate"

// Issuer is an OpenID Connect issuer listening on 127.0.0.1. It is safe for
// concurrent use: tokens can be issued and keys rotated while clients fetch
// discovery and keys.
type Issuer struct {
	url string
	srv *http.Server
	ln  net.Listener

	mu         sync.Mutex
	keys       []*Key // published in the JWKS; keys[0] signs
	down       bool
	keyFetches int
}

// New starts an issuer for the test and closes it when the test ends.
func New(t testing.TB) *Issuer {
	t.Helper()
	i, err := Start()
	if err != nil {
		t.Fatalf("start OIDC issuer: %v", err)
	}
	t.Cleanup(i.Close)
	return i
}

// Start starts an issuer on a free loopback port with one RS256 key. The
// caller must Close it.
func Start() (*Issuer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	i := &Issuer{url: "http://" + ln.Addr().String(), ln: ln, keys: []*Key{NewRSAKey()}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", i.serveDiscovery)
	mux.HandleFunc("GET /keys", i.serveKeys)
	i.srv = &http.Server{Handler: i.unlessDown(mux), ReadHeaderTimeout: 10 * time.Second}
	// Serve returns when Close closes the listener; clients then see the
	// issuer as unreachable, which is the point of closing it.
	go func() { _ = i.srv.Serve(ln) }()
	return i, nil
}

// URL returns the issuer identifier, "http://127.0.0.1:port", which is also
// the base of its discovery document.
func (i *Issuer) URL() string { return i.url }

// ClientID returns the audience of tokens whose Claims name none.
func (i *Issuer) ClientID() string { return DefaultClientID }

// Close stops the server and drops open connections; later requests to the
// issuer fail as they would when a real identity provider is unreachable.
func (i *Issuer) Close() { _ = i.srv.Close() }

// SetDown makes every endpoint answer 503 Service Unavailable (down=true) or
// serve normally again (down=false).
func (i *Issuer) SetDown(down bool) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.down = down
}

// KeyFetches returns how many times the JWKS was served, so tests can see
// whether a verifier used its key cache.
func (i *Issuer) KeyFetches() int {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.keyFetches
}

func (i *Issuer) unlessDown(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i.mu.Lock()
		down := i.down
		i.mu.Unlock()
		if down {
			http.Error(w, "issuer is down", http.StatusServiceUnavailable)
			return
		}
		h.ServeHTTP(w, r)
	})
}

func (i *Issuer) serveDiscovery(w http.ResponseWriter, _ *http.Request) {
	i.mu.Lock()
	var algs []string
	for _, k := range i.keys {
		if !slices.Contains(algs, k.Algorithm()) {
			algs = append(algs, k.Algorithm())
		}
	}
	i.mu.Unlock()
	writeJSON(w, map[string]any{
		"issuer":                                i.url,
		"jwks_uri":                              i.url + "/keys",
		"response_types_supported":              []string{"id_token"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": algs,
		"claims_supported":                      []string{"sub", "email", "email_verified", "groups"},
	})
}

func (i *Issuer) serveKeys(w http.ResponseWriter, _ *http.Request) {
	i.mu.Lock()
	i.keyFetches++
	set := jose.JSONWebKeySet{}
	for _, k := range i.keys {
		set.Keys = append(set.Keys, k.jwk())
	}
	i.mu.Unlock()
	writeJSON(w, set)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// RotateKey signs from now on with a fresh RS256 key under a new key ID. The
// previous keys stay in the JWKS, as a real issuer keeps them while tokens
// they signed are still valid; RetireOldKeys removes them.
func (i *Issuer) RotateKey() { i.UseKey(NewRSAKey()) }

// UseKey publishes k and signs from now on with it (for example an ES256
// key from NewECKey). Earlier keys stay published.
func (i *Issuer) UseKey(k *Key) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.keys = append([]*Key{k}, i.keys...)
}

// RetireOldKeys removes every key but the signing one from the JWKS.
func (i *Issuer) RetireOldKeys() {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.keys = i.keys[:1]
}

// SigningKey returns the key that signs tokens now.
func (i *Issuer) SigningKey() *Key {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.keys[0]
}
