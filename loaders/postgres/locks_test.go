package postgres_test

import (
	"context"
	"strings"
	"testing"

	"github.com/lake-engine/lake/loaders"
	"github.com/lake-engine/lake/loaders/loadertest"
)

// Once a table is counted and read, the snapshot no longer holds its
// lock (loadertest.CheckReadReleasesLocks).
func TestReadTablesAreNotLockedForTheRestOfTheNight(t *testing.T) {
	dsn, admin := testDB(t)
	loadertest.CheckReadReleasesLocks(t, loadertest.LockDB{
		Exec:        func(t *testing.T, sql string) { exec(t, admin, sql) },
		LockTimeout: "SET lock_timeout = '2s'",
		Snapshot:    func(t *testing.T) loaders.Snapshot { return snapshot(t, openSource(t, dsn)) },
	})
}

// A table rewritten after the snapshot began (TRUNCATE, a rewriting ALTER
// TABLE, pg_repack) looks empty to the snapshot: its new file's rows are
// newer than the snapshot. Reading it must fail rather than hand over an
// empty table. VACUUM FULL also gives the table a new file but keeps its
// rows visible, so that read succeeds.
func TestReadOfATableRewrittenSinceTheSnapshotFails(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name        string
		partitioned bool // t in two partitions, t_1 and t_2
		rewrite     string
		rows        int // read after the rewrite; -1 for an error
	}{
		{"truncate and reload", false, "TRUNCATE t; INSERT INTO t SELECT generate_series(1, 100)", -1},
		{"alter column type", false, "ALTER TABLE t ALTER COLUMN id TYPE bigint", -1},
		{"truncate a partition", true, "TRUNCATE t_2", -1},
		{"drop a partition", true, "DROP TABLE t_2", -1},
		{"vacuum full a partition", true, "VACUUM FULL t_2", 100},
		{"vacuum full keeps rows visible", false, "VACUUM FULL t", 100},
		{"new rows only", false, "INSERT INTO t SELECT generate_series(101, 200)", 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dsn, admin := testDB(t)
			if tt.partitioned {
				exec(t, admin, "CREATE TABLE t (id int) PARTITION BY RANGE (id)")
				exec(t, admin, "CREATE TABLE t_1 PARTITION OF t FOR VALUES FROM (MINVALUE) TO (51)")
				exec(t, admin, "CREATE TABLE t_2 PARTITION OF t FOR VALUES FROM (51) TO (MAXVALUE)")
			} else {
				exec(t, admin, "CREATE TABLE t (id int)")
			}
			exec(t, admin, "INSERT INTO t SELECT generate_series(1, 100)")
			snap := snapshot(t, openSource(t, dsn))

			exec(t, admin, tt.rewrite)

			q := loaders.Query{Name: "t", Table: "t"}
			sink, err := loadertest.Read(t, snap, q, loaders.ReadOptions{})
			switch {
			case tt.rows < 0 && err == nil:
				t.Fatalf("read %d rows of a table rewritten since the snapshot, want an error", len(sink.Rows(t)))
			case tt.rows < 0:
				if !strings.Contains(err.Error(), "changed after the snapshot began") {
					t.Errorf("error does not say the table was rewritten: %v", err)
				}
				t.Log(err)
			case err != nil:
				t.Fatalf("read: %v", err)
			default:
				if n := len(sink.Rows(t)); n != tt.rows {
					t.Errorf("read %d rows, want %d", n, tt.rows)
				}
			}
			// The snapshot is still usable.
			if n, err := snap.Count(ctx, loaders.Query{Name: "one", SQL: "SELECT 1"}); err != nil || n != 1 {
				t.Errorf("count after the read = %d, %v; want 1", n, err)
			}
		})
	}
}
