package grants

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// DefaultPendingTTL is how long a request waits for reviewers when the
// resource does not say otherwise. It is independent of the grant's duration:
// a 2h grant asked for at night must not sit approvable until morning.
const DefaultPendingTTL = time.Hour

// DefaultBreakGlassMax caps a break-glass self-grant when the resource does
// not set its own, shorter cap.
const DefaultBreakGlassMax = 30 * time.Minute

// GroupPrefix marks a reviewer entry that names an identity-provider group
// rather than a person.
const GroupPrefix = "group:"

// Policy is what a resource's configuration says about who may get access
// to it and for how long. It is plain data; the methods decide.
type Policy struct {
	// Reviewers are emails and "group:NAME" entries.
	Reviewers []string
	// Approvals is how many distinct reviewers must approve.
	Approvals int
	// MaxDuration caps a grant's length, counted from final approval.
	MaxDuration time.Duration
	// ReasonPattern, when set, must match the request's reason.
	ReasonPattern *regexp.Regexp
	// PendingTTL is how long a request may wait for reviewers.
	PendingTTL time.Duration
	// BreakGlass allows a self-grant without review.
	BreakGlass bool
	// BreakGlassMax caps a break-glass grant.
	BreakGlassMax time.Duration
	// Admins may revoke and acknowledge on every resource.
	Admins []string
}

// Identity is a person as the identity provider describes them.
type Identity struct {
	Email  string
	Groups []string
}

// NormalizeEmail is the one form of an email address used for comparison and
// storage, so "Alice@Example.com" and "alice@example.com" are one person.
func NormalizeEmail(email string) string {
	return strings.ToLower(strings.TrimSpace(email))
}

// IsReviewer reports whether id is named by the policy's reviewer list,
// directly or through a group.
func (p Policy) IsReviewer(id Identity) bool {
	email := NormalizeEmail(id.Email)
	for _, r := range p.Reviewers {
		if group, ok := strings.CutPrefix(r, GroupPrefix); ok {
			if slices.Contains(id.Groups, group) {
				return true
			}
			continue
		}
		if NormalizeEmail(r) == email {
			return true
		}
	}
	return false
}

// IsAdmin reports whether id is one of the policy's admins.
func (p Policy) IsAdmin(id Identity) bool {
	email := NormalizeEmail(id.Email)
	for _, a := range p.Admins {
		if NormalizeEmail(a) == email {
			return true
		}
	}
	return false
}

// pendingTTL returns the policy's TTL or the default.
func (p Policy) pendingTTL() time.Duration {
	if p.PendingTTL > 0 {
		return p.PendingTTL
	}
	return DefaultPendingTTL
}

// approvals returns how many approvals a request needs, never fewer than one.
func (p Policy) approvals() int {
	return max(p.Approvals, 1)
}

// breakGlassMax returns the cap of a break-glass grant: the shorter of the
// resource's break-glass cap (or the default) and its normal maximum.
func (p Policy) breakGlassMax() time.Duration {
	limit := p.BreakGlassMax
	if limit <= 0 {
		limit = DefaultBreakGlassMax
	}
	return min(limit, p.MaxDuration)
}

// CheckRequest decides whether a request may be filed as asked.
func (p Policy) CheckRequest(r NewRequest) error {
	if NormalizeEmail(r.Requester) == "" {
		return invalid("requester", "requester email is empty")
	}
	if r.Resource == "" {
		return invalid("resource", "resource is empty")
	}
	if err := r.Access.Validate(); err != nil {
		return err
	}
	if r.Duration <= 0 {
		return invalid("duration", "duration must be positive, got %s", r.Duration)
	}
	if r.Duration%time.Second != 0 {
		return invalid("duration", "duration must be whole seconds, got %s", r.Duration)
	}
	if r.Duration > p.MaxDuration {
		return invalid("duration", "duration %s is longer than %s allows (%s at most)", r.Duration, r.Resource, p.MaxDuration)
	}
	return p.checkReason(r.Reason)
}

func (p Policy) checkReason(reason string) error {
	if strings.TrimSpace(reason) == "" {
		return invalid("reason", "a reason is required")
	}
	if p.ReasonPattern != nil && !p.ReasonPattern.MatchString(reason) {
		return invalid("reason", "reason must match %s", p.ReasonPattern)
	}
	return nil
}

// CheckBreakGlass decides whether a self-grant without review may be taken.
func (p Policy) CheckBreakGlass(r NewRequest) error {
	if !p.BreakGlass {
		return fmt.Errorf("%w: break-glass is not enabled for %s", ErrDenied, r.Resource)
	}
	if err := p.CheckRequest(r); err != nil {
		return err
	}
	if limit := p.breakGlassMax(); r.Duration > limit {
		return invalid("duration", "break-glass duration %s is longer than %s allows (%s at most)", r.Duration, r.Resource, limit)
	}
	return nil
}

// CheckReview decides whether reviewer may record a review on req at now.
func (p Policy) CheckReview(req Request, reviewer Identity, now time.Time) error {
	if err := p.checkReviewer(req.Requester, reviewer); err != nil {
		return err
	}
	return req.checkPending(now)
}

// checkReviewer decides whether reviewer may decide for what requester
// asked: a reviewer of the resource, never the requester themselves.
func (p Policy) checkReviewer(requester string, reviewer Identity) error {
	if NormalizeEmail(reviewer.Email) == requester {
		return ErrSelfReview
	}
	if !p.IsReviewer(reviewer) {
		return ErrNotReviewer
	}
	return nil
}

// CheckRevoke decides whether actor may end someone's grant.
func (p Policy) CheckRevoke(actor Identity) error {
	if p.IsReviewer(actor) || p.IsAdmin(actor) {
		return nil
	}
	return ErrNotReviewer
}

// CheckAcknowledge decides whether actor may clear a break-glass grant's
// needs-review flag. The person who broke the glass never may.
func (p Policy) CheckAcknowledge(g Grant, actor Identity) error {
	if NormalizeEmail(actor.Email) == g.Requester {
		return ErrSelfReview
	}
	if !g.NeedsReview {
		return fmt.Errorf("%w: grant %s does not need review", ErrConflict, g.ID)
	}
	return p.CheckRevoke(actor)
}

// CheckExtend decides whether g may be extended to newExpiry by actor at now.
// Only the requester or a reviewer may extend, and never past the cap that was
// fixed when the grant started.
func (p Policy) CheckExtend(g Grant, actor Identity, newExpiry time.Time, now time.Time) error {
	if NormalizeEmail(actor.Email) != g.Requester && !p.IsReviewer(actor) && !p.IsAdmin(actor) {
		return ErrNotReviewer
	}
	if err := g.checkActive(now); err != nil {
		return err
	}
	if !newExpiry.After(g.ExpiresAt) {
		return invalid("expires_at", "new end %s is not after the current end %s", newExpiry.UTC().Format(time.RFC3339), g.ExpiresAt.UTC().Format(time.RFC3339))
	}
	if newExpiry.After(g.MaxExpiresAt) {
		return invalid("expires_at", "new end %s is past the grant's cap %s", newExpiry.UTC().Format(time.RFC3339), g.MaxExpiresAt.UTC().Format(time.RFC3339))
	}
	return nil
}

// Window returns when a grant approved at approvedAt starts, ends and the
// latest it may ever be extended to. The clock starts at final approval, not
// at the request, so time spent waiting for reviewers is not lost.
func Window(approvedAt time.Time, duration, maxDuration time.Duration) (start, end, capAt time.Time) {
	start = approvedAt
	capAt = approvedAt.Add(maxDuration)
	end = approvedAt.Add(min(duration, maxDuration))
	return start, end, capAt
}

// PolicyMap is the simplest Policies: resource name to policy.
type PolicyMap map[string]Policy

// Policy implements Policies.
func (m PolicyMap) Policy(resource string) (Policy, bool) {
	p, ok := m[resource]
	return p, ok
}
