package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
)

// Shape of one simulated day.
const (
	newOrdersPerMille = 2    // new orders per day, per 1000 existing orders
	statusChanges     = 1000 // recent orders that move on
	deletedCancelled  = 5    // recent cancelled orders removed
)

func runNight(ctx context.Context, args []string) error {
	fs := newFlagSet("night")
	path := fs.String("db", "", "path of the demo SQLite database (required)")
	dayFlag := fs.String("day", "", "the day to simulate, YYYY-MM-DD (required)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *path == "" || *dayFlag == "" || fs.NArg() > 0 {
		fs.Usage()
		return errors.New("night: --db and --day are required and take no arguments")
	}
	d, err := parseDay("day", *dayFlag)
	if err != nil {
		return fmt.Errorf("night: %w", err)
	}
	if _, err := os.Stat(*path); err != nil {
		return fmt.Errorf("night: %w; make it with lake-demo create", err)
	}
	r, err := night(ctx, *path, d)
	if err != nil {
		return fmt.Errorf("night %s on %s: %w", *dayFlag, *path, err)
	}
	fmt.Fprintf(os.Stderr, "night %s: inserted %d orders (%d items), updated %d orders, deleted %d cancelled orders\n",
		*dayFlag, r.inserted, r.items, r.updated, r.deleted)
	return nil
}

type nightReport struct {
	inserted, items, updated, deleted int64
}

// night applies one day of changes in one transaction. Everything is derived
// from order ids and the day, so replaying the same nights on the same
// database gives the same result.
func night(ctx context.Context, path string, d time.Time) (nightReport, error) {
	var r nightReport
	db, err := openShop(ctx, path, "WAL")
	if err != nil {
		return r, err
	}
	defer db.Close()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return r, err
	}
	defer tx.Rollback()

	var count, maxID, customers int64
	if err := tx.QueryRowContext(ctx, "SELECT count(*), coalesce(max(id), 0) FROM orders").Scan(&count, &maxID); err != nil {
		return r, fmt.Errorf("count orders: %w", err)
	}
	if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM customers").Scan(&customers); err != nil {
		return r, fmt.Errorf("count customers: %w", err)
	}
	if customers == 0 {
		return r, errors.New("no customers: make the database with lake-demo create")
	}
	dayStart, dayEnd := d.Unix(), d.Unix()+day
	daySalt := d.Unix() / day

	// New orders, spread over the day, seen at the end of the day.
	n := max(1, count*newOrdersPerMille/1000)
	res, err := tx.ExecContext(ctx, insertOrdersSQL(fmt.Sprintf(`(
	WITH RECURSIVE %s
	SELECT %d + id AS id, %d + (id - 1) * %d / %d AS ts, %d AS now FROM seq
)`, seqCTE(n), maxID, dayStart, day, n, dayEnd), int(customers)))
	if err != nil {
		return r, fmt.Errorf("insert orders: %w", err)
	}
	r.inserted, _ = res.RowsAffected()
	if res, err = tx.ExecContext(ctx, insertItemsSQL(maxID)); err != nil {
		return r, fmt.Errorf("insert order items: %w", err)
	}
	r.items, _ = res.RowsAffected()

	// Recent open orders move on: new → paid (or cancelled), paid → shipped,
	// shipped → delivered, at some minute of the day.
	since := time.Unix(dayStart-14*day, 0).UTC().Format(time.DateTime)
	before := time.Unix(dayStart, 0).UTC().Format(time.DateTime)
	res, err = tx.ExecContext(ctx, fmt.Sprintf(`
UPDATE orders SET
	status = CASE status
		WHEN 'new' THEN CASE WHEN %s = 0 THEN 'cancelled' ELSE 'paid' END
		WHEN 'paid' THEN 'shipped'
		ELSE 'delivered' END,
	updated_at = datetime(%d + 60 * %s, 'unixepoch')
WHERE id IN (
	SELECT id FROM orders
	WHERE created_at >= ? AND created_at < ? AND status IN ('new', 'paid', 'shipped')
	ORDER BY %s LIMIT %d
)`, pick("id", 20, 10), dayStart, pick(fmt.Sprintf("id + %d", daySalt), 21, 24*60),
		hash(fmt.Sprintf("id + %d", daySalt), 22), statusChanges), since, before)
	if err != nil {
		return r, fmt.Errorf("update orders: %w", err)
	}
	r.updated, _ = res.RowsAffected()

	// A few recently cancelled orders disappear, as a GDPR request or a
	// cleanup job would make them.
	ids, err := queryIDs(ctx, tx, fmt.Sprintf(`
SELECT id FROM orders
WHERE created_at >= ? AND created_at < ? AND status = 'cancelled'
ORDER BY %s LIMIT %d`, hash(fmt.Sprintf("id + %d", daySalt), 23), deletedCancelled),
		time.Unix(dayStart-30*day, 0).UTC().Format(time.DateTime), before)
	if err != nil {
		return r, fmt.Errorf("find cancelled orders: %w", err)
	}
	if len(ids) > 0 {
		in := "(" + strings.TrimSuffix(strings.Repeat("?,", len(ids)), ",") + ")"
		if _, err := tx.ExecContext(ctx, "DELETE FROM order_items WHERE order_id IN "+in, ids...); err != nil {
			return r, fmt.Errorf("delete order items: %w", err)
		}
		if res, err = tx.ExecContext(ctx, "DELETE FROM orders WHERE id IN "+in, ids...); err != nil {
			return r, fmt.Errorf("delete orders: %w", err)
		}
		r.deleted, _ = res.RowsAffected()
	}
	return r, tx.Commit()
}

func queryIDs(ctx context.Context, tx *sql.Tx, query string, args ...any) ([]any, error) {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []any
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}
