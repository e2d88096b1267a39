package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// tool copies one table once and measures it.
type tool struct {
	name string
	// about says what is measured, for the report.
	about   string
	measure func(ctx context.Context, b *bench, t benchTable) (sample, error)
}

// tools are in report order: the source's limit, lake, then its peers.
var tools = []tool{
	{
		name:    "raw",
		about:   "`COPY (SELECT * FROM t) TO STDOUT (FORMAT binary)` into a byte counter (pgx, one connection): the source's limit; no Parquet",
		measure: copyRaw,
	},
	{
		name:    "lake-local",
		about:   "`bin/lake run --json` into a fresh local warehouse folder; the reference of the ratios",
		measure: lakeLocal,
	},
	{
		name:    "lake-s3",
		about:   "`bin/lake run --json` into a fresh prefix of the test S3 server (LocalStack on this machine)",
		measure: lakeS3,
	},
	{
		name:    "lake-parallel",
		about:   "`bin/lake run --json` into a fresh local warehouse folder with `workers` and `split` set to the core count: as many connections in one snapshot as DuckDB's `postgres_scan` uses by default",
		measure: lakeParallel,
	},
	{
		name:    "duckdb",
		about:   "DuckDB `COPY (SELECT * FROM postgres_scan(...)) TO 'x.parquet' (FORMAT parquet, COMPRESSION zstd)`, DuckDB's defaults otherwise",
		measure: duckdbCopy,
	},
	{
		name:    "connectorx",
		about:   "ConnectorX `read_sql(..., return_type='arrow', partition_on=<key>, partition_num=<cores>)`, then `pyarrow.parquet.write_table(..., compression='zstd')`",
		measure: connectorxCopy,
	},
}

// runsLake reports whether any of the tools named is a run of bin/lake.
func runsLake(names []string) bool {
	return slices.ContainsFunc(names, func(n string) bool { return strings.HasPrefix(n, "lake-") })
}

func toolNames() []string { return names(tools, func(t tool) string { return t.name }) }

// toolByName returns a tool of tools; the name was checked by parseFlags.
func toolByName(name string) tool {
	return byName(tools, func(t tool) string { return t.name }, name)
}

// copyRaw streams the table in PostgreSQL's binary COPY format, as lake
// reads it, and throws it away: no decoding, no Parquet. Only the COPY is
// timed, not connecting.
func copyRaw(ctx context.Context, b *bench, t benchTable) (sample, error) {
	conn, err := pgx.Connect(ctx, b.env.dsn)
	if err != nil {
		return sample{}, err
	}
	defer conn.Close(ctx)
	var w countingWriter
	start := time.Now()
	tag, err := conn.PgConn().CopyTo(ctx, &w,
		fmt.Sprintf("COPY (SELECT * FROM %s) TO STDOUT (FORMAT binary)", pgx.Identifier{t.name}.Sanitize()))
	if err != nil {
		return sample{}, fmt.Errorf("COPY %s TO STDOUT: %w", t.name, err)
	}
	return sample{wall: time.Since(start), out: w.n, rows: tag.RowsAffected()}, nil
}
