-- InsertReview records one reviewer's decision once: a second delivery of
-- the same review inserts nothing and returns no row.
-- name: InsertReview :one
INSERT INTO reviews (request_id, requester, reviewer, decision, reason, created_at)
VALUES (@request_id, @requester, @reviewer, @decision, @reason, @created_at)
ON CONFLICT (request_id, reviewer) DO NOTHING
RETURNING *;

-- name: ListReviews :many
SELECT * FROM reviews WHERE request_id = @request_id ORDER BY id;

-- name: CountApprovals :one
SELECT count(*) FROM reviews WHERE request_id = @request_id AND decision = 'approve';
