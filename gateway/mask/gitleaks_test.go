package mask

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestGitleaksFormats(t *testing.T) {
	t.Parallel()
	anthropic := "sk-ant-api03-" + strings.Repeat("aB3dE5fG7h", 9) + "xYz" + "AA"
	runMaskCases(t, []maskCase{
		{"npm", "//registry.npmjs.org/:_authToken npm_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8\n", "//registry.npmjs.org/:_authToken ****\n"},
		{"shopify", "shop 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 ok", "shop **** ok"},
		{"digitalocean", "DO dop_v1_" + strings.Repeat("0a1b2c3d4e5f6789", 4) + " ok", "DO **** ok"},
		{"sendgrid", "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 ", "**** "},
		{"anthropic", anthropic + " ok", "**** ok"},
		{"twilio", "twilio SK0123456789abcdef0123456789abcdef", "twilio ****"},
		{"twilio low entropy", "SK00000000000000000000000000000000", ""},
		{"npm in prose", "run npm_install twice", ""},
	})
}

func TestGitleaksLoads(t *testing.T) {
	t.Parallel()
	ds, err := gitleaksDetectors()
	require.NoError(t, err)
	// 222 rules less the ones ours replace and the path-only ones.
	require.Greater(t, len(ds), 180)
	for _, d := range ds {
		require.NotEmpty(t, d.keywords, d.name)
		require.False(t, owned(strings.TrimPrefix(d.name, "gitleaks:")), d.name)
	}
}
