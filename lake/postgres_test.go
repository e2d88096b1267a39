package lake_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/lake-engine/lake/lake"
	"github.com/lake-engine/lake/localstack/testenv"
	"github.com/lake-engine/lake/partitions"
)

// newSourceDB creates a database of its own on the test PostgreSQL, runs
// setup in it, and returns its URL and a connection to it that is closed at
// the end of the test.
func newSourceDB(t *testing.T, setup ...string) (string, *pgx.Conn) {
	t.Helper()
	dsn := testenv.NewPostgresDB(t, setup...)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(ctx) })
	return dsn, conn
}

// pgConfig writes in dir a lake.yaml that reads tables from one
// PostgreSQL source "pg" at dsn, its other keys in sourceKeys (", workers:
// 2"), into a local warehouse with a DuckDB catalog. tables are the
// entries of tables: in flow style ("{name: orders, source: pg}").
func pgConfig(t *testing.T, dir, dsn, sourceKeys string, tables ...string) *lake.Config {
	t.Helper()
	var s strings.Builder
	fmt.Fprintf(&s, `
warehouse: ./warehouse
max_ds_age: 3650d # the tests replay fixed nights long past
sources:
  pg: {driver: postgres, dsn: %q%s}
tables:
`, dsn, sourceKeys)
	for _, table := range tables {
		fmt.Fprintf(&s, "  - %s\n", table)
	}
	s.WriteString("clusters:\n  - {name: local, engine: duckdb, path: ./lake.duckdb}\n")
	return writeConfig(t, dir, s.String())
}

// A night from a real PostgreSQL: every table of the source in one
// snapshot, values of every family of types readable through the DuckDB
// views exactly as the source holds them.
func TestPostgresNightRoundTripsThroughDuckDB(t *testing.T) {
	dsn := testenv.NewPostgresDB(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for _, q := range []string{
		`CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')`,
		`CREATE SCHEMA sales`,
		`CREATE TABLE sales."Orders" (
			id bigint PRIMARY KEY, qty smallint, n integer, amount numeric(12,2), big numeric,
			ratio real, score double precision, paid boolean, note text, code char(3), tag varchar(10),
			day date, at timestamp, at_tz timestamptz, uid uuid, doc jsonb, raw bytea, feel mood,
			tags text[], nums integer[])`,
		`INSERT INTO sales."Orders" VALUES
			(1, -32768, 2147483647, 1234567890.12, 123456789012345678901234567890.123456789, 1.5, -2.25, true,
			 'Zoë 日本', 'ab', 'x', '1969-07-20', '1900-01-01 00:00:00.000001', '2040-02-29 12:00:00+02',
			 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', '{"b": [1, 2], "a": null}', '\xdeadbeef', 'happy',
			 ARRAY['x', NULL, 'z'], ARRAY[1, NULL, 3]),
			(2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`,
		`CREATE TABLE items (order_id bigint, price numeric(10,2))`,
		`INSERT INTO items SELECT i % 2 + 1, i FROM generate_series(1, 100) i`,
	} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	dir := t.TempDir()
	os.Setenv("LAKE_TEST_PG_DSN", dsn)
	cfg := writeConfig(t, dir, `
warehouse: ./warehouse
max_ds_age: 3650d # the tests replay fixed nights long past
sources:
  pg: {driver: postgres, dsn: "${LAKE_TEST_PG_DSN}"}
tables:
  - {name: orders, source: pg, table: sales.Orders}
  - {name: items, source: pg}
  - {name: big_items, source: pg, query: "SELECT order_id, sum(price) AS total FROM items GROUP BY 1 HAVING sum(price) > 2000"}
`)
	job := newJob(t, cfg)
	rep := run(t, job, "2026-11-20")
	if err := rep.Err(); err != nil {
		t.Fatalf("%v\n%+v", err, rep.Tables)
	}

	cases := []struct{ q, want string }{
		{`SELECT qty, n, amount, big, ratio, score, paid FROM orders_latest WHERE id = 1`,
			"-32768,2147483647,1234567890.12,123456789012345678901234567890.123456789,1.5,-2.25,true"},
		{`SELECT note, code, tag, day, "at", at_tz FROM orders_latest WHERE id = 1`,
			"Zoë 日本,ab ,x,1969-07-20,1900-01-01 00:00:00.000001,2040-02-29 10:00:00Z"},
		{`SELECT uid, doc, raw, feel, tags, nums FROM orders_latest WHERE id = 1`,
			`a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11,{"a": null, "b": [1, 2]},\xDEADBEEF,happy,[x, NULL, z],[1, NULL, 3]`},
		{`SELECT count(*) FROM orders_latest WHERE id = 2 AND qty IS NULL AND amount IS NULL AND at_tz IS NULL AND tags IS NULL AND feel IS NULL`, "1"},
		{`SELECT count(*), sum(price) FROM items WHERE ds = '2026-11-20'`, "100,5050.00"},
		{`SELECT order_id, total FROM big_items_latest ORDER BY 1`, "1,2550.00\n2,2500.00"},
	}
	for _, tc := range cases {
		if got := query(t, cfg, tc.q); got != tc.want {
			t.Errorf("%s\n got %s\nwant %s", tc.q, got, tc.want)
		}
	}
	m, err := partitions.ReadManifest(ctx, job.Store, partitions.Key{Schema: "dwh", Table: "orders", DS: "2026-11-20"})
	if err != nil {
		t.Fatal(err)
	}
	types := map[string]string{}
	for _, c := range m.Columns {
		types[c.Name] = c.SourceType
	}
	if types["amount"] != "numeric(12,2)" || types["tags"] != "text[]" || types["feel"] != "mood" {
		t.Errorf("source types in the manifest: %v", types)
	}
	data, _ := os.ReadFile(filepath.Join(dir, "warehouse", "dwh", "orders", "ds=2026-11-20", "_manifest.json"))
	if pw := strings.TrimPrefix(dsn, "postgres://"); strings.Contains(string(data), "LAKE_TEST_PG_DSN") || (strings.Contains(pw, ":") && strings.Contains(string(data), dsn)) {
		t.Errorf("manifest holds the DSN")
	}
}

// An unsupported column type fails that table with a message naming the
// column and type; the other tables of the source still commit.
func TestPostgresUnsupportedTypeFailsOnlyItsTable(t *testing.T) {
	dsn := testenv.NewPostgresDB(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for _, q := range []string{
		`CREATE TABLE spans (id int, length interval)`, `INSERT INTO spans VALUES (1, '1 day')`,
		`CREATE TABLE ok (id int)`, `INSERT INTO ok VALUES (1), (2)`,
	} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	checkUnsupportedTypeFailsOnlyItsTable(t, "postgres", dsn, "interval")
}

// checkUnsupportedTypeFailsOnlyItsTable runs a night of a source holding
// tables spans (whose column length has an unsupported type) and ok: spans
// fails with a message naming the column and the type, ok commits.
func checkUnsupportedTypeFailsOnlyItsTable(t *testing.T, driver, dsn, typeName string) {
	t.Helper()
	cfg := writeConfig(t, t.TempDir(), fmt.Sprintf(`
warehouse: ./warehouse
max_ds_age: 3650d # the tests replay fixed nights long past
sources:
  src: {driver: %s, dsn: %q}
tables:
  - {name: spans, source: src}
  - {name: ok, source: src}
`, driver, dsn))
	rep := run(t, newJob(t, cfg), "2026-11-20")
	if got := statuses(rep); got != "dwh.ok=committed dwh.spans=failed" {
		t.Fatalf("%s", got)
	}
	for _, r := range rep.Tables {
		if r.Table == "dwh.spans" && (!strings.Contains(r.Message, "dwh.spans.length") || !strings.Contains(r.Message, typeName)) {
			t.Errorf("message does not name the column and type: %s", r.Message)
		}
	}
}
