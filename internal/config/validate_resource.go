package config

import (
	"regexp"
	"slices"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/jitgate/jitgate/grants"
)

// resourceName keeps names valid, unquoted, as a Postgres database name and
// an SSH user name, which is how clients choose a resource.
var resourceName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

// kindKeys are the keys that mean something for one kind only; on another
// kind they are a mistake worth stopping for, such as a target copied from
// the wrong template.
var kindKeys = map[Kind][]string{
	KindPostgres: {"database", "password", "password_file", "tls"},
	KindSSH:      {"private_key_file", "host_key"},
}

func checkResources(resources []Resource, mode SlackMode, r *report) {
	used := map[string]int{}
	for i := range resources {
		p := index("resources", i)
		res := &resources[i]
		checkResource(p, res, mode, r)
		if first, ok := used[res.Name]; ok && res.Name != "" {
			r.add(p+".name", "%q is already used by %s", res.Name, index("resources", first))
		} else {
			used[res.Name] = i
		}
	}
}

func checkResource(p string, res *Resource, mode SlackMode, r *report) {
	if res.Name == "" {
		r.add(p+".name", "required (lowercase, like prod-db; clients use it as the database or user name)")
	} else if !resourceName.MatchString(res.Name) {
		r.add(p+".name", "%q must be 1 to 63 of a-z, 0-9, _ and -, starting with a letter or digit (clients use it as the database or user name)", res.Name)
	}
	if checkKind(p, res, r) {
		checkKindKeys(p, res.Kind, r)
	}
	if res.Address == "" {
		r.add(p+".address", "required, the target's host:port")
	} else {
		checkAddress(p+".address", res.Address, r)
	}
	if res.Username == "" {
		r.add(p+".username", "required, the account jitgate logs in to the target as")
	}
	if mode != SlackOff && res.Channel == "" {
		r.add(p+".channel", "required when slack.mode is %s (the ID of the channel reviews go to, like C0123456789)", mode)
	}
	checkReviewers(p, res, r)
	checkLimits(p, res, r)
	checkRisky(p, res, r)
}

// checkKind reports whether the kind is known, so that kind-specific checks
// are not piled on top of a misspelt kind.
func checkKind(p string, res *Resource, r *report) bool {
	switch res.Kind {
	case KindPostgres:
		checkPostgres(p, res, r)
	case KindSSH:
		checkSSH(p, res, r)
	case "":
		r.add(p+".kind", "required (postgres or ssh)")
		return false
	default:
		r.add(p+".kind", "%q is not postgres or ssh", res.Kind)
		return false
	}
	return true
}

func checkKindKeys(p string, kind Kind, r *report) {
	for _, other := range []Kind{KindPostgres, KindSSH} {
		if other == kind {
			continue
		}
		for _, key := range kindKeys[other] {
			if r.set[p+"."+key] {
				r.add(p+"."+key, "only for kind %s (this resource is kind %s)", other, kind)
			}
		}
	}
}

func checkPostgres(p string, res *Resource, r *report) {
	if res.Database == "" {
		r.add(p+".database", "required for kind postgres, the database on the target")
	}
	switch {
	case res.Password != "" && res.PasswordFile != "":
		r.add(p+".password_file", "set only one of password and password_file")
	case res.Password == "" && res.PasswordFile == "":
		r.add(p+".password", "required for kind postgres (or password_file)")
	}
}

func checkSSH(p string, res *Resource, r *report) {
	if res.PrivateKeyFile == "" {
		r.add(p+".private_key_file", "required for kind ssh, the key jitgate logs in to the target with")
	}
	if res.HostKey == "" {
		r.add(p+".host_key", `required for kind ssh, the target's public host key (a line like "ssh-ed25519 AAAA...")`)
	} else if _, _, _, _, err := ssh.ParseAuthorizedKey([]byte(res.HostKey)); err != nil {
		r.add(p+".host_key", "%q is not a public key line (copy the target's /etc/ssh/ssh_host_ed25519_key.pub)", shorten(res.HostKey))
	}
}

// checkReviewers normalizes the reviewer list and makes sure the resource's
// approvals can ever be given: with people only, there must be enough of them.
func checkReviewers(p string, res *Resource, r *report) {
	if len(res.Reviewers) == 0 {
		r.add(p+".reviewers", "required, at least one email or group:NAME")
	}
	people := map[string]bool{}
	hasGroup := false
	for i, entry := range res.Reviewers {
		if group, ok := strings.CutPrefix(strings.TrimSpace(entry), grants.GroupPrefix); ok {
			hasGroup = true
			if group == "" {
				r.add(index(p+".reviewers", i), "%q names no group (write group:NAME)", entry)
			}
			res.Reviewers[i] = grants.GroupPrefix + group
			continue
		}
		res.Reviewers[i] = checkEmail(index(p+".reviewers", i), entry, r)
		people[res.Reviewers[i]] = true
	}
	if r.set[p+".approvals"] && res.Approvals < 1 {
		r.add(p+".approvals", "%d must be at least 1", res.Approvals)
	}
	if res.Approvals < 1 {
		res.Approvals = 1
	}
	if !hasGroup && len(res.Reviewers) > 0 && res.Approvals > len(people) {
		r.add(p+".approvals", "needs %d distinct reviewers but reviewers lists %d (add people or a group:NAME entry)", res.Approvals, len(people))
	}
}

func checkLimits(p string, res *Resource, r *report) {
	if res.PendingTTL == 0 {
		res.PendingTTL = grants.DefaultPendingTTL
	}
	if res.MaxDuration == 0 {
		r.add(p+".max_duration", "required, the longest grant (like 4h)")
		return
	}
	if res.BreakGlassMaxDuration == 0 {
		res.BreakGlassMaxDuration = min(grants.DefaultBreakGlassMax, res.MaxDuration)
	}
	if res.BreakGlassMaxDuration > res.MaxDuration {
		r.add(p+".break_glass_max_duration", "%s is longer than max_duration %s", shortDuration(res.BreakGlassMaxDuration), shortDuration(res.MaxDuration))
	}
}

func checkRisky(p string, res *Resource, r *report) {
	if res.Risky == "" {
		res.Risky = RiskyReview
	}
	if !slices.Contains([]Risky{RiskyAllow, RiskyReview, RiskyBlock}, res.Risky) {
		r.add(p+".risky", "%q is not one of allow, review, block", res.Risky)
	}
}

// shortDuration prints 4h rather than 4h0m0s.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// shorten keeps a long value's start, enough to recognize it in an error.
func shorten(s string) string {
	const limit = 40
	if len(s) <= limit {
		return s
	}
	return s[:limit] + "..."
}
