package deptest

import (
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const module = "github.com/jitgate/jitgate"

// allowed maps a package (or, ending in "/", a folder of packages) to the
// project packages it may import. The most specific entry wins.
var allowed = map[string][]string{
	"sqlc":         {},
	"migrations":   {},
	"grants":       {"sqlc"},
	"broker":       {"grants", "internal/"},
	"bot/":         {"broker", "grants", "internal/", "bot/"},
	"bot":          {"broker", "grants", "internal/", "bot/"},
	"gateway":      {"broker", "grants", "internal/"},
	"gateway/":     {"gateway", "gateway/", "broker", "grants", "internal/"},
	"gateway/pg/":  {"gateway", "gateway/", "broker", "grants", "internal/"},
	"gateway/ssh/": {"gateway", "gateway/", "broker", "grants", "internal/"},
	"internal/":    {"grants", "migrations", "internal/"},
	"cmd/jitgate":  {"*"},
}

// testOnly are packages a test may import beyond what its package may.
var testOnly = []string{"internal/dbtest", "internal/"}

type pkg struct {
	ImportPath   string
	Imports      []string
	TestImports  []string
	XTestImports []string
}

func listPackages(t *testing.T) []pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-json", module+"/...")
	cmd.Dir = "../.."
	out, err := cmd.Output()
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		t.Fatalf("go list: %v\n%s", err, exitErr.Stderr)
	}
	require.NoError(t, err)
	dec := json.NewDecoder(strings.NewReader(string(out)))
	var pkgs []pkg
	for {
		var p pkg
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else {
			require.NoError(t, err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

func rel(path string) (string, bool) {
	if path == module {
		return "", true
	}
	return strings.CutPrefix(path, module+"/")
}

// rule returns the allowance of a package: its own entry, else the nearest
// folder entry above it.
func rule(p string) ([]string, bool) {
	if r, ok := allowed[p]; ok {
		return r, true
	}
	for dir := p; ; {
		i := strings.LastIndex(dir, "/")
		if i < 0 {
			return nil, false
		}
		dir = dir[:i]
		if r, ok := allowed[dir+"/"]; ok {
			return r, true
		}
	}
}

func permits(rules []string, imp string) bool {
	for _, r := range rules {
		switch {
		case r == "*", r == imp:
			return true
		case strings.HasSuffix(r, "/") && strings.HasPrefix(imp, r):
			return true
		}
	}
	return false
}

// crossesProtocols reports an import from one protocol gateway into another.
func crossesProtocols(from, to string) bool {
	proto := func(p string) string {
		for _, pre := range []string{"gateway/pg", "gateway/ssh"} {
			if p == pre || strings.HasPrefix(p, pre+"/") {
				return pre
			}
		}
		return ""
	}
	a, b := proto(from), proto(to)
	return a != "" && b != "" && a != b
}

func TestImportArrows(t *testing.T) {
	t.Parallel()
	pkgs := listPackages(t)
	require.NotEmpty(t, pkgs)
	seen := map[string]bool{}
	for _, p := range pkgs {
		name, ok := rel(p.ImportPath)
		require.True(t, ok, p.ImportPath)
		seen[name] = true
		rules, ok := rule(name)
		require.True(t, ok, "package %s has no entry in allowed: add one that keeps DESIGN.md's arrows", name)
		check := func(imports []string, extra []string) {
			for _, imp := range imports {
				target, ok := rel(imp)
				if !ok || target == name {
					continue
				}
				if target == "sqlc" && name != "grants" {
					t.Errorf("%s imports sqlc: only grants may", name)
					continue
				}
				if crossesProtocols(name, target) {
					t.Errorf("%s imports %s: the protocol gateways do not import each other", name, target)
					continue
				}
				if !permits(rules, target) && !permits(extra, target) {
					t.Errorf("%s imports %s, which DESIGN.md's arrows do not allow", name, target)
				}
			}
		}
		check(p.Imports, nil)
		check(p.TestImports, testOnly)
		check(p.XTestImports, append(slices.Clone(testOnly), name))
	}
	for _, must := range []string{"grants", "sqlc", "migrations", "cmd/jitgate"} {
		require.True(t, seen[must], "expected package %s to exist", must)
	}
}

// The checker itself must be able to say no.
func TestRulesRefuseUpwardImports(t *testing.T) {
	t.Parallel()
	grantsRules, _ := rule("grants")
	require.False(t, permits(grantsRules, "broker"))
	require.False(t, permits(grantsRules, "internal/config"))
	brokerRules, _ := rule("broker")
	require.False(t, permits(brokerRules, "bot"))
	require.False(t, permits(brokerRules, "gateway"))
	pgRules, _ := rule("gateway/pg")
	require.True(t, permits(pgRules, "gateway"))
	require.False(t, permits(pgRules, "bot"))
	require.True(t, crossesProtocols("gateway/pg/classify", "gateway/ssh"))
	require.False(t, crossesProtocols("gateway/pg", "gateway/pg/classify"))
	internalRules, _ := rule("internal/config")
	require.False(t, permits(internalRules, "broker"))
}
