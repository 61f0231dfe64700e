package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

func TestSecretNeverPrinted(t *testing.T) {
	t.Parallel()
	const value = "hunter2"
	s := Secret(value)
	cfg := Config{
		Slack:     Slack{BotToken: s, AppToken: s, SigningSecret: s},
		Resources: []Resource{{Name: "db", Password: s}},
	}

	var logged bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logged, nil))
	logger.Info("loaded", "token", s, "slack", cfg.Slack, "config", cfg, slog.Any("resource", cfg.Resources[0]))
	jsonConfig, err := json.Marshal(cfg)
	require.NoError(t, err)
	jsonSecret, err := json.Marshal(s)
	require.NoError(t, err)
	yamlConfig, err := yaml.Marshal(cfg)
	require.NoError(t, err)

	outputs := map[string]string{
		"slog json":   logged.String(),
		"json config": string(jsonConfig),
		"json secret": string(jsonSecret),
		"yaml config": string(yamlConfig),
		"String":      s.String(),
		"GoString":    s.GoString(),
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%10s", "%T %v"} {
		outputs[verb+" secret"] = fmt.Sprintf(verb, s)
		outputs[verb+" config"] = fmt.Sprintf(verb, cfg)
		outputs[verb+" pointer"] = fmt.Sprintf(verb, &cfg)
	}
	for name, out := range outputs {
		require.NotContains(t, out, value, name)
		require.NotContains(t, out, fmt.Sprintf("%x", value), name)
	}
	require.Contains(t, logged.String(), `"token":"[redacted]"`)
	require.Equal(t, `"[redacted]"`, string(jsonSecret))
	require.Equal(t, "[redacted]", fmt.Sprint(s))
	require.Equal(t, `"[redacted]"`, fmt.Sprintf("%#v", s))
	require.Equal(t, value, s.Reveal())
}

func TestEmptySecretPrintsEmpty(t *testing.T) {
	t.Parallel()
	var s Secret
	require.Equal(t, "", s.String())
	require.Equal(t, "", fmt.Sprintf("%v", s))
	require.Equal(t, `""`, fmt.Sprintf("%#v", s))
	require.Equal(t, "", s.LogValue().String())
	out, err := json.Marshal(s)
	require.NoError(t, err)
	require.Equal(t, `""`, string(out))
}

func TestSecretInTextLogs(t *testing.T) {
	t.Parallel()
	var logged bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logged, nil))
	logger.Info("loaded", "token", Secret("hunter2"))
	require.Contains(t, logged.String(), "token=[redacted]")
	require.NotContains(t, logged.String(), "hunter2")
}
