// Command lake-bench compares lake with what a data engineer would use
// instead to copy PostgreSQL tables into Parquet, on the same machine and the
// same tables, and writes the figures to bench/results.md. `make bench-peers`
// runs it (and `make bench` after the Go benchmarks).
//
// For each table it measures, several times, reporting the median:
//
//   - raw: COPY (SELECT * FROM t) TO STDOUT (FORMAT binary) into a byte
//     counter, the speed of the source itself, and the bytes that give every
//     tool's "source MB/s";
//   - raw-parallel: the same over one connection per core, each copying
//     the next 32 MiB chunk of the table's heap pages when done with one:
//     the source's limit for lake-parallel and DuckDB;
//   - lake-local and lake-s3: bin/lake run --json as a child process, into a
//     fresh local warehouse or a fresh prefix of the test S3 server;
//   - lake-parallel: the same into a local warehouse with workers and split
//     set to the core count, as many connections as DuckDB's postgres_scan
//     opens by default;
//   - duckdb: DuckDB's postgres_scan copied to one zstd Parquet file;
//   - connectorx: ConnectorX read_sql to Arrow, written by pyarrow (zstd).
//
// Wall time is taken around each child process; its peak RSS and CPU
// time come from the child's rusage. The tables live in a database of
// their own (lake_bench) on the test PostgreSQL and are generated once:
// orders_1m and orders_10m by generate_series, lineitem by DuckDB's TPC-H
// generator at scale factor 1.
//
// It owns cmd/lake-bench and bench/results.md, and nothing else: it drives
// lake only through its binary and lake.yaml (as a user would), never
// through lake's packages, so it measures what users run (only its test
// checks the lake.yaml it writes with lake's parser). The servers come
// from localstack/services.sh, the Python peers from localstack/bench/venv.sh.
package main
