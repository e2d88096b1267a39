package lake

// ExampleConfig is the commented lake.yaml `lake init` writes: a local
// warehouse folder, the embedded DuckDB cluster, one SQLite source and a
// Postgres source to uncomment.
const ExampleConfig = `# lake.yaml: what lake snapshots every night, where the partitions go and
# where analysts query them. Relative paths are relative to this file's
# folder. Any value may use ${NAME} or ${NAME:-default} from the environment
# (write $${ for a literal ${).

# The folder that holds every table as write-once ds=YYYY-MM-DD partitions
# of Parquet files. It is the source of truth: clusters are rebuilt from it.
warehouse: ./warehouse

# The IANA time zone in which "today", the default ds of a run, is computed.
timezone: UTC

# The lake schema of tables that do not name one.
default_schema: dwh

# How Parquet files are written (every key is optional).
parquet:
  compression: zstd       # zstd | snappy | gzip | none
  compression_level: 3    # zstd 1-22 (default 3) or gzip 1-9 (default 6)
  row_group_size: 128MiB  # sizes: 1048576, 500MB, 128MiB, 1GiB
  file_size: 512MiB       # a partition is split into files of about this size
  page_size: 256KiB       # a column's data page; most of lake's memory (see README)

# The production databases tables are read from, by name.
sources:
  shop:
    driver: sqlite        # sqlite | postgres
    dsn: ./demo/shop.db   # for sqlite, the database file
  # A Postgres source. Keep the password out of this file: export
  # PROD_PASSWORD before running lake, then uncomment these lines.
  # prod:
  #   driver: postgres
  #   dsn: postgres://lake:${PROD_PASSWORD}@db.internal:5432/prod?sslmode=require
  #   workers: 2          # connections reading at once, in one snapshot (default 1)
  #   lock_timeout: 10m   # a table locked longer by another session fails alone (default 10m)

# The lake tables. Each reads one source table (table:, which defaults to
# the name) or the result of one query (query:), never both.
tables:
  # dwh.orders: a copy of the source table orders.
  - name: orders
    source: shop
  # dwh.customers: only the columns analysts may see.
  - name: customers
    source: shop
    query: SELECT id, name, country, created_at FROM customers
  # finance.invoices from the Postgres source (uncomment it too):
  # - name: invoices
  #   source: prod
  #   table: billing.invoices
  #   schema: finance

# The query engines the tables and their <table>_latest views are
# registered on. Without this key: one DuckDB catalog, ./lake.duckdb.
clusters:
  - name: local
    engine: duckdb        # duckdb, trino or presto (with url:, catalog:)
    path: ./lake.duckdb   # the DuckDB catalog file
`
