package oidctest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/hex"

	jose "github.com/go-jose/go-jose/v4"
)

// Key is a signing key with its key ID ("kid") and algorithm.
type Key struct {
	id     string
	alg    jose.SignatureAlgorithm
	signer crypto.Signer
}

// NewRSAKey returns a fresh 2048-bit RSA key that signs RS256.
func NewRSAKey() *Key {
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic("oidctest: generate RSA key: " + err.Error())
	}
	return &Key{id: newKeyID(), alg: jose.RS256, signer: priv}
}

// NewECKey returns a fresh P-256 key that signs ES256.
func NewECKey() *Key {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic("oidctest: generate EC key: " + err.Error())
	}
	return &Key{id: newKeyID(), alg: jose.ES256, signer: priv}
}

// ID returns the key ID that tokens signed with k carry in their header.
func (k *Key) ID() string { return k.id }

// Algorithm returns the JWS algorithm k signs with, "RS256" or "ES256".
func (k *Key) Algorithm() string { return string(k.alg) }

// Public returns the public half of k.
func (k *Key) Public() crypto.PublicKey { return k.signer.Public() }

func (k *Key) jwk() jose.JSONWebKey {
	return jose.JSONWebKey{Key: k.Public(), KeyID: k.id, Algorithm: string(k.alg), Use: "sig"}
}

func newKeyID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b) // never fails: crypto/rand.Read panics instead of returning an error
	return hex.EncodeToString(b)
}
