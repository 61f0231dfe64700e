package config

import (
	"regexp"
	"time"
)

// Config is jitgate.yaml after defaults have been applied and every value has
// been checked. The yaml tags are the file's contract with operators.
type Config struct {
	// DatabaseURL is jitgate's own Postgres, as a URL or a key=value DSN.
	// It often carries a password, so it is a Secret.
	DatabaseURL Secret `yaml:"database_url"`
	// Admins may revoke and acknowledge on every resource; normalized emails.
	Admins    []string   `yaml:"admins"`
	HTTP      HTTP       `yaml:"http"`
	OIDC      OIDC       `yaml:"oidc"`
	Slack     Slack      `yaml:"slack"`
	Gateway   Gateway    `yaml:"gateway"`
	Masking   Masking    `yaml:"masking"`
	Resources []Resource `yaml:"resources"`
}

// HTTP is the listener for Slack's HTTP mode, OIDC callbacks and metrics.
type HTTP struct {
	Listen string `yaml:"listen"`
}

// OIDC names the identity provider whose tokens the gateway accepts.
// Issuer is empty when OIDC is not configured.
type OIDC struct {
	Issuer      string `yaml:"issuer"`
	Audience    string `yaml:"audience"`
	GroupsClaim string `yaml:"groups_claim"`
}

// SlackMode is how jitgate talks to Slack.
type SlackMode string

// The Slack modes: Socket Mode needs no public ingress, HTTP mode needs a
// signed public endpoint, off runs without chat (requests come from the CLI).
const (
	SlackSocket SlackMode = "socket"
	SlackHTTP   SlackMode = "http"
	SlackOff    SlackMode = "off"
)

// Slack is the Slack app jitgate runs as.
type Slack struct {
	Mode          SlackMode `yaml:"mode"`
	BotToken      Secret    `yaml:"bot_token"`
	AppToken      Secret    `yaml:"app_token"`
	SigningSecret Secret    `yaml:"signing_secret"`
	Command       string    `yaml:"command"`
	// APIURL replaces Slack's Web API base URL; empty means Slack itself.
	APIURL string `yaml:"api_url"`
}

// Gateway is the data path: the listeners clients connect through.
type Gateway struct {
	TLS      TLS             `yaml:"tls"`
	Postgres PostgresGateway `yaml:"postgres"`
	SSH      SSHGateway      `yaml:"ssh"`
}

// TLS is the certificate the Postgres gateway presents to clients.
// Both files are empty or both are set.
type TLS struct {
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
}

// PostgresGateway is the Postgres wire-protocol listener; an empty Listen
// turns it off.
type PostgresGateway struct {
	Listen string `yaml:"listen"`
	// AllowPlaintext lets clients send their token without TLS; only for
	// local testing, since the token is a bearer credential.
	AllowPlaintext bool `yaml:"allow_plaintext"`
	// ReviewTimeout is how long a risky statement is held for a reviewer.
	ReviewTimeout time.Duration `yaml:"review_timeout"`
}

// SSHGateway is the SSH listener; an empty Listen turns it off.
type SSHGateway struct {
	Listen        string `yaml:"listen"`
	HostKeyFile   string `yaml:"host_key_file"`
	UserCAKeyFile string `yaml:"user_ca_key_file"`
}

// Masking adds column-name rules to the built-in detectors.
type Masking struct {
	// Columns are path.Match globs over column names.
	Columns []string `yaml:"columns"`
}

// Kind is the protocol a resource speaks.
type Kind string

// The resource kinds.
const (
	KindPostgres Kind = "postgres"
	KindSSH      Kind = "ssh"
)

// Risky is what the gateway does with a risky statement or command.
type Risky string

// The answers to a risky statement.
const (
	RiskyAllow  Risky = "allow"
	RiskyReview Risky = "review"
	RiskyBlock  Risky = "block"
)

// Resource is one target people can ask for access to. Its Name is what
// clients put in the database name (Postgres) or the user name (SSH).
type Resource struct {
	Name    string `yaml:"name"`
	Kind    Kind   `yaml:"kind"`
	Address string `yaml:"address"`
	// Database is the target database (postgres only).
	Database string `yaml:"database"`
	Username string `yaml:"username"`
	// Password and PasswordFile are the postgres target's credential;
	// exactly one is set. Use ReadPassword rather than either.
	Password     Secret `yaml:"password"`
	PasswordFile string `yaml:"password_file"`
	// TLS asks for TLS to the postgres target.
	TLS bool `yaml:"tls"`
	// PrivateKeyFile and HostKey are the ssh target's credential and the
	// key it must present (authorized_keys format).
	PrivateKeyFile string `yaml:"private_key_file"`
	HostKey        string `yaml:"host_key"`
	// Channel is the Slack channel reviews are posted to.
	Channel string `yaml:"channel"`
	// Reviewers are normalized emails and "group:NAME" entries.
	Reviewers     []string       `yaml:"reviewers"`
	Approvals     int            `yaml:"approvals"`
	MaxDuration   time.Duration  `yaml:"max_duration"`
	PendingTTL    time.Duration  `yaml:"pending_ttl"`
	ReasonPattern *regexp.Regexp `yaml:"reason_pattern"`
	Risky         Risky          `yaml:"risky"`
	BreakGlass    bool           `yaml:"break_glass"`
	// BreakGlassMaxDuration caps a break-glass grant; never above MaxDuration.
	BreakGlassMaxDuration time.Duration `yaml:"break_glass_max_duration"`
}
