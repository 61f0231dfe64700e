package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/jitgate/jitgate/grants"
)

// directoryTTL is how long what Slack said about people and groups is
// trusted. Short, so a person removed from a user group stops counting as a
// reviewer soon; long enough that a burst of clicks costs one lookup.
const directoryTTL = 2 * time.Minute

// errNoVerifiedEmail: the Slack user has no confirmed email, so nothing ties
// them to the identity the gateway will see.
var errNoVerifiedEmail = errors.New("slack user has no verified email")

type cached[T any] struct {
	v  T
	at time.Time
}

// directory maps Slack users to identities and emails to mentions, with
// what Slack said cached for directoryTTL.
type directory struct {
	api *slack.Client
	now func() time.Time

	mu     sync.Mutex
	users  map[string]cached[grants.Identity] // Slack user ID → identity
	emails map[string]cached[string]          // email → Slack user ID, "" when none
	groups *cached[[]slack.UserGroup]
}

func newDirectory(api *slack.Client, now func() time.Time) *directory {
	return &directory{api: api, now: now, users: map[string]cached[grants.Identity]{}, emails: map[string]cached[string]{}}
}

func fresh[T any](c cached[T], ok bool, now time.Time) bool {
	return ok && now.Sub(c.at) < directoryTTL
}

// identity is who a Slack user is to jitgate: their verified profile email,
// and the handles of the Slack user groups they belong to, which stand for
// "group:NAME" reviewers.
func (d *directory) identity(ctx context.Context, userID string) (grants.Identity, error) {
	d.mu.Lock()
	c, ok := d.users[userID]
	d.mu.Unlock()
	if fresh(c, ok, d.now()) {
		return c.v, nil
	}
	u, err := d.api.GetUserInfoContext(ctx, userID)
	if err != nil {
		return grants.Identity{}, fmt.Errorf("users.info %s: %w", userID, err)
	}
	if u.Deleted || u.IsBot || u.Profile.Email == "" || !u.IsEmailConfirmed {
		return grants.Identity{}, fmt.Errorf("%w: %s", errNoVerifiedEmail, userID)
	}
	id := grants.Identity{Email: grants.NormalizeEmail(u.Profile.Email)}
	groups, err := d.userGroups(ctx)
	if err != nil {
		return grants.Identity{}, err
	}
	for _, g := range groups {
		for _, m := range g.Users {
			if m == userID {
				id.Groups = append(id.Groups, g.Handle)
			}
		}
	}
	d.mu.Lock()
	d.users[userID] = cached[grants.Identity]{v: id, at: d.now()}
	d.emails[id.Email] = cached[string]{v: userID, at: d.now()}
	d.mu.Unlock()
	return id, nil
}

func (d *directory) userGroups(ctx context.Context) ([]slack.UserGroup, error) {
	d.mu.Lock()
	g := d.groups
	d.mu.Unlock()
	if g != nil && fresh(*g, true, d.now()) {
		return g.v, nil
	}
	groups, err := d.api.GetUserGroupsContext(ctx, slack.GetUserGroupsOptionIncludeUsers(true))
	if err != nil {
		return nil, fmt.Errorf("usergroups.list: %w", err)
	}
	d.mu.Lock()
	d.groups = &cached[[]slack.UserGroup]{v: groups, at: d.now()}
	d.mu.Unlock()
	return groups, nil
}

// userID finds the Slack user with email; "" when there is none.
func (d *directory) userID(ctx context.Context, email string) (string, error) {
	email = grants.NormalizeEmail(email)
	d.mu.Lock()
	c, ok := d.emails[email]
	d.mu.Unlock()
	if fresh(c, ok, d.now()) {
		return c.v, nil
	}
	u, err := d.api.GetUserByEmailContext(ctx, email)
	id := ""
	switch {
	case err == nil:
		id = u.ID
	case !isSlackError(err, "users_not_found"):
		return "", fmt.Errorf("users.lookupByEmail: %w", err)
	}
	d.mu.Lock()
	d.emails[email] = cached[string]{v: id, at: d.now()}
	d.mu.Unlock()
	return id, nil
}

// mention shows an actor in mrkdwn: a Slack mention for an email that has
// a Slack user, otherwise the escaped name ("jitgate", "cli:alice", an
// email without a Slack account).
func (d *directory) mention(ctx context.Context, actor string) (string, error) {
	if !strings.Contains(actor, "@") {
		return escape(actor), nil
	}
	id, err := d.userID(ctx, actor)
	if err != nil {
		return "", err
	}
	if id == "" {
		return escape(actor), nil
	}
	return "<@" + id + ">", nil
}

// mentionReviewer shows a reviewer entry: a person, or a "group:NAME" as a
// mention of the Slack user group with handle NAME when there is one.
func (d *directory) mentionReviewer(ctx context.Context, entry string) (string, error) {
	name, ok := strings.CutPrefix(entry, grants.GroupPrefix)
	if !ok {
		return d.mention(ctx, entry)
	}
	groups, err := d.userGroups(ctx)
	if err != nil {
		return "", err
	}
	for _, g := range groups {
		if g.Handle == name {
			return "<!subteam^" + g.ID + ">", nil
		}
	}
	return escape("group " + name), nil
}

// isSlackError reports whether err is the Slack API error code.
func isSlackError(err error, code string) bool {
	var se slack.SlackErrorResponse
	return errors.As(err, &se) && se.Err == code
}
