package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// explainLockTimeout adds to a statement cancelled by lock_timeout
// (SQLSTATE 55P03) what happened and who holds the table: the sessions of
// the database holding an ACCESS EXCLUSIVE lock, the one no read gets
// past (ALTER TABLE, TRUNCATE, VACUUM FULL, CLUSTER, LOCK TABLE), by pid,
// application and how long their transaction has been open. Their query
// text is left out: it may hold values that must not reach lake's logs.
// Other errors are returned as they are.
func (sn *Snapshot) explainLockTimeout(ctx context.Context, err error) error {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "55P03" || sn.conn.IsClosed() {
		return err
	}
	var holders []string
	// In a savepoint of its own: a failure here must not abort the
	// snapshot's transaction.
	_ = sn.inSavepoint(ctx, func() error {
		rows, err := sn.conn.Query(ctx, `
			SELECT l.relation::regclass::text, l.pid, coalesce(a.application_name, ''),
			       coalesce(extract(epoch FROM now() - a.xact_start), 0)::float8
			  FROM pg_catalog.pg_locks l
			  LEFT JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid
			 WHERE l.locktype = 'relation' AND l.mode = 'AccessExclusiveLock' AND l.granted
			   AND l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())
			   AND l.pid <> pg_catalog.pg_backend_pid()
			 ORDER BY a.xact_start NULLS LAST
			 LIMIT 5`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var (
				rel, app string
				pid      int32
				secs     float64
			)
			if err := rows.Scan(&rel, &pid, &app, &secs); err != nil {
				return err
			}
			h := fmt.Sprintf("%s by pid %d", rel, pid)
			if app != "" {
				h += fmt.Sprintf(" (%s)", app)
			}
			if d := time.Duration(secs * float64(time.Second)).Round(time.Second); d > 0 {
				h += fmt.Sprintf(", in a transaction for %s", d)
			}
			holders = append(holders, h)
		}
		return rows.Err()
	})
	held := "another session holds an exclusive lock on the table (an ALTER TABLE, TRUNCATE, VACUUM FULL, CLUSTER or LOCK TABLE)"
	if len(holders) > 0 {
		held = "exclusive locks are held on " + strings.Join(holders, "; ")
	}
	timeout := "lock_timeout"
	if t := sn.source.LockTimeout; t > 0 {
		timeout = fmt.Sprintf("lock_timeout (%s)", t)
	}
	return fmt.Errorf("%w: waited the source's %s for a lock: %s; not read: schedule the two apart, or raise the source's lock_timeout in lake.yaml", err, timeout, held)
}
