package bot

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/slack-go/slack"
	"github.com/stretchr/testify/require"

	"github.com/jitgate/jitgate/grants"
)

var update = flag.Bool("update", false, "rewrite golden files")

// Fixed clock and IDs keep the goldens stable.
var (
	renderNow       = time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	renderRequestID = uuid.MustParse("11111111-1111-4111-8111-111111111111")
	renderGrantID   = uuid.MustParse("22222222-2222-4222-8222-222222222222")
	renderReviewID  = uuid.MustParse("33333333-3333-4333-8333-333333333333")
)

const (
	renderReason = "fixing INC-123: the orders index is bloated"
	// renderEvil is free text that Slack would turn into a channel-wide
	// ping, a disguised link and bold text if it ever parsed it.
	renderEvil = "<!channel> <https://evil|click> *bold* & more"
)

// renderFixture is one rendering to pin with a golden file. showsWords says
// the free text given to the fixtures must appear, as typed, in a
// plain_text object; buttons lists the action IDs of its buttons, in order.
type renderFixture struct {
	name       string
	render     func(t *testing.T) any
	showsWords bool
	buttons    []string
}

func fixtureRequest(words string) grants.Request {
	return grants.Request{
		ID:                renderRequestID,
		Kind:              grants.KindReview,
		Requester:         "bob@example.com",
		Resource:          "prod-db",
		Access:            grants.AccessWrite,
		Duration:          2 * time.Hour,
		Reason:            words,
		Status:            grants.RequestPending,
		ApprovalsRequired: 2,
		MaxDuration:       8 * time.Hour,
		CreatedAt:         renderNow.Add(-10 * time.Minute),
		PendingExpiresAt:  renderNow.Add(50 * time.Minute),
	}
}

func fixtureGrant() grants.Grant {
	return grants.Grant{
		ID:           renderGrantID,
		RequestID:    renderRequestID,
		Requester:    "bob@example.com",
		Resource:     "prod-db",
		Access:       grants.AccessWrite,
		Status:       grants.GrantActive,
		StartsAt:     renderNow.Add(-5 * time.Minute),
		ExpiresAt:    renderNow.Add(115 * time.Minute),
		MaxExpiresAt: renderNow.Add(475 * time.Minute),
	}
}

func fixtureReview(reviewer string, d grants.Decision, words string) grants.Review {
	return grants.Review{RequestID: renderRequestID, Reviewer: reviewer, Decision: d, Reason: words, CreatedAt: renderNow.Add(-5 * time.Minute)}
}

func fixtureState(words string) requestState {
	return requestState{
		Request:   fixtureRequest(words),
		Requester: "<@UBOB>",
		Reviewers: []string{"<@UALICE>", "<!subteam^SDBA>"},
		Now:       renderNow,
	}
}

// decided moves a fixture request to its outcome as the store would.
func decided(st requestState, status grants.RequestStatus, by, words string) requestState {
	st.Request.Status = status
	st.Request.DecidedAt = renderNow.Add(-5 * time.Minute)
	st.Request.DecidedBy = by
	st.Request.DecisionReason = words
	return st
}

func approvedState(words string) requestState {
	st := decided(fixtureState(words), grants.RequestApproved, "carol@example.com", "")
	st.Reviews = []grants.Review{
		fixtureReview("alice@example.com", grants.Approve, ""),
		fixtureReview("carol@example.com", grants.Approve, ""),
	}
	g := fixtureGrant()
	st.Grant = &g
	return st
}

func revokedGrant(words string) grants.Grant {
	g := fixtureGrant()
	g.Status = grants.GrantRevoked
	g.EndedAt = renderNow
	g.EndedBy = "alice@example.com"
	g.EndReason = words
	return g
}

func directState(words string, kind grants.Kind, by string, needsReview bool) requestState {
	st := decided(fixtureState(words), grants.RequestApproved, by, "")
	st.Request.Kind = kind
	st.Request.ApprovalsRequired = 1
	g := fixtureGrant()
	g.NeedsReview = needsReview
	st.Grant = &g
	return st
}

func requestFixtures(words string) []renderFixture {
	review := []string{actionApprove, actionDeny}
	return []renderFixture{
		{name: "request_pending", showsWords: true, buttons: review, render: func(*testing.T) any {
			st := fixtureState(words)
			st.Reviews = []grants.Review{fixtureReview("alice@example.com", grants.Approve, words)}
			return renderRequest(st)
		}},
		{name: "request_approved_active", showsWords: true, render: func(*testing.T) any {
			return renderRequest(approvedState(words))
		}},
		{name: "request_approved_revoked", showsWords: true, render: func(*testing.T) any {
			st := approvedState(words)
			g := revokedGrant(words)
			st.Grant = &g
			return renderRequest(st)
		}},
		{name: "request_denied", showsWords: true, render: func(*testing.T) any {
			st := decided(fixtureState(words), grants.RequestDenied, "alice@example.com", words)
			st.Reviews = []grants.Review{fixtureReview("alice@example.com", grants.Deny, words)}
			return renderRequest(st)
		}},
		{name: "request_timed_out", showsWords: true, render: func(*testing.T) any {
			return renderRequest(decided(fixtureState(words), grants.RequestTimedOut, grants.SystemActor, ""))
		}},
		{name: "request_cancelled", showsWords: true, render: func(*testing.T) any {
			return renderRequest(decided(fixtureState(words), grants.RequestCancelled, "bob@example.com", ""))
		}},
		{name: "request_break_glass", showsWords: true, render: func(*testing.T) any {
			return renderRequest(directState(words, grants.KindBreakGlass, "bob@example.com", true))
		}},
		{name: "request_operator", showsWords: true, render: func(*testing.T) any {
			return renderRequest(directState(words, grants.KindOperator, "cli:root", false))
		}},
	}
}

// fixtureMentions are how the bot shows the fixtures' people in mrkdwn.
var fixtureMentions = map[string]string{
	"alice@example.com": "<@UALICE>",
	"bob@example.com":   "<@UBOB>",
	grants.SystemActor:  grants.SystemActor,
}

// fixtureEvent is an audit event as it comes back from the database: its
// details decoded from JSON, so times are RFC 3339 strings.
func fixtureEvent(action, actor string, details map[string]any) eventState {
	g := fixtureGrant()
	return eventState{
		Event: grants.AuditEvent{
			ID: 7, At: renderNow, Actor: actor, Action: action,
			RequestID: renderRequestID, GrantID: renderGrantID, Details: details,
		},
		Request:   fixtureRequest(renderReason),
		Grant:     &g,
		Actor:     fixtureMentions[actor],
		Approvals: 1,
	}
}

func eventFixture(name string, showsWords bool, ev eventState) renderFixture {
	return renderFixture{name: name, showsWords: showsWords, render: func(t *testing.T) any {
		m, ok := renderEvent(ev)
		require.True(t, ok, "%s gets a reply", ev.Event.Action)
		return m
	}}
}

func eventFixtures(words string) []renderFixture {
	ended := fixtureEvent("grant.revoked", "alice@example.com", map[string]any{"reason": words})
	g := revokedGrant(words)
	ended.Grant = &g
	return []renderFixture{
		eventFixture("event_request_reviewed", true, fixtureEvent("request.reviewed", "alice@example.com",
			map[string]any{"decision": "approve", "reason": words})),
		eventFixture("event_request_denied", true, fixtureEvent("request.denied", "alice@example.com",
			map[string]any{"reason": words})),
		eventFixture("event_request_timed_out", false, fixtureEvent("request.timed_out", grants.SystemActor, map[string]any{})),
		eventFixture("event_request_cancelled", false, fixtureEvent("request.cancelled", "bob@example.com", map[string]any{"reason": ""})),
		eventFixture("event_grant_started", false, fixtureEvent("grant.started", grants.SystemActor,
			map[string]any{"expires_at": renderNow.Add(115 * time.Minute).Format(time.RFC3339Nano), "access": "write", "needs_review": false})),
		eventFixture("event_grant_extended", true, fixtureEvent("grant.extended", "bob@example.com",
			map[string]any{"from": renderNow.Add(115 * time.Minute).Format(time.RFC3339Nano), "to": renderNow.Add(235 * time.Minute).Format(time.RFC3339Nano), "reason": words})),
		eventFixture("event_grant_released", false, fixtureEvent("grant.released", "bob@example.com",
			map[string]any{"reason": "released by the requester"})),
		eventFixture("event_grant_revoked", true, ended),
		eventFixture("event_grant_expired", false, fixtureEvent("grant.expired", grants.SystemActor, map[string]any{})),
		eventFixture("event_grant_acknowledged", false, fixtureEvent("grant.acknowledged", "alice@example.com", map[string]any{})),
	}
}

func controlsFixtures(words string) []renderFixture {
	expired := fixtureGrant()
	expired.Status, expired.EndedAt, expired.EndedBy = grants.GrantExpired, renderNow, grants.SystemActor
	return []renderFixture{
		{name: "grant_controls_active", buttons: []string{actionExtend, actionRelease, actionRevoke}, render: func(*testing.T) any {
			return renderGrantControls(grantControls{Grant: fixtureGrant(), Now: renderNow})
		}},
		{name: "grant_controls_revoked", showsWords: true, render: func(*testing.T) any {
			return renderGrantControls(grantControls{Grant: revokedGrant(words), Now: renderNow})
		}},
		{name: "grant_controls_expired", render: func(*testing.T) any {
			return renderGrantControls(grantControls{Grant: expired, Now: renderNow})
		}},
	}
}

func fixtureStatement(statement string, status grants.StatementStatus) statementState {
	st := statementState{
		Review: grants.StatementReview{
			ID: renderReviewID, GrantID: renderGrantID, RequestID: renderRequestID,
			Requester: "bob@example.com", Resource: "prod-db",
			Statement: statement, Reasons: []string{"drops a table", "no WHERE clause"},
			Status: status, CreatedAt: renderNow, WaitsUntil: renderNow.Add(2 * time.Minute),
		},
		Requester: "<@UBOB>",
	}
	if status != grants.StatementPending && status != grants.StatementTimedOut {
		st.Review.DecidedAt, st.Review.DecidedBy = renderNow.Add(time.Minute), "alice@example.com"
		st.DecidedBy = "<@UALICE>"
	}
	return st
}

func statementFixtures(words string) []renderFixture {
	statement := "DROP TABLE orders; -- " + words
	var out []renderFixture
	for _, s := range []grants.StatementStatus{grants.StatementPending, grants.StatementApproved, grants.StatementDenied, grants.StatementTimedOut} {
		f := renderFixture{name: "statement_" + string(s), render: func(*testing.T) any {
			return renderStatement(fixtureStatement(statement, s))
		}}
		if s == grants.StatementPending {
			f.buttons = []string{actionStatementApprove, actionStatementDeny}
		}
		out = append(out, f)
	}
	return out
}

func dmFixtures(words string) []renderFixture {
	conn := func(kind, port string) *connectInfo {
		return &connectInfo{Kind: kind, Resource: "prod-db", Email: "bob@example.com", Host: "jitgate.internal", Port: port}
	}
	return []renderFixture{
		{name: "dm_approved_postgres", render: func(*testing.T) any {
			return renderOutcomeDM(approvedState(words), conn("postgres", "15432"))
		}},
		{name: "dm_approved_ssh", render: func(*testing.T) any {
			return renderOutcomeDM(approvedState(words), conn("ssh", "2222"))
		}},
		{name: "dm_denied", showsWords: true, render: func(*testing.T) any {
			return renderOutcomeDM(decided(fixtureState(words), grants.RequestDenied, "alice@example.com", words), nil)
		}},
		{name: "dm_timed_out", render: func(*testing.T) any {
			return renderOutcomeDM(decided(fixtureState(words), grants.RequestTimedOut, grants.SystemActor, ""), nil)
		}},
	}
}

func modalFixtures() []renderFixture {
	choices := []resourceChoice{
		{Name: "prod-db", Kind: "postgres", MaxDuration: 4 * time.Hour},
		{Name: "bastion", Kind: "ssh", MaxDuration: 90 * time.Minute},
		{Name: "warehouse", Kind: "postgres", MaxDuration: 10 * time.Hour},
	}
	return []renderFixture{
		{name: "modal_request", render: func(*testing.T) any { return requestModal(choices) }},
		{name: "modal_deny", render: func(*testing.T) any { return denyModal(renderRequestID) }},
		{name: "modal_extend", render: func(*testing.T) any { return extendModal(fixtureGrant(), renderNow, "/access") }},
		{name: "modal_revoke", render: func(*testing.T) any { return revokeModal(fixtureGrant()) }},
	}
}

func renderFixtures(words string) []renderFixture {
	var out []renderFixture
	for _, group := range [][]renderFixture{
		requestFixtures(words), eventFixtures(words), controlsFixtures(words),
		statementFixtures(words), dmFixtures(words), modalFixtures(),
	} {
		out = append(out, group...)
	}
	return out
}

// goldenMessage is how a message is written to its golden file: what
// chat.postMessage gets as text and blocks.
type goldenMessage struct {
	Text   string        `json:"text"`
	Blocks []slack.Block `json:"blocks"`
}

// renderJSON marshals a rendering for its golden file. HTML escaping is
// off so the goldens show "<@U1>" and "&lt;" as Slack receives them.
func renderJSON(t *testing.T, v any) []byte {
	t.Helper()
	if m, ok := v.(message); ok {
		v = goldenMessage(m)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	require.NoError(t, enc.Encode(v))
	return b.Bytes()
}

func TestRenderGolden(t *testing.T) {
	for _, f := range renderFixtures(renderReason) {
		t.Run(f.name, func(t *testing.T) {
			got := renderJSON(t, f.render(t))
			path := filepath.Join("testdata", "golden", f.name+".json")
			if *update {
				require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
				require.NoError(t, os.WriteFile(path, got, 0o644))
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err, "run go test ./bot/ -run RenderGolden -update to create it")
			require.Equal(t, string(want), string(got))
		})
	}
}
