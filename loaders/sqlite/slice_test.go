package sqlite_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/lake-engine/lake/loaders"
)

// SQLite has no date type: a slice compares values as lake stores them
// (ISO-8601 text, a zone suffix converted to UTC, Unix seconds) with B's
// wall clock. NULLs go to the tail, so recent and tail cover every row
// once; Count agrees with Read.
func TestSliceSplitsDatesAsLakeReadsThem(t *testing.T) {
	path, _ := newDB(t,
		`CREATE TABLE ev (id INTEGER, at TIMESTAMP)`,
		`INSERT INTO ev VALUES
			(1, '2026-03-28 23:59:59'), (2, '2026-03-29'), (3, '2026-03-29T00:00:00.5'),
			(4, '2026-03-29T01:30:00+02:00'), (5, '2026-03-29T00:30:00-01:00'),
			(6, 1774742400), (7, 1774742399), (8, NULL)`,
	)
	snap := openSnapshot(t, path)
	// 1774742400 is 2026-03-29 00:00:00 UTC. In Paris, B's wall clock is
	// still 2026-03-29 00:00:00: SQLite values carry no zone to convert.
	paris, _ := time.LoadLocation("Europe/Paris")
	bound := time.Date(2026, 3, 29, 0, 0, 0, 0, paris)
	for _, q := range []loaders.Query{{Name: "t", Table: "ev"}, {Name: "q", SQL: "SELECT id, at FROM ev -- all of it"}} {
		for side, want := range map[loaders.Side]string{loaders.Recent: "2,3,5,6", loaders.Tail: "1,4,7,8"} {
			q := q
			q.Slice = &loaders.Slice{Column: "at", Bound: bound, Side: side}
			c := &collector{}
			if err := snap.Read(context.Background(), q, loaders.ReadOptions{}, c); err != nil {
				t.Fatalf("%s: %v", q.Describe(), err)
			}
			if got := strings.Join(c.column(0), ","); got != want {
				t.Errorf("%s: ids %s, want %s", q.Describe(), got, want)
			}
			if c.cols[1].SourceType != "TIMESTAMP" {
				t.Errorf("%s: declared type %q lost by the slice", q.Describe(), c.cols[1].SourceType)
			}
			if n, err := snap.Count(context.Background(), q); err != nil || n != int64(len(c.rows)) {
				t.Errorf("%s: count %d, %v; read %d", q.Describe(), n, err, len(c.rows))
			}
		}
	}
}

// A slice on a column the query does not have fails, for Read and Count
// and on both sides. SQLite reads a double-quoted name it cannot resolve
// as a string literal: quoted that way, a misspelt incremental column
// compared a constant with B, sending every row to the tail and none to
// the recent rows, without an error.
func TestSliceOnAMissingColumnFails(t *testing.T) {
	path, _ := newDB(t,
		`CREATE TABLE ev (id INTEGER, at TIMESTAMP)`,
		`INSERT INTO ev VALUES (1, '2026-03-28 23:59:59'), (2, '2026-03-29')`,
	)
	snap := openSnapshot(t, path)
	bound := time.Date(2026, 3, 29, 0, 0, 0, 0, time.UTC)
	for _, q := range []loaders.Query{{Name: "t", Table: "ev"}, {Name: "q", SQL: "SELECT id, at FROM ev"}} {
		for _, side := range []loaders.Side{loaders.Recent, loaders.Tail} {
			q := q
			q.Slice = &loaders.Slice{Column: "created", Bound: bound, Side: side}
			err := snap.Read(context.Background(), q, loaders.ReadOptions{}, &collector{})
			if err == nil || !strings.Contains(err.Error(), "created") {
				t.Errorf("read %s: error %v, want one naming the column created", q.Describe(), err)
			}
			if n, err := snap.Count(context.Background(), q); err == nil || !strings.Contains(err.Error(), "created") {
				t.Errorf("count %s: %d rows, error %v; want an error naming the column created", q.Describe(), n, err)
			}
		}
	}
}

// A slice column whose name needs quoting (a space, a grave accent) is
// found.
func TestSliceOnAColumnThatNeedsQuoting(t *testing.T) {
	path, _ := newDB(t,
		"CREATE TABLE ev (id INTEGER, \"made `at` when\" TIMESTAMP)",
		`INSERT INTO ev VALUES (1, '2026-03-28 23:59:59'), (2, '2026-03-29')`,
	)
	snap := openSnapshot(t, path)
	bound := time.Date(2026, 3, 29, 0, 0, 0, 0, time.UTC)
	q := loaders.Query{Name: "t", Table: "ev", Slice: &loaders.Slice{Column: "made `at` when", Bound: bound, Side: loaders.Recent}}
	c := &collector{}
	if err := snap.Read(context.Background(), q, loaders.ReadOptions{}, c); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(c.column(0), ","); got != "2" {
		t.Errorf("recent ids %s, want 2", got)
	}
}
