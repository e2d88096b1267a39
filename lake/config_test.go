package lake

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/lake-engine/lake/lake/warehouse"
)

// env is a getenv over a fixed set of variables.
func env(vars map[string]string) func(string) (string, bool) {
	return func(name string) (string, bool) {
		v, ok := vars[name]
		return v, ok
	}
}

// parseYAML parses text as lake.yaml. A leading newline is dropped, so the
// line after the opening backquote is line 1.
func parseYAML(text string, vars map[string]string) (*Config, error) {
	return parseFile("lake.yaml", text, vars)
}

// parseFile is parseYAML for a config at path.
func parseFile(path, text string, vars map[string]string) (*Config, error) {
	return ParseConfig(path, []byte(strings.TrimPrefix(text, "\n")), env(vars))
}

// okTail completes a config with one valid source and table; appended last,
// it leaves the line numbers of the lines above unchanged.
const okTail = `
sources:
  shop: {driver: sqlite, dsn: shop.db}
tables:
  - {name: orders, source: shop}
`

func TestParseConfigErrors(t *testing.T) {
	cases := []struct {
		name string
		yaml string
		env  map[string]string
		want []string // every line of the error, in order
	}{
		{
			name: "unknown source lists the defined sources",
			yaml: `
warehouse: ./wh
sources:
  shop: {driver: sqlite, dsn: shop.db}
  prod: {driver: postgres, dsn: "host=db dbname=prod"}
tables:
  - name: orders
    source: shopp
`,
			want: []string{`lake.yaml:7: tables[0].source: unknown source "shopp"; defined sources: prod, shop`},
		},
		{
			name: "misspelt key names the keys expected and nothing more",
			yaml: `
warehouse: ./wh
sources:
  shop:
    drvier: sqlite
    dsn: shop.db
tables:
  - {name: orders, source: shop}
`,
			want: []string{`lake.yaml:4: sources.shop.drvier: unknown key; expected one of: chunk_size, driver, dsn, lock_timeout, split_size, workers`},
		},
		{
			name: "workers share one snapshot, so only postgres sources have more than one",
			yaml: `
warehouse: ./wh
sources:
  shop: {driver: sqlite, dsn: shop.db, workers: 2}
  prod: {driver: postgres, dsn: "postgres://db/prod", workers: 0}
  big: {driver: postgres, dsn: "postgres://db/big", workers: 65}
tables:
  - {name: orders, source: shop}
`,
			want: []string{
				`lake.yaml:3: sources.shop.workers: 2, but a sqlite source cannot share one snapshot between connections; expected 1 (only postgres sources read in parallel)`,
				`lake.yaml:4: sources.prod.workers: 0; expected 1 to 64 connections`,
				`lake.yaml:5: sources.big.workers: 65; expected 1 to 64 connections`,
			},
		},
		{
			name: "split needs a postgres table and workers to read the ranges",
			yaml: `
warehouse: ./wh
sources:
  shop: {driver: sqlite, dsn: shop.db}
  prod: {driver: postgres, dsn: "postgres://db/prod", workers: 4}
  one: {driver: postgres, dsn: "postgres://db/one"}
tables:
  - {name: orders, source: shop, split: 4}
  - {name: events, source: prod, query: "SELECT * FROM events", split: 4}
  - {name: items, source: one, split: 2}
  - {name: lines, source: prod, split: 0}
  - {name: fine, source: prod, split: 8}
`,
			want: []string{
				`lake.yaml:7: tables[0].split: only postgres tables can be split; source shop is sqlite`,
				`lake.yaml:8: tables[1].split: a query cannot be split into ranges; expected table: instead of query:, or no split`,
				`lake.yaml:9: tables[2].split: 2 ranges, but source one reads with 1 connection; expected sources.one.workers greater than 1`,
				`lake.yaml:10: tables[3].split: 0; expected 1 (read whole) to 64 ranges`,
			},
		},
		{
			name: "unknown top-level key",
			yaml: `
warehouse: ./wh
partitions: daily
` + okTail,
			want: []string{`lake.yaml:2: partitions: unknown key; expected one of: clusters, default_schema, max_ds_age, parquet, s3, sources, tables, timezone, warehouse`},
		},
		{
			name: "unknown key in a table entry",
			yaml: `
warehouse: ./wh
sources:
  shop: {driver: sqlite, dsn: shop.db}
tables:
  - name: orders
    source: shop
    incremental: {column: created_at, window: 90d}
    partitioning: daily
`,
			want: []string{`lake.yaml:8: tables[0].partitioning: unknown key; expected one of: incremental, name, query, schema, source, split, table`},
		},
		{
			name: "incremental needs a column and a window in days or weeks, and a weekday",
			yaml: `
warehouse: ./wh
sources:
  shop: {driver: sqlite, dsn: shop.db}
tables:
  - name: orders
    source: shop
    incremental:
      window: 3 months
      tail_day: sundy
  - name: items
    source: shop
    incremental: {column: created_at}
  - name: carts
    source: shop
    incremental: {column: created_at, window: 0d, taill_day: monday}
`,
			want: []string{
				`lake.yaml:7: tables[0].incremental.column: required; expected the date or timestamp column that splits recent rows from the tail, e.g. created_at`,
				`lake.yaml:8: tables[0].incremental.window: "3 months" is not a number of days; expected days or weeks such as 90d or 12w`,
				`lake.yaml:9: tables[0].incremental.tail_day: "sundy" is not a weekday; expected one of: monday, tuesday, wednesday, thursday, friday, saturday, sunday`,
				`lake.yaml:12: tables[1].incremental.window: required and greater than 0; expected the recent window re-imported every night, e.g. 90d or 12w`,
				`lake.yaml:15: tables[2].incremental.taill_day: unknown key; expected one of: column, tail_day, window`,
				`lake.yaml:15: tables[2].incremental.window: required and greater than 0; expected the recent window re-imported every night, e.g. 90d or 12w`,
			},
		},
		{
			name: "max_ds_age is days or weeks",
			yaml: `
warehouse: ./wh
max_ds_age: 48h
` + okTail,
			want: []string{`lake.yaml:2: max_ds_age: "48h" is not a number of days; expected days or weeks such as 90d or 12w`},
		},
		{
			name: "duplicate table in one schema cites the first",
			yaml: `
warehouse: ./wh
sources:
  shop: {driver: sqlite, dsn: shop.db}
tables:
  - name: orders
    source: shop
  - name: orders
    source: shop
    schema: raw
  - name: orders
    source: shop
    table: orders_v2
`,
			want: []string{`lake.yaml:10: tables[2].name: duplicate table dwh.orders (first defined at line 5)`},
		},
		{
			name: "table named like the _latest view of another",
			yaml: `
warehouse: ./wh
sources:
  shop: {driver: sqlite, dsn: shop.db}
tables:
  - {name: orders, source: shop}
  - {name: orders_latest, source: shop}
`,
			want: []string{`lake.yaml:6: tables[1].name: table dwh.orders_latest has the name of the _latest view of dwh.orders (line 5); expected another name`},
		},
		{
			name: "unknown time zone",
			yaml: `
warehouse: ./wh
timezone: Europe/Pariss
` + okTail,
			want: []string{`lake.yaml:2: timezone: unknown time zone "Europe/Pariss"; expected an IANA name such as UTC or Europe/Paris`},
		},
		{
			name: "environment variable not set",
			yaml: `
warehouse: ./wh
sources:
  prod:
    driver: postgres
    dsn: postgres://lake:${PROD_PASSWORD}@db.internal:5432/prod
tables:
  - {name: orders, source: prod}
`,
			want: []string{`lake.yaml:5: sources.prod.dsn: environment variable PROD_PASSWORD is not set`},
		},
		{
			name: "environment variable not set in a query",
			yaml: `
warehouse: ./wh
sources:
  shop: {driver: sqlite, dsn: shop.db}
tables:
  - name: orders
    source: shop
    query: SELECT * FROM orders WHERE shop = '${SHOP_ID}'
`,
			want: []string{`lake.yaml:7: tables[0].query: environment variable SHOP_ID is not set`},
		},
		{
			name: "unterminated reference",
			yaml: `
warehouse: ${LAKE_HOME/warehouse
` + okTail,
			want: []string{`lake.yaml:1: warehouse: unterminated ${; expected ${NAME}, or $${ for a literal ${`},
		},
		{
			name: "reference with an invalid name",
			yaml: `
warehouse: ./wh
sources:
  prod: {driver: postgres, dsn: "postgres://lake:${PROD-PASSWORD}@db/prod"}
tables:
  - {name: orders, source: prod}
`,
			want: []string{`lake.yaml:3: sources.prod.dsn: invalid reference ${PROD-PASSWORD}; expected ${NAME} or ${NAME:-default}, NAME made of letters, digits and _`},
		},
		{
			name: "size with an unknown unit",
			yaml: `
warehouse: ./wh
parquet:
  row_group_size: 12XB
` + okTail,
			want: []string{`lake.yaml:3: parquet.row_group_size: "12XB" is not a size; expected a number with an optional unit (KiB, MiB, GiB, KB, MB, GB)`},
		},
		{
			name: "size given as a list",
			yaml: `
warehouse: ./wh
parquet:
  file_size: [1, GiB]
` + okTail,
			want: []string{`lake.yaml:3: parquet.file_size: expected a size such as 128MiB, got a list`},
		},
		{
			name: "size zero",
			yaml: `
warehouse: ./wh
parquet:
  file_size: 0
` + okTail,
			want: []string{`lake.yaml:3: parquet.file_size: must be greater than 0; expected a size such as 512MiB`},
		},
		{
			name: "row group larger than a file",
			yaml: `
warehouse: ./wh
parquet:
  row_group_size: 1GiB
  file_size: 500MB
` + okTail,
			want: []string{`lake.yaml:3: parquet.row_group_size: 1GiB is larger than parquet.file_size (500MB); expected at most the file size`},
		},
		{
			name: "page size zero",
			yaml: `
warehouse: ./wh
parquet:
  page_size: 0
` + okTail,
			want: []string{`lake.yaml:3: parquet.page_size: must be greater than 0; expected a size such as 256KiB`},
		},
		{
			name: "page larger than a row group",
			yaml: `
warehouse: ./wh
parquet:
  row_group_size: 1MiB
  page_size: 2MiB
` + okTail,
			want: []string{`lake.yaml:4: parquet.page_size: 2MiB is larger than parquet.row_group_size (1MiB); expected at most the row group size`},
		},
		{
			name: "split_size of a source that reads tables whole",
			yaml: `
warehouse: ./wh
sources:
  shop: {driver: sqlite, dsn: shop.db, split_size: 1GiB}
tables:
  - {name: orders, source: shop}
`,
			want: []string{`lake.yaml:3: sources.shop.split_size: a sqlite source reads every table whole; expected no split_size (only postgres sources read tables in ranges)`},
		},
		{
			name: "lock_timeout of a sqlite source",
			yaml: `
warehouse: ./wh
sources:
  shop: {driver: sqlite, dsn: shop.db, lock_timeout: 1m}
tables:
  - {name: orders, source: shop}
`,
			want: []string{`lake.yaml:3: sources.shop.lock_timeout: a sqlite source is read without waiting for locks; expected no lock_timeout (postgres and mysql sources take one)`},
		},
		{
			name: "lock_timeout below a second",
			yaml: `
warehouse: ./wh
sources:
  pg: {driver: postgres, dsn: "postgres://db.internal/prod", lock_timeout: 500ms}
  my: {driver: mysql, dsn: "lake@tcp(db.internal:3306)/shop", lock_timeout: -1m}
tables:
  - {name: orders, source: pg}
  - {name: customers, source: my}
`,
			want: []string{
				`lake.yaml:3: sources.pg.lock_timeout: 500ms; expected 0 (the server's setting) or a duration of at least 1s, such as 10m`,
				`lake.yaml:4: sources.my.lock_timeout: -1m0s; expected 0 (the server's setting) or a duration of at least 1s, such as 10m`,
			},
		},
		{
			name: "split_size of nothing",
			yaml: `
warehouse: ./wh
sources:
  pg: {driver: postgres, dsn: "postgres://db.internal/prod", workers: 2, split_size: 0}
tables:
  - {name: orders, source: pg}
`,
			want: []string{`lake.yaml:3: sources.pg.split_size: must be greater than 0; expected a size such as 256MiB`},
		},
		{
			name: "chunk_size of nothing, and of a source that reads tables whole",
			yaml: `
warehouse: ./wh
sources:
  pg: {driver: postgres, dsn: "postgres://db.internal/prod", workers: 2, chunk_size: 0}
  my: {driver: mysql, dsn: "lake@tcp(db.internal:3306)/shop", chunk_size: 32MiB}
tables:
  - {name: orders, source: pg}
  - {name: customers, source: my}
`,
			want: []string{
				`lake.yaml:3: sources.pg.chunk_size: must be greater than 0; expected a size such as 32MiB`,
				`lake.yaml:4: sources.my.chunk_size: a mysql source reads every table whole; expected no chunk_size (only postgres sources read tables in ranges)`,
			},
		},
		{
			name: "compression level beyond the codec's",
			yaml: `
warehouse: ./wh
parquet:
  compression_level: 23
` + okTail,
			want: []string{`lake.yaml:3: parquet.compression_level: 23; expected a zstd level from 1 to 22 (or none for zstd's default)`},
		},
		{
			name: "compression level of a codec without levels",
			yaml: `
warehouse: ./wh
parquet:
  compression: snappy
  compression_level: 3
` + okTail,
			want: []string{`lake.yaml:4: parquet.compression_level: snappy has no levels; expected no compression_level, or compression zstd or gzip`},
		},
		{
			name: "unknown compression",
			yaml: `
warehouse: ./wh
parquet:
  compression: lz4
` + okTail,
			want: []string{`lake.yaml:3: parquet.compression: unknown compression "lz4"; expected one of: zstd, snappy, gzip, none`},
		},
		{
			name: "unknown driver",
			yaml: `
warehouse: ./wh
sources:
  shop:
    driver: oracle
    dsn: lake@db/shop
tables:
  - {name: orders, source: shop}
`,
			want: []string{`lake.yaml:4: sources.shop.driver: unknown driver "oracle"; expected one of: sqlite, postgres, mysql`},
		},
		{
			name: "missing dsn cites the source",
			yaml: `
warehouse: ./wh
sources:
  shop:
    driver: sqlite
tables:
  - {name: orders, source: shop}
`,
			want: []string{`lake.yaml:3: sources.shop.dsn: required; expected the path of the SQLite database file`},
		},
		{
			name: "empty source entry",
			yaml: `
warehouse: ./wh
sources:
  shop:
tables:
  - {name: orders, source: shop}
`,
			want: []string{
				`lake.yaml:3: sources.shop.driver: required; expected one of: sqlite, postgres, mysql`,
				`lake.yaml:3: sources.shop.dsn: required; expected how to connect to the database`,
			},
		},
		{
			name: "sqlite dsn that is a URL",
			yaml: `
warehouse: ./wh
sources:
  shop: {driver: sqlite, dsn: "postgres://lake:pw@db/shop"}
tables:
  - {name: orders, source: shop}
`,
			want: []string{`lake.yaml:3: sources.shop.dsn: "postgres://lake:xxxxx@db/shop" is a URL; expected the path of the SQLite database file`},
		},
		{
			name: "postgres URL with another scheme is shown redacted",
			yaml: `
warehouse: ./wh
sources:
  prod:
    driver: postgres
    dsn: mysql://lake:${PROD_PASSWORD}@db/prod
tables:
  - {name: orders, source: prod}
`,
			env:  map[string]string{"PROD_PASSWORD": "hunter2"},
			want: []string{`lake.yaml:5: sources.prod.dsn: "mysql://lake:xxxxx@db/prod" is not a postgres URL; expected postgres:// or postgresql://`},
		},
		{
			name: "postgres dsn of no known shape is not shown",
			yaml: `
warehouse: ./wh
sources:
  prod:
    driver: postgres
    dsn: ${PROD_DSN}
tables:
  - {name: orders, source: prod}
`,
			env:  map[string]string{"PROD_DSN": "hunter2"},
			want: []string{`lake.yaml:5: sources.prod.dsn: not a postgres DSN; expected a URL such as postgres://user:${PASSWORD}@host:5432/db or key=value pairs such as host=db dbname=prod`},
		},
		{
			name: "invalid table name",
			yaml: `
warehouse: ./wh
sources:
  shop: {driver: sqlite, dsn: shop.db}
tables:
  - name: Orders
    source: shop
`,
			want: []string{`lake.yaml:5: tables[0].name: "Orders" is not a valid table name; expected lower-case letters, digits and _, not starting with a digit`},
		},
		{
			name: "missing table name cites the entry",
			yaml: `
warehouse: ./wh
sources:
  shop: {driver: sqlite, dsn: shop.db}
tables:
  - source: shop
    table: orders
`,
			want: []string{`lake.yaml:5: tables[0].name: required; expected the lake table name, e.g. orders`},
		},
		{
			name: "invalid schema name",
			yaml: `
warehouse: ./wh
sources:
  shop: {driver: sqlite, dsn: shop.db}
tables:
  - name: orders
    source: shop
    schema: my-schema
`,
			want: []string{`lake.yaml:7: tables[0].schema: "my-schema" is not a valid schema name; expected lower-case letters, digits and _, not starting with a digit`},
		},
		{
			name: "invalid default schema",
			yaml: `
warehouse: ./wh
default_schema: 1dwh
` + okTail,
			want: []string{`lake.yaml:2: default_schema: "1dwh" is not a valid schema name; expected lower-case letters, digits and _, not starting with a digit`},
		},
		{
			name: "both table and query",
			yaml: `
warehouse: ./wh
sources:
  shop: {driver: sqlite, dsn: shop.db}
tables:
  - name: orders
    source: shop
    table: orders
    query: SELECT * FROM orders
`,
			want: []string{`lake.yaml:8: tables[0].query: both table and query are set; expected exactly one of them`},
		},
		{
			name: "source table with too many parts",
			yaml: `
warehouse: ./wh
sources:
  shop: {driver: sqlite, dsn: shop.db}
tables:
  - {name: orders, source: shop, table: main.sales.orders}
`,
			want: []string{`lake.yaml:5: tables[0].table: "main.sales.orders" is not a source table; expected table or schema.table`},
		},
		{
			name: "missing source cites the entry",
			yaml: `
warehouse: ./wh
sources:
  shop: {driver: sqlite, dsn: shop.db}
tables:
  - name: orders
`,
			want: []string{`lake.yaml:5: tables[0].source: required; defined sources: shop`},
		},
		{
			name: "table without any source defined",
			yaml: `
warehouse: ./wh
sources: {}
tables:
  - {name: orders, source: shop}
`,
			want: []string{`lake.yaml:4: tables[0].source: unknown source "shop"; no sources are defined; add one under sources:`},
		},
		{
			name: "no tables",
			yaml: `
warehouse: ./wh
sources:
  shop: {driver: sqlite, dsn: shop.db}
`,
			want: []string{"lake.yaml: tables: no tables; expected a list of tables, e.g. `- name: orders` with `source: shop`"},
		},
		{
			name: "warehouse missing",
			yaml: `
timezone: UTC
` + okTail,
			want: []string{`lake.yaml: warehouse: required; expected the folder partitions are written to, e.g. ./warehouse`},
		},
		{
			name: "s3 warehouse settings are checked",
			yaml: `
warehouse: s3://Lake_Bucket/prod
s3:
  endpoint: localhost:4566
  path_style: maybe
  sse: aes
  sse_kms_key_id: k1
  part_size: 1MiB
  upload_concurrency: 0
  max_attempts: 0
  max_backoff: 1h
` + okTail,
			want: []string{
				`lake.yaml:1: warehouse: "Lake_Bucket" is not a valid S3 bucket name; expected 3 to 63 lower-case letters, digits, dots and hyphens`,
				`lake.yaml:3: s3.endpoint: "localhost:4566" is not a URL; expected http(s)://host:port, e.g. http://localhost:4566`,
				`lake.yaml:4: s3.path_style: expected true or false`,
				`lake.yaml:5: s3.sse: unknown server-side encryption "aes"; expected one of: AES256, aws:kms`,
				`lake.yaml:6: s3.sse_kms_key_id: set, but s3.sse is not aws:kms; expected sse: aws:kms with it`,
				`lake.yaml:7: s3.part_size: 1MiB is outside S3's limits; expected between 5MiB and 5GiB`,
				`lake.yaml:8: s3.upload_concurrency: 0; expected 1 to 64`,
				`lake.yaml:9: s3.max_attempts: 0; expected 1 (no retries) to 50`,
				`lake.yaml:10: s3.max_backoff: 1h0m0s; expected between 10ms and 5m0s`,
			},
		},
		{
			name: "s3 retry settings need their form",
			yaml: `
warehouse: s3://lake/prod
s3:
  max_attempts: many
  max_backoff: soon
` + okTail,
			want: []string{
				`lake.yaml:3: s3.max_attempts: expected a whole number such as 4`,
				`lake.yaml:4: s3.max_backoff: "soon" is not a duration; expected a number with a unit such as 500ms, 20s or 2m`,
			},
		},
		{
			name: "s3 settings without an s3 warehouse",
			yaml: `
warehouse: ./wh
s3: {region: eu-west-1}
` + okTail,
			want: []string{`lake.yaml:2: s3: set, but the warehouse is not an s3:// URL; remove it or set warehouse: s3://bucket/prefix`},
		},
		{
			name: "other URL schemes are not warehouses",
			yaml: `
warehouse: gs://bucket/prod
` + okTail,
			want: []string{`lake.yaml:1: warehouse: "gs://bucket/prod": unsupported scheme; expected a local folder or s3://bucket/prefix`},
		},
		{
			name: "duplicate cluster names",
			yaml: `
warehouse: ./wh
clusters:
  - {name: local, engine: duckdb, path: a.duckdb}
  - {name: local, engine: duckdb, path: b.duckdb}
` + okTail,
			want: []string{`lake.yaml:4: clusters[1].name: duplicate cluster "local" (first defined at line 3)`},
		},
		{
			name: "trino and presto need a url",
			yaml: `
warehouse: ./wh
clusters:
  - name: adhoc
    engine: trino
  - name: legacy
    engine: presto
    url: ftp://legacy:8080
` + okTail,
			want: []string{
				`lake.yaml:3: clusters[0].url: required for a trino cluster; expected http(s)://host:port of the coordinator`,
				`lake.yaml:7: clusters[1].url: "ftp://legacy:8080" is not an http(s)://host:port URL without credentials; put them in user: and password: or token:`,
			},
		},
		{
			name: "cluster credentials: never in the url, a password only over https, not both",
			yaml: `
warehouse: ./wh
clusters:
  - {name: a, engine: trino, url: "http://ana:s3cret@trino:8080"}
  - {name: b, engine: trino, url: "http://trino:8080", password: s3cret}
  - {name: c, engine: presto, url: "https://presto:8443", password: s3cret, token: t0ken, catalog: Hive}
` + okTail,
			want: []string{
				`lake.yaml:3: clusters[0].url: "http://ana:xxxxx@trino:8080" is not an http(s)://host:port URL without credentials; put them in user: and password: or token:`,
				`lake.yaml:4: clusters[1].password: sent only over https; use an https url, or a token`,
				`lake.yaml:5: clusters[2].token: both password and token are set; expected one of them`,
				`lake.yaml:5: clusters[2].catalog: "Hive" is not a valid catalog name; expected lower-case letters, digits and _, not starting with a digit`,
			},
		},
		{
			name: "unknown engine",
			yaml: `
warehouse: ./wh
clusters:
  - name: adhoc
    engine: spark
` + okTail,
			want: []string{`lake.yaml:4: clusters[0].engine: unknown engine "spark"; expected one of duckdb, trino, presto`},
		},
		{
			name: "duckdb cluster without a path",
			yaml: `
warehouse: ./wh
clusters:
  - name: local
    engine: duckdb
` + okTail,
			want: []string{`lake.yaml:3: clusters[0].path: required for a duckdb cluster; expected the DuckDB catalog file, e.g. ./lake.duckdb`},
		},
		{
			name: "empty cluster list",
			yaml: `
warehouse: ./wh
clusters: []
` + okTail,
			want: []string{`lake.yaml:2: clusters: empty; expected at least one cluster, or no clusters: key for the default DuckDB catalog lake.duckdb`},
		},
		{
			name: "empty file",
			yaml: ``,
			want: []string{"lake.yaml: the file is empty; expected settings such as `warehouse: ./warehouse` and `tables:` (`lake init` writes a commented example)"},
		},
		{
			name: "file of comments only",
			yaml: `
# warehouse: ./wh
`,
			want: []string{"lake.yaml: the file is empty; expected settings such as `warehouse: ./warehouse` and `tables:` (`lake init` writes a commented example)"},
		},
		{
			name: "file that is an empty document",
			yaml: `
---
~
`,
			want: []string{"lake.yaml:2: the file has no settings; expected a mapping such as `warehouse: ./warehouse` (`lake init` writes a commented example)"},
		},
		{
			name: "paths starting with ~",
			yaml: `
warehouse: ~/lake/warehouse
sources:
  shop: {driver: sqlite, dsn: ~/shop.db}
tables:
  - {name: orders, source: shop}
clusters:
  - {name: local, engine: duckdb, path: ~/lake.duckdb}
`,
			want: []string{
				`lake.yaml:1: warehouse: "~/lake/warehouse": ~ is not expanded; expected ${HOME}/lake/warehouse or a path relative to this file`,
				`lake.yaml:3: sources.shop.dsn: "~/shop.db": ~ is not expanded; expected ${HOME}/shop.db or a path relative to this file`,
				`lake.yaml:7: clusters[0].path: "~/lake.duckdb": ~ is not expanded; expected ${HOME}/lake.duckdb or a path relative to this file`,
			},
		},
		{
			name: "file that is a list",
			yaml: `
- warehouse: ./wh
`,
			want: []string{`lake.yaml:1: expected a mapping of settings (warehouse:, sources:, tables:, ...), got a list`},
		},
		{
			name: "file that is a string",
			yaml: `
warehouse
`,
			want: []string{`lake.yaml:1: expected a mapping of settings (warehouse:, sources:, tables:, ...), got a string`},
		},
		{
			name: "two documents",
			yaml: `
warehouse: ./wh
---
warehouse: ./other
`,
			want: []string{`lake.yaml:3: a second YAML document starts here; expected one document per file`},
		},
		{
			name: "YAML syntax error",
			yaml: `
warehouse: ./wh
sources:
  shop: {driver: sqlite
tables:
`,
			want: []string{`lake.yaml:3: invalid YAML: did not find expected ',' or '}'`},
		},
		{
			name: "YAML syntax error in the top-level mapping",
			yaml: `
warehouse: ./wh
timezone: "UTC" Z
`,
			want: []string{`lake.yaml:2: invalid YAML: did not find expected key`},
		},
		{
			name: "YAML syntax error on the first line",
			yaml: `
warehouse: "./wh" x
`,
			want: []string{`lake.yaml:1: invalid YAML: did not find expected key`},
		},
		{
			name: "YAML indentation error",
			yaml: `
warehouse: ./wh
timezone: UTC
  default_schema: dwh
`,
			want: []string{`lake.yaml:3: invalid YAML: mapping values are not allowed in this context`},
		},
		{
			name: "unknown anchor",
			yaml: `
warehouse: *home
`,
			want: []string{`lake.yaml: invalid YAML: unknown anchor 'home' referenced`},
		},
		{
			name: "a merge of the mapping into itself is an error, not a crash",
			yaml: `
warehouse: ./wh
sources:
  shop: &shop
    <<: *shop
    driver: sqlite
    dsn: ./shop.db
tables:
  - {name: orders, source: shop}
`,
			want: []string{`lake.yaml:4: sources.shop.<<: the merge refers to the mapping it is in; merge another anchor`},
		},
		{
			name: "sources given as a list does not also fail every table",
			yaml: `
warehouse: ./wh
sources:
  - shop
tables:
  - {name: orders, source: shop}
`,
			want: []string{`lake.yaml:2: sources: expected a mapping, got a list`},
		},
		{
			name: "tables given as a mapping",
			yaml: `
warehouse: ./wh
sources:
  shop: {driver: sqlite, dsn: shop.db}
tables:
  orders: {source: shop}
`,
			want: []string{`lake.yaml:4: tables: expected a list, got a mapping`},
		},
		{
			name: "string key given a mapping",
			yaml: `
warehouse: ./wh
sources:
  shop: {driver: sqlite, dsn: shop.db}
tables:
  - name: {orders: true}
    source: shop
`,
			want: []string{`lake.yaml:5: tables[0].name: expected a string, got a mapping`},
		},
		{
			name: "duplicate key",
			yaml: `
warehouse: ./wh
sources:
  shop:
    driver: sqlite
    dsn: shop.db
    driver: postgres
tables:
  - {name: orders, source: shop}
`,
			want: []string{`lake.yaml:6: sources.shop.driver: duplicate key (first defined at line 4); expected each key once`},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := parseYAML(tc.yaml, tc.env)
			if err == nil {
				t.Fatalf("no error; config %+v", c)
			}
			if c != nil {
				t.Errorf("config returned with the error")
			}
			got := strings.Split(err.Error(), "\n")
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("error:\n%s\nwant:\n%s", err, strings.Join(tc.want, "\n"))
			}
		})
	}
}

func TestParseConfigReportsEveryErrorSortedByLine(t *testing.T) {
	_, err := LoadConfig("testdata/many_errors.yaml")
	if err == nil {
		t.Fatal("no error")
	}
	want := []string{
		`testdata/many_errors.yaml:3: timezone: unknown time zone "Europe/Pariss"; expected an IANA name such as UTC or Europe/Paris`,
		`testdata/many_errors.yaml:5: parquet.compression: unknown compression "lz4"; expected one of: zstd, snappy, gzip, none`,
		`testdata/many_errors.yaml:6: parquet.row_group_size: "12XB" is not a size; expected a number with an optional unit (KiB, MiB, GiB, KB, MB, GB)`,
		`testdata/many_errors.yaml:9: sources.shop.drvier: unknown key; expected one of: chunk_size, driver, dsn, lock_timeout, split_size, workers`,
		`testdata/many_errors.yaml:13: sources.prod.dsn: environment variable PROD_PASSWORD is not set`,
		`testdata/many_errors.yaml:17: tables[1].name: "Customers" is not a valid table name; expected lower-case letters, digits and _, not starting with a digit`,
		`testdata/many_errors.yaml:18: tables[1].source: unknown source "shopp"; defined sources: prod, shop`,
		`testdata/many_errors.yaml:19: tables[2].name: duplicate table dwh.orders (first defined at line 15)`,
		`testdata/many_errors.yaml:22: tables[2].query: both table and query are set; expected exactly one of them`,
		`testdata/many_errors.yaml:24: clusters[0].url: required for a trino cluster; expected http(s)://host:port of the coordinator`,
	}
	if got := strings.Split(err.Error(), "\n"); !reflect.DeepEqual(got, want) {
		t.Errorf("error:\n%s\nwant:\n%s", err, strings.Join(want, "\n"))
	}

	var ce *ConfigError
	if !errors.As(err, &ce) || ce.File != "testdata/many_errors.yaml" || ce.Line != 3 || ce.Key != "timezone" {
		t.Errorf("errors.As found %+v; want the timezone error at line 3", ce)
	}
}

func TestLoadConfigFullFile(t *testing.T) {
	t.Setenv("PROD_PASSWORD", "s3cret")
	c, err := LoadConfig("testdata/full.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dir, err := filepath.Abs("testdata")
	if err != nil {
		t.Fatal(err)
	}
	if c.Location == nil || c.Location.String() != "Europe/Paris" {
		t.Errorf("Location = %v, want Europe/Paris", c.Location)
	}
	want := Config{
		Path:          "testdata/full.yaml",
		Warehouse:     dir + "/warehouse",
		Timezone:      "Europe/Paris",
		MaxDSAge:      DefaultMaxDSAge,
		DefaultSchema: "raw",
		Parquet:       ParquetConfig{Compression: "gzip", CompressionLevel: 9, RowGroupSize: 67108864, FileSize: 1073741824, PageSize: 131072},
		Sources: map[string]SourceConfig{
			"shop": {Name: "shop", Driver: "sqlite", DSN: dir + "/demo/shop.db", Workers: 1},
			"prod": {Name: "prod", Driver: "postgres", DSN: "postgres://lake:s3cret@db.internal:5432/prod?sslmode=require", Workers: 1,
				LockTimeout: Duration(2 * time.Minute)},
		},
		Tables: []TableConfig{
			{Name: "orders", Source: "shop", Table: "orders", Schema: "raw", Line: 20},
			{Name: "customers", Source: "shop", Table: "main.customers", Schema: "dwh", Line: 22},
			{Name: "invoices", Source: "prod", Query: "SELECT id, total FROM billing.invoices WHERE NOT draft", Schema: "raw", Line: 26},
		},
		Clusters: []ClusterConfig{
			{Name: "local", Engine: "duckdb", Path: dir + "/lake.duckdb"},
			{Name: "scratch", Engine: "duckdb", Path: "/var/lib/lake/scratch.duckdb"},
		},
	}
	assertConfig(t, c, want)
}

// assertConfig compares the exported fields of got, Location aside.
func assertConfig(t *testing.T, got *Config, want Config) {
	t.Helper()
	g := *got
	g.Location, g.lines, g.nulls, g.failed = nil, nil, nil, nil
	if !reflect.DeepEqual(g, want) {
		t.Errorf("config:\n%+v\nwant:\n%+v", g, want)
	}
}

func TestS3RetryBudgetReachesTheStore(t *testing.T) {
	cases := []struct {
		name       string
		s3         string
		attempts   int
		maxBackoff time.Duration
	}{
		{"unset: the store's defaults", "{endpoint: http://127.0.0.1:4566}", 10, 20 * time.Second},
		{"set in lake.yaml", "{endpoint: http://127.0.0.1:4566, max_attempts: 2, max_backoff: 250ms}", 2, 250 * time.Millisecond},
		{"one attempt means no retries", "{max_attempts: 1}", 1, 20 * time.Second},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := parseFile("/srv/lake/lake.yaml", "warehouse: s3://lake/prod\ns3: "+tc.s3+"\n"+okTail, nil)
			if err != nil {
				t.Fatal(err)
			}
			opts, err := c.S3Options()
			if err != nil {
				t.Fatal(err)
			}
			// NewS3 applies the defaults and contacts nothing.
			s, err := warehouse.NewS3(context.Background(), opts)
			if err != nil {
				t.Fatal(err)
			}
			if got := s.Options(); got.MaxAttempts != tc.attempts || got.MaxBackoff != tc.maxBackoff {
				t.Errorf("store retries %d times, waits at most %s; want %d, %s", got.MaxAttempts, got.MaxBackoff, tc.attempts, tc.maxBackoff)
			}
		})
	}
}

// lock_timeout left out is DefaultLockTimeout for the sources that wait
// for locks; 0 written in the file stays 0 (the server's setting).
func TestLockTimeoutDefaultsUnlessSet(t *testing.T) {
	c, err := parseFile("/srv/lake/lake.yaml", `
warehouse: /data/warehouse
sources:
  pg: {driver: postgres, dsn: "postgres://db.internal/prod"}
  my: {driver: mysql, dsn: "lake@tcp(db.internal:3306)/shop", lock_timeout: 0}
  shop: {driver: sqlite, dsn: shop.db}
tables:
  - {name: orders, source: pg}
`, nil)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]Duration{"pg": Duration(10 * time.Minute), "my": 0, "shop": 0} {
		if got := c.Sources[name].LockTimeout; got != want {
			t.Errorf("%s: lock_timeout = %v, want %v", name, time.Duration(got), time.Duration(want))
		}
	}
}

func TestParseConfigDefaults(t *testing.T) {
	c, err := parseFile("/srv/lake/lake.yaml", `
warehouse: /data/warehouse
sources:
  shop: {driver: sqlite, dsn: "file:shop.db?mode=ro"}
tables:
  - name: orders
    source: shop
  - name: customers
    source: shop
    query: SELECT * FROM customers
parquet:
  row_group_size:
`, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Location != time.UTC {
		t.Errorf("Location = %v, want UTC", c.Location)
	}
	assertConfig(t, c, Config{
		Path:          "/srv/lake/lake.yaml",
		Warehouse:     "/data/warehouse",
		Timezone:      "UTC",
		MaxDSAge:      DefaultMaxDSAge,
		DefaultSchema: "dwh",
		Parquet:       ParquetConfig{Compression: "zstd", RowGroupSize: 134217728, FileSize: 536870912, PageSize: 262144},
		Sources:       map[string]SourceConfig{"shop": {Name: "shop", Driver: "sqlite", DSN: "file:/srv/lake/shop.db?mode=ro", Workers: 1}},
		Tables: []TableConfig{
			{Name: "orders", Source: "shop", Table: "orders", Schema: "dwh", Line: 5},
			{Name: "customers", Source: "shop", Query: "SELECT * FROM customers", Schema: "dwh", Line: 7},
		},
		Clusters: []ClusterConfig{{Name: "local", Engine: "duckdb", Path: "/srv/lake/lake.duckdb"}},
	})
}

func TestParseConfigMergeKeys(t *testing.T) {
	c, err := parseFile("/srv/lake/lake.yaml", `
warehouse: /data/warehouse
sources:
  shop: &shop {driver: sqlite, dsn: /data/shop.db}
  copy:
    <<: *shop
    dsn: /data/copy.db
tables:
  - &orders {name: orders, source: shop, schema: sales}
  - <<: *orders
    schema: finance
`, nil)
	if err != nil {
		t.Fatal(err)
	}
	wantSources := map[string]SourceConfig{
		"shop": {Name: "shop", Driver: "sqlite", DSN: "/data/shop.db", Workers: 1},
		"copy": {Name: "copy", Driver: "sqlite", DSN: "/data/copy.db", Workers: 1},
	}
	if !reflect.DeepEqual(c.Sources, wantSources) {
		t.Errorf("sources = %+v, want %+v", c.Sources, wantSources)
	}
	wantTables := []TableConfig{
		{Name: "orders", Source: "shop", Table: "orders", Schema: "sales", Line: 8},
		{Name: "orders", Source: "shop", Table: "orders", Schema: "finance", Line: 9},
	}
	if !reflect.DeepEqual(c.Tables, wantTables) {
		t.Errorf("tables = %+v, want %+v", c.Tables, wantTables)
	}
}

func TestExpandValue(t *testing.T) {
	vars := map[string]string{"USER": "lake", "PASSWORD": "pa$$w{rd}", "EMPTY": ""}
	cases := []struct {
		name, in, want string
		problems       []string
	}{
		{"plain value is untouched", "postgres://db/prod", "postgres://db/prod", nil},
		{"braced reference", "postgres://${USER}:${PASSWORD}@db/prod", "postgres://lake:pa$$w{rd}@db/prod", nil},
		{"dollar without brace is literal", "pa$word$USER$", "pa$word$USER$", nil},
		{"double dollar without brace is literal", "pa$$word", "pa$$word", nil},
		{"escaped reference is literal", "$${USER} and $${", "${USER} and ${", nil},
		{"default when unset", "${PORT:-5432}", "5432", nil},
		{"default when empty", "${EMPTY:-fallback}", "fallback", nil},
		{"set value wins over default", "${USER:-nobody}", "lake", nil},
		{"empty default", "x${PORT:-}y", "xy", nil},
		{"set but empty without default", "a${EMPTY}b", "ab", nil},
		{"missing variables are each reported", "${A}:${B}", ":", []string{
			"environment variable A is not set", "environment variable B is not set"}},
		{"invalid name", "${1X}", "", []string{
			"invalid reference ${1X}; expected ${NAME} or ${NAME:-default}, NAME made of letters, digits and _"}},
		{"invalid name hides the default", "${A B:-secret}", "", []string{
			"invalid reference ${A B:-...}; expected ${NAME} or ${NAME:-default}, NAME made of letters, digits and _"}},
		{"unterminated", "abc${USER", "abc", []string{"unterminated ${; expected ${NAME}, or $${ for a literal ${"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, problems := expandValue(tc.in, env(vars))
			if got != tc.want || !reflect.DeepEqual(problems, tc.problems) {
				t.Errorf("expandValue(%q) = %q, %q; want %q, %q", tc.in, got, problems, tc.want, tc.problems)
			}
		})
	}
}

func TestParseConfigExpandsValuesNotKeys(t *testing.T) {
	vars := map[string]string{"PG_HOST": "db.internal", "PG_PASSWORD": "p$ss", "SCHEMA": "sales"}
	c, err := parseYAML(`
warehouse: /data/${SCHEMA}
sources:
  ${SCHEMA}:
    driver: postgres
    dsn: "host=${PG_HOST} port=${PG_PORT:-5432} password=${PG_PASSWORD}"
tables:
  - name: orders
    source: $${SCHEMA}
    schema: ${SCHEMA}
    query: SELECT '$${literal}' AS a, '$HOME' AS b
`, vars)
	if err != nil {
		t.Fatal(err)
	}
	if c.Warehouse != "/data/sales" {
		t.Errorf("warehouse = %q", c.Warehouse)
	}
	want := SourceConfig{Name: "${SCHEMA}", Driver: "postgres", DSN: "host=db.internal port=5432 password=p$ss", Workers: 1, LockTimeout: DefaultLockTimeout}
	if got := c.Sources["${SCHEMA}"]; got != want {
		t.Errorf("source = %+v, want %+v (keys are not expanded)", got, want)
	}
	if got := c.Tables[0]; got.Source != "${SCHEMA}" || got.Schema != "sales" || got.Query != "SELECT '${literal}' AS a, '$HOME' AS b" {
		t.Errorf("table = %+v", got)
	}
}

func TestErrorsNeverShowDSNSecrets(t *testing.T) {
	const secret = "Zq7-s3cret-Xw"
	vars := map[string]string{"PW": secret, "URL": "postgres://lake:" + secret + "@db/prod", "RAW": secret}
	configs := []string{
		// postgres URL with another scheme
		"warehouse: ./wh\nsources:\n  prod: {driver: postgres, dsn: \"mysql://lake:${PW}@db/prod\"}\ntables:\n  - {name: orders, source: prod}\n",
		// sqlite source given a URL
		"warehouse: ./wh\nsources:\n  prod: {driver: sqlite, dsn: \"${URL}\"}\ntables:\n  - {name: orders, source: prod}\n",
		// a DSN that is only the secret
		"warehouse: ./wh\nsources:\n  prod: {driver: postgres, dsn: \"${RAW}\"}\ntables:\n  - {name: orders, source: prod}\n",
		// unknown driver next to a URL, key=value and query-parameter DSN
		"warehouse: ./wh\nsources:\n  a: {driver: pg, dsn: \"${URL}\"}\n  b: {driver: pg, dsn: \"host=db password=${PW}\"}\n  c: {driver: pg, dsn: \"postgres://db/prod?password=${PW}\"}\ntables:\n  - {name: orders, source: a}\n",
		// every other kind of error around a good DSN
		"warehouse: ./wh\ntimezone: Mars/Base\nsources:\n  prod: {driver: postgres, dsn: \"${URL}\", extra: 1}\n  prod: {driver: postgres, dsn: \"${URL}\"}\ntables:\n  - {name: Orders, source: nope}\n",
		// a DSN where a list is expected
		"warehouse: ./wh\nsources:\n  prod: {driver: postgres, dsn: [\"${URL}\"]}\ntables:\n  - {name: orders, source: prod}\n",
	}
	for i, text := range configs {
		_, err := parseYAML(text, vars)
		if err == nil {
			t.Errorf("config %d: no error", i)
			continue
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("config %d: the error shows the secret:\n%s", i, err)
		}
	}

	// The secret does reach the config, so the checks above are not vacuous.
	c, err := parseYAML("warehouse: ./wh\nsources:\n  prod: {driver: postgres, dsn: \"${URL}\"}\ntables:\n  - {name: orders, source: prod}\n", vars)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(c.Sources["prod"].DSN, secret) {
		t.Fatalf("DSN %q lacks the secret", c.Sources["prod"].DSN)
	}
}

func TestRedactDSN(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"URL password", "postgres://lake:s3cret@db:5432/prod?sslmode=require", "postgres://lake:xxxxx@db:5432/prod?sslmode=require"},
		{"URL password with @ / and ?", "postgresql://lake:p@s/s?w@db/prod", "postgresql://lake:xxxxx@db/prod"},
		{"URL without password", "postgres://lake@db/prod", "postgres://lake@db/prod"},
		{"URL without userinfo", "postgres://db:5432/prod", "postgres://db:5432/prod"},
		{"URL password parameter", "postgres://db/prod?user=lake&password=s3cret&sslmode=disable", "postgres://db/prod?user=lake&password=xxxxx&sslmode=disable"},
		{"key=value password", "host=db user=lake password=s3cret dbname=prod", "host=db user=lake password=xxxxx dbname=prod"},
		{"key=value quoted password", `host=db password='s3 c\'ret' dbname=prod`, "host=db password=xxxxx dbname=prod"},
		{"key=value unterminated quote", "host=db password='s3 cret dbname=prod", "host=db password=xxxxx"},
		{"key=value spaces around =", "host=db password = s3cret", "host=db password = xxxxx"},
		{"key=value upper case", "HOST=db PASSWORD=s3cret", "HOST=db PASSWORD=xxxxx"},
		{"key=value sslpassword", "host=db sslpassword=s3cret", "host=db sslpassword=xxxxx"},
		{"userinfo without scheme", "lake:s3cret@db/prod", "lake:xxxxx@db/prod"},
		{"file path", "/data/shop.db", "/data/shop.db"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := RedactDSN(tc.in); got != tc.want {
				t.Errorf("RedactDSN(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestParseDS(t *testing.T) {
	cases := []struct {
		in      string
		want    time.Time
		wantErr string
	}{
		{in: "2024-02-29", want: time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)},
		{in: "2026-11-22", want: time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)},
		{in: "2023-02-29", wantErr: `invalid ds "2023-02-29": not a calendar date; expected a date written YYYY-MM-DD, e.g. 2026-01-05`},
		{in: "2026-13-01", wantErr: `invalid ds "2026-13-01": not a calendar date; expected a date written YYYY-MM-DD, e.g. 2026-01-05`},
		{in: "2026-1-5", wantErr: `invalid ds "2026-1-5": expected a date written YYYY-MM-DD, e.g. 2026-01-05`},
		{in: "2026/01/05", wantErr: `invalid ds "2026/01/05": expected a date written YYYY-MM-DD, e.g. 2026-01-05`},
		{in: "2026-01-05T00:00:00Z", wantErr: `invalid ds "2026-01-05T00:00:00Z": expected a date written YYYY-MM-DD, e.g. 2026-01-05`},
		{in: "", wantErr: `invalid ds "": expected a date written YYYY-MM-DD, e.g. 2026-01-05`},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseDS(tc.in)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Errorf("ParseDS(%q) error = %v, want %s", tc.in, err, tc.wantErr)
				}
				return
			}
			if err != nil || !got.Equal(tc.want) {
				t.Errorf("ParseDS(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
			}
		})
	}
}

func TestTodayIsTheDateInTheConfiguredZone(t *testing.T) {
	now := time.Date(2026, 1, 5, 3, 0, 0, 0, time.UTC)
	cases := []struct{ zone, want string }{
		{"UTC", "2026-01-05"},
		{"America/Los_Angeles", "2026-01-04"},
		{"Pacific/Auckland", "2026-01-05"},
		{"Asia/Tokyo", "2026-01-05"},
	}
	for _, tc := range cases {
		c, err := parseYAML("warehouse: ./wh\ntimezone: "+tc.zone+"\n"+okTail, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := c.Today(now); got != tc.want {
			t.Errorf("Today in %s = %s, want %s", tc.zone, got, tc.want)
		}
	}
	late := time.Date(2026, 1, 5, 20, 0, 0, 0, time.UTC)
	c, err := parseYAML("warehouse: ./wh\ntimezone: Pacific/Auckland\n"+okTail, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Today(late); got != "2026-01-06" {
		t.Errorf("Today in Auckland at 20:00 UTC = %s, want 2026-01-06", got)
	}
}

func TestSelectTables(t *testing.T) {
	c, err := parseYAML(`
warehouse: ./wh
sources:
  shop: {driver: sqlite, dsn: shop.db}
tables:
  - {name: orders, source: shop}
  - {name: customers, source: shop}
  - {name: orders, source: shop, schema: raw}
  - {name: refunds, source: shop}
`, nil)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		names   []string
		want    []string // schema.name in order
		wantErr string
	}{
		{name: "no names selects all", names: nil, want: []string{"dwh.orders", "dwh.customers", "raw.orders", "dwh.refunds"}},
		{name: "config order, not argument order", names: []string{"refunds", "customers"}, want: []string{"dwh.customers", "dwh.refunds"}},
		{name: "comma separated and qualified", names: []string{"refunds, raw.orders"}, want: []string{"raw.orders", "dwh.refunds"}},
		{name: "repeated name once", names: []string{"customers", "customers"}, want: []string{"dwh.customers"}},
		{name: "unknown names listed with the defined ones", names: []string{"ordrs", "customers", "x"},
			wantErr: `select tables: unknown table "ordrs"; unknown table "x"; defined tables: dwh.customers, dwh.orders, dwh.refunds, raw.orders`},
		{name: "name in two schemas is ambiguous", names: []string{"orders"},
			wantErr: `select tables: table "orders" is in several schemas (dwh.orders, raw.orders); expected schema.name; defined tables: dwh.customers, dwh.orders, dwh.refunds, raw.orders`},
		{name: "only blanks", names: []string{" , "}, wantErr: `select tables: no table names given; expected names such as orders or dwh.orders`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := c.SelectTables(tc.names)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Errorf("error = %v, want %s", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, tb := range got {
				names = append(names, tb.Schema+"."+tb.Name)
			}
			if !reflect.DeepEqual(names, tc.want) {
				t.Errorf("selected %v, want %v", names, tc.want)
			}
		})
	}
}

func TestParseByteSize(t *testing.T) {
	cases := []struct {
		in      string
		want    ByteSize
		text    string // String() of the result
		wantErr bool
	}{
		{in: "128MiB", want: 134217728, text: "128MiB"},
		{in: "1GiB", want: 1073741824, text: "1GiB"},
		{in: "500MB", want: 500000000, text: "500MB"},
		{in: "1048576", want: 1048576, text: "1MiB"},
		{in: "64 kib", want: 65536, text: "64KiB"},
		{in: "1.5GiB", want: 1610612736, text: "1536MiB"},
		{in: "1000", want: 1000, text: "1KB"},
		{in: "1001B", want: 1001, text: "1001B"},
		{in: "12XB", wantErr: true},
		{in: "MiB", wantErr: true},
		{in: "-1MiB", wantErr: true},
		{in: "", wantErr: true},
		{in: "99999999999GiB", wantErr: true},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseByteSize(tc.in)
			if tc.wantErr {
				if err == nil {
					t.Errorf("ParseByteSize(%q) = %d, want an error", tc.in, got)
				}
				return
			}
			if err != nil || got != tc.want || got.String() != tc.text {
				t.Errorf("ParseByteSize(%q) = %d (%s), %v; want %d (%s)", tc.in, got, got, err, tc.want, tc.text)
			}
		})
	}
}

// A row group smaller than the default page makes the page size left out
// the row group's, rather than an error about a key the file does not set.
func TestPageSizeDefaultsToAtMostTheRowGroup(t *testing.T) {
	for _, tc := range []struct {
		parquet string
		want    ByteSize
	}{
		{"{}", DefaultPageSize},
		{"{row_group_size: 100KiB}", 100 << 10},
		{"{row_group_size: 100KiB, page_size: 64KiB}", 64 << 10},
	} {
		c, err := ParseConfig("/srv/lake/lake.yaml", []byte("warehouse: /data/wh\nparquet: "+tc.parquet+"\n"+okTail), env(nil))
		if err != nil {
			t.Fatalf("parquet: %s: %v", tc.parquet, err)
		}
		if c.Parquet.PageSize != tc.want {
			t.Errorf("parquet: %s: page size %s, want %s", tc.parquet, c.Parquet.PageSize, tc.want)
		}
	}
}

func TestValidateBuiltConfig(t *testing.T) {
	c := &Config{
		Sources:  map[string]SourceConfig{"shop": {Name: "shop", Driver: "sqlite", DSN: "/data/shop.db"}},
		Tables:   []TableConfig{{Name: "orders", Source: "shop", Table: "orders", Schema: "dwh"}},
		Clusters: []ClusterConfig{{Name: "local", Engine: "duckdb", Path: "/data/lake.duckdb"}},
		Parquet:  ParquetConfig{Compression: "zstd", RowGroupSize: 1 << 20, FileSize: 1 << 20, PageSize: 256 << 10},
	}
	c.DefaultSchema = "dwh"
	err := c.Validate()
	if want := "warehouse: required; expected the folder partitions are written to, e.g. ./warehouse"; err == nil || err.Error() != want {
		t.Errorf("error = %v, want %s", err, want)
	}
	c.Warehouse = "/data/warehouse"
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.Location != time.UTC {
		t.Errorf("Location = %v, want UTC", c.Location)
	}
}

func TestLoadConfigMissingFileSaysWhatToDo(t *testing.T) {
	_, err := LoadConfig(filepath.Join(t.TempDir(), "lake.yaml"))
	if !errors.Is(err, os.ErrNotExist) || !strings.HasSuffix(err.Error(), "no such file or directory; create one with `lake init`") {
		t.Errorf("error = %v", err)
	}
}

func TestExampleConfigParses(t *testing.T) {
	c, err := ParseConfig("/home/ana/lake/lake.yaml", []byte(ExampleConfig), env(nil))
	if err != nil {
		t.Fatalf("ExampleConfig does not parse:\n%s", err)
	}
	assertConfig(t, c, Config{
		Path:          "/home/ana/lake/lake.yaml",
		Warehouse:     "/home/ana/lake/warehouse",
		Timezone:      "UTC",
		MaxDSAge:      DefaultMaxDSAge,
		DefaultSchema: "dwh",
		Parquet:       ParquetConfig{Compression: "zstd", CompressionLevel: 3, RowGroupSize: 134217728, FileSize: 536870912, PageSize: 262144},
		Sources:       map[string]SourceConfig{"shop": {Name: "shop", Driver: "sqlite", DSN: "/home/ana/lake/demo/shop.db", Workers: 1}},
		Tables: []TableConfig{
			{Name: "orders", Source: "shop", Table: "orders", Schema: "dwh", Line: 41},
			{Name: "customers", Source: "shop", Query: "SELECT id, name, country, created_at FROM customers", Schema: "dwh", Line: 44},
		},
		Clusters: []ClusterConfig{{Name: "local", Engine: "duckdb", Path: "/home/ana/lake/lake.duckdb"}},
	})

	// Uncommenting the Postgres parts, as the comments say, gives a valid
	// config once PROD_PASSWORD is set.
	text := uncomment(t, ExampleConfig, "  # prod:", 5)
	text = uncomment(t, text, "  # - name: invoices", 4)
	c, err = ParseConfig("/home/ana/lake/lake.yaml", []byte(text), env(map[string]string{"PROD_PASSWORD": "pw"}))
	if err != nil {
		t.Fatalf("ExampleConfig with Postgres uncommented does not parse:\n%s", err)
	}
	if got, want := c.Sources["prod"], (SourceConfig{Name: "prod", Driver: "postgres", DSN: "postgres://lake:pw@db.internal:5432/prod?sslmode=require",
		Workers: 2, LockTimeout: Duration(10 * time.Minute)}); got != want {
		t.Errorf("prod = %+v, want %+v", got, want)
	}
	if got, want := c.Tables[2], (TableConfig{Name: "invoices", Source: "prod", Table: "billing.invoices", Schema: "finance", Line: 48}); got != want {
		t.Errorf("invoices = %+v, want %+v", got, want)
	}
	_, err = ParseConfig("/home/ana/lake/lake.yaml", []byte(text), env(nil))
	if err == nil || !strings.Contains(err.Error(), "sources.prod.dsn: environment variable PROD_PASSWORD is not set") {
		t.Errorf("without PROD_PASSWORD: error = %v", err)
	}
}

// uncomment removes the first "# " of the n lines starting with the line first.
func uncomment(t *testing.T, text, first string, n int) string {
	t.Helper()
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		if l != first {
			continue
		}
		for j := i; j < i+n; j++ {
			if !strings.Contains(lines[j], "# ") {
				t.Fatalf("line %q is not commented", lines[j])
			}
			lines[j] = strings.Replace(lines[j], "# ", "", 1)
		}
		return strings.Join(lines, "\n")
	}
	t.Fatalf("ExampleConfig has no line %q", first)
	return ""
}
