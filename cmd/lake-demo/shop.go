package main

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// The shop's fixed dimensions.
const (
	productCount  = 500
	maxItems      = 3 // items per order are 1..maxItems, about 2 on average
	historyYears  = 3
	customerRatio = 20 // one customer per 20 orders
	day           = 24 * 60 * 60
)

const schema = `
CREATE TABLE customers (
	id INTEGER PRIMARY KEY,
	name TEXT,
	email TEXT,
	country TEXT,
	created_at TIMESTAMP
);
CREATE TABLE products (
	id INTEGER PRIMARY KEY,
	name TEXT,
	category TEXT,
	price DECIMAL(10,2)
);
CREATE TABLE orders (
	id INTEGER PRIMARY KEY,
	customer_id INTEGER,
	status TEXT,
	amount DECIMAL(12,2),
	created_at TIMESTAMP,
	updated_at TIMESTAMP
);
CREATE TABLE order_items (
	order_id INTEGER,
	product_id INTEGER,
	quantity INTEGER,
	unit_price DECIMAL(10,2)
);
`

// indexes are built after the bulk load, which is faster than maintaining
// them row by row; night needs them to find recent orders quickly.
const indexes = `
CREATE INDEX orders_created_at ON orders (created_at);
CREATE INDEX order_items_order_id ON order_items (order_id);
`

// openShop opens (or creates) the database file at path. journal is the
// journal mode; the demo database is kept in WAL mode, as a production
// database that is read while it is written would be.
func openShop(ctx context.Context, path, journal string) (*sql.DB, error) {
	q := url.Values{}
	q.Add("_pragma", "journal_mode("+journal+")")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "cache_size(-262144)") // 256 MiB: the bulk load and index builds stay in memory
	q.Add("_pragma", "temp_store(MEMORY)")
	db, err := sql.Open("sqlite", path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	// One connection: the work is one transaction at a time, and the
	// pragmas above apply per connection.
	db.SetMaxOpenConns(1)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return db, nil
}

// seqCTE returns common table expressions, for a WITH RECURSIVE clause,
// that define seq(id) as the integers 1..n. Crossing two short recursive
// sequences is about twice as fast as counting to n recursively.
func seqCTE(n int64) string {
	return fmt.Sprintf(`lo(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM lo WHERE i < 999),
hi(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM hi WHERE i < %d),
seq(id) AS (SELECT hi.i * 1000 + lo.i + 1 FROM hi CROSS JOIN lo WHERE hi.i * 1000 + lo.i < %d)`, (n-1)/1000, n)
}

// Deterministic pseudo-random numbers, computed by SQLite from row ids: a
// multiplicative hash keeps the 16 bits above the lowest 16 of a 32-bit
// product. The same ids and salts always give the same numbers.

// hash returns SQL for an integer in [0, 65536) derived from the integer
// SQL expression x and a salt.
func hash(x string, salt int) string {
	return fmt.Sprintf("((((%s) * 2654435761 + %d) %% 4294967296) / 65536)", x, salt*40503)
}

// pick returns SQL for an integer in [0, n), n ≤ 65536.
func pick(x string, salt, n int) string {
	return fmt.Sprintf("(%s %% %d)", hash(x, salt), n)
}

// jsonPick returns SQL choosing one of words by pick(x, salt, len(words)).
func jsonPick(x string, salt int, words ...string) string {
	return fmt.Sprintf(`json_extract('["%s"]', '$[' || %s || ']')`, strings.Join(words, `","`), pick(x, salt, len(words)))
}

// itemCount is how many lines order o has.
func itemCount(o string) string { return "(1 + " + pick(o, 1, maxItems) + ")" }

// itemProduct is the product of line l of order o.
func itemProduct(o, l string) string {
	return "(1 + " + pick(fmt.Sprintf("(%s) * 8 + %s", o, l), 2, productCount) + ")"
}

// itemQuantity is the quantity of line l of order o: 1 to 3.
func itemQuantity(o, l string) string {
	return "(1 + " + pick(fmt.Sprintf("(%s) * 8 + %s", o, l), 3, 3) + ")"
}

// priceCents is the price of product p in cents: 1.99 to 499.99.
func priceCents(p string) string { return "(199 + " + pick(p, 4, 49801) + ")" }

// amountCents is the total of order o in cents, the sum of its lines; it
// repeats the item formulas instead of reading order_items so orders can be
// generated in one pass. Each branch holds the lines of one item count, so
// SQLite evaluates the count once and only the lines that exist.
func amountCents(o string) string {
	var b strings.Builder
	b.WriteString("(CASE " + itemCount(o))
	for k := 1; k <= maxItems; k++ {
		var lines []string
		for l := 1; l <= k; l++ {
			ls := fmt.Sprint(l)
			lines = append(lines, itemQuantity(o, ls)+" * "+priceCents(itemProduct(o, ls)))
		}
		fmt.Fprintf(&b, " WHEN %d THEN %s", k, strings.Join(lines, " + "))
	}
	b.WriteString(" END)")
	return b.String()
}

// orderStatus is the status of order o created at Unix time ts as seen at
// Unix time now: recent orders are still moving, old ones are settled.
func orderStatus(o, ts, now string) string {
	age := fmt.Sprintf("(%s - %s)", now, ts)
	return fmt.Sprintf(`(CASE
		WHEN %[1]s < 3 THEN 'cancelled'
		WHEN %[2]s < %[4]d THEN CASE WHEN %[3]s = 0 THEN 'new' ELSE 'paid' END
		WHEN %[2]s < %[5]d THEN CASE WHEN %[3]s = 0 THEN 'paid' ELSE 'shipped' END
		WHEN %[2]s < %[6]d THEN CASE WHEN %[3]s = 0 THEN 'shipped' ELSE 'delivered' END
		WHEN %[1]s < 7 THEN 'returned'
		ELSE 'delivered' END)`,
		pick(o, 6, 100), age, pick(o, 7, 2), day, 3*day, 10*day)
}

// insertOrdersSQL inserts the orders of the rows of from, a FROM clause
// giving columns id (order id), ts (Unix creation time) and now (Unix time
// of the status).
func insertOrdersSQL(from string, customers int) string {
	status := orderStatus("id", "ts", "now")
	// A settled order was last touched 1 to 240 hours after its creation,
	// but never after now.
	updated := fmt.Sprintf("CASE WHEN status = 'new' THEN ts ELSE min(now - 1, ts + 3600 * (1 + %s)) END", pick("id", 8, 240))
	return fmt.Sprintf(`
INSERT INTO orders (id, customer_id, status, amount, created_at, updated_at)
SELECT id, customer_id, status, amount, datetime(ts, 'unixepoch'), datetime(%s, 'unixepoch')
FROM (
	SELECT id, ts, now,
		1 + %s AS customer_id,
		%s AS status,
		%s / 100.0 AS amount
	FROM %s
)`, updated, pick("id", 9, customers), status, amountCents("id"), from)
}

// insertItemsSQL inserts the lines of every order with an id above minID.
// CROSS JOIN makes orders the outer loop, so lines come in order id order.
func insertItemsSQL(minID int64) string {
	return fmt.Sprintf(`
WITH line(l) AS (VALUES %s)
INSERT INTO order_items (order_id, product_id, quantity, unit_price)
SELECT o.id, %s, %s, %s / 100.0
FROM orders AS o CROSS JOIN line
WHERE o.id > %d AND line.l <= %s`,
		lineValues(), itemProduct("o.id", "line.l"), itemQuantity("o.id", "line.l"),
		priceCents(itemProduct("o.id", "line.l")), minID, itemCount("o.id"))
}

func lineValues() string {
	v := make([]string, maxItems)
	for i := range v {
		v[i] = fmt.Sprintf("(%d)", i+1)
	}
	return strings.Join(v, ", ")
}

// parseDay reads a YYYY-MM-DD flag as midnight UTC.
func parseDay(flagName, s string) (time.Time, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("--%s %q: want a date like 2026-11-22", flagName, s)
	}
	return t, nil
}
