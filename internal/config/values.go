package config

import (
	"net"
	"net/mail"
	"net/url"
	"strconv"
	"strings"

	"github.com/jitgate/jitgate/grants"
)

// checkListen checks an address to listen on. An empty host means every
// interface; port 0 picks a free port, which tests use.
func checkListen(path, addr string, r *report) {
	checkHostPort(path, addr, 0, r)
}

// checkAddress checks an address to connect to.
func checkAddress(path, addr string, r *report) {
	host, ok := checkHostPort(path, addr, 1, r)
	if ok && host == "" {
		r.add(path, "%q has no host (like db.internal:5432)", addr)
	}
}

// checkHostPort returns the host when addr is a host:port with a numeric port.
func checkHostPort(path, addr string, minPort int, r *report) (string, bool) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		r.add(path, "%q is not host:port (like 127.0.0.1:5432)", addr)
		return "", false
	}
	if n, err := strconv.Atoi(port); err != nil || n < minPort || n > 65535 {
		r.add(path, "%q has port %q; use a number from %d to 65535", addr, port, minPort)
		return "", false
	}
	return host, true
}

// checkURL reports whether s is an absolute http or https URL.
func checkURL(path, s string, r *report) bool {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		r.add(path, "%q is not an absolute http(s) URL (like https://host/path)", s)
		return false
	}
	return true
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// checkEmails returns the list normalized for comparison with identities.
func checkEmails(path string, emails []string, r *report) []string {
	for i, e := range emails {
		emails[i] = checkEmail(index(path, i), e, r)
	}
	return emails
}

// checkEmail accepts a bare address only: a display name ("Alice
// <alice@example.com>") would never match the email in a token.
func checkEmail(path, email string, r *report) string {
	email = strings.TrimSpace(email)
	a, err := mail.ParseAddress(email)
	if err != nil || a.Address != email {
		r.add(path, "%q is not an email address", email)
	}
	return grants.NormalizeEmail(email)
}
