package lake_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lake-engine/lake/lake"
	"github.com/lake-engine/lake/localstack/testenv"
)

// checks maps each table of the checks to what was found.
func checks(t *testing.T, cfg *lake.Config) (byTable map[string]lake.TableCheck) {
	t.Helper()
	byTable = make(map[string]lake.TableCheck)
	for _, sc := range lake.CheckSources(context.Background(), cfg, time.Now()) {
		if sc.Err != nil {
			t.Fatalf("source %s: %v", sc.Source, sc.Err)
		}
		for _, tc := range sc.Tables {
			byTable[tc.Name] = tc
		}
	}
	return byTable
}

func columnNames(tc lake.TableCheck) string {
	var names []string
	for _, c := range tc.Columns {
		names = append(names, c.Name)
	}
	return strings.Join(names, ",")
}

// A check finds, in a snapshot of a SQLite source, each way a table would
// fail a run before its first row (no such table, a query that does not
// run, an incremental column that is not there), and the columns of the
// good ones.
func TestCheckSourcesFindsWhatWouldFailATable(t *testing.T) {
	dir := t.TempDir()
	newShop(t, dir).addOrders(1, 10)
	cfg := writeConfig(t, dir, `
warehouse: ./warehouse
sources:
  shop: {driver: sqlite, dsn: ./shop.db}
tables:
  - {name: orders, source: shop}
  - {name: recent_orders, source: shop, table: orders, incremental: {column: created_at, window: 30d}}
  - {name: typo_incremental, source: shop, table: orders, incremental: {column: created, window: 30d}}
  - {name: gone, source: shop, table: no_such_table}
  - {name: broken, source: shop, query: SELECT no_such_column FROM orders}
clusters:
  - {name: local, engine: duckdb, path: ./lake.duckdb}
`)
	got := checks(t, cfg)
	for _, name := range []string{"orders", "recent_orders"} {
		tc := got[name]
		if tc.Err != nil {
			t.Errorf("%s: %v", name, tc.Err)
		}
		if cols := columnNames(tc); cols != "id,status,amount,created_at" {
			t.Errorf("%s: columns %s, want id,status,amount,created_at", name, cols)
		}
	}
	for name, want := range map[string]string{
		"typo_incremental": "created",
		"gone":             "no_such_table",
		"broken":           "no_such_column",
	} {
		tc := got[name]
		if tc.Err == nil || !strings.Contains(tc.Err.Error(), want) {
			t.Errorf("%s: error %v, want one naming %s", name, tc.Err, want)
		}
		if len(tc.Columns) != 0 {
			t.Errorf("%s: columns %s of a table that would fail", name, columnNames(tc))
		}
	}
}

// On PostgreSQL a check reports a column type lake cannot store and an
// incremental column that is not a date or timestamp, as a run would fail
// on them, and the estimate of a table's rows beside its columns (none for
// a table ANALYZE has not seen). The tables are checked in one snapshot,
// and a failed one does not stop the next.
func TestCheckSourcesOnPostgres(t *testing.T) {
	dsn, _ := newSourceDB(t,
		`CREATE TABLE orders (id bigint PRIMARY KEY, note text, created_at timestamptz)`,
		`INSERT INTO orders SELECT i, 'n' || i, timestamptz '2026-01-01' + i * interval '1 minute' FROM generate_series(1, 5000) i`,
		`ANALYZE orders`,
		`CREATE TABLE places (id int, spot point)`,
		`CREATE TABLE fresh (id int)`,
	)
	cfg := pgConfig(t, t.TempDir(), dsn, "",
		"{name: orders, source: pg}",
		"{name: places, source: pg}",
		"{name: by_note, source: pg, table: orders, incremental: {column: note, window: 30d}}",
		"{name: by_time, source: pg, table: orders, incremental: {column: created_at, window: 30d}}",
		"{name: fresh, source: pg}",
	)
	got := checks(t, cfg)
	if tc := got["orders"]; tc.Err != nil || columnNames(tc) != "id,note,created_at" || !tc.HasEstimate || tc.Estimate != 5000 {
		t.Errorf("orders: columns %s, estimate %d (%v), err %v; want id,note,created_at, 5000", columnNames(tc), tc.Estimate, tc.HasEstimate, tc.Err)
	}
	if tc := got["by_time"]; tc.Err != nil {
		t.Errorf("by_time: %v", tc.Err)
	}
	if tc := got["places"]; tc.Err == nil || !strings.Contains(tc.Err.Error(), "spot: unsupported source type point") {
		t.Errorf("places: error %v, want spot's unsupported type", tc.Err)
	}
	if tc := got["by_note"]; tc.Err == nil || !strings.Contains(tc.Err.Error(), "incremental column note is not a date or timestamp") {
		t.Errorf("by_note: error %v, want the incremental column refused", tc.Err)
	}
	if tc := got["fresh"]; tc.Err != nil || tc.HasEstimate {
		t.Errorf("fresh: estimate %d (%v), err %v; want no estimate and no error", tc.Estimate, tc.HasEstimate, tc.Err)
	}
}

// On MariaDB a check stops each table's SELECT at its columns (the server
// has started it: it is killed), and the snapshot goes on to the next
// table: a column type lake cannot store, an incremental column that is
// not a date, and a good table with the server's estimate of its rows.
func TestCheckSourcesOnMariaDB(t *testing.T) {
	dsn := newMariaSource(t,
		`CREATE TABLE spans (id int, length time)`,
		`CREATE TABLE orders (id bigint PRIMARY KEY, note varchar(20), created_at datetime)`,
		`INSERT INTO orders SELECT seq, concat('n', seq), '2026-01-01' + INTERVAL seq MINUTE FROM seq_1_to_20000`,
		`ANALYZE TABLE orders`,
	)
	cfg := writeConfig(t, t.TempDir(), fmt.Sprintf(`
warehouse: ./warehouse
sources:
  my: {driver: mysql, dsn: %q}
tables:
  - {name: spans, source: my}
  - {name: by_note, source: my, table: orders, incremental: {column: note, window: 30d}}
  - {name: orders, source: my}
  - {name: by_time, source: my, table: orders, incremental: {column: created_at, window: 30d}}
clusters:
  - {name: local, engine: duckdb, path: ./lake.duckdb}
`, dsn))
	got := checks(t, cfg)
	if tc := got["spans"]; tc.Err == nil || !strings.Contains(tc.Err.Error(), "length") {
		t.Errorf("spans: error %v, want length's unsupported type", tc.Err)
	}
	if tc := got["by_note"]; tc.Err == nil || !strings.Contains(tc.Err.Error(), "note") {
		t.Errorf("by_note: error %v, want the incremental column refused", tc.Err)
	}
	if tc := got["orders"]; tc.Err != nil || columnNames(tc) != "id,note,created_at" || !tc.HasEstimate || tc.Estimate < 10_000 || tc.Estimate > 40_000 {
		t.Errorf("orders: columns %s, estimate %d (%v), err %v; want id,note,created_at and about 20,000", columnNames(tc), tc.Estimate, tc.HasEstimate, tc.Err)
	}
	if tc := got["by_time"]; tc.Err != nil {
		t.Errorf("by_time: %v", tc.Err)
	}
}

// The warehouse check writes, reads back, lists and deletes its objects on
// the S3 test server, leaving nothing under the prefix; on a bucket that
// does not exist it says which step failed.
func TestCheckWarehouseOnS3(t *testing.T) {
	ctx := context.Background()
	srv := testenv.S3(t)
	config := func(url string) *lake.Config {
		return writeConfig(t, t.TempDir(), fmt.Sprintf(`
warehouse: %s
s3: {endpoint: %s, path_style: true}
sources:
  shop: {driver: sqlite, dsn: ./shop.db}
tables:
  - {name: orders, source: shop}
`, url, srv.Endpoint))
	}
	cfg := config(srv.URL())
	if err := lake.CheckWarehouse(ctx, cfg); err != nil {
		t.Fatalf("check of the test bucket: %v", err)
	}
	store, err := lake.OpenWarehouse(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if left, err := store.List(ctx, ""); err != nil || len(left) != 0 {
		t.Errorf("the check left %v behind (%v)", left, err)
	}

	err = lake.CheckWarehouse(ctx, config("s3://no-such-bucket-for-lake/"+srv.Prefix))
	if err == nil || !strings.Contains(err.Error(), "bucket no-such-bucket-for-lake does not exist") || !strings.Contains(err.Error(), "/_validate-") {
		t.Errorf("check of a missing bucket: %v; want the write failing, saying the bucket does not exist", err)
	}
}
