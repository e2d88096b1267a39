package mysql_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lake-engine/lake/loaders"
	"github.com/lake-engine/lake/loaders/loadertest"
)

// A slice splits a table or query at B = 2026-03-29, midnight in Paris
// (23:00 UTC the day before): a DATE compares with the date, a DATETIME
// with the wall clock, a TIMESTAMP with the instant. Recent and tail cover
// every row exactly once, NULLs in the tail, and Count agrees with Read.
func TestSliceSplitsAtTheBoundInEachColumnType(t *testing.T) {
	dsn, admin := testDB(t)
	exec(t, admin, "SET time_zone = '+00:00'")
	exec(t, admin, "CREATE TABLE ev (id int, d date, dt datetime(6), ts timestamp(6) NULL, note text)")
	exec(t, admin, `INSERT INTO ev VALUES
		(1, '2026-03-28', '2026-03-28 23:59:59.999999', '2026-03-28 22:59:59.999999', 'x'),
		(2, '2026-03-29', '2026-03-29 00:00:00', '2026-03-28 23:00:00', 'x'),
		(3, '2026-03-30', '2026-03-29 00:00:01', '2026-03-29 00:00:00', 'x'),
		(4, NULL, NULL, NULL, NULL)`)
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	bound := time.Date(2026, 3, 29, 0, 0, 0, 0, paris)
	snap := snapshot(t, openSource(t, dsn))

	cases := []struct {
		column       string
		q            loaders.Query
		recent, tail string
	}{
		{"d", loaders.Query{Table: "ev"}, "2,3", "1,4"},
		{"dt", loaders.Query{Table: "ev"}, "2,3", "1,4"},
		{"ts", loaders.Query{Table: "ev"}, "2,3", "1,4"},
		{"ts", loaders.Query{SQL: "SELECT id, ts FROM ev WHERE id <> 3 -- all but 3"}, "2", "1,4"},
	}
	for _, tc := range cases {
		for side, want := range map[loaders.Side]string{loaders.Recent: tc.recent, loaders.Tail: tc.tail} {
			q := tc.q
			q.Slice = &loaders.Slice{Column: tc.column, Bound: bound, Side: side}
			sink, err := loadertest.Read(t, snap, q, loaders.ReadOptions{})
			if err != nil {
				t.Fatalf("%s: %v", q.Describe(), err)
			}
			var ids []string
			for _, r := range sink.Rows(t) {
				ids = append(ids, fmt.Sprint(r[0]))
			}
			slices.Sort(ids)
			if got := strings.Join(ids, ","); got != want {
				t.Errorf("%s: ids %s, want %s", q.Describe(), got, want)
			}
			n, err := snap.Count(context.Background(), q)
			if err != nil || n != int64(len(ids)) {
				t.Errorf("%s: count %d, %v; read %d rows", q.Describe(), n, err, len(ids))
			}
		}
	}

	q := loaders.Query{Name: "dwh.ev", Table: "ev", Slice: &loaders.Slice{Column: "note", Bound: bound, Side: loaders.Recent}}
	if _, err := loadertest.Read(t, snap, q, loaders.ReadOptions{}); err == nil || !strings.Contains(err.Error(), "incremental column note is not a date or timestamp") {
		t.Errorf("text column: %v", err)
	}
	if _, err := snap.Count(context.Background(), q); err == nil || !strings.Contains(err.Error(), "not a date or timestamp") {
		t.Errorf("text column count: %v", err)
	}
	// The failed statements left the snapshot usable.
	if n, err := snap.Count(context.Background(), loaders.Query{Table: "ev"}); err != nil || n != 4 {
		t.Errorf("count after errors: %d, %v", n, err)
	}
}
