package main

import (
	"context"
	"database/sql"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func query(t *testing.T, db *sql.DB, q string) string {
	t.Helper()
	var s sql.NullString
	if err := db.QueryRow(q).Scan(&s); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return s.String
}

func openForCheck(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestCreateMakesTheShop(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shop.db")
	if err := run(context.Background(), []string{"create", "--db", path, "--orders", "4000", "--now", "2026-11-20"}); err != nil {
		t.Fatal(err)
	}
	db := openForCheck(t, path)
	tests := []struct {
		name, query, want string
	}{
		{"orders", "SELECT count(*) FROM orders", "4000"},
		{"one customer per 20 orders", "SELECT count(*) FROM customers", "200"},
		{"products", "SELECT count(*) FROM products", "500"},
		{"about two items per order", "SELECT count(*) BETWEEN 7600 AND 8400 FROM order_items", "1"},
		{"every order has items", "SELECT count(*) FROM orders WHERE id NOT IN (SELECT order_id FROM order_items)", "0"},
		{"amount is the sum of the items",
			"SELECT count(*) FROM orders o WHERE abs(amount - (SELECT sum(quantity * unit_price) FROM order_items WHERE order_id = o.id)) > 0.001", "0"},
		{"unit price is the product price",
			"SELECT count(*) FROM order_items i JOIN products p ON p.id = i.product_id WHERE i.unit_price <> p.price", "0"},
		{"orders span the 3 years before --now", "SELECT min(created_at) >= '2023-11-20' AND max(created_at) < '2026-11-20' FROM orders", "1"},
		{"orders are spread over the years", "SELECT count(DISTINCT substr(created_at, 1, 4)) FROM orders", "4"},
		{"ids grow with time", "SELECT count(*) FROM orders a JOIN orders b ON b.id = a.id + 1 WHERE b.created_at < a.created_at", "0"},
		{"updated after created", "SELECT count(*) FROM orders WHERE updated_at < created_at OR updated_at >= '2026-11-20'", "0"},
		{"old orders are settled", "SELECT count(*) FROM orders WHERE created_at < '2026-11-01' AND status NOT IN ('delivered', 'returned', 'cancelled')", "0"},
		{"customers exist", "SELECT count(*) FROM orders WHERE customer_id NOT IN (SELECT id FROM customers)", "0"},
		{"emails are unique", "SELECT count(DISTINCT email) FROM customers", "200"},
		{"timestamps are ISO text", "SELECT count(*) FROM orders WHERE created_at NOT GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9] [0-9][0-9]:[0-9][0-9]:[0-9][0-9]'", "0"},
		{"WAL mode", "PRAGMA journal_mode", "wal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := query(t, db, tt.query); got != tt.want {
				t.Errorf("%s = %s, want %s", tt.query, got, tt.want)
			}
		})
	}
}

func TestCreateIsDeterministic(t *testing.T) {
	dir := t.TempDir()
	digest := func(name string) string {
		path := filepath.Join(dir, name)
		if err := run(context.Background(), []string{"create", "--db", path, "--orders", "500", "--now", "2026-01-31"}); err != nil {
			t.Fatal(err)
		}
		db := openForCheck(t, path)
		var parts []string
		for _, q := range []string{
			"SELECT group_concat(id || name || email || country || created_at, ',') FROM customers",
			"SELECT group_concat(id || name || category || price, ',') FROM products",
			"SELECT group_concat(id || customer_id || status || amount || created_at || updated_at, ',') FROM orders",
			"SELECT group_concat(order_id || product_id || quantity || unit_price, ',') FROM order_items",
		} {
			parts = append(parts, query(t, db, q))
		}
		return strings.Join(parts, "|")
	}
	if digest("a.db") != digest("b.db") {
		t.Error("two runs with the same flags made different databases")
	}
}

func TestCreateRefusesToOverwriteWithoutForce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shop.db")
	args := []string{"create", "--db", path, "--orders", "10", "--now", "2026-11-20"}
	if err := run(context.Background(), args); err != nil {
		t.Fatal(err)
	}
	if err := run(context.Background(), args); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("second create: error = %v, want one suggesting --force", err)
	}
	if err := run(context.Background(), append(args, "--force")); err != nil {
		t.Fatalf("create --force: %v", err)
	}
}

func TestNightChangesOneDay(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shop.db")
	if err := run(context.Background(), []string{"create", "--db", path, "--orders", "20000", "--now", "2026-11-20"}); err != nil {
		t.Fatal(err)
	}
	db := openForCheck(t, path)
	cancelled := query(t, db, "SELECT group_concat(id) FROM orders WHERE status = 'cancelled' AND created_at >= '2026-10-21'")
	if strings.Count(cancelled, ",") < 5 {
		t.Fatalf("only %s cancelled in the last 30 days; the test needs more than 5", cancelled)
	}
	if err := run(context.Background(), []string{"night", "--db", path, "--day", "2026-11-20"}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, query, want string
	}{
		{"40 inserted, 5 deleted", "SELECT count(*) FROM orders", "20035"},
		{"0.2% new orders created that day", "SELECT count(*) FROM orders WHERE created_at >= '2026-11-20'", "40"},
		{"new orders continue the ids", "SELECT min(id) || '-' || max(id) FROM orders WHERE created_at >= '2026-11-20'", "20001-20040"},
		{"new orders have items", "SELECT count(*) FROM orders WHERE id > 20000 AND id NOT IN (SELECT order_id FROM order_items)", "0"},
		{"new amounts are the sum of the items",
			"SELECT count(*) FROM orders o WHERE id > 20000 AND abs(amount - (SELECT sum(quantity * unit_price) FROM order_items WHERE order_id = o.id)) > 0.001", "0"},
		// 20000 orders over 3 years are about 18 a day: the last 14 days
		// hold fewer open orders than the 1000 a big shop would move.
		{"recent open orders moved on that day",
			"SELECT count(*) > 0 FROM orders WHERE created_at < '2026-11-20' AND updated_at >= '2026-11-20'", "1"},
		{"no open order older than 14 days was touched",
			"SELECT count(*) FROM orders WHERE created_at < '2026-11-06' AND updated_at >= '2026-11-20'", "0"},
		{"updates stay inside the day", "SELECT max(updated_at) < '2026-11-21' FROM orders", "1"},
		{"no items left without an order", "SELECT count(*) FROM order_items WHERE order_id NOT IN (SELECT id FROM orders)", "0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := query(t, db, tt.query); got != tt.want {
				t.Errorf("%s = %s, want %s", tt.query, got, tt.want)
			}
		})
	}
	// Orders cancelled tonight may be among the 5 deleted.
	kept := query(t, db, "SELECT count(*) FROM orders WHERE id IN ("+cancelled+")")
	if n := strings.Count(cancelled, ",") + 1; kept == strconv.Itoa(n) {
		t.Errorf("all %d cancelled orders of the last 30 days are left, want some deleted", n)
	}
}

func TestFlagErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{nil, "missing command"},
		{[]string{"explode"}, `unknown command "explode"`},
		{[]string{"create"}, "--db is required"},
		{[]string{"create", "--db", "x.db", "--now", "20-11-2026"}, "--now"},
		{[]string{"night", "--db", "x.db"}, "--day are required"},
		{[]string{"night", "--db", filepath.Join(t.TempDir(), "none.db"), "--day", "2026-11-20"}, "lake-demo create"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			err := run(context.Background(), tt.args)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}
