package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/lake-engine/lake/loaders"
)

// EstimateRows gives pg_class's estimate of a table's rows, exact after a
// VACUUM, for the whole table whatever the query's slice; nothing for a
// table never vacuumed nor analyzed, nor for a SELECT; and a failure
// leaves the snapshot usable.
func TestEstimateRows(t *testing.T) {
	dsn, admin := testDB(t)
	exec(t, admin, `CREATE TABLE "Big Orders" (id integer, created_at date)`)
	exec(t, admin, `INSERT INTO "Big Orders" SELECT i, date '2026-01-01' + i % 30 FROM generate_series(1, 5000) AS i`)
	exec(t, admin, `VACUUM "Big Orders"`) // counts every row, where ANALYZE samples
	exec(t, admin, `CREATE TABLE fresh (id integer)`)
	exec(t, admin, `INSERT INTO fresh VALUES (1), (2)`)
	snap := snapshot(t, openSource(t, dsn))
	est, ok := snap.(loaders.RowEstimator)
	if !ok {
		t.Fatal("a PostgreSQL snapshot is not a loaders.RowEstimator")
	}
	ctx := context.Background()
	recent := &loaders.Slice{Column: "created_at", Bound: time.Date(2026, 1, 20, 0, 0, 0, 0, time.UTC), Side: loaders.Recent}
	for _, c := range []struct {
		q     loaders.Query
		rows  int64
		known bool
	}{
		{loaders.Query{Name: "o", Table: "Big Orders"}, 5000, true},
		{loaders.Query{Name: "o", Table: "public.Big Orders", Slice: recent}, 5000, true},
		{loaders.Query{Name: "f", Table: "fresh"}, 0, false},
		{loaders.Query{Name: "s", SQL: `SELECT * FROM "Big Orders"`}, 0, false},
	} {
		rows, known, err := est.EstimateRows(ctx, c.q)
		if err != nil || rows != c.rows || known != c.known {
			t.Errorf("EstimateRows(%s) = %d, %v, %v; want %d, %v", c.q.Describe(), rows, known, err, c.rows, c.known)
		}
	}
	if _, _, err := est.EstimateRows(ctx, loaders.Query{Name: "n", Table: "no_such_table"}); err == nil {
		t.Error("EstimateRows of a missing table: no error")
	}
	if n, err := snap.Count(ctx, loaders.Query{Name: "o", Table: "Big Orders"}); err != nil || n != 5000 {
		t.Errorf("count after a failed estimate = %d, %v; want 5000", n, err)
	}
}
