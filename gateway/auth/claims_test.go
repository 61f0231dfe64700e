package auth

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

func claimsOf(t *testing.T, payload string) claimSet {
	t.Helper()
	var c claimSet
	require.NoError(t, json.Unmarshal([]byte(payload), &c))
	return c
}

func TestClaimsEmail(t *testing.T) {
	t.Parallel()
	tests := []struct {
		payload     string
		allowAbsent bool
		want        string
		wantErr     error
	}{
		{`{"email":" Bob@Example.COM","email_verified":true}`, false, "bob@example.com", nil},
		{`{"email":"bob@example.com","email_verified":"TRUE"}`, false, "bob@example.com", nil},
		{`{"email":"bob@example.com","email_verified":null}`, true, "bob@example.com", nil},
		{`{"email":"bob@example.com","email_verified":null}`, false, "", ErrEmailUnverified},
		{`{"email":"bob@example.com","email_verified":false}`, true, "", ErrEmailUnverified},
		{`{"email":"bob@example.com","email_verified":"yes"}`, true, "", ErrInvalidToken},
		{`{"email":"","email_verified":true}`, false, "", ErrNoEmail},
		{`{"email":["bob@example.com"],"email_verified":true}`, false, "", ErrNoEmail},
		{`{"email":"bob@example.com, eve@example.com","email_verified":true}`, false, "", ErrNoEmail},
		{`{"email_verified":true}`, true, "", ErrNoEmail},
	}
	for _, tt := range tests {
		got, err := claimsOf(t, tt.payload).email(tt.allowAbsent)
		if tt.wantErr != nil {
			require.ErrorIs(t, err, tt.wantErr, tt.payload)
			continue
		}
		require.NoError(t, err, tt.payload)
		require.Equal(t, tt.want, got, tt.payload)
	}
}

func TestClaimsGroups(t *testing.T) {
	t.Parallel()
	tests := []struct {
		payload string
		want    []string
		wantErr bool
	}{
		{`{}`, nil, false},
		{`{"groups":null}`, nil, false},
		{`{"groups":"dba"}`, []string{"dba"}, false},
		{`{"groups":" "}`, []string{}, false},
		{`{"groups":["dba","Ops","dba"," ops "]}`, []string{"dba", "Ops", "ops"}, false},
		{`{"groups":[]}`, []string{}, false},
		{`{"groups":{"dba":true}}`, nil, true},
		{`{"groups":["dba",1]}`, nil, true},
		{`{"groups":true}`, nil, true},
	}
	for _, tt := range tests {
		got, err := claimsOf(t, tt.payload).groups("groups")
		if tt.wantErr {
			require.ErrorIs(t, err, ErrInvalidToken, tt.payload)
			continue
		}
		require.NoError(t, err, tt.payload)
		require.Equal(t, tt.want, got, tt.payload)
	}
}
