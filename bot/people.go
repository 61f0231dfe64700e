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

// errForeignUser: the Slack user belongs to another workspace (a shared
// channel), whose admins, not ours, vouch for their email.
var errForeignUser = errors.New("slack user of another workspace")

// ttlCache remembers values for directoryTTL. It is safe for concurrent
// use; two lookups racing for one key both ask Slack, which is harmless.
type ttlCache[K comparable, V any] struct {
	now func() time.Time
	mu  sync.Mutex
	m   map[K]cached[V]
}

type cached[V any] struct {
	v  V
	at time.Time
}

func newTTLCache[K comparable, V any](now func() time.Time) *ttlCache[K, V] {
	return &ttlCache[K, V]{now: now, m: map[K]cached[V]{}}
}

func (c *ttlCache[K, V]) get(k K) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[k]
	if !ok || c.now().Sub(e.at) >= directoryTTL {
		var zero V
		return zero, false
	}
	return e.v, true
}

func (c *ttlCache[K, V]) put(k K, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m[k] = cached[V]{v: v, at: c.now()}
}

// directory maps Slack users to identities and emails to mentions, with
// what Slack said cached for directoryTTL.
type directory struct {
	api    *slack.Client
	store  *grants.Store
	now    func() time.Time
	team   *ttlCache[struct{}, string]            // the installed workspace's ID
	users  *ttlCache[string, grants.Identity]     // Slack user ID → identity
	emails *ttlCache[string, string]              // email → Slack user ID, "" when none
	groups *ttlCache[struct{}, []slack.UserGroup] // the workspace's user groups
}

func newDirectory(api *slack.Client, store *grants.Store, now func() time.Time) *directory {
	return &directory{
		api: api, store: store, now: now,
		team:   newTTLCache[struct{}, string](now),
		users:  newTTLCache[string, grants.Identity](now),
		emails: newTTLCache[string, string](now),
		groups: newTTLCache[struct{}, []slack.UserGroup](now),
	}
}

// identity is who a Slack user is to jitgate: their verified profile email,
// and the handles of the Slack user groups they belong to, which stand for
// "group:NAME" reviewers.
func (d *directory) identity(ctx context.Context, userID string) (grants.Identity, error) {
	if id, ok := d.users.get(userID); ok {
		return id, nil
	}
	team, err := d.teamID(ctx)
	if err != nil {
		return grants.Identity{}, err
	}
	u, err := d.api.GetUserInfoContext(ctx, userID)
	if err != nil {
		return grants.Identity{}, fmt.Errorf("users.info %s: %w", userID, err)
	}
	if u.TeamID != team || u.IsStranger {
		return grants.Identity{}, fmt.Errorf("%w: %s of %s", errForeignUser, userID, u.TeamID)
	}
	if u.Deleted || u.IsBot || u.Profile.Email == "" || !u.IsEmailConfirmed {
		return grants.Identity{}, fmt.Errorf("%w: %s", errNoVerifiedEmail, userID)
	}
	id := grants.Identity{Email: grants.NormalizeEmail(u.Profile.Email)}
	// Group membership follows the Slack account, the email the profile:
	// binding one to the other keeps a person one reviewer.
	if err := d.store.BindChatIdentity(ctx, "slack:"+team+":"+userID, id.Email, d.now()); err != nil {
		return grants.Identity{}, err
	}
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
	d.users.put(userID, id)
	d.emails.put(id.Email, userID)
	return id, nil
}

// teamID is the workspace the app is installed in.
func (d *directory) teamID(ctx context.Context) (string, error) {
	if id, ok := d.team.get(struct{}{}); ok {
		return id, nil
	}
	resp, err := d.api.AuthTestContext(ctx)
	if err != nil {
		return "", fmt.Errorf("auth.test: %w", err)
	}
	d.team.put(struct{}{}, resp.TeamID)
	return resp.TeamID, nil
}

func (d *directory) userGroups(ctx context.Context) ([]slack.UserGroup, error) {
	if groups, ok := d.groups.get(struct{}{}); ok {
		return groups, nil
	}
	groups, err := d.api.GetUserGroupsContext(ctx, slack.GetUserGroupsOptionIncludeUsers(true))
	if err != nil {
		return nil, fmt.Errorf("usergroups.list: %w", err)
	}
	d.groups.put(struct{}{}, groups)
	return groups, nil
}

// userID finds the Slack user with email; "" when there is none.
func (d *directory) userID(ctx context.Context, email string) (string, error) {
	email = grants.NormalizeEmail(email)
	if id, ok := d.emails.get(email); ok {
		return id, nil
	}
	u, err := d.api.GetUserByEmailContext(ctx, email)
	id := ""
	switch {
	case err == nil:
		id = u.ID
	case !isSlackError(err, "users_not_found"):
		return "", fmt.Errorf("users.lookupByEmail: %w", err)
	}
	d.emails.put(email, id)
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
