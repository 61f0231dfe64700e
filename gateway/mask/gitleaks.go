package mask

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/spf13/viper"
	"github.com/zricethezav/gitleaks/v8/config"
)

// Gitleaks' default rules are the best-kept public list of credential
// formats, so they are loaded from its module rather than copied by hand.
// Its own detector is not used: it costs microseconds per value even when
// nothing matches, while each rule here runs only when the shared prefilter
// sees one of its keywords. The rule file is compiled into the module, so
// nothing is fetched at run time. The module brings in viper (to read that
// file) and zerolog (gitleaks' logger): about twenty small modules.

// owned reports whether a detector of this package replaces a gitleaks
// rule: ours keeps the public prefix, and the rule's keywords (ey, key,
// api, ...) would trigger it on much ordinary text.
func owned(id string) bool {
	switch id {
	case "generic-api-key", "jwt", "private-key",
		"aws-access-token", "gcp-api-key", "stripe-access-token",
		"github-pat", "github-oauth", "github-app-token",
		"github-refresh-token", "github-fine-grained-pat",
		"gitlab-pat", "slack-bot-token", "slack-user-token", "slack-app-token":
		return true
	}
	return false
}

// weak reports whether a gitleaks keyword is one that most prose contains
// ("hours. "), so that its rule would run on nearly every text. Weak
// keywords are dropped; a rule left without keywords is not run. Only
// Vault's legacy s. token format is lost this way (hvs. stays).
func weak(keyword string) bool { return keyword == "s." }

// gitleaksDetectors compiles the default rules once per process: compiling
// two hundred regular expressions takes tens of milliseconds, and the
// compiled rules are read-only, so every Masker shares them.
var gitleaksDetectors = sync.OnceValues(loadGitleaks)

func loadGitleaks() ([]detector, error) {
	cfg, err := gitleaksConfig()
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(cfg.Rules))
	for id := range cfg.Rules {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var ds []detector
	for _, id := range ids {
		r := cfg.Rules[id]
		kws := keywords(r.Keywords)
		if !usable(r) || len(kws) == 0 {
			continue
		}
		g := &gitleaksRule{rule: r, global: cfg.Allowlists}
		ds = append(ds, detector{name: "gitleaks:" + id, keywords: kws, find: g.find})
	}
	return ds, nil
}

func gitleaksConfig() (config.Config, error) {
	v := viper.New()
	v.SetConfigType("toml")
	if err := v.ReadConfig(strings.NewReader(config.DefaultConfig)); err != nil {
		return config.Config{}, fmt.Errorf("read default config: %w", err)
	}
	var vc config.ViperConfig
	if err := v.Unmarshal(&vc); err != nil {
		return config.Config{}, fmt.Errorf("decode default config: %w", err)
	}
	return vc.Translate()
}

// usable reports whether a rule can run on a value: it needs a regular
// expression, it must not be limited to file paths (a value has none) nor
// depend on other rules' findings, and none of ours may replace it.
func usable(r config.Rule) bool {
	return r.Regex != nil && r.Path == nil && len(r.RequiredRules) == 0 &&
		!r.SkipReport && !owned(r.RuleID)
}

// keywords returns a rule's keywords, lowered, less the weak ones. A rule
// without keywords would have to run on every value.
func keywords(kws []string) []string {
	var out []string
	for _, k := range kws {
		if k = strings.ToLower(k); k != "" && !weak(k) {
			out = append(out, k)
		}
	}
	return out
}
