package broker

import (
	"context"
	"hash/fnv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/jitgate/jitgate/grants"
)

// lockKey turns a name into an advisory lock key of jitgate's own.
func lockKey(name string) int64 {
	h := fnv.New64a()
	h.Write([]byte("jitgate:" + name))
	return int64(h.Sum64())
}

// lockedConn takes a connection of its own out of pool and the
// session-level advisory lock key on it, so that one replica acts at a
// time. It returns a nil connection when another replica holds the lock.
// The lock lasts as long as the connection, so it never goes back to the
// pool: the caller closes it to let go.
func lockedConn(ctx context.Context, pool *pgxpool.Pool, policies grants.Policies, key int64) (*pgx.Conn, error) {
	pooled, err := pool.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	conn := pooled.Hijack()
	ok, err := grants.NewStore(conn, policies).TryLock(ctx, key)
	if err != nil || !ok {
		conn.Close(context.Background())
		return nil, err
	}
	return conn, nil
}
