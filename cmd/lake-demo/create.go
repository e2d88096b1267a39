package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"
)

func runCreate(ctx context.Context, args []string) error {
	fs := newFlagSet("create")
	path := fs.String("db", "", "path of the SQLite database to create (required)")
	orders := fs.Int("orders", 1000000, "number of orders")
	now := fs.String("now", time.Now().UTC().Format(time.DateOnly), "orders are created during the 3 years before this date (YYYY-MM-DD)")
	force := fs.Bool("force", false, "replace an existing database")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *path == "" || fs.NArg() > 0 {
		fs.Usage()
		return errors.New("create: --db is required and takes no arguments")
	}
	if *orders < 1 {
		return fmt.Errorf("create: --orders %d: want at least 1", *orders)
	}
	end, err := parseDay("now", *now)
	if err != nil {
		return fmt.Errorf("create: %w", err)
	}
	if err := removeExisting(*path, *force); err != nil {
		return fmt.Errorf("create: %w", err)
	}
	started := time.Now()
	if err := create(ctx, *path, *orders, end); err != nil {
		// Without a journal a failed load leaves a broken file behind.
		removeExisting(*path, true)
		return fmt.Errorf("create %s: %w", *path, err)
	}
	fmt.Fprintf(os.Stderr, "created %s: %d orders from %s to %s, %d customers, %d products in %s\n",
		*path, *orders, end.AddDate(-historyYears, 0, 0).Format(time.DateOnly), end.Format(time.DateOnly),
		customersFor(*orders), productCount, time.Since(started).Round(time.Millisecond))
	return nil
}

func customersFor(orders int) int { return max(10, orders/customerRatio) }

// removeExisting refuses to overwrite a database unless force is set, then
// removes it with its WAL files.
func removeExisting(path string, force bool) error {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil
	} else if err != nil {
		return err
	}
	if !force {
		return fmt.Errorf("%s already exists; pass --force to replace it", path)
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}

// create generates the whole shop in one transaction. Orders are spread
// evenly over the history with a little jitter, so ids grow with created_at
// as in a real shop. The load runs without a journal, which halves the bytes
// written; the database switches to WAL mode once it is complete.
func create(ctx context.Context, path string, orders int, end time.Time) error {
	db, err := openShop(ctx, path, "OFF")
	if err != nil {
		return err
	}
	defer db.Close()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()

	customers := customersFor(orders)
	start := end.AddDate(-historyYears, 0, 0).Unix()
	span := end.Unix() - start
	step := max(1, span/int64(orders))
	steps := []struct{ what, sql string }{
		{"schema", schema},
		{"products", fmt.Sprintf(`
WITH RECURSIVE %s
INSERT INTO products (id, name, category, price)
SELECT id, %s || ' ' || %s || ' ' || id, %s, %s / 100.0 FROM seq`,
			seqCTE(productCount),
			jsonPick("id", 10, "Classic", "Deluxe", "Eco", "Compact", "Smart", "Vintage", "Pro", "Mini"),
			jsonPick("id", 11, "Lamp", "Chair", "Mug", "Backpack", "Kettle", "Notebook", "Speaker", "Blanket", "Bottle", "Clock"),
			jsonPick("id", 12, "home", "kitchen", "office", "outdoor", "electronics", "textiles"),
			priceCents("id"))},
		{"customers", fmt.Sprintf(`
WITH RECURSIVE %s,
named AS (SELECT id, %s AS first, %s AS last FROM seq)
INSERT INTO customers (id, name, email, country, created_at)
SELECT id, first || ' ' || last, lower(first || '.' || last || id) || '@example.com', %s,
	datetime(%d + (id - 1) * %d + %s, 'unixepoch')
FROM named`,
			seqCTE(int64(customers)),
			jsonPick("id", 13, "Ada", "Ben", "Chloé", "Dmitri", "Emma", "Farid", "Greta", "Hiro", "Inès", "Jonas", "Kemal", "Lucía", "Mei", "Noah", "Olga", "Priya"),
			jsonPick("id", 14, "Smith", "Müller", "García", "Rossi", "Dubois", "Kowalski", "Tanaka", "Silva", "Nowak", "Jensen", "Novák", "Costa"),
			jsonPick("id", 15, "US", "US", "US", "DE", "DE", "FR", "GB", "GB", "ES", "IT", "PL", "NL", "SE", "JP", "BR", "CA"),
			// Customers sign up over the history, each before most of their orders.
			start, max(1, span/int64(customers)), pick("id", 16, 3600))},
		{"orders", insertOrdersSQL(fmt.Sprintf(`(
	WITH RECURSIVE %s
	SELECT id, %d + (id - 1) * %d / %d + %s %% %d AS ts, %d AS now FROM seq
)`, seqCTE(int64(orders)), start, span, orders, hash("id", 5), step, end.Unix()), customers)},
		{"order items", insertItemsSQL(0)},
		{"indexes", indexes},
	}
	for _, s := range steps {
		if _, err := tx.ExecContext(ctx, s.sql); err != nil {
			return fmt.Errorf("insert %s: %w", s.what, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	if _, err := db.ExecContext(ctx, "PRAGMA journal_mode=WAL"); err != nil {
		return fmt.Errorf("switch to WAL mode: %w", err)
	}
	return nil
}
