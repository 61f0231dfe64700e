package config

import (
	"net/url"
	"path"
	"strings"
	"time"
)

// The defaults of keys that may be left out.
const (
	defaultHTTPListen    = "127.0.0.1:8080"
	defaultGroupsClaim   = "groups"
	defaultSlackCommand  = "/access"
	defaultReviewTimeout = 2 * time.Minute
)

// check validates c and fills in defaults, section by section in file order.
func check(c *Config, r *report) {
	checkDatabaseURL(c.DatabaseURL.Reveal(), r)
	c.Admins = checkEmails("admins", c.Admins, r)
	checkHTTP(&c.HTTP, r)
	checkOIDC(&c.OIDC, r)
	checkSlack(&c.Slack, r)
	checkGateway(&c.Gateway, r)
	checkMasking(c.Masking, r)
	checkResources(c.Resources, c.Slack.Mode, r)
}

// checkDatabaseURL never quotes the value: it usually holds a password.
func checkDatabaseURL(s string, r *report) {
	if s == "" {
		r.add("database_url", "required, a postgres:// URL or key=value DSN for jitgate's own database")
		return
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" || strings.Contains(s, " ") {
		return // a key=value DSN, for pgx to judge
	}
	if u.Scheme != "postgres" && u.Scheme != "postgresql" {
		r.add("database_url", "scheme %q is not postgres or postgresql", u.Scheme)
	}
}

func checkHTTP(h *HTTP, r *report) {
	if h.Listen == "" {
		h.Listen = defaultHTTPListen
	}
	checkListen("http.listen", h.Listen, r)
}

func checkOIDC(o *OIDC, r *report) {
	if o.GroupsClaim == "" {
		o.GroupsClaim = defaultGroupsClaim
	}
	if o.Issuer == "" {
		if o.Audience != "" {
			r.add("oidc.audience", "set but oidc.issuer is empty; set both or neither")
		}
		return
	}
	if checkURL("oidc.issuer", o.Issuer, r) {
		u, _ := url.Parse(o.Issuer)
		if u.Scheme != "https" && !(u.Scheme == "http" && isLoopback(u.Hostname())) {
			r.add("oidc.issuer", "%q must use https (http only for 127.0.0.1, localhost or ::1)", o.Issuer)
		}
	}
	if o.Audience == "" {
		r.add("oidc.audience", "required when oidc.issuer is set (the client ID tokens are issued for)")
	}
}

func checkSlack(s *Slack, r *report) {
	if s.Command == "" {
		s.Command = defaultSlackCommand
	}
	if !strings.HasPrefix(s.Command, "/") || strings.ContainsAny(s.Command, " \t") {
		r.add("slack.command", "%q must be one word starting with / (like /access)", s.Command)
	}
	if s.APIURL != "" && checkURL("slack.api_url", s.APIURL, r) && !strings.HasSuffix(s.APIURL, "/") {
		s.APIURL += "/" // Slack clients append method names to it
	}
	switch s.Mode {
	case "":
		if !r.set["slack"] {
			s.Mode = SlackOff
			return
		}
		// Socket Mode needs no public ingress: the safe default.
		s.Mode = SlackSocket
		fallthrough
	case SlackSocket:
		requireSecret("slack.bot_token", s.BotToken, "required when slack.mode is socket", r)
		requireSecret("slack.app_token", s.AppToken, "required when slack.mode is socket (an xapp- token with connections:write)", r)
	case SlackHTTP:
		requireSecret("slack.bot_token", s.BotToken, "required when slack.mode is http", r)
		requireSecret("slack.signing_secret", s.SigningSecret, "required when slack.mode is http", r)
	case SlackOff:
	default:
		r.add("slack.mode", "%q is not one of socket, http, off", s.Mode)
	}
}

func requireSecret(path string, s Secret, why string, r *report) {
	if s == "" {
		r.add(path, "%s", why)
	}
}

func checkGateway(g *Gateway, r *report) {
	if (g.TLS.CertFile == "") != (g.TLS.KeyFile == "") {
		if g.TLS.CertFile == "" {
			r.add("gateway.tls.cert_file", "required when gateway.tls.key_file is set")
		} else {
			r.add("gateway.tls.key_file", "required when gateway.tls.cert_file is set")
		}
	}
	if g.Postgres.ReviewTimeout == 0 {
		g.Postgres.ReviewTimeout = defaultReviewTimeout
	}
	if g.Postgres.Listen != "" {
		checkListen("gateway.postgres.listen", g.Postgres.Listen, r)
	}
	if g.SSH.Listen != "" {
		checkListen("gateway.ssh.listen", g.SSH.Listen, r)
		if g.SSH.HostKeyFile == "" {
			r.add("gateway.ssh.host_key_file", "required when gateway.ssh.listen is set")
		}
		if g.SSH.UserCAKeyFile == "" {
			r.add("gateway.ssh.user_ca_key_file", "required when gateway.ssh.listen is set (the CA that signs users' certificates)")
		}
	}
}

func checkMasking(m Masking, r *report) {
	for i, glob := range m.Columns {
		p := index("masking.columns", i)
		if glob == "" {
			r.add(p, "empty; give a column name or glob like *_token")
		} else if _, err := path.Match(glob, ""); err != nil {
			r.add(p, "%q is not a glob (path.Match syntax: *, ?, [a-z])", glob)
		}
	}
}
