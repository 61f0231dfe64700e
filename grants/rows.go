package grants

import (
	"time"

	"github.com/jitgate/jitgate/sqlc"
)

// Rows from sqlc become domain values here and nowhere else.

// utc gives every time the package hands out one location, so values
// compare equal with == and print the same everywhere.
func utc(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC()
}

func seconds(s int64) time.Duration { return time.Duration(s) * time.Second }

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func requestFromRow(r sqlc.Request) Request {
	return Request{
		ID:                r.ID,
		Kind:              Kind(r.Kind),
		Requester:         r.Requester,
		Resource:          r.Resource,
		Access:            Access(r.Access),
		Duration:          seconds(r.DurationSeconds),
		Reason:            r.Reason,
		Status:            RequestStatus(r.Status),
		ApprovalsRequired: int(r.ApprovalsRequired),
		MaxDuration:       seconds(r.MaxDurationSeconds),
		CreatedAt:         utc(r.CreatedAt),
		PendingExpiresAt:  utc(r.PendingExpiresAt),
		DecidedAt:         utc(deref(r.DecidedAt)),
		DecidedBy:         deref(r.DecidedBy),
		DecisionReason:    deref(r.DecisionReason),
	}
}

func requestsFromRows(rows []sqlc.Request) []Request {
	out := make([]Request, len(rows))
	for i, r := range rows {
		out[i] = requestFromRow(r)
	}
	return out
}

func grantFromRow(g sqlc.Grant) Grant {
	return Grant{
		ID:           g.ID,
		RequestID:    g.RequestID,
		Requester:    g.Requester,
		Resource:     g.Resource,
		Access:       Access(g.Access),
		Status:       GrantStatus(g.Status),
		StartsAt:     utc(g.StartsAt),
		ExpiresAt:    utc(g.ExpiresAt),
		MaxExpiresAt: utc(g.MaxExpiresAt),
		EndedAt:      utc(deref(g.EndedAt)),
		EndedBy:      deref(g.EndedBy),
		EndReason:    deref(g.EndReason),
		NeedsReview:  g.NeedsReview,
	}
}

func grantsFromRows(rows []sqlc.Grant) []Grant {
	out := make([]Grant, len(rows))
	for i, g := range rows {
		out[i] = grantFromRow(g)
	}
	return out
}

func reviewFromRow(r sqlc.Review) Review {
	return Review{
		RequestID: r.RequestID,
		Reviewer:  r.Reviewer,
		Decision:  Decision(r.Decision),
		Reason:    r.Reason,
		CreatedAt: utc(r.CreatedAt),
	}
}
