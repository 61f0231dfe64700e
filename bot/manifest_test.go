package bot

import (
	"os"
	"testing"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// botScopes are the OAuth scopes of the Web API methods the bot calls:
// chat.postMessage, chat.update, chat.postEphemeral, views.open (commands
// and chat:write), users.info, users.lookupByEmail, usergroups.list.
var botScopes = []string{"commands", "chat:write", "users:read", "users:read.email", "usergroups:read"}

func TestManifestAsksForWhatTheBotUses(t *testing.T) {
	raw, err := os.ReadFile("../deploy/slack-app-manifest.yaml")
	require.NoError(t, err)
	var m struct {
		Features struct {
			SlashCommands []struct {
				Command string `yaml:"command"`
			} `yaml:"slash_commands"`
		} `yaml:"features"`
		OAuth struct {
			Scopes struct {
				Bot []string `yaml:"bot"`
			} `yaml:"scopes"`
		} `yaml:"oauth_config"`
		Settings struct {
			Interactivity struct {
				Enabled bool `yaml:"is_enabled"`
			} `yaml:"interactivity"`
			SocketMode bool `yaml:"socket_mode_enabled"`
		} `yaml:"settings"`
	}
	require.NoError(t, yaml.Unmarshal(raw, &m))
	require.ElementsMatch(t, botScopes, m.OAuth.Scopes.Bot, "no more and no fewer scopes than the bot needs")
	require.Len(t, m.Features.SlashCommands, 1)
	require.Equal(t, "/access", m.Features.SlashCommands[0].Command, "the default slack.command")
	require.True(t, m.Settings.Interactivity.Enabled, "buttons and modals need interactivity")
	require.True(t, m.Settings.SocketMode, "Socket Mode is the default")
}
