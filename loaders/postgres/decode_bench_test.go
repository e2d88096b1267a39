package postgres

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/jackc/pgx/v5"

	"github.com/lake-engine/lake/loaders"
	"github.com/lake-engine/lake/localstack/testenv"
)

// lineitemSQL makes rows of TPC-H lineitem's types and about its values:
// integer keys, numeric(15,2) amounts, one-letter flags, dates, short
// codes and a comment of 10 to 43 characters.
const lineitemSQL = `SELECT (i / 4 + 1)::int4 AS l_orderkey, (random() * 200000)::int4 AS l_partkey,
	(random() * 10000)::int4 AS l_suppkey, (i %% 7 + 1)::int4 AS l_linenumber,
	(floor(random() * 50) + 1)::numeric(15,2) AS l_quantity, (random() * 100000)::numeric(15,2) AS l_extendedprice,
	(floor(random() * 11) / 100)::numeric(15,2) AS l_discount, (floor(random() * 9) / 100)::numeric(15,2) AS l_tax,
	(ARRAY['A','N','R'])[i %% 3 + 1]::char(1) AS l_returnflag, (ARRAY['F','O'])[i %% 2 + 1]::char(1) AS l_linestatus,
	date '1992-01-02' + (i %% 2500) AS l_shipdate, date '1992-01-31' + (i %% 2470) AS l_commitdate,
	date '1992-01-03' + (i %% 2520) AS l_receiptdate,
	(ARRAY['DELIVER IN PERSON','COLLECT COD','NONE','TAKE BACK RETURN'])[i %% 4 + 1]::char(25) AS l_shipinstruct,
	(ARRAY['AIR','MAIL','RAIL','SHIP','TRUCK','REG AIR','FOB'])[i %% 7 + 1]::char(10) AS l_shipmode,
	left(md5(i::text) || md5((i + 1)::text), 10 + i %% 34)::varchar(44) AS l_comment
	FROM generate_series(1, %d) AS i`

// messages keeps each CopyData message of a COPY as pgconn hands it over,
// one after the other in one buffer as in pgconn's read buffer.
type messages struct {
	data []byte
	ends []int
}

func (m *messages) Write(p []byte) (int, error) {
	m.data = append(m.data, p...)
	m.ends = append(m.ends, len(m.data))
	return len(p), nil
}

// each calls fn with every message in turn.
func (m *messages) each(fn func(msg []byte)) {
	start := 0
	for _, end := range m.ends {
		fn(m.data[start:end:end])
		start = end
	}
}

// BenchmarkDecodeLineitem decodes a binary COPY stream of 500,000
// lineitem-like rows, captured once from PostgreSQL, into Arrow batches:
// the loader's CPU per row, without the server's or the network's. It
// prints ns per row and the stream's MB/s.
func BenchmarkDecodeLineitem(b *testing.B) {
	const rows = 500_000
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, testenv.NewPostgresDB(b))
	if err != nil {
		b.Fatalf("connect: %v", err)
	}
	defer conn.Close(ctx)
	sql := fmt.Sprintf(lineitemSQL, rows)
	desc, err := conn.PgConn().Prepare(ctx, "", sql, nil)
	if err != nil {
		b.Fatalf("describe: %v", err)
	}
	types := typeResolver{conn: conn}
	cols, err := types.resolveColumns(ctx, "lineitem", desc.Fields)
	if err != nil {
		b.Fatalf("resolve: %v", err)
	}
	var stream messages
	if _, err := conn.PgConn().CopyTo(ctx, &stream, "COPY ("+sql+") TO STDOUT (FORMAT binary)"); err != nil {
		b.Fatalf("copy: %v", err)
	}
	lcols := make([]loaders.Column, len(cols))
	for i, c := range cols {
		lcols[i] = c.Column
	}
	schema := loaders.Schema(lcols)
	batchRows := loaders.DefaultBatchRows

	b.ResetTimer()
	start := time.Now()
	for range b.N {
		columns := make([]column, len(cols))
		for i, c := range cols {
			columns[i] = newColumn(c.mapping, memory.DefaultAllocator, batchRows)
		}
		dec := &copyDecoder{
			name: "lineitem", cols: cols, columns: columns,
			batchRows: batchRows, batchBytes: loaders.DefaultBatchBytes,
			flush: func(n int) error {
				newBatch(schema, columns, n, batchRows).Release()
				return nil
			},
			onError: func() {},
		}
		stream.each(func(msg []byte) {
			if _, err := dec.Write(msg); err != nil {
				b.Fatal(err)
			}
		})
		if err := dec.finish(); err != nil {
			b.Fatal(err)
		}
		if dec.err != nil || dec.row != rows {
			b.Fatalf("decoded %d rows (%v), want %d", dec.row, dec.err, rows)
		}
		newBatch(schema, columns, dec.inBatch, 0).Release()
		for _, c := range columns {
			c.release()
		}
	}
	elapsed := time.Since(start)
	b.StopTimer()
	perRow := float64(elapsed.Nanoseconds()) / float64(b.N*rows)
	b.ReportMetric(perRow, "ns/row")
	b.ReportMetric(float64(len(stream.data))*float64(b.N)/1e6/elapsed.Seconds(), "MB/s")
	b.Logf("%d rows, %.1f MB of COPY stream in %d messages: %.0f ns per row, %.0f MB/s",
		rows, float64(len(stream.data))/1e6, len(stream.ends), perRow, float64(len(stream.data))*float64(b.N)/1e6/elapsed.Seconds())
}
