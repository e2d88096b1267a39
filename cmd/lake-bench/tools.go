package main

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lake-engine/lake/loaders"
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
		about:   "`COPY (SELECT * FROM t) TO STDOUT (FORMAT binary)` into a byte counter (pgx, one connection, its reads waking in runs as lake's do): the source's limit; no Parquet",
		measure: copyRaw,
	},
	{
		name:    "raw-parallel",
		about:   "the same over one connection per core at once, each copying the next 32 MiB chunk of the table's heap pages (`WHERE ctid >= '(first,0)' AND ctid < '(last,0)'`) as soon as it is done with one, as lake's `split` and DuckDB's `postgres_scan` read: the source's limit for lake-parallel and DuckDB",
		measure: copyRawParallel,
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
	conn, err := connectRaw(ctx, b.env.dsn)
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

// connectRaw connects as lake's loader does, its reads waking for COPY in
// runs (loaders.BulkReads): the source's limit is what the best client
// gets, and lake's reads must not have an edge the raw COPY lacks.
func connectRaw(ctx context.Context, dsn string) (*pgx.Conn, error) {
	config, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, err
	}
	config.DialFunc = loaders.BulkDial(config.DialFunc)
	return pgx.ConnectConfig(ctx, config)
}

// rawChunkBytes is the size of the heap chunks raw-parallel's connections
// take in turn: lake's default chunk_size.
var rawChunkBytes int64 = 32 << 20

// copyRawParallel is copyRaw over one connection per core at once, each
// taking the next chunk of the table's heap pages as soon as it is done
// with one, as lake's ranges and DuckDB's postgres_scan do: so that no
// connection waits alone for a slower one. Connecting and sizing the
// chunks are not timed.
func copyRawParallel(ctx context.Context, b *bench, t benchTable) (sample, error) {
	n := runtime.NumCPU()
	conns := make([]*pgx.Conn, n)
	for i := range conns {
		c, err := connectRaw(ctx, b.env.dsn)
		if err != nil {
			return sample{}, err
		}
		defer c.Close(ctx)
		conns[i] = c
	}
	table := pgx.Identifier{t.name}.Sanitize()
	var pages, block int64
	if err := conns[0].QueryRow(ctx, "SELECT pg_relation_size($1::regclass), current_setting('block_size')::bigint", table).Scan(&pages, &block); err != nil {
		return sample{}, fmt.Errorf("size of %s: %w", t.name, err)
	}
	pages /= block
	queries := rangeCopies(table, pages, max(n, int(pages*block/rawChunkBytes)))
	var (
		wg    sync.WaitGroup
		next  atomic.Int64
		out   = make([]countingWriter, n)
		rows  = make([]int64, n)
		errs  = make([]error, n)
		start = time.Now()
	)
	for i := range n {
		wg.Go(func() {
			for q := next.Add(1) - 1; q < int64(len(queries)) && errs[i] == nil; q = next.Add(1) - 1 {
				tag, err := conns[i].PgConn().CopyTo(ctx, &out[i], queries[q])
				if err != nil {
					errs[i] = fmt.Errorf("%s: %w", queries[q], err)
				}
				rows[i] += tag.RowsAffected()
			}
		})
	}
	wg.Wait()
	s := sample{wall: time.Since(start)}
	for i := range n {
		if errs[i] != nil {
			return sample{}, errs[i]
		}
		s.out += out[i].n
		s.rows += rows[i]
	}
	return s, nil
}

// rangeCopies are the COPY statements of n ranges of pages heap pages of
// table, the last one open-ended (fewer ranges for a table of fewer pages).
func rangeCopies(table string, pages int64, n int) []string {
	per := max(1, (pages+int64(n)-1)/int64(n))
	var copies []string
	for first := int64(0); first < pages || len(copies) == 0; first += per {
		where := fmt.Sprintf("ctid >= '(%d,0)'", first)
		if first+per < pages {
			where += fmt.Sprintf(" AND ctid < '(%d,0)'", first+per)
		}
		copies = append(copies, fmt.Sprintf("COPY (SELECT * FROM %s WHERE %s) TO STDOUT (FORMAT binary)", table, where))
	}
	return copies
}
