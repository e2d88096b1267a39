package duckdb

import (
	"bufio"
	"context"
	dbsql "database/sql"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/lake-engine/lake/sql"
	"github.com/lake-engine/lake/views"
)

// writeNight writes one ds folder with one Parquet file, made by DuckDB
// from selectSQL, and returns it as a view partition.
func writeNight(t *testing.T, db *dbsql.DB, root, ds, selectSQL string, cols ...string) views.Partition {
	t.Helper()
	dir := filepath.Join(root, "dwh", "orders", "ds="+ds)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "part-r-00000.parquet")
	if _, err := db.Exec(fmt.Sprintf("COPY (%s) TO '%s' (FORMAT parquet)", selectSQL, file)); err != nil {
		t.Fatal(err)
	}
	p := views.Partition{DS: ds, Files: []string{file}, Columns: map[string]bool{}}
	for _, c := range cols {
		p.Columns[c] = true
	}
	return p
}

func queryOne(t *testing.T, path, q string) string {
	t.Helper()
	db, conn, err := OpenReadOnly(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	defer conn.Close()
	rows, err := conn.QueryContext(context.Background(), q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	_, types, err := ColumnsOf(rows)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	err = EachRow(rows, func(vals []any) error {
		cells := make([]string, len(vals))
		for i, v := range vals {
			cells[i] = Text(v, types[i])
		}
		lines = append(lines, strings.Join(cells, ","))
		return nil
	})
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return strings.Join(lines, "\n")
}

func TestCatalogViews(t *testing.T) {
	root := t.TempDir()
	scratch, err := dbsql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer scratch.Close()
	// Night 1 has no "Select" column yet; night 2 adds it. Names are chosen
	// to need quoting: upper case, a reserved word, unicode, a quote.
	p1 := writeNight(t, scratch, root, "2026-11-20",
		`SELECT range::BIGINT AS "Id", (range * 1.5)::DECIMAL(12,2) AS "ümlaut", 'a"b' AS "quo""te" FROM range(3)`, "Id", "ümlaut", `quo"te`)
	p2 := writeNight(t, scratch, root, "2026-11-21",
		`SELECT range::BIGINT AS "Id", (range * 1.5)::DECIMAL(12,2) AS "ümlaut", 'c' AS "quo""te", 'new' AS "Select" FROM range(4)`, "Id", "ümlaut", `quo"te`, "Select")
	p3 := writeNight(t, scratch, root, "2026-11-22",
		`SELECT "Select", range::BIGINT AS "Id", (range * 1.5)::DECIMAL(12,2) AS "ümlaut", 'd' AS "quo""te" FROM (SELECT *, 'new' AS "Select" FROM range(5))`, "Id", "ümlaut", `quo"te`, "Select")
	table := &views.Table{
		Schema: "dwh", Name: "orders", Latest: "2026-11-22",
		Columns: []sql.Column{
			{Name: "Id", Type: arrow.PrimitiveTypes.Int64},
			{Name: "ümlaut", Type: &arrow.Decimal128Type{Precision: 12, Scale: 2}},
			{Name: `quo"te`, Type: arrow.BinaryTypes.String},
			{Name: "Select", Type: arrow.BinaryTypes.String},
		},
		Partitions: []views.Partition{p1, p2, p3},
	}
	catalog := filepath.Join(root, "catalog", "lake.duckdb")
	c := NewCatalog("local", catalog)
	for i := 0; i < 2; i++ { // a second sync must be a harmless repeat
		if err := c.Sync(context.Background(), []*views.Table{table}); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct{ name, q, want string }{
		{"table view has every night with ds", `SELECT ds, count(*), sum("ümlaut") FROM dwh.orders GROUP BY ds ORDER BY ds`, "2026-11-20,3,4.50\n2026-11-21,4,9.00\n2026-11-22,5,15.00"},
		{"ds is a VARCHAR", `SELECT DISTINCT typeof(ds) FROM orders`, "VARCHAR"},
		{"a new column is NULL in old nights", `SELECT ds, count("Select") FROM orders GROUP BY ds ORDER BY ds`, "2026-11-20,0\n2026-11-21,4\n2026-11-22,5"},
		{"latest shows the newest night", `SELECT count(*), min(ds), max(ds) FROM orders_latest`, "5,2026-11-22,2026-11-22"},
		{"quoted names survive", `SELECT DISTINCT "quo""te" FROM orders_latest`, "d"},
		{"columns are matched by name, not position", `SELECT DISTINCT "Select", "quo""te" FROM orders WHERE ds = '2026-11-22'`, "new,d"},
		{"single-file aggregate on ds works", `SELECT count(*), max(ds) FROM orders WHERE ds = '2026-11-20'`, "3,2026-11-20"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := queryOne(t, catalog, tc.q); got != tc.want {
				t.Errorf("%s\n got %q\nwant %q", tc.q, got, tc.want)
			}
		})
	}

	// Pruning: a filter on ds reads only that night's files. Damage night 3
	// (not the first file DuckDB reads to bind the view); queries on night
	// 2 must not touch it.
	if err := os.WriteFile(p3.Files[0], []byte("not parquet"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := queryOne(t, catalog, `SELECT count(*) FROM orders WHERE ds = '2026-11-21'`); got != "4" {
		t.Errorf("pruned query = %q", got)
	}
	if got := queryOne(t, catalog, `SELECT count(*) FROM orders WHERE ds < '2026-11-22'`); got != "7" {
		t.Errorf("query on the nights before the damaged one = %q", got)
	}
}

func TestLatestViewTypesColumnsMissingFromTheNewestNight(t *testing.T) {
	root := t.TempDir()
	scratch, _ := dbsql.Open("duckdb", "")
	defer scratch.Close()
	p1 := writeNight(t, scratch, root, "2026-11-20", `SELECT 1::BIGINT AS id, 2.5::DECIMAL(12,2) AS gone`, "id", "gone")
	p2 := writeNight(t, scratch, root, "2026-11-21", `SELECT 2::BIGINT AS id`, "id")
	table := &views.Table{Schema: "dwh", Name: "orders", Latest: "2026-11-21",
		Columns:    []sql.Column{{Name: "id", Type: arrow.PrimitiveTypes.Int64}, {Name: "gone", Type: &arrow.Decimal128Type{Precision: 12, Scale: 2}}},
		Partitions: []views.Partition{p1, p2}}
	catalog := filepath.Join(root, "lake.duckdb")
	if err := NewCatalog("local", catalog).Sync(context.Background(), []*views.Table{table}); err != nil {
		t.Fatal(err)
	}
	if got := queryOne(t, catalog, `SELECT id, gone, typeof(gone) FROM orders_latest`); got != "2,NULL,DECIMAL(12,2)" {
		t.Errorf("got %q", got)
	}
}

func TestOpenReadOnlyOfAMissingCatalogSaysToSync(t *testing.T) {
	_, _, err := OpenReadOnly(context.Background(), filepath.Join(t.TempDir(), "nope.duckdb"))
	if err == nil || !strings.Contains(err.Error(), "lake sync") {
		t.Fatalf("got %v", err)
	}
}

// holdEnv makes the test binary, run as a child, a reader that keeps the
// catalog open: DuckDB's file locks are per process, so only another
// process shows whether a sync would wait for or fail on a reader.
const holdEnv = "LAKE_TEST_HOLD_CATALOG"

func TestMain(m *testing.M) {
	if path := os.Getenv(holdEnv); path != "" {
		os.Exit(holdCatalog(path))
	}
	os.Exit(m.Run())
}

// holdCatalog opens the catalog, prints the latest count, and keeps the
// catalog open until stdin closes, then prints the count again.
func holdCatalog(path string) int {
	ctx := context.Background()
	db, conn, err := OpenReadOnly(ctx, path)
	if err != nil {
		fmt.Println("error:", err)
		return 1
	}
	defer db.Close()
	defer conn.Close()
	count := func() {
		var n int
		if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM orders_latest").Scan(&n); err != nil {
			fmt.Println("error:", err)
			return
		}
		fmt.Println(n)
	}
	count()
	io.Copy(io.Discard, os.Stdin)
	count()
	return 0
}

func TestSyncWhileAnotherProcessReadsTheCatalog(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	scratch, _ := dbsql.Open("duckdb", "")
	defer scratch.Close()
	p1 := writeNight(t, scratch, root, "2026-11-20", `SELECT range::BIGINT AS id FROM range(3)`, "id")
	p2 := writeNight(t, scratch, root, "2026-11-21", `SELECT range::BIGINT AS id FROM range(7)`, "id")
	cols := []sql.Column{{Name: "id", Type: arrow.PrimitiveTypes.Int64}}
	night := func(parts ...views.Partition) []*views.Table {
		return []*views.Table{{Schema: "dwh", Name: "orders", Latest: parts[len(parts)-1].DS, Columns: cols, Partitions: parts}}
	}
	catalog := filepath.Join(root, "lake.duckdb")
	c := NewCatalog("local", catalog)
	if err := c.Sync(ctx, night(p1)); err != nil {
		t.Fatal(err)
	}
	// A user's own view in the catalog survives syncs.
	rw, err := dbsql.Open("duckdb", catalog)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rw.Exec(`CREATE SCHEMA mine; CREATE VIEW mine.big AS SELECT * FROM dwh.orders WHERE id > 1`); err != nil {
		t.Fatal(err)
	}
	rw.Close()

	reader := exec.Command(os.Args[0], "-test.run=^$")
	reader.Env = append(os.Environ(), holdEnv+"="+catalog)
	stdin, _ := reader.StdinPipe()
	stdout, _ := reader.StdoutPipe()
	if err := reader.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(stdout)
	if !lines.Scan() || lines.Text() != "3" {
		t.Fatalf("reader process: %q", lines.Text())
	}
	if err := c.Sync(ctx, night(p1, p2)); err != nil {
		t.Fatalf("sync while another process reads the catalog: %v", err)
	}
	if got := queryOne(t, catalog, "SELECT count(*) FROM orders_latest"); got != "7" {
		t.Fatalf("a new reader sees %s, want 7", got)
	}
	stdin.Close()
	if !lines.Scan() || lines.Text() != "3" {
		t.Fatalf("the open reader now sees %q, want its old 3", lines.Text())
	}
	reader.Wait()
	if got := queryOne(t, catalog, "SELECT count(*) FROM mine.big"); got != "6" {
		t.Fatalf("user view after sync: %s, want 6 (ids > 1 of both nights)", got)
	}
	if left, _ := filepath.Glob(filepath.Join(root, ".lake.duckdb.tmp-*")); len(left) != 0 {
		t.Fatalf("temporary catalogs left: %v", left)
	}
}
