package postgres_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/lake-engine/lake/loaders"
	"github.com/lake-engine/lake/loaders/loadertest"
)

// join opens a connection in snap's snapshot, closed at the end of the test.
func join(t *testing.T, snap loaders.Snapshot) loaders.Snapshot {
	t.Helper()
	joined, err := snap.(loaders.Joiner).Join(context.Background())
	if err != nil {
		t.Fatalf("join: %v", err)
	}
	t.Cleanup(func() {
		if err := joined.Close(); err != nil {
			t.Errorf("close joined snapshot: %v", err)
		}
	})
	return joined
}

// ids reads q on snap and returns the first column of every row.
func ids(t *testing.T, snap loaders.Snapshot, q loaders.Query) []int64 {
	t.Helper()
	sink, err := loadertest.Read(t, snap, q, loaders.ReadOptions{BatchRows: 1000})
	if err != nil {
		t.Fatalf("read %s: %v", q.Describe(), err)
	}
	var out []int64
	for _, row := range sink.Rows(t) {
		out = append(out, row[0].(int64))
	}
	return out
}

// A joined connection sees the data as of the first snapshot, not what
// was committed between the two.
func TestJoinedSnapshotSeesTheFirstSnapshotsData(t *testing.T) {
	dsn, admin := testDB(t)
	exec(t, admin, `CREATE TABLE t (id bigint)`)
	exec(t, admin, `INSERT INTO t SELECT generate_series(1, 10)`)
	snap := snapshot(t, openSource(t, dsn))
	exec(t, admin, `INSERT INTO t SELECT generate_series(11, 20)`)
	exec(t, admin, `DELETE FROM t WHERE id <= 5`)
	joined := join(t, snap)

	q := loaders.Query{Name: "t", Table: "t"}
	for name, s := range map[string]loaders.Snapshot{"first": snap, "joined": joined} {
		n, err := s.Count(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		got := ids(t, s, q)
		slices.Sort(got)
		if n != 10 || len(got) != 10 || got[0] != 1 || got[9] != 10 {
			t.Errorf("%s snapshot: count %d, ids %v; want the 10 rows of the first snapshot", name, n, got)
		}
	}
}

// The ranges of a split table, read on different joined connections, hold
// every row of the snapshot exactly once, whatever was updated, deleted or
// inserted before and after the split (updated rows move to other pages).
func TestSplitRangesReadEveryRowOnce(t *testing.T) {
	dsn, admin := testDB(t)
	exec(t, admin, `CREATE TABLE t (id bigint, pad text)`)
	exec(t, admin, `INSERT INTO t SELECT i, repeat('x', 200) FROM generate_series(1, 20000) i`)
	exec(t, admin, `DELETE FROM t WHERE id % 7 = 0`)
	exec(t, admin, `UPDATE t SET pad = 'moved' WHERE id % 11 = 0`)
	snap := snapshot(t, openSource(t, dsn))
	exec(t, admin, `UPDATE t SET pad = 'moved again' WHERE id % 3 = 0`)
	exec(t, admin, `INSERT INTO t SELECT i, 'late' FROM generate_series(20001, 30000) i`)

	q := loaders.Query{Name: "t", Table: "t"}
	ranges, whyNot, err := snap.(loaders.Splitter).Split(context.Background(), q, loaders.SplitOptions{Ranges: 4})
	if err != nil || whyNot != "" {
		t.Fatalf("split: %v %s", err, whyNot)
	}
	parts := oneChunkEach(t, ranges)
	if len(parts) != 4 || parts[3].Blocks.Last != 0 {
		t.Fatalf("parts %v: want 4, the last open-ended", parts)
	}
	readers := []loaders.Snapshot{snap, join(t, snap), join(t, snap), join(t, snap)}
	var all []int64
	for i, p := range parts {
		got := ids(t, readers[i], p)
		if len(got) == 0 {
			t.Errorf("range %s is empty: the split is uneven", p.Blocks)
		}
		all = append(all, got...)
	}
	var want []int64
	for i := int64(1); i <= 20000; i++ {
		if i%7 != 0 {
			want = append(want, i)
		}
	}
	slices.Sort(all)
	if !slices.Equal(all, want) {
		t.Errorf("the ranges hold %d rows, want the snapshot's %d, each once", len(all), len(want))
	}
	for _, p := range parts {
		if !strings.Contains(p.Describe(), "ctid >= ") {
			t.Errorf("Describe does not show the range: %s", p.Describe())
		}
	}

	// Ranges of at least a third of the heap (and a byte): 2, not 4.
	var size int64
	if err := admin.QueryRow(context.Background(), "SELECT pg_relation_size('t')").Scan(&size); err != nil {
		t.Fatal(err)
	}
	ranges, whyNot, err = snap.(loaders.Splitter).Split(context.Background(), q, loaders.SplitOptions{Ranges: 4, MinRangeBytes: size/3 + 1})
	if err != nil || whyNot != "" || len(ranges) != 2 {
		t.Fatalf("split into ranges of at least %d of %d bytes: %d ranges, %v %s; want 2", size/3+1, size, len(ranges), err, whyNot)
	}

	// Ranges in chunks of 8 pages: neighbouring, in order, the last
	// one open-ended, and together every row once.
	ranges, whyNot, err = snap.(loaders.Splitter).Split(context.Background(), q, loaders.SplitOptions{Ranges: 3, ChunkBytes: 8 * 8192})
	if err != nil || whyNot != "" || len(ranges) != 3 {
		t.Fatalf("split into 3 ranges of chunks: %d ranges, %v %s", len(ranges), err, whyNot)
	}
	next := int64(0)
	all = nil
	for i, r := range ranges {
		if len(r) < 2 {
			t.Errorf("range %d has %d chunks; its %d pages make more of 8", i, len(r), size/8192/3)
		}
		for j, c := range r {
			if c.Blocks.First != next {
				t.Fatalf("range %d chunk %d starts at page %d, want %d", i, j, c.Blocks.First, next)
			}
			lastOfAll := i == len(ranges)-1 && j == len(r)-1
			if lastOfAll != (c.Blocks.Last == 0) || (!lastOfAll && c.Blocks.Last-c.Blocks.First > 8) {
				t.Fatalf("range %d chunk %d is %s: want at most 8 pages, only the last open-ended", i, j, c.Blocks)
			}
			next = c.Blocks.Last
			all = append(all, ids(t, snap, c)...)
		}
	}
	slices.Sort(all)
	if !slices.Equal(all, want) {
		t.Errorf("the chunks hold %d rows, want the snapshot's %d, each once", len(all), len(want))
	}
}

// oneChunkEach returns the one chunk of each range.
func oneChunkEach(t *testing.T, ranges [][]loaders.Query) []loaders.Query {
	t.Helper()
	var parts []loaders.Query
	for i, r := range ranges {
		if len(r) != 1 {
			t.Fatalf("range %d has %d chunks, want 1 without ChunkBytes", i, len(r))
		}
		parts = append(parts, r[0])
	}
	return parts
}

// What cannot be split is read whole, with the reason: a SELECT, a view,
// a table of one page; a split of 1 is no split.
func TestSplitReadsWholeWhatItCannotSplit(t *testing.T) {
	dsn, admin := testDB(t)
	exec(t, admin, `CREATE TABLE small (id bigint)`)
	exec(t, admin, `INSERT INTO small VALUES (1), (2)`)
	exec(t, admin, `CREATE VIEW v AS SELECT * FROM small`)
	exec(t, admin, `CREATE TABLE p (id bigint) PARTITION BY RANGE (id)`)
	snap := snapshot(t, openSource(t, dsn))
	split := snap.(loaders.Splitter)
	cases := []struct {
		name     string
		q        loaders.Query
		n        int
		minBytes int64
		whyNot   string
	}{
		{"a SELECT", loaders.Query{SQL: "SELECT * FROM small"}, 4, 0, "a SELECT cannot be split"},
		{"a view", loaders.Query{Table: "v"}, 4, 0, "only a table or materialized view"},
		{"a partitioned table", loaders.Query{Table: "p"}, 4, 0, "partitioned table"},
		{"a table of one page", loaders.Query{Table: "small"}, 4, 0, "the table has 1 pages"},
		{"a table smaller than two ranges", loaders.Query{Table: "small"}, 4, 8192, "the table's 8192 bytes of pages make fewer than 2 ranges of 8192 bytes"},
		{"a split of one", loaders.Query{Table: "small"}, 1, 0, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ranges, whyNot, err := split.Split(context.Background(), tc.q, loaders.SplitOptions{Ranges: tc.n, MinRangeBytes: tc.minBytes, ChunkBytes: 8192})
			if err != nil {
				t.Fatal(err)
			}
			parts := oneChunkEach(t, ranges)
			if len(parts) != 1 || parts[0].Blocks != nil || !strings.Contains(whyNot, tc.whyNot) || (tc.whyNot == "") != (whyNot == "") {
				t.Errorf("parts %v, why not %q; want the query whole because %q", parts, whyNot, tc.whyNot)
			}
		})
	}
	// The snapshot is still usable after the catalog look-ups.
	if got := ids(t, snap, loaders.Query{Table: "small"}); len(got) != 2 {
		t.Errorf("read after split: %v", got)
	}
	if _, _, err := split.Split(context.Background(), loaders.Query{Table: "missing"}, loaders.SplitOptions{Ranges: 4}); err == nil {
		t.Errorf("split of a missing table: no error")
	}
	if got := ids(t, snap, loaders.Query{Table: "small"}); len(got) != 2 {
		t.Errorf("read after a failed split: %v", got)
	}
}
