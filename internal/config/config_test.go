package config

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

const examplePath = "../../deploy/jitgate.example.yaml"

// exampleEnv is what an operator would export for the example file.
var exampleEnv = map[string]string{
	"DATABASE_URL":         "postgres://jitgate:pw@localhost:5432/jitgate",
	"SLACK_BOT_TOKEN":      "xoxb-bot-secret",
	"SLACK_APP_TOKEN":      "xapp-app-secret",
	"SLACK_SIGNING_SECRET": "signing-secret",
	"PROD_DB_PASSWORD":     "pa$$word-secret",
}

func lookup(env map[string]string) func(string) (string, bool) {
	return func(name string) (string, bool) {
		v, ok := env[name]
		return v, ok
	}
}

func parseExample(t *testing.T) *Config {
	t.Helper()
	data, err := os.ReadFile(examplePath)
	require.NoError(t, err)
	c, err := Parse(data, lookup(exampleEnv))
	require.NoError(t, err)
	return c
}

func TestExample(t *testing.T) {
	t.Parallel()
	c := parseExample(t)

	require.Equal(t, "postgres://jitgate:pw@localhost:5432/jitgate", c.DatabaseURL.Reveal())
	require.Equal(t, []string{"ops@example.com"}, c.Admins)
	require.Equal(t, HTTP{Listen: "127.0.0.1:8080"}, c.HTTP)
	require.Equal(t, OIDC{Issuer: "https://idp.example.com", Audience: "jitgate", GroupsClaim: "groups"}, c.OIDC)
	require.Equal(t, Slack{
		Mode:          SlackSocket,
		BotToken:      "xoxb-bot-secret",
		AppToken:      "xapp-app-secret",
		SigningSecret: "signing-secret",
		Command:       "/access",
	}, c.Slack)
	require.Equal(t, Gateway{
		TLS:      TLS{CertFile: "/etc/jitgate/tls/gateway.crt", KeyFile: "/etc/jitgate/tls/gateway.key"},
		Postgres: PostgresGateway{Listen: "127.0.0.1:15432", ReviewTimeout: 2 * time.Minute},
		SSH: SSHGateway{
			Listen:        "127.0.0.1:2222",
			HostKeyFile:   "/var/lib/jitgate/ssh_host_ed25519_key",
			UserCAKeyFile: "/var/lib/jitgate/user_ca_ed25519_key",
		},
	}, c.Gateway)
	require.Equal(t, []string{"password", "secret", "*_token", "api_key", "ssn"}, c.Masking.Columns)

	require.Len(t, c.Resources, 2)
	db := c.Resources[0]
	require.Equal(t, `^(INC|CHG)-[0-9]+`, db.ReasonPattern.String())
	db.ReasonPattern = nil
	require.Equal(t, Resource{
		Name:                  "prod-db",
		Kind:                  KindPostgres,
		Address:               "db.internal:5432",
		Database:              "app",
		Username:              "jitgate_app",
		Password:              "pa$$word-secret",
		Channel:               "C0123456789",
		Reviewers:             []string{"alice@example.com", "group:db-admins"},
		Approvals:             1,
		MaxDuration:           4 * time.Hour,
		PendingTTL:            time.Hour,
		Risky:                 RiskyReview,
		BreakGlassMaxDuration: 30 * time.Minute,
	}, db)

	web := c.Resources[1]
	require.Equal(t, KindSSH, web.Kind)
	require.Equal(t, "/etc/jitgate/keys/web-1", web.PrivateKeyFile)
	require.True(t, strings.HasPrefix(web.HostKey, "ssh-ed25519 AAAA"))
	require.Equal(t, 2, web.Approvals)
	require.Equal(t, time.Hour, web.PendingTTL, "default")
	require.Equal(t, 30*time.Minute, web.BreakGlassMaxDuration, "default")
}

func TestExampleWithoutEnvironment(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(examplePath)
	require.NoError(t, err)

	_, err = Parse(data, lookup(nil))
	require.Error(t, err)
	msg := err.Error()
	require.NotContains(t, msg, "\n")
	for _, want := range []string{
		"database_url: required",
		"(${DATABASE_URL} is not set)",
		"slack.bot_token: required when slack.mode is socket (${SLACK_BOT_TOKEN} is not set)",
		"slack.app_token: required when slack.mode is socket",
		"resources[0].password: required for kind postgres (or password_file) (${PROD_DB_PASSWORD} is not set)",
	} {
		require.Contains(t, msg, want)
	}
}

func TestLoad(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := filepath.Join(dir, "jitgate.yaml")
	require.NoError(t, os.WriteFile(good, []byte("database_url: postgres://localhost/jitgate\n"), 0o600))
	bad := filepath.Join(dir, "bad.yaml")
	require.NoError(t, os.WriteFile(bad, []byte("database_url: postgres://localhost/jitgate\nresources:\n  - max_duration: 4x\n"), 0o600))

	c, err := Load(good)
	require.NoError(t, err)
	require.Equal(t, "postgres://localhost/jitgate", c.DatabaseURL.Reveal())
	require.Equal(t, SlackOff, c.Slack.Mode)
	require.Empty(t, c.Resources)

	_, err = Load(bad)
	require.EqualError(t, err, "config: "+bad+`: resources[0].max_duration: "4x" is not a duration (use Go form like 90s, 15m, 2h)`)

	_, err = Load(filepath.Join(dir, "missing.yaml"))
	require.ErrorIs(t, err, os.ErrNotExist)
	require.True(t, strings.HasPrefix(err.Error(), "config: "))
}

func TestResource(t *testing.T) {
	t.Parallel()
	c := parseExample(t)

	r, ok := c.Resource("prod-web")
	require.True(t, ok)
	require.Equal(t, KindSSH, r.Kind)

	_, ok = c.Resource("prod")
	require.False(t, ok)
}

func TestReadPassword(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "pw")
	require.NoError(t, os.WriteFile(file, []byte("from-file\n"), 0o600))

	tests := []struct {
		name string
		res  Resource
		want Secret
		err  bool
	}{
		{name: "inline", res: Resource{Password: "inline"}, want: "inline"},
		{name: "file", res: Resource{PasswordFile: file}, want: "from-file"},
		{name: "missing file", res: Resource{Name: "db", PasswordFile: file + ".gone"}, err: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := tt.res.ReadPassword()
			if tt.err {
				require.ErrorIs(t, err, os.ErrNotExist)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestPolicy(t *testing.T) {
	t.Parallel()
	c := parseExample(t)
	db, ok := c.Resource("prod-db")
	require.True(t, ok)

	p := db.Policy(c.Admins)
	require.Equal(t, []string{"alice@example.com", "group:db-admins"}, p.Reviewers)
	require.Equal(t, 1, p.Approvals)
	require.Equal(t, 4*time.Hour, p.MaxDuration)
	require.Equal(t, regexp.MustCompile(`^(INC|CHG)-[0-9]+`).String(), p.ReasonPattern.String())
	require.Equal(t, time.Hour, p.PendingTTL)
	require.False(t, p.BreakGlass)
	require.Equal(t, 30*time.Minute, p.BreakGlassMax)
	require.Equal(t, []string{"ops@example.com"}, p.Admins)

	p.Reviewers[0] = "mallory@example.com"
	p.Admins[0] = "mallory@example.com"
	require.Equal(t, "alice@example.com", db.Reviewers[0], "the policy must not share the config's slices")
	require.Equal(t, "ops@example.com", c.Admins[0])
}

func TestPolicyDefaults(t *testing.T) {
	t.Parallel()
	c, err := Parse([]byte(`
database_url: postgres://localhost/jitgate
resources:
  - name: short
    kind: ssh
    address: web:22
    username: deploy
    private_key_file: /k
    host_key: `+testHostKey+`
    reviewers: [Alice@Example.com]
    max_duration: 10m
    break_glass: true
`), lookup(nil))
	require.NoError(t, err)

	p := c.Resources[0].Policy(nil)
	require.Equal(t, []string{"alice@example.com"}, p.Reviewers, "normalized")
	require.Equal(t, 1, p.Approvals)
	require.Equal(t, 10*time.Minute, p.BreakGlassMax, "the default never exceeds max_duration")
	require.True(t, p.BreakGlass)
	require.Nil(t, p.ReasonPattern)
	require.Empty(t, p.Admins)
}

func TestDefaultsAndNormalizing(t *testing.T) {
	t.Parallel()
	c, err := Parse([]byte(`
database_url: "host=db user=jitgate dbname=jitgate"
admins: [" Ops@Example.com"]
oidc:
  issuer: http://127.0.0.1:5556/dex
  audience: jitgate
slack:
  mode: off
  api_url: http://127.0.0.1:9999/api
gateway:
  postgres:
    listen: ":0"
resources:
  - name: db_1
    kind: postgres
    address: "[::1]:5432"
    database: app
    username: app
    password_file: /run/secrets/db
    reviewers: [Bob@Example.com, " group:DB-Admins"]
    approvals: 3
    max_duration: 15m
`), lookup(nil))
	require.NoError(t, err)

	require.Equal(t, []string{"ops@example.com"}, c.Admins)
	require.Equal(t, "127.0.0.1:8080", c.HTTP.Listen)
	require.Equal(t, "groups", c.OIDC.GroupsClaim)
	require.Equal(t, SlackOff, c.Slack.Mode)
	require.Equal(t, "/access", c.Slack.Command)
	require.Equal(t, "http://127.0.0.1:9999/api/", c.Slack.APIURL, "Slack clients append method names")
	require.Equal(t, 2*time.Minute, c.Gateway.Postgres.ReviewTimeout)

	r := c.Resources[0]
	require.Equal(t, []string{"bob@example.com", "group:DB-Admins"}, r.Reviewers, "group names keep their case")
	require.Equal(t, 3, r.Approvals, "a group can satisfy any count")
	require.Equal(t, time.Hour, r.PendingTTL)
	require.Equal(t, 15*time.Minute, r.BreakGlassMaxDuration, "capped by max_duration")
	require.Equal(t, RiskyReview, r.Risky)
	require.Empty(t, r.Channel, "not needed without Slack")
}

func TestSlackSectionAbsentIsOff(t *testing.T) {
	t.Parallel()
	for _, data := range []string{
		"database_url: postgres://localhost/jitgate\n",
		"database_url: postgres://localhost/jitgate\nslack:\n",
	} {
		c, err := Parse([]byte(data), lookup(nil))
		require.NoError(t, err)
		require.Equal(t, SlackOff, c.Slack.Mode)
	}
	_, err := Parse([]byte("database_url: postgres://localhost/jitgate\nslack: {}\n"), lookup(nil))
	require.ErrorContains(t, err, "slack.app_token: required when slack.mode is socket", "a slack section without a mode is Socket Mode")
	c, err := Parse([]byte("database_url: postgres://localhost/jitgate\nslack: {bot_token: xoxb-1, app_token: xapp-1}\n"), lookup(nil))
	require.NoError(t, err)
	require.Equal(t, SlackSocket, c.Slack.Mode)
}
