package config

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

const testHostKey = `"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICnQ33//91R9k4SpRRU4JKIhlAOXSpD1F56dswm+3Dbg web-1"`

// base is a small valid configuration that each case breaks in one place.
const base = `database_url: postgres://jitgate@localhost:5432/jitgate
slack:
  mode: socket
  bot_token: ${SLACK_BOT_TOKEN}
  app_token: xapp-1
resources:
  - name: prod-db
    kind: postgres
    address: db.internal:5432
    database: app
    username: jitgate_app
    password: ${PROD_DB_PASSWORD}
    channel: C0123456789
    reviewers: [alice@example.com, bob@example.com]
    max_duration: 4h
  - name: prod-web
    kind: ssh
    address: web-1.internal:22
    username: deploy
    private_key_file: /etc/jitgate/keys/web-1
    host_key: ` + testHostKey + `
    channel: C0123456789
    reviewers: ["group:sre"]
    max_duration: 2h
`

// secretValue must never appear in an error.
const secretValue = "hunter2-s3cret"

var baseEnv = map[string]string{
	"SLACK_BOT_TOKEN":  secretValue,
	"PROD_DB_PASSWORD": secretValue,
}

func TestBaseIsValid(t *testing.T) {
	t.Parallel()
	_, err := Parse([]byte(base), lookup(baseEnv))
	require.NoError(t, err)
}

func TestErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// old is replaced by new in base; an empty old means new is the whole file.
		old, new string
		env      map[string]string
		want     string
	}{
		{
			name: "unknown key in a resource",
			old:  "    max_duration: 2h", new: "    max_durtion: 2h",
			want: "resources[1].max_durtion: unknown key (known: name, kind, address, database, username, password, password_file, tls, private_key_file, host_key, channel, reviewers, approvals, max_duration, pending_ttl, reason_pattern, risky, break_glass, break_glass_max_duration)",
		},
		{
			name: "unknown top-level key",
			old:  "slack:\n", new: "databse_url: x\nslack:\n",
			want: "databse_url: unknown key (known: database_url, admins, http, oidc, slack, gateway, masking, resources)",
		},
		{
			name: "unknown nested key",
			old:  "  mode: socket\n", new: "  mode: socket\n  botToken: x\n",
			want: "slack.botToken: unknown key (known: mode, bot_token, app_token, signing_secret, command, api_url)",
		},
		{
			name: "unknown key that needs quoting",
			old:  "slack:\n", new: "\"a b\": 1\nslack:\n",
			want: `"a b": unknown key (known: database_url`,
		},
		{
			name: "list where a value is expected",
			old:  "name: prod-db", new: "name: [prod-db]",
			want: "resources[0].name: expected a single value, got a list",
		},
		{
			name: "value where a list is expected",
			old:  "reviewers: [alice@example.com, bob@example.com]", new: "reviewers: alice@example.com",
			want: `resources[0].reviewers: expected a list ([a, b] or one "- item" per line), got a single value`,
		},
		{
			name: "list where a mapping is expected",
			old:  "slack:\n  mode: socket\n  bot_token: ${SLACK_BOT_TOKEN}\n  app_token: xapp-1\n", new: "slack: [socket]\n",
			want: "slack: expected a mapping of keys, got a list",
		},
		{
			name: "mapping where a list is expected",
			old:  "reviewers: [alice@example.com, bob@example.com]", new: "reviewers: {alice: 1}",
			want: "resources[0].reviewers: expected a list",
		},
		{
			name: "secret given a list does not echo it",
			old:  "password: ${PROD_DB_PASSWORD}", new: `password: ["${PROD_DB_PASSWORD}"]`,
			want: "resources[0].password: expected a single value, got a list",
		},
		{
			name: "approvals not a number",
			old:  "    max_duration: 4h", new: "    max_duration: 4h\n    approvals: abc",
			want: `resources[0].approvals: "abc" is not a whole number`,
		},
		{
			name: "approvals zero",
			old:  "    max_duration: 4h", new: "    max_duration: 4h\n    approvals: 0",
			want: "resources[0].approvals: 0 must be at least 1",
		},
		{
			name: "bool not a bool",
			old:  "    max_duration: 4h", new: "    max_duration: 4h\n    break_glass: maybe",
			want: `resources[0].break_glass: "maybe" is not true or false`,
		},
		{
			name: "duplicate key",
			old:  "    database: app\n", new: "    database: app\n    database: other\n",
			want: "resources[0].database: duplicate key (first set on line 10)",
		},
		{
			name: "bad duration",
			old:  "max_duration: 4h", new: "max_duration: 4x",
			want: `resources[0].max_duration: "4x" is not a duration (use Go form like 90s, 15m, 2h)`,
		},
		{
			name: "zero duration",
			old:  "max_duration: 2h", new: "max_duration: 0s",
			want: `resources[1].max_duration: "0s" must be longer than zero`,
		},
		{
			name: "negative duration",
			old:  "slack:\n", new: "gateway: {postgres: {review_timeout: -1m}}\nslack:\n",
			want: `gateway.postgres.review_timeout: "-1m" must be longer than zero`,
		},
		{
			name: "bad reason pattern",
			old:  "    max_duration: 4h", new: "    max_duration: 4h\n    reason_pattern: '^(INC'",
			want: `resources[0].reason_pattern: "^(INC" is not a Go regular expression: missing closing )`,
		},
		{
			name: "duplicate resource name",
			old:  "name: prod-web", new: "name: prod-db",
			want: `resources[1].name: "prod-db" is already used by resources[0]`,
		},
		{
			name: "too few reviewers for approvals",
			old:  "    max_duration: 4h", new: "    max_duration: 4h\n    approvals: 3",
			want: "resources[0].approvals: needs 3 distinct reviewers but reviewers lists 2",
		},
		{
			name: "reviewers counted once per person",
			old:  "[alice@example.com, bob@example.com]", new: "[alice@example.com, Alice@Example.com]\n    approvals: 2",
			want: "resources[0].approvals: needs 2 distinct reviewers but reviewers lists 1",
		},
		{
			name: "database_url missing",
			old:  "database_url: postgres://jitgate@localhost:5432/jitgate\n", new: "",
			want: "database_url: required",
		},
		{
			name: "database_url not postgres, password not echoed",
			old:  "postgres://jitgate@localhost", new: "mysql://jitgate:" + secretValue + "@localhost",
			want: `database_url: scheme "mysql" is not postgres or postgresql`,
		},
		{
			name: "ssh key on a postgres resource",
			old:  "    database: app\n", new: "    database: app\n    private_key_file: /k\n",
			want: "resources[0].private_key_file: only for kind ssh (this resource is kind postgres)",
		},
		{
			name: "postgres key on an ssh resource",
			old:  "    username: deploy\n", new: "    username: deploy\n    tls: false\n",
			want: "resources[1].tls: only for kind postgres (this resource is kind ssh)",
		},
		{
			name: "reviewer not an email",
			old:  "bob@example.com]", new: "bob]",
			want: `resources[0].reviewers[1]: "bob" is not an email address`,
		},
		{
			name: "reviewer with a display name",
			old:  "bob@example.com]", new: "\"Bob <bob@example.com>\"]",
			want: `resources[0].reviewers[1]: "Bob <bob@example.com>" is not an email address`,
		},
		{
			name: "empty group",
			old:  `"group:sre"`, new: `"group:"`,
			want: `resources[1].reviewers[0]: "group:" names no group`,
		},
		{
			name: "admin not an email",
			old:  "slack:\n", new: "admins: [ops]\nslack:\n",
			want: `admins[0]: "ops" is not an email address`,
		},
		{
			name: "required secret from an unset variable",
			env:  map[string]string{"PROD_DB_PASSWORD": secretValue},
			want: "slack.bot_token: required when slack.mode is socket (${SLACK_BOT_TOKEN} is not set)",
		},
		{
			name: "password from an unset variable",
			env:  map[string]string{"SLACK_BOT_TOKEN": secretValue},
			want: "resources[0].password: required for kind postgres (or password_file) (${PROD_DB_PASSWORD} is not set)",
		},
		{
			name: "password and password_file",
			old:  "    database: app\n", new: "    database: app\n    password_file: /pw\n",
			want: "resources[0].password_file: set only one of password and password_file",
		},
		{
			name: "bad name",
			old:  "name: prod-db", new: "name: Prod DB",
			want: `resources[0].name: "Prod DB" must be 1 to 63 of a-z, 0-9, _ and -`,
		},
		{
			name: "missing name",
			old:  "  - name: prod-db\n    kind: postgres", new: "  - kind: postgres",
			want: "resources[0].name: required",
		},
		{
			name: "bad kind",
			old:  "kind: postgres", new: "kind: mysql",
			want: `resources[0].kind: "mysql" is not postgres or ssh`,
		},
		{
			name: "address without port",
			old:  "address: db.internal:5432", new: "address: db.internal",
			want: `resources[0].address: "db.internal" is not host:port`,
		},
		{
			name: "address with a bad port",
			old:  "address: db.internal:5432", new: "address: db.internal:70000",
			want: `resources[0].address: "db.internal:70000" has port "70000"; use a number from 1 to 65535`,
		},
		{
			name: "address without host",
			old:  "address: db.internal:5432", new: "address: :5432",
			want: `resources[0].address: ":5432" has no host`,
		},
		{
			name: "bad host key",
			old:  "host_key: " + testHostKey, new: "host_key: ssh-ed25519 AAAA...",
			want: `resources[1].host_key: "ssh-ed25519 AAAA..." is not a public key line`,
		},
		{
			name: "missing private key",
			old:  "    private_key_file: /etc/jitgate/keys/web-1\n", new: "",
			want: "resources[1].private_key_file: required for kind ssh",
		},
		{
			name: "missing max_duration",
			old:  "    max_duration: 2h\n", new: "",
			want: "resources[1].max_duration: required",
		},
		{
			name: "break-glass cap over max_duration",
			old:  "max_duration: 2h", new: "max_duration: 2h\n    break_glass_max_duration: 3h",
			want: "resources[1].break_glass_max_duration: 3h is longer than max_duration 2h",
		},
		{
			name: "bad risky",
			old:  "max_duration: 2h", new: "max_duration: 2h\n    risky: maybe",
			want: `resources[1].risky: "maybe" is not one of allow, review, block`,
		},
		{
			name: "missing channel",
			old:  "    channel: C0123456789\n    reviewers: [\"group:sre\"]", new: "    reviewers: [\"group:sre\"]",
			want: "resources[1].channel: required when slack.mode is socket",
		},
		{
			name: "bad slack mode",
			old:  "mode: socket", new: "mode: sockets",
			want: `slack.mode: "sockets" is not one of socket, http, off`,
		},
		{
			name: "slack section without mode is socket mode",
			old:  "  mode: socket\n  bot_token: ${SLACK_BOT_TOKEN}\n", new: "",
			want: "slack.bot_token: required when slack.mode is socket",
		},
		{
			name: "http mode without signing secret",
			old:  "mode: socket", new: "mode: http",
			want: "slack.signing_secret: required when slack.mode is http",
		},
		{
			name: "slack command without slash",
			old:  "  mode: socket\n", new: "  mode: socket\n  command: access\n",
			want: `slack.command: "access" must be one word starting with /`,
		},
		{
			name: "slack api_url not absolute",
			old:  "  mode: socket\n", new: "  mode: socket\n  api_url: /api\n",
			want: `slack.api_url: "/api" is not an absolute http(s) URL`,
		},
		{
			name: "oidc issuer over http",
			old:  "slack:\n", new: "oidc: {issuer: 'http://idp.example.com', audience: jitgate}\nslack:\n",
			want: `oidc.issuer: "http://idp.example.com" must use https (http only for 127.0.0.1, localhost or ::1)`,
		},
		{
			name: "oidc issuer not a URL",
			old:  "slack:\n", new: "oidc: {issuer: idp.example.com, audience: jitgate}\nslack:\n",
			want: `oidc.issuer: "idp.example.com" is not an absolute http(s) URL`,
		},
		{
			name: "oidc issuer without audience",
			old:  "slack:\n", new: "oidc: {issuer: 'https://idp.example.com'}\nslack:\n",
			want: "oidc.audience: required when oidc.issuer is set",
		},
		{
			name: "tls cert without key",
			old:  "slack:\n", new: "gateway: {tls: {cert_file: /c}}\nslack:\n",
			want: "gateway.tls.key_file: required when gateway.tls.cert_file is set",
		},
		{
			name: "ssh gateway without host key",
			old:  "slack:\n", new: "gateway: {ssh: {listen: ':2222', user_ca_key_file: /ca}}\nslack:\n",
			want: "gateway.ssh.host_key_file: required when gateway.ssh.listen is set",
		},
		{
			name: "bad listen address",
			old:  "slack:\n", new: "http: {listen: 8080}\nslack:\n",
			want: `http.listen: "8080" is not host:port`,
		},
		{
			name: "bad masking glob",
			old:  "slack:\n", new: "masking: {columns: [password, '[a']}\nslack:\n",
			want: `masking.columns[1]: "[a" is not a glob`,
		},
		{
			name: "bad reference does not echo a secret",
			old:  "password: ${PROD_DB_PASSWORD}", new: "password: " + secretValue + "${",
			want: "resources[0].password: ${ must be followed by a variable name and } (write $${ for a literal ${)",
		},
		{
			name: "empty file",
			old:  "", new: "",
			want: "config: the file has no settings",
		},
		{
			name: "only a comment",
			old:  "", new: "# nothing\n",
			want: "config: the file has no settings",
		},
		{
			name: "top level is a list",
			old:  "", new: "- database_url: x\n",
			want: "config: the top level must be a mapping of keys, got a list",
		},
		{
			name: "two documents",
			old:  "", new: "database_url: x\n---\ndatabase_url: y\n",
			want: "config: a second YAML document starts on line 2",
		},
		{
			name: "syntax error",
			old:  "", new: "database_url: [x\nslack: {\n",
			want: "config: yaml: line",
		},
		{
			name: "merge of itself",
			old:  "slack:\n", new: "http: &x {<<: *x}\nslack:\n",
			want: "merges a mapping that contains this merge",
		},
		{
			name: "merge of a list",
			old:  "slack:\n", new: "http:\n  <<: [a]\nslack:\n",
			want: `http."<<": merges a single value; it takes a mapping or a list of mappings`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			data := base
			switch {
			case tt.old != "":
				require.Contains(t, base, tt.old, "the case must change base")
				data = strings.Replace(base, tt.old, tt.new, 1)
			case tt.new != "" || tt.env == nil:
				data = tt.new
			}
			env := baseEnv
			if tt.env != nil {
				env = tt.env
			}

			_, err := Parse([]byte(data), lookup(env))
			require.Error(t, err)
			msg := err.Error()
			require.Contains(t, msg, tt.want)
			require.True(t, strings.HasPrefix(msg, "config: "), msg)
			require.NotContains(t, msg, "\n")
			require.NotContains(t, msg, secretValue)
		})
	}
}

func TestErrorsAreAllReported(t *testing.T) {
	t.Parallel()
	data := strings.Replace(base, "max_duration: 4h", "max_duration: 4x", 1)
	data = strings.Replace(data, "max_duration: 2h", "max_durtion: 2h", 1)

	_, err := Parse([]byte(data), lookup(baseEnv))
	require.ErrorContains(t, err, `config: resources[0].max_duration: "4x" is not a duration (use Go form like 90s, 15m, 2h); resources[1].max_durtion: unknown key`)
}

func TestGroupReviewerSatisfiesApprovals(t *testing.T) {
	t.Parallel()
	data := strings.Replace(base, "max_duration: 2h", "max_duration: 2h\n    approvals: 5", 1)

	c, err := Parse([]byte(data), lookup(baseEnv))
	require.NoError(t, err)
	require.Equal(t, 5, c.Resources[1].Approvals)
}

func TestMergeKeys(t *testing.T) {
	t.Parallel()
	c, err := Parse([]byte(`
database_url: postgres://localhost/jitgate
x-defaults: &defaults
  reviewers: [alice@example.com]
  max_duration: 1h
resources:
  - <<: *defaults
    name: a
    kind: ssh
    address: a:22
    username: u
    private_key_file: /k
    host_key: `+testHostKey+`
    max_duration: 2h
`), lookup(nil))
	require.ErrorContains(t, err, "x-defaults: unknown key")
	require.Nil(t, c)

	c, err = Parse([]byte(`
database_url: postgres://localhost/jitgate
resources:
  - &a
    name: a
    kind: ssh
    address: a:22
    username: u
    private_key_file: /k
    host_key: `+testHostKey+`
    reviewers: [alice@example.com]
    max_duration: 1h
  - <<: *a
    name: b
    max_duration: 2h
`), lookup(nil))
	require.NoError(t, err)
	require.Equal(t, "b", c.Resources[1].Name)
	require.Equal(t, "a:22", c.Resources[1].Address)
	require.Equal(t, []string{"alice@example.com"}, c.Resources[1].Reviewers)
	require.Equal(t, 2*time.Hour, c.Resources[1].MaxDuration)
}
