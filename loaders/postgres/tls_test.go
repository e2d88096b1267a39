package postgres_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/lake-engine/lake/loaders"
)

// COPY over TLS, as production sources are reached: the reads that wait
// for runs of bytes (loaders.BulkReads) sit under the TLS layer, and a
// table streamed through it arrives whole, whether in one COPY or in
// chunks, each of which ends with a tail shorter than a run.
func TestCopyOverTLS(t *testing.T) {
	ctx := context.Background()
	dsn, admin := testDB(t)
	const rows = 200000
	exec(t, admin, `CREATE TABLE t AS SELECT i::bigint AS id, repeat(md5(i::text), 4) AS pad FROM generate_series(1, 200000) AS i`)
	tlsDSN := strings.Replace(dsn, "sslmode=disable", "sslmode=require", 1)
	if tlsDSN == dsn {
		t.Fatalf("the test DSN does not say sslmode=disable: %s", dsn)
	}
	snap := snapshot(t, openSource(t, tlsDSN))

	var overTLS, all int
	if err := admin.QueryRow(ctx, `SELECT count(*) FILTER (WHERE s.ssl), count(*)
		FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid)
		WHERE a.datname = current_database() AND a.application_name = 'lake'`).Scan(&overTLS, &all); err != nil {
		t.Fatal(err)
	}
	// Open's probe connection may not have left pg_stat_activity yet:
	// every connection of lake's counts, and all must use TLS.
	if all < 1 || overTLS != all {
		t.Fatalf("%d of lake's %d connections use TLS, want all", overTLS, all)
	}

	want := make([]int64, rows)
	for i := range want {
		want[i] = int64(i + 1)
	}
	q := loaders.Query{Name: "t", Table: "t"}
	got := ids(t, snap, q)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("one COPY over TLS read %d rows, want ids 1 to %d once each", len(got), rows)
	}

	ranges, whyNot, err := snap.(loaders.Splitter).Split(ctx, q, loaders.SplitOptions{Ranges: 2, ChunkBytes: 1 << 20})
	if err != nil || whyNot != "" {
		t.Fatalf("split: %v %s", err, whyNot)
	}
	got = got[:0]
	chunks := 0
	for _, r := range ranges {
		for _, c := range r {
			got = append(got, ids(t, snap, c)...)
			chunks++
		}
	}
	slices.Sort(got)
	if chunks < 10 || !slices.Equal(got, want) {
		t.Fatalf("%d chunks over TLS read %d rows, want more than 10 chunks and ids 1 to %d once each", chunks, len(got), rows)
	}
}
