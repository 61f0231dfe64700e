package config

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/jitgate/jitgate/grants"
)

// Resource returns the resource called name.
func (c *Config) Resource(name string) (Resource, bool) {
	for _, r := range c.Resources {
		if r.Name == name {
			return r, true
		}
	}
	return Resource{}, false
}

// Policy returns what the resource's settings say about access to it.
// admins are the file's top-level admins, who act on every resource.
func (r Resource) Policy(admins []string) grants.Policy {
	return grants.Policy{
		Reviewers:     slices.Clone(r.Reviewers),
		Approvals:     r.Approvals,
		MaxDuration:   r.MaxDuration,
		ReasonPattern: r.ReasonPattern,
		PendingTTL:    r.PendingTTL,
		BreakGlass:    r.BreakGlass,
		BreakGlassMax: r.BreakGlassMaxDuration,
		Admins:        slices.Clone(admins),
	}
}

// ReadPassword returns the postgres target's password. A password_file is
// read on every call, so a rotated password is picked up without a restart.
func (r Resource) ReadPassword() (Secret, error) {
	if r.PasswordFile == "" {
		return r.Password, nil
	}
	data, err := os.ReadFile(r.PasswordFile)
	if err != nil {
		return "", fmt.Errorf("read password of %s: %w", r.Name, err)
	}
	return Secret(strings.TrimRight(string(data), "\r\n")), nil
}

// Policy implements grants.Policies: the named resource's policy, with the
// file's admins.
func (c *Config) Policy(resource string) (grants.Policy, bool) {
	r, ok := c.Resource(resource)
	if !ok {
		return grants.Policy{}, false
	}
	return r.Policy(c.Admins), true
}
