package grants

import (
	"regexp"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
)

var t0 = time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)

func testPolicy() Policy {
	return Policy{
		Reviewers:     []string{"alice@example.com", "group:db-admins"},
		Approvals:     1,
		MaxDuration:   4 * time.Hour,
		ReasonPattern: regexp.MustCompile(`^(INC|CHG)-[0-9]+`),
		PendingTTL:    time.Hour,
		Admins:        []string{"ops@example.com"},
	}
}

func TestCheckRequest(t *testing.T) {
	t.Parallel()
	ok := NewRequest{Requester: "bob@example.com", Resource: "prod-db", Access: AccessRead, Duration: 2 * time.Hour, Reason: "INC-123 fixing"}
	tests := []struct {
		name   string
		change func(*NewRequest)
		want   error
	}{
		{"valid", func(*NewRequest) {}, nil},
		{"write access", func(r *NewRequest) { r.Access = AccessWrite }, nil},
		{"at the maximum", func(r *NewRequest) { r.Duration = 4 * time.Hour }, nil},
		{"seconds are fine", func(r *NewRequest) { r.Duration = 90 * time.Second }, nil},
		{"over the maximum", func(r *NewRequest) { r.Duration = 4*time.Hour + time.Second }, ErrInvalid},
		{"zero duration", func(r *NewRequest) { r.Duration = 0 }, ErrInvalid},
		{"negative duration", func(r *NewRequest) { r.Duration = -time.Minute }, ErrInvalid},
		{"fraction of a second", func(r *NewRequest) { r.Duration = 1500 * time.Millisecond }, ErrInvalid},
		{"reason not matching", func(r *NewRequest) { r.Reason = "just because" }, ErrInvalid},
		{"reason empty", func(r *NewRequest) { r.Reason = "  " }, ErrInvalid},
		{"unknown access", func(r *NewRequest) { r.Access = "admin" }, ErrInvalid},
		{"empty access", func(r *NewRequest) { r.Access = "" }, ErrInvalid},
		{"no requester", func(r *NewRequest) { r.Requester = "" }, ErrInvalid},
		{"no resource", func(r *NewRequest) { r.Resource = "" }, ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := ok
			tt.change(&r)
			err := testPolicy().CheckRequest(r)
			if tt.want == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tt.want)
			var ie *InputError
			require.ErrorAs(t, err, &ie)
			require.NotEmpty(t, ie.Field)
		})
	}
}

func TestCheckRequestWithoutPattern(t *testing.T) {
	t.Parallel()
	p := testPolicy()
	p.ReasonPattern = nil
	require.NoError(t, p.CheckRequest(NewRequest{Requester: "b@x.io", Resource: "r", Access: AccessRead, Duration: time.Minute, Reason: "anything"}))
}

func TestCheckReview(t *testing.T) {
	t.Parallel()
	pending := Request{ID: uuid.New(), Requester: "bob@example.com", Status: RequestPending, PendingExpiresAt: t0.Add(time.Hour)}
	tests := []struct {
		name     string
		req      func(Request) Request
		reviewer Identity
		now      time.Time
		want     error
	}{
		{"listed reviewer", nil, Identity{Email: "alice@example.com"}, t0, nil},
		{"listed reviewer in other case", nil, Identity{Email: " Alice@Example.COM"}, t0, nil},
		{"group member", nil, Identity{Email: "carol@example.com", Groups: []string{"db-admins"}}, t0, nil},
		{"not a reviewer", nil, Identity{Email: "mallory@example.com", Groups: []string{"sre"}}, t0, ErrNotReviewer},
		{"admin is not a reviewer", nil, Identity{Email: "ops@example.com"}, t0, ErrNotReviewer},
		{"requester approving own", nil, Identity{Email: "bob@example.com", Groups: []string{"db-admins"}}, t0, ErrSelfReview},
		{"requester in other case", nil, Identity{Email: "BOB@example.com", Groups: []string{"db-admins"}}, t0, ErrSelfReview},
		{"wait ran out", nil, Identity{Email: "alice@example.com"}, t0.Add(time.Hour), ErrExpired},
		{"already approved", func(r Request) Request { r.Status = RequestApproved; return r }, Identity{Email: "alice@example.com"}, t0, ErrConflict},
		{"already denied", func(r Request) Request { r.Status = RequestDenied; return r }, Identity{Email: "alice@example.com"}, t0, ErrConflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req := pending
			if tt.req != nil {
				req = tt.req(req)
			}
			err := testPolicy().CheckReview(req, tt.reviewer, tt.now)
			if tt.want == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tt.want)
		})
	}
}

func TestSentinelsAreDenials(t *testing.T) {
	t.Parallel()
	require.ErrorIs(t, ErrSelfReview, ErrDenied)
	require.ErrorIs(t, ErrNotReviewer, ErrDenied)
}

func TestCheckBreakGlass(t *testing.T) {
	t.Parallel()
	r := NewRequest{Requester: "bob@example.com", Resource: "prod-db", Access: AccessWrite, Duration: 20 * time.Minute, Reason: "INC-9 outage"}
	p := testPolicy()
	require.ErrorIs(t, p.CheckBreakGlass(r), ErrDenied, "disabled by default")

	p.BreakGlass = true
	require.NoError(t, p.CheckBreakGlass(r))

	long := r
	long.Duration = 31 * time.Minute
	require.ErrorIs(t, p.CheckBreakGlass(long), ErrInvalid, "default cap is 30m")

	p.BreakGlassMax = 10 * time.Minute
	require.ErrorIs(t, p.CheckBreakGlass(r), ErrInvalid, "resource cap")

	noReason := r
	noReason.Reason = ""
	p.BreakGlassMax = 0
	require.ErrorIs(t, p.CheckBreakGlass(noReason), ErrInvalid, "reason always required")

	p.MaxDuration = 15 * time.Minute
	require.Equal(t, 15*time.Minute, p.breakGlassMax(), "never above the normal maximum")
}

func TestRequestMoves(t *testing.T) {
	t.Parallel()
	all := []RequestStatus{RequestPending, RequestApproved, RequestDenied, RequestCancelled, RequestTimedOut}
	legal := map[[2]RequestStatus]bool{
		{RequestPending, RequestApproved}:  true,
		{RequestPending, RequestDenied}:    true,
		{RequestPending, RequestCancelled}: true,
		{RequestPending, RequestTimedOut}:  true,
	}
	for _, from := range all {
		for _, to := range all {
			err := from.CanMove(to)
			if legal[[2]RequestStatus{from, to}] {
				require.NoError(t, err, "%s -> %s", from, to)
			} else {
				require.ErrorIs(t, err, ErrConflict, "%s -> %s", from, to)
			}
		}
	}
}

func TestGrantMoves(t *testing.T) {
	t.Parallel()
	all := []GrantStatus{GrantActive, GrantExpired, GrantRevoked, GrantReleased}
	for _, from := range all {
		for _, to := range all {
			err := from.CanMove(to)
			if from == GrantActive && to != GrantActive {
				require.NoError(t, err, "%s -> %s", from, to)
			} else {
				require.ErrorIs(t, err, ErrConflict, "%s -> %s", from, to)
			}
		}
	}
}

func TestWindow(t *testing.T) {
	t.Parallel()
	start, end, capAt := Window(t0, 2*time.Hour, 4*time.Hour)
	require.Equal(t, t0, start)
	require.Equal(t, t0.Add(2*time.Hour), end)
	require.Equal(t, t0.Add(4*time.Hour), capAt)

	_, end, _ = Window(t0, 5*time.Hour, 4*time.Hour)
	require.Equal(t, t0.Add(4*time.Hour), end, "never past approval + max")
}

func TestGrantActiveAt(t *testing.T) {
	t.Parallel()
	g := Grant{Status: GrantActive, StartsAt: t0, ExpiresAt: t0.Add(time.Hour)}
	require.False(t, g.ActiveAt(t0.Add(-time.Second)), "before start")
	require.True(t, g.ActiveAt(t0))
	require.True(t, g.ActiveAt(t0.Add(time.Hour-time.Microsecond)))
	require.False(t, g.ActiveAt(t0.Add(time.Hour)), "at its end")
	g.Status = GrantRevoked
	require.False(t, g.ActiveAt(t0.Add(time.Minute)), "revoked")
}

func TestCheckExtend(t *testing.T) {
	t.Parallel()
	g := Grant{ID: uuid.New(), Requester: "bob@example.com", Status: GrantActive, StartsAt: t0, ExpiresAt: t0.Add(time.Hour), MaxExpiresAt: t0.Add(4 * time.Hour)}
	p := testPolicy()
	bob := Identity{Email: "bob@example.com"}
	now := t0.Add(30 * time.Minute)
	tests := []struct {
		name  string
		actor Identity
		to    time.Time
		now   time.Time
		want  error
	}{
		{"holder within cap", bob, t0.Add(2 * time.Hour), now, nil},
		{"holder to the cap", bob, t0.Add(4 * time.Hour), now, nil},
		{"reviewer", Identity{Email: "alice@example.com"}, t0.Add(2 * time.Hour), now, nil},
		{"past the cap", bob, t0.Add(4*time.Hour + time.Second), now, ErrInvalid},
		{"not later", bob, t0.Add(time.Hour), now, ErrInvalid},
		{"stranger", Identity{Email: "eve@example.com"}, t0.Add(2 * time.Hour), now, ErrDenied},
		{"after the end", bob, t0.Add(2 * time.Hour), t0.Add(time.Hour), ErrExpired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := p.CheckExtend(g, tt.actor, tt.to, tt.now)
			if tt.want == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tt.want)
		})
	}
}

func TestCheckRevokeAndAcknowledge(t *testing.T) {
	t.Parallel()
	p := testPolicy()
	require.NoError(t, p.CheckRevoke(Identity{Email: "alice@example.com"}))
	require.NoError(t, p.CheckRevoke(Identity{Email: "x@example.com", Groups: []string{"db-admins"}}))
	require.NoError(t, p.CheckRevoke(Identity{Email: "ops@example.com"}), "admin")
	require.ErrorIs(t, p.CheckRevoke(Identity{Email: "bob@example.com"}), ErrDenied)

	g := Grant{ID: uuid.New(), Requester: "alice@example.com", NeedsReview: true}
	require.ErrorIs(t, p.CheckAcknowledge(g, Identity{Email: "alice@example.com"}), ErrSelfReview, "own break-glass")
	require.NoError(t, p.CheckAcknowledge(g, Identity{Email: "x@example.com", Groups: []string{"db-admins"}}))
	require.ErrorIs(t, p.CheckAcknowledge(g, Identity{Email: "bob@example.com"}), ErrDenied)
	g.NeedsReview = false
	require.ErrorIs(t, p.CheckAcknowledge(g, Identity{Email: "ops@example.com"}), ErrConflict)
}

func TestCheckStatementReview(t *testing.T) {
	p := testPolicy()
	pending := StatementReview{Requester: "bob@example.com", Status: StatementPending, WaitsUntil: t0.Add(time.Minute)}
	decided := pending
	decided.Status = StatementApproved
	tests := []struct {
		name     string
		r        StatementReview
		reviewer Identity
		at       time.Time
		want     error
	}{
		{"reviewer", pending, Identity{Email: "Alice@Example.com"}, t0, nil},
		{"reviewer by group", pending, Identity{Email: "carol@example.com", Groups: []string{"db-admins"}}, t0, nil},
		{"own statement", pending, Identity{Email: "BOB@example.com"}, t0, ErrSelfReview},
		{"not a reviewer", pending, Identity{Email: "eve@example.com"}, t0, ErrNotReviewer},
		{"already decided", decided, Identity{Email: "alice@example.com"}, t0, ErrConflict},
		{"wait ran out", pending, Identity{Email: "alice@example.com"}, t0.Add(time.Minute), ErrExpired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := p.CheckStatementReview(tt.r, tt.reviewer, tt.at)
			if tt.want == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tt.want)
		})
	}
}
