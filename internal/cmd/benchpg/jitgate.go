package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"text/template"
	"time"

	"github.com/jitgate/jitgate/internal/oidctest"
)

// benchUser is the identity the gateway runs see.
const benchUser = "bench@example.com"

// binaries are the programs benchpg runs, built into a temp dir of their
// own that goes away whatever happens (the run's dir may be kept for its logs).
type binaries struct{ dir, jitgate, pgrelay string }

func (b binaries) remove() { os.RemoveAll(b.dir) }

// buildBinaries builds jitgate and the relay.
func buildBinaries(ctx context.Context, root string) (_ binaries, err error) {
	dir, err := os.MkdirTemp("", "jitgate-bench-bin-")
	if err != nil {
		return binaries{}, fmt.Errorf("temp dir: %w", err)
	}
	b := binaries{dir: dir, jitgate: filepath.Join(dir, "jitgate"), pgrelay: filepath.Join(dir, "pgrelay")}
	defer func() {
		if err != nil {
			b.remove()
		}
	}()
	for _, p := range []struct{ pkg, out string }{{"./cmd/jitgate", b.jitgate}, {"./internal/cmd/pgrelay", b.pgrelay}} {
		progress("go build %s", p.pkg)
		cmd := exec.CommandContext(ctx, "go", "build", "-o", p.out, p.pkg)
		cmd.Dir = root
		if msg, err := cmd.CombinedOutput(); err != nil {
			return b, fmt.Errorf("go build %s: %w\n%s", p.pkg, err, msg)
		}
	}
	return b, nil
}

// jitgate is a running `jitgate serve` with its OIDC issuer and the token
// of benchUser, who holds a read grant on the bench resource.
type jitgate struct {
	issuer  *oidctest.Issuer
	serve   *child
	gateway string // address of the Postgres gateway
	token   string
}

// startJitgate writes a configuration into dir, migrates, starts `jitgate
// serve`, waits until it is ready and grants benchUser access.
func startJitgate(ctx context.Context, srv server, bin, dir, cpuProfile string) (_ *jitgate, err error) {
	issuer, err := oidctest.Start()
	if err != nil {
		return nil, fmt.Errorf("OIDC issuer: %w", err)
	}
	jg := &jitgate{issuer: issuer}
	defer func() {
		if err != nil {
			jg.stop()
		}
	}()
	addrs, err := freeAddrs()
	if err != nil {
		return nil, err
	}
	jg.gateway = addrs.gateway
	cfgPath, err := writeConfig(srv, issuer, addrs, dir)
	if err != nil {
		return nil, err
	}
	progress("jitgate migrate")
	if err := runTool(ctx, bin, "migrate", "--config", cfgPath); err != nil {
		return nil, err
	}
	progress("starting jitgate serve (log: %s)", filepath.Join(dir, "jitgate.log"))
	args := []string{"serve", "--config", cfgPath}
	if cpuProfile != "" {
		abs, err := filepath.Abs(cpuProfile)
		if err != nil {
			return nil, err
		}
		args = append(args, "--cpuprofile", abs)
	}
	jg.serve, err = startChild("jitgate serve", filepath.Join(dir, "jitgate.log"), nil, bin, args...)
	if err != nil {
		return nil, err
	}
	if err := waitReady(ctx, jg.serve, addrs); err != nil {
		return nil, fmt.Errorf("%w\nlast lines of %s:\n%s", err, jg.serve.logPath, jg.serve.tail(30))
	}
	err = runTool(ctx, bin, "grants", "create", "--config", cfgPath, "--user", benchUser,
		"--resource", "bench", "--duration", "4h", "--reason", "bench", "--access", "read")
	if err != nil {
		return nil, err
	}
	jg.token = issuer.Token(oidctest.User(benchUser))
	return jg, nil
}

// target is the bench resource reached through the gateway.
func (jg *jitgate) target() target {
	return target{name: "gateway", addr: jg.gateway, user: benchUser, pass: jg.token, db: "bench", sslmode: "disable", pid: jg.serve.cmd.Process.Pid}
}

func (jg *jitgate) stop() {
	if jg.serve != nil {
		jg.serve.stop()
	}
	jg.issuer.Close()
}

var configTemplate = template.Must(template.New("jitgate.yaml").Funcs(template.FuncMap{"q": quote}).Parse(`# Written by benchpg for one benchmark run.
database_url: {{q .DatabaseURL}}
http:
  listen: {{q .HTTP}}
oidc:
  issuer: {{q .Issuer}}
  audience: {{q .Audience}}
gateway:
  postgres:
    listen: {{q .Gateway}}
    allow_plaintext: true
masking:
  columns: [password, secret, "*_token", api_key, ssn]
resources:
  - name: bench
    kind: postgres
    address: {{q .Address}}
    database: {{q .Database}}
    username: {{q .Username}}
    password: {{q .Password}}
    reviewers: [alice@example.com]
    max_duration: 4h
    risky: allow
`))

// quote makes s a YAML double-quoted scalar (JSON's string syntax is a subset
// of it) in which jitgate expands no ${...}.
func quote(s string) string {
	b, _ := json.Marshal(strings.ReplaceAll(s, "${", "$${"))
	return string(b)
}

// listenAddrs are where jitgate serve listens.
type listenAddrs struct{ http, gateway string }

func freeAddrs() (listenAddrs, error) {
	var a listenAddrs
	var err error
	if a.http, err = freeAddr(); err != nil {
		return a, err
	}
	a.gateway, err = freeAddr()
	return a, err
}

// writeConfig writes jitgate.yaml into dir and returns its path.
func writeConfig(srv server, issuer *oidctest.Issuer, addrs listenAddrs, dir string) (string, error) {
	pass := srv.pass
	if pass == "" {
		pass = "unused"
	}
	var b strings.Builder
	err := configTemplate.Execute(&b, map[string]string{
		"DatabaseURL": srv.dbURL(metaDB), "HTTP": addrs.http, "Issuer": issuer.URL(), "Audience": issuer.ClientID(),
		"Gateway": addrs.gateway, "Address": srv.hostPort(), "Database": targetDB, "Username": srv.user, "Password": pass,
	})
	if err != nil {
		return "", fmt.Errorf("jitgate.yaml: %w", err)
	}
	path := filepath.Join(dir, "jitgate.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		return "", fmt.Errorf("write jitgate.yaml: %w", err)
	}
	return path, nil
}

// runTool runs one jitgate command that finishes by itself.
func runTool(ctx context.Context, bin string, args ...string) error {
	out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("jitgate %s: %w\n%s", strings.Join(args[:2], " "), err, tail(string(out), 20))
	}
	return nil
}

// waitReady waits up to a minute for /readyz to answer 200 and the gateway
// port to accept connections.
func waitReady(ctx context.Context, serve *child, addrs listenAddrs) error {
	deadline := time.Now().Add(time.Minute)
	for !ready(ctx, addrs) {
		if err := serve.exited(); err != nil {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("jitgate serve not ready after a minute (http://%s/readyz, gateway %s)", addrs.http, addrs.gateway)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	return nil
}

func ready(ctx context.Context, addrs listenAddrs) bool {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addrs.http+"/readyz", nil)
	if err != nil {
		return false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return false
	}
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", addrs.gateway)
	if err != nil {
		return false
	}
	conn.Close()
	return true
}
