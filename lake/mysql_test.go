package lake_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	mysqldrv "github.com/go-sql-driver/mysql"

	"github.com/lake-engine/lake/lake"
	"github.com/lake-engine/lake/localstack/testenv"
	"github.com/lake-engine/lake/partitions"
)

// newMariaSource makes a database of the test MariaDB, runs setup in it
// over one session (so that a SET holds for the statements after it) and
// returns its DSN.
func newMariaSource(t *testing.T, setup ...string) string {
	t.Helper()
	dsn := testenv.NewMariaDB(t)
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	for _, q := range setup {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	return dsn
}

// A night from a real MariaDB: every table of the source in one snapshot,
// values of every family of types readable through the DuckDB views
// exactly as the source holds them.
func TestMySQLNightRoundTripsThroughDuckDB(t *testing.T) {
	dsn := newMariaSource(t,
		`SET time_zone = '+02:00'`,
		`CREATE TABLE Orders (id bigint PRIMARY KEY, qty tinyint, small tinyint unsigned, n int, big bigint unsigned,
			amount decimal(12,2), wide decimal(38,10), ratio float, score double, paid bool, note varchar(50), code char(3),
			day date, at datetime(6), at_ts timestamp(6) NULL, doc json, raw blob, feel enum('sad','ok','happy'), flags bit(3), yr year)`,
		`INSERT INTO Orders VALUES
			(1, -128, 255, 2147483647, 18446744073709551615, 1234567890.12, -9999999999999999999999999999.9999999999, 1.5, -2.25, true,
			 'Zoë 日本 🎉', 'ab', '1969-07-20', '1900-01-01 00:00:00.000001', '2038-01-19 05:14:07', '{"b": [1, 2], "a": null}',
			 x'deadbeef', 'happy', b'101', 2155),
			(2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`,
		`CREATE TABLE items (order_id bigint, price decimal(10,2))`,
		`INSERT INTO items SELECT seq % 2 + 1, seq FROM seq_1_to_100`,
	)
	dir := t.TempDir()
	t.Setenv("LAKE_TEST_MYSQL_DSN", dsn)
	cfg := writeConfig(t, dir, `
warehouse: ./warehouse
max_ds_age: 3650d # the tests replay fixed nights long past
sources:
  my: {driver: mysql, dsn: "${LAKE_TEST_MYSQL_DSN}"}
tables:
  - {name: orders, source: my, table: Orders}
  - {name: items, source: my}
  - {name: big_items, source: my, query: "SELECT order_id, sum(price) AS total FROM items GROUP BY 1 HAVING sum(price) > 2000"}
`)
	job := newJob(t, cfg)
	rep := run(t, job, "2026-11-20")
	if err := rep.Err(); err != nil {
		t.Fatalf("%v\n%+v", err, rep.Tables)
	}

	cases := []struct{ q, want string }{
		{`SELECT qty, small, n, big, amount, wide, ratio, score, paid FROM orders_latest WHERE id = 1`,
			"-128,255,2147483647,18446744073709551615,1234567890.12,-9999999999999999999999999999.9999999999,1.5,-2.25,1"},
		{`SELECT note, code, day, "at", at_ts FROM orders_latest WHERE id = 1`,
			"Zoë 日本 🎉,ab,1969-07-20,1900-01-01 00:00:00.000001,2038-01-19 03:14:07Z"},
		{`SELECT doc, raw, feel, flags, yr FROM orders_latest WHERE id = 1`,
			`{"b": [1, 2], "a": null},\xDEADBEEF,happy,5,2155`},
		{`SELECT count(*) FROM orders_latest WHERE id = 2 AND qty IS NULL AND big IS NULL AND amount IS NULL AND at_ts IS NULL AND doc IS NULL AND flags IS NULL`, "1"},
		{`SELECT count(*), sum(price) FROM items WHERE ds = '2026-11-20'`, "100,5050.00"},
		{`SELECT order_id, total FROM big_items_latest ORDER BY 1`, "1,2550.00\n2,2500.00"},
	}
	for _, tc := range cases {
		if got := query(t, cfg, tc.q); got != tc.want {
			t.Errorf("%s\n got %s\nwant %s", tc.q, got, tc.want)
		}
	}
	m, err := partitions.ReadManifest(context.Background(), job.Store, partitions.Key{Schema: "dwh", Table: "orders", DS: "2026-11-20"})
	if err != nil {
		t.Fatal(err)
	}
	types := map[string]string{}
	for _, c := range m.Columns {
		types[c.Name] = c.SourceType
	}
	if types["amount"] != "decimal(12,2)" || types["big"] != "bigint unsigned" || types["at_ts"] != "timestamp(6)" {
		t.Errorf("source types in the manifest: %v", types)
	}
}

// A MySQL DSN's password shows nowhere: not in a failed table's message,
// not in RedactDSN's output, even with parameters after the database.
func TestMySQLPasswordNeverShows(t *testing.T) {
	const secret = "Zq7-s3cret@Xw"
	base, err := mysqldrv.ParseDSN(testenv.MariaDB(t))
	if err != nil {
		t.Fatal(err)
	}
	user := fmt.Sprintf("lake_pw_%d", os.Getpid())
	root, err := sql.Open("mysql", base.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	if _, err := root.Exec(fmt.Sprintf("CREATE USER IF NOT EXISTS '%s'@'127.0.0.1' IDENTIFIED BY 'right'", user)); err != nil {
		t.Fatal(err)
	}
	defer root.Exec(fmt.Sprintf("DROP USER '%s'@'127.0.0.1'", user))

	wrong := base.Clone()
	wrong.User, wrong.Passwd, wrong.DBName = user, secret, "shop"
	wrong.Params = map[string]string{"charset": "utf8mb4"}
	dsn := wrong.FormatDSN()
	if !strings.Contains(dsn, secret) || !strings.Contains(dsn, "?") {
		t.Fatalf("DSN %q should hold the secret and a parameter", dsn)
	}
	if got := lake.RedactDSN(dsn); strings.Contains(got, secret) || !strings.Contains(got, user+":xxxxx@tcp(") {
		t.Errorf("RedactDSN(%q) = %q", dsn, got)
	}

	dir := t.TempDir()
	t.Setenv("LAKE_TEST_MYSQL_DSN", dsn)
	cfg := writeConfig(t, dir, `
warehouse: ./warehouse
max_ds_age: 3650d # the tests replay fixed nights long past
sources:
  my: {driver: mysql, dsn: "${LAKE_TEST_MYSQL_DSN}"}
tables:
  - {name: orders, source: my}
`)
	rep := run(t, newJob(t, cfg), "2026-11-20")
	if got := statuses(rep); got != "dwh.orders=failed" {
		t.Fatalf("%s", got)
	}
	for _, r := range rep.Tables {
		if strings.Contains(r.Message, secret) || !strings.Contains(r.Message, "Access denied") {
			t.Errorf("message: %s", r.Message)
		}
	}
}

// An unsupported column type fails that table with a message naming the
// column and type; the other tables of the source still commit.
func TestMySQLUnsupportedTypeFailsOnlyItsTable(t *testing.T) {
	dsn := newMariaSource(t,
		`CREATE TABLE spans (id int, length time)`, `INSERT INTO spans VALUES (1, '24:00:00')`,
		`CREATE TABLE ok (id int)`, `INSERT INTO ok VALUES (1), (2)`,
	)
	checkUnsupportedTypeFailsOnlyItsTable(t, "mysql", dsn, "time")
}

// A mysql DSN of the wrong shape is a config error naming the key, without
// the password.
func TestMySQLDSNShapeIsCheckedWithTheConfig(t *testing.T) {
	const secret = "Zq7-s3cret-Xw"
	tests := []struct{ dsn, want string }{
		{"mysql://lake:" + secret + "@db:3306/shop", "sources.my.dsn: a URL is not a mysql DSN; expected user:${PASSWORD}@tcp(host:3306)/db"},
		{"lake:" + secret + "@tcp(db:3306/shop", "sources.my.dsn: parse mysql dsn: "},
		{"", "sources.my.dsn: required; expected user:${PASSWORD}@tcp(host:3306)/db"},
	}
	for _, tt := range tests {
		dir := t.TempDir()
		path := filepath.Join(dir, "lake.yaml")
		body := fmt.Sprintf("warehouse: ./warehouse\nsources:\n  my: {driver: mysql, dsn: %q}\ntables:\n  - {name: orders, source: my}\n", tt.dsn)
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := lake.LoadConfig(path)
		if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), secret) {
			t.Errorf("dsn %q: error %v, want one with %q and no password", lake.RedactDSN(tt.dsn), err, tt.want)
		}
	}
}
