package postgres

import (
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// explainRecoveryConflict adds what to do to the error a hot standby
// raises when it cancels a query, or ends a session, to replay changes of
// its primary that the snapshot still needs (a vacuum there removing rows
// the snapshot can see): SQLSTATE 40001, which a READ ONLY, REPEATABLE READ
// transaction raises for no other reason, or 40P01 for a buffer pin
// deadlock with recovery. A nightly snapshot is a long transaction, the
// very thing the standby's defaults cancel after 30 seconds of waiting.
// Other errors are returned as they are.
func explainRecoveryConflict(err error) error {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return err
	}
	if pgErr.Code != "40001" && !(pgErr.Code == "40P01" && strings.Contains(pgErr.Message, "recovery")) {
		return err
	}
	detail := ""
	if pgErr.Detail != "" {
		detail = " (" + strings.TrimSuffix(pgErr.Detail, ".") + ")"
	}
	return fmt.Errorf("%w%s: the source is a hot standby, which cancelled the snapshot to replay changes from its primary; "+
		"on the standby set hot_standby_feedback = on, or max_standby_streaming_delay = -1 (or longer than the night), "+
		"or read from the primary", err, detail)
}
