package loadertest

import (
	"context"
	"testing"

	"github.com/lake-engine/lake/loaders"
)

// LockDB is the source database of CheckReadReleasesLocks.
type LockDB struct {
	// Exec runs one statement on one session of the source's (not the
	// snapshot's), the same session every time.
	Exec func(t *testing.T, sql string)
	// LockTimeout is the statement that makes that session give up
	// waiting for a lock after a few seconds, so that a lock still held
	// fails the check rather than hangs it.
	LockTimeout string
	// Snapshot takes a snapshot of the source.
	Snapshot func(t *testing.T) loaders.Snapshot
}

// CheckReadReleasesLocks checks that once a table is counted and read, the
// snapshot no longer holds its lock: a migration's ALTER TABLE on it goes
// through while the night goes on, rather than waiting for the end of the
// night with every query on the table queued behind it. The snapshot still
// sees the other tables as they were.
func CheckReadReleasesLocks(t *testing.T, db LockDB) {
	t.Helper()
	ctx := context.Background()
	db.Exec(t, "CREATE TABLE orders (id int)")
	db.Exec(t, "INSERT INTO orders VALUES (1), (2), (3)")
	db.Exec(t, "CREATE TABLE items (id int)")
	db.Exec(t, "INSERT INTO items VALUES (1), (2), (3)")
	snap := db.Snapshot(t)

	orders := loaders.Query{Name: "orders", Table: "orders"}
	if n, err := snap.Count(ctx, orders); err != nil || n != 3 {
		t.Fatalf("count = %d, %v; want 3", n, err)
	}
	if _, err := Read(t, snap, orders, loaders.ReadOptions{}); err != nil {
		t.Fatalf("read: %v", err)
	}
	db.Exec(t, db.LockTimeout)
	db.Exec(t, "ALTER TABLE orders ADD COLUMN note text")
	db.Exec(t, "INSERT INTO items VALUES (4)")

	sink, err := Read(t, snap, loaders.Query{Name: "items", Table: "items"}, loaders.ReadOptions{})
	if err != nil {
		t.Fatalf("read items: %v", err)
	}
	if n := len(sink.Rows(t)); n != 3 {
		t.Errorf("items read after the ALTER: %d rows, want the snapshot's 3", n)
	}
}
