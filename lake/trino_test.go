package lake_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/lake-engine/lake/lake"
	"github.com/lake-engine/lake/localstack/testenv"
	"github.com/lake-engine/lake/sql/duckdb"
	"github.com/lake-engine/lake/sql/trino"
)

// Nights from a real PostgreSQL into the test S3 warehouse, registered on
// two real Trino servers and DuckDB: what analysts see on every cluster,
// through a new column, a failed table, a cluster that is down, and a
// brand new cluster.
func TestTrinoClustersShowEveryNight(t *testing.T) {
	url1, url2 := testenv.Trino(t)
	srv := testenv.S3(t)
	dsn := testenv.NewPostgresDB(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	pg := func(qs ...string) {
		t.Helper()
		for _, q := range qs {
			if _, err := conn.Exec(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
	}
	pg(`CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')`,
		`CREATE TABLE "Orders" (
			id bigint PRIMARY KEY, qty smallint, n integer, big bigint, amount numeric(12,2), wide numeric(38,10),
			ratio real, score double precision, paid boolean, note text, code char(3), "Tag" varchar(10),
			day date, at timestamp, at_tz timestamptz, uid uuid, doc jsonb, raw bytea, feel mood,
			tags text[], nums integer[])`,
		`INSERT INTO "Orders" VALUES
			(1, -32768, 2147483647, -9223372036854775808, 1234567890.12, 1234567890123456789012345678.0123456789, 1.5, -2.25, true,
			 'Zoë 日本 ''q''', 'ab', 'x', '1969-07-20', '1900-01-01 00:00:00.000001', '2040-02-29 12:00:00.123456+02',
			 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', '{"b": [1, 2], "a": null}', '\xdeadbeef', 'happy',
			 ARRAY['x', NULL, 'z'], ARRAY[1, NULL, 3]),
			(2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`,
		`CREATE TABLE items (order_id bigint, price numeric(10,2))`,
		`INSERT INTO items SELECT i % 2 + 1, i FROM generate_series(1, 100) i`,
		`CREATE TABLE flaky (id int)`, `INSERT INTO flaky VALUES (7)`)

	// Cluster t2 is reached through a proxy, which stands for the server
	// going down and coming back.
	down := false
	proxy := testenv.NewFaultProxy(t, url2, func(int64) testenv.Fault {
		if down {
			return testenv.Reset
		}
		return testenv.Pass
	})
	schema := fmt.Sprintf("t_%012x", rand.Uint64()>>16)
	dir := t.TempDir()
	os.Setenv("LAKE_TEST_PG_DSN", dsn)
	clusters := fmt.Sprintf(`
clusters:
  - {name: local, engine: duckdb, path: ./lake.duckdb}
  - {name: t1, engine: trino, url: %q, session: {query_max_run_time: 10m}}
  - {name: t2, engine: trino, url: %q, catalog: hive}
`, url1, proxy.URL)
	body := fmt.Sprintf(`
warehouse: %s
s3: {endpoint: %s, path_style: true}
default_schema: %s
max_ds_age: 3650d # the tests replay fixed nights long past
sources:
  pg: {driver: postgres, dsn: "${LAKE_TEST_PG_DSN}"}
tables:
  - {name: orders, source: pg, table: Orders}
  - {name: items, source: pg}
  - {name: flaky, source: pg}
`, srv.URL(), srv.Endpoint, schema)
	cfg := writeConfig(t, dir, body+clusters)
	job := newJob(t, cfg)
	rep := run(t, job, "2026-11-20")
	if err := rep.Err(); err != nil {
		t.Fatalf("night 1: %v\n%+v\n%+v", err, rep.Tables, rep.Clusters)
	}
	t1 := testenv.TrinoClient(t, url1, "hive")
	t2 := testenv.TrinoClient(t, url2, "hive")
	both := map[string]*trino.Client{"t1": t1, "t2": t2}

	t.Run("every source type round-trips through Trino", func(t *testing.T) {
		cases := []struct{ q, want string }{
			{`SELECT qty, n, big, amount, wide, ratio, score, paid FROM %s.orders_latest WHERE id = 1`,
				"-32768|2147483647|-9223372036854775808|1234567890.12|1234567890123456789012345678.0123456789|1.5|-2.25|true"},
			{`SELECT note, code, "Tag", CAST(day AS varchar), CAST("at" AS varchar), CAST(at_tz AS varchar), typeof(at_tz) FROM %s.orders_latest WHERE id = 1`,
				"Zoë 日本 'q'|ab |x|1969-07-20|1900-01-01 00:00:00.000001|2040-02-29 10:00:00.123456 UTC|timestamp(6) with time zone"},
			{`SELECT uid, doc, to_hex(raw), feel, array_join(tags, ',', 'NULL'), array_join(nums, ',', 'NULL') FROM %s.orders_latest WHERE id = 1`,
				`a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11|{"a": null, "b": [1, 2]}|DEADBEEF|happy|x,NULL,z|1,NULL,3`},
			{`SELECT count(*) FROM %s.orders WHERE ds = '2026-11-20' AND id = 2 AND qty IS NULL AND big IS NULL AND wide IS NULL AND at_tz IS NULL AND tags IS NULL AND raw IS NULL`, "1"},
		}
		for name, c := range both {
			for _, tc := range cases {
				if got := testenv.TrinoRows(t, c, fmt.Sprintf(tc.q, schema)); got != tc.want {
					t.Errorf("%s: %s\n got %s\nwant %s", name, tc.q, got, tc.want)
				}
			}
		}
	})

	// Night 2: a new source column; flaky fails (its source table is gone).
	pg(`ALTER TABLE items ADD COLUMN label text`, `UPDATE items SET label = 'l' || price`,
		`INSERT INTO items SELECT 3, i, 'new' FROM generate_series(1, 10) i`, `DROP TABLE flaky`)
	rep = run(t, job, "2026-11-21")
	if got := statuses(rep); !strings.Contains(got, "flaky=failed") || strings.Contains(rep.Err().Error(), "cluster") {
		t.Fatalf("night 2: %s %v", got, rep.Err())
	}

	t.Run("the same aggregate on a ds and on _latest on every cluster", func(t *testing.T) {
		var want1, want2 string
		if err := conn.QueryRow(ctx, `SELECT count(*) || '|' || sum(price) FROM items WHERE label IS NULL OR label <> 'new'`).Scan(&want1); err != nil {
			t.Fatal(err)
		}
		if err := conn.QueryRow(ctx, `SELECT count(*) || '|' || sum(price) FROM items`).Scan(&want2); err != nil {
			t.Fatal(err)
		}
		for name, c := range both {
			if got := testenv.TrinoRows(t, c, `SELECT count(*), sum(price) FROM `+schema+`.items WHERE ds = '2026-11-20'`); got != want1 {
				t.Errorf("%s ds=2026-11-20: got %s, want %s", name, got, want1)
			}
			if got := testenv.TrinoRows(t, c, `SELECT count(*), sum(price) FROM `+schema+`.items_latest`); got != want2 {
				t.Errorf("%s _latest: got %s, want %s", name, got, want2)
			}
		}
		if got := duckQuery(t, job, `SELECT count(*), sum(price) FROM items_latest`); got != strings.ReplaceAll(want2, "|", ",") {
			t.Errorf("duckdb _latest: got %s, want %s", got, want2)
		}
	})
	t.Run("a new column is on every cluster, NULL in older partitions", func(t *testing.T) {
		for name, c := range both {
			q := `SELECT ds, count(*), count(label), max(label) FROM ` + schema + `.items GROUP BY ds ORDER BY ds`
			if got, want := testenv.TrinoRows(t, c, q), "2026-11-20|100|0|\n2026-11-21|110|110|new"; got != want {
				t.Errorf("%s: got %s, want %s", name, got, want)
			}
			if got := testenv.TrinoRows(t, c, `SELECT count(label), min(ds) FROM `+schema+`.items_latest`); got != "110|2026-11-21" {
				t.Errorf("%s _latest: got %s", name, got)
			}
		}
	})
	t.Run("a failed table keeps its _latest on yesterday on every cluster", func(t *testing.T) {
		for name, c := range both {
			if got := testenv.TrinoRows(t, c, `SELECT id, ds FROM `+schema+`.flaky_latest`); got != "7|2026-11-20" {
				t.Errorf("%s: got %s", name, got)
			}
		}
		if got := duckQuery(t, job, `SELECT id, ds FROM flaky_latest`); got != "7,2026-11-20" {
			t.Errorf("duckdb: got %s", got)
		}
	})

	// Night 3 with t2 down: the tables commit, t1 is updated, the run
	// fails naming t2; a sync after it is back catches it up.
	pg(`INSERT INTO items VALUES (4, 1000, 'night3')`)
	down = true
	rep = run(t, job, "2026-11-22")
	down = false
	if got := statuses(rep); !strings.Contains(got, schema+".items=committed") {
		t.Fatalf("night 3: %s", got)
	}
	if err := rep.Err(); err == nil || !strings.Contains(err.Error(), "cluster t2") || strings.Contains(err.Error(), "cluster t1") {
		t.Fatalf("night 3 with t2 down: %v", err)
	}
	if got := testenv.TrinoRows(t, t1, `SELECT max(ds), max(label) FROM `+schema+`.items_latest`); got != "2026-11-22|night3" {
		t.Errorf("t1 not updated while t2 was down: %s", got)
	}
	if got := testenv.TrinoRows(t, t2, `SELECT max(ds) FROM `+schema+`.items_latest`); got != "2026-11-21" {
		t.Errorf("t2 while down: %s", got)
	}
	results, err := job.SyncCluster(ctx, "t2")
	if err != nil || len(results) != 1 || results[0].Status != "ok" {
		t.Fatalf("sync t2: %v %+v", err, results)
	}
	if got := testenv.TrinoRows(t, t2, `SELECT max(ds), max(label) FROM `+schema+`.items_latest`); got != "2026-11-22|night3" {
		t.Errorf("t2 after lake sync: %s", got)
	}

	t.Run("a brand new cluster gets all history and views from one sync, and a second sync runs no DDL", func(t *testing.T) {
		cfg := writeConfig(t, dir, body+clusters+fmt.Sprintf("  - {name: it, engine: trino, url: %q, catalog: fresh}\n", url1))
		job := newJob(t, cfg)
		plans, err := job.Plan(ctx, "it")
		if err != nil || len(plans) != 1 || plans[0].Err != nil || len(plans[0].Statements) == 0 {
			t.Fatalf("plan before the first sync: %v %+v", err, plans)
		}
		if results, err := job.SyncCluster(ctx, "it"); err != nil || results[0].Status != "ok" {
			t.Fatalf("sync: %v %+v", err, results)
		}
		it := testenv.TrinoClient(t, url1, "fresh")
		if got := testenv.TrinoRows(t, it, `SELECT ds, count(*), count(label) FROM `+schema+`.items GROUP BY ds ORDER BY ds`); got != "2026-11-20|100|0\n2026-11-21|110|110\n2026-11-22|111|111" {
			t.Errorf("history: %s", got)
		}
		for _, tc := range []struct{ view, want string }{
			{"items_latest", "111|2026-11-22"},
			{"orders_latest", "2|2026-11-22"},
			{"flaky_latest", "1|2026-11-20"},
		} {
			if got := testenv.TrinoRows(t, it, `SELECT count(*), max(ds) FROM `+schema+`.`+tc.view); got != tc.want {
				t.Errorf("%s: got %s, want %s", tc.view, got, tc.want)
			}
		}
		plans, err = job.Plan(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range plans {
			if p.Cluster != "local" && (len(p.Statements) != 0 || p.Err != nil) {
				t.Errorf("second sync on %s would run %q (%v)", p.Cluster, p.Statements, p.Err)
			}
		}
	})
}

// duckQuery runs q on the job's DuckDB catalog, reading the S3 warehouse.
func duckQuery(t *testing.T, job *lake.Job, q string) string {
	t.Helper()
	return query(t, job.Config, q, duckdb.WithS3(lake.DuckDBS3(job.Store)))
}
