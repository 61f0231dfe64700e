package config

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestExpand(t *testing.T) {
	t.Parallel()
	env := lookup(map[string]string{
		"A":     "alpha",
		"EMPTY": "",
		"REF":   "${A}",
	})
	tests := []struct {
		in    string
		want  string
		unset []string
		err   bool
	}{
		{in: "plain", want: "plain"},
		{in: "${A}", want: "alpha"},
		{in: "x${A}y${A}", want: "xalphayalpha"},
		{in: "${EMPTY}", want: ""},
		{in: "${MISSING}", want: "", unset: []string{"MISSING"}},
		{in: "${MISSING}-${A}-${OTHER}", want: "-alpha-", unset: []string{"MISSING", "OTHER"}},
		{in: "${REF}", want: "${A}"}, // substituted once, never re-expanded
		{in: "$", want: "$"},
		{in: "pa$word$", want: "pa$word$"},
		{in: "$A", want: "$A"},
		{in: "pa$$word", want: "pa$$word"},
		{in: "$${A}", want: "${A}"},
		{in: "x$${A}${A}", want: "x${A}alpha"},
		{in: "$$${A}", want: "$${A}"},
		{in: "${", err: true},
		{in: "${A", err: true},
		{in: "${}", err: true},
		{in: "${1A}", err: true},
		{in: "${A-default}", err: true},
		{in: "${ A }", err: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, unset, err := expand(tt.in, env)
			if tt.err {
				require.ErrorIs(t, err, errBadReference)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
			require.Equal(t, tt.unset, unset)
		})
	}
}

// TestExpandKeepsStructure checks that expansion happens after parsing: an
// environment value that looks like YAML stays one value.
func TestExpandKeepsStructure(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		value string
	}{
		{name: "newline and key", value: "x\nkind: ssh\nadmins: [evil@example.com]"},
		{name: "colon space", value: "a: b"},
		{name: "flow list", value: "[a, b]"},
		{name: "comment", value: "pw # not a comment"},
		{name: "document marker", value: "pw\n---\ndatabase_url: x"},
		{name: "quote", value: `pw" admins: ["evil@example.com`},
		{name: "reference", value: "${SLACK_BOT_TOKEN}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := map[string]string{"SLACK_BOT_TOKEN": "xoxb-1", "PROD_DB_PASSWORD": tt.value}
			c, err := Parse([]byte(base), lookup(env))
			require.NoError(t, err)
			require.Equal(t, tt.value, c.Resources[0].Password.Reveal())
			require.Equal(t, KindPostgres, c.Resources[0].Kind)
			require.Empty(t, c.Admins)
			require.Equal(t, "xoxb-1", c.Slack.BotToken.Reveal())
		})
	}
}

func TestExpandInValues(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		old     string
		new     string
		env     map[string]string
		check   func(t *testing.T, c *Config)
		wantErr string
	}{
		{
			name: "lone dollar kept",
			old:  "password: ${PROD_DB_PASSWORD}", new: "password: pa$word$",
			check: func(t *testing.T, c *Config) {
				require.Equal(t, "pa$word$", c.Resources[0].Password.Reveal())
			},
		},
		{
			name: "escaped reference",
			old:  "password: ${PROD_DB_PASSWORD}", new: `password: "a$${B}"`,
			check: func(t *testing.T, c *Config) {
				require.Equal(t, "a${B}", c.Resources[0].Password.Reveal())
			},
		},
		{
			name: "number from the environment",
			old:  "max_duration: 2h", new: "max_duration: ${MAX}\n    approvals: ${APPROVALS}",
			env: map[string]string{"MAX": "90m", "APPROVALS": "3"},
			check: func(t *testing.T, c *Config) {
				require.Equal(t, 90*time.Minute, c.Resources[1].MaxDuration)
				require.Equal(t, 3, c.Resources[1].Approvals)
			},
		},
		{
			name: "unset optional value takes the default",
			old:  "max_duration: 2h", new: "max_duration: 2h\n    approvals: ${APPROVALS}\n    risky: ${RISKY}",
			check: func(t *testing.T, c *Config) {
				require.Equal(t, 1, c.Resources[1].Approvals)
				require.Equal(t, RiskyReview, c.Resources[1].Risky)
			},
		},
		{
			name: "unset required duration says so",
			old:  "max_duration: 2h", new: "max_duration: ${MAX}",
			wantErr: "config: resources[1].max_duration: required, the longest grant (like 4h) (${MAX} is not set)",
		},
		{
			name: "half-set duration says so",
			old:  "max_duration: 2h", new: "max_duration: ${HOURS}h",
			wantErr: `config: resources[1].max_duration: "h" is not a duration (use Go form like 90s, 15m, 2h) (${HOURS} is not set)`,
		},
		{
			name: "keys are not expanded",
			old:  "    max_duration: 2h", new: "    max_duration: 2h\n    ${KEY}: x",
			env:     map[string]string{"KEY": "tls"},
			wantErr: "resources[1].\"${KEY}\": unknown key",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Contains(t, base, tt.old)
			env := map[string]string{"SLACK_BOT_TOKEN": "xoxb-1", "PROD_DB_PASSWORD": "pw"}
			for k, v := range tt.env {
				env[k] = v
			}
			c, err := Parse([]byte(strings.Replace(base, tt.old, tt.new, 1)), lookup(env))
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			tt.check(t, c)
		})
	}
}
